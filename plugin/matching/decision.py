"""The one matcher: does this audiobook request correspond to this Plex album?

Every path that marks a request available (full scan, recently-added poll, webhook,
websocket, the ``match-pairs`` CLI) asks :func:`explain` or one of the indexes below,
which call the same decision function on pre-normalized values. Two matchers that
disagree were the original design's worst bug ("The Tenant" matched in the full scan and
not in the poll), so there is deliberately no second scoring path here.

The rules (SPEC §4.6), and why:

* **ASIN equal → certain match.** An ASIN names one edition of one book.
* **Both sides have ASINs and none is equal → never a match.** Two editions (abridged
  vs unabridged, another narrator, another language) of the same title are different
  products; the requester asked for a specific one.
* **Otherwise fuzzy:** ``score = 0.7 × title + 0.3 × max(author, narrator-vs-Plex-author)``,
  accepted at ``≥ 0.70``. The narrator term exists because Plex's album artist is often the
  narrator when the files were tagged poorly.
* **Missing author** (either side has no usable name; "Unknown", "Various Authors" count
  as none): the score is still the formula above, with 0 for the missing term, but the
  pair is accepted only if the title is identical after normalization (title score 1.0)
  *and* has at least two significant words; otherwise the ``author_missing`` guard
  rejects it. The one exception is a request narrator that resembles the Plex author
  (the narrator-as-author case), which counts as a name. Why: without a name the title
  is the only evidence; "close" titles are exactly the sequels and companions that must
  not match, and one-word titles ("It", "Dune", "The Tenant") are shared by many books,
  while "Project Hail Mary" with no author is still safe to accept. A low
  narrator-versus-author similarity is not evidence against a match (the Plex author is
  normally the real author), so it neither helps nor triggers ``author_mismatch``.
* **Guards** reject candidates whose score passes but that are known traps:
  ``omnibus`` (a box set versus one of its books), ``split_part`` (one part of a book
  published in several, "Words of Radiance (Part 1 of 2)", versus the whole), ``series_number`` (book 2 versus book
  3, "Vol. 1" versus "Vol. 2", differing numbers generally), ``extra_words`` ("Foundation"
  versus "Foundation and Empire", "Dune" versus "Dune Messiah": every part of each title
  must be either fully present in the other or wholly absent, like a subtitle),
  ``subtitle_mismatch`` (both sides have a subtitle the other lacks: two books of one
  series written "Series: Title"), ``series_prefix`` (one title is the other's first
  part and what follows reads like a book's own title, not a descriptive subtitle: "The
  Hunger Games" versus "The Hunger Games: Catching Fire"), ``author_mismatch`` (both
  sides name authors and no name on one side resembles any on the other: "The Outsider"
  by Stephen King is not Camus's) and ``author_missing`` (above). ``edition_asin`` is
  the ASIN rule above and is reported as ``asin_mismatch``.

"""
from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Indel

from plugin.matching.evidence import format_runtime, runtime_evidence
from plugin.matching.people import pen_name_link, people_may_match, people_similarity
from plugin.matching.sides import ItemSide, RequestSide, _prepare_item, _prepare_request, _Prepared
from plugin.matching.text import token_close
from plugin.matching.titles import Segment, Title

ACCEPT_THRESHOLD = 0.70
TITLE_WEIGHT = 0.7
AUTHOR_WEIGHT = 0.3
# Below this, the names on the two sides are different people (surname differs, or same
# surname with clashing given names).
AUTHOR_FLOOR = 0.5
# A title that matches only once a subtitle present on one side is ignored is a little
# less certain than an identical one: without an author it must not reach 0.70 alone.
SUBTITLE_ABSENT_FACTOR = 0.9

ASIN_REASONS = ("asin_field", "asin_guid", "asin_path")
GUARDS = (
    "omnibus", "split_part", "series_number", "extra_words", "subtitle_mismatch", "series_prefix",
    "derivative", "other_language", "runtime_mismatch", "author_mismatch", "author_missing",
)
# A request narrator at least this like the album's narrator (or, with none, its artist)
# is "the same narrator" for the runtime rule.
NARRATOR_FLOOR = 0.8
# The title score the runtime-and-narrator rule needs: the same title, give or take a
# subtitle or a spelling.
STRONG_TITLE = 0.85



@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one (request, item) pair, with enough detail to explain it.

    ``reason`` is ``asin_field``/``asin_guid``/``asin_path``/``fuzzy`` for a match and
    ``asin_mismatch``/``below_threshold``/a guard name otherwise. ``guard`` names the
    guard that fired (also reported, for information, on a ``below_threshold`` miss).
    ``author_score``/``narrator_score`` are None when one side had no name to compare.
    ``asin`` is the ASIN matched, or for ``asin_mismatch`` the conflicting ASINs
    (request's first, comma-separated). ``key`` is the key of the candidate the decision
    is about: the item's for :func:`explain` and :class:`MatchIndex`, the request's for
    :class:`RequestIndex`; ``request_key``/``item_key`` are both sides' keys.
    """

    match: bool
    reason: str
    score: float
    title_score: float
    author_score: float | None
    narrator_score: float | None
    guard: str | None = None
    asin: str | None = None
    key: object = None
    request_key: object = None
    item_key: object = None
    # What the decision rested on, one short phrase each: "asin_path B002V1OF70",
    # "title 1.0", "author 0.95", "pen_name richard bachman = stephen king",
    # "runtime_close 10h12m vs 10h15m", "narrator 1.0", "language de (marker) vs en".
    evidence: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, snake_case. Keys that are not JSON scalars are given as strings."""
        return {
            "match": self.match,
            "reason": self.reason,
            "score": self.score,
            "title_score": self.title_score,
            "author_score": self.author_score,
            "narrator_score": self.narrator_score,
            "guard": self.guard,
            "asin": self.asin,
            "key": _json_key(self.key),
            "request_key": _json_key(self.request_key),
            "item_key": _json_key(self.item_key),
            "evidence": list(self.evidence),
        }


def _json_key(key: object) -> object:
    return key if key is None or isinstance(key, (str, int, float, bool)) else str(key)



# ---------------------------------------------------------------- title comparison


@dataclass(slots=True)
class _Coverage:
    """How one title's segments are found in the other title."""

    full: int = 0  # non-series segments fully present in the other title
    absent: int = 0  # non-series segments wholly absent (a subtitle the other lacks)
    partial: bool = False  # a non-series segment half present: extra words
    number_clash: bool = False  # a number of this title missing while the other has numbers
    # An absent part after the matched one that reads like a book title, not a subtitle:
    # "The Hunger Games: Catching Fire" against "The Hunger Games".
    unclear_tail: bool = False
    # Fully present parts, each as its words in order (words of an earlier part left out).
    core: list[str] = field(default_factory=list)


def _still_missing(missing: frozenset[str], seg: Segment, y: Title) -> frozenset[str] | set[str]:
    """Words of *seg* not literally in *y* that are there after all: glued or respelt."""
    still: frozenset[str] | set[str] = missing
    toks = seg.tokens
    if seg.joins and not y.tokens.isdisjoint(seg.joins):  # "spider man" vs "spiderman"
        still = set(still)
        for i in range(len(toks) - 1):
            a, b = toks[i], toks[i + 1]
            if (a in still or b in still) and a + b in y.tokens:
                still.discard(a)
                still.discard(b)
    respelt = [t for t in still if len(t) >= 5 and not t.isdigit()]  # "colour"/"color"
    if respelt:
        found = {t for t in respelt if any(token_close(t, u) for u in y.tokens)}
        if found:
            still = set(still) - found
    return still


def _coverage(x: Title, y: Title) -> _Coverage:
    cover = y.cover
    out = _Coverage()
    y_has_numbers = bool(y.series_numbers or y.title_numbers)
    for seg in x.segments:
        toks = seg.required
        missing = toks - cover
        if missing:
            missing = _still_missing(missing, seg, y)  # type: ignore[assignment]
        if not missing:
            # A series prefix repeating the title ("Harry Potter 2 - Harry Potter and the
            # ...") adds its words once.
            earlier = {w for part in out.core for w in part.split()}
            words = " ".join(t for t in seg.tokens if t in toks and t not in earlier)
            if words:
                out.core.append(words)
            if not seg.series:
                out.full += 1
            continue
        if not seg.series:
            if y_has_numbers and any(t.isdigit() for t in missing):
                out.number_clash = True
            if len(missing) == len(toks):
                out.absent += 1
                if out.full and not seg.descriptive:
                    out.unclear_tail = True
            else:
                out.partial = True
    return out


def _compare_titles(
    a: Title, b: Title, quick: bool = False, b_first: bool = True
) -> tuple[float, str | None]:
    """Title similarity (0..1) and the title guard that fires, if any.

    The score is the plain similarity of the normalized keys, or, when the structure
    agrees (every part present or wholly absent), the similarity of the shared parts,
    slightly discounted when one side carries a subtitle the other does not.

    With *quick*, an index discarding candidates gets ``(0.0, guard)`` as soon as some
    guard is certain to fire (possibly another one than the full comparison would name);
    when no guard fires the result is the full one. *b_first* says which side's
    coverage to test first (the indexed entry's, where most candidates fail: "The Moon"
    against "Blood Moon").
    """
    if not a.segments or not b.segments:
        return 0.0, None
    guard: str | None = None
    if a.omnibus != b.omnibus:
        guard = "omnibus"
    elif a.split != b.split:
        guard = "split_part"
    elif a.series_numbers and b.series_numbers and a.series_numbers.isdisjoint(b.series_numbers):
        guard = "series_number"
    if quick and guard is not None:
        return 0.0, guard
    if quick:
        first = _coverage(b, a) if b_first else _coverage(a, b)
        if first.partial or first.full == 0 or first.number_clash:
            return 0.0, "extra_words"
        second = _coverage(a, b) if b_first else _coverage(b, a)
        if second.partial or second.full == 0 or second.number_clash:
            return 0.0, "extra_words"
        ca, cb = (second, first) if b_first else (first, second)
    else:
        ca, cb = _coverage(a, b), _coverage(b, a)
    if guard is None and (ca.number_clash or cb.number_clash):
        guard = "series_number"
    structural_ok = not ca.partial and not cb.partial and ca.full > 0 and cb.full > 0
    if guard is None:
        if not structural_ok:
            guard = "extra_words"
        elif ca.absent and cb.absent:
            guard = "subtitle_mismatch"
        elif ca.unclear_tail or cb.unclear_tail:
            guard = "series_prefix"
    ratio = Indel.normalized_similarity(a.key, b.key) if a.key != b.key else 1.0
    if structural_ok and not (ca.absent and cb.absent):
        # Words in title order ("The Shadow Iron" is not "The Iron of Shadow"), parts in
        # either order ("Leviathan Wakes: The Expanse" is "The Expanse: Leviathan Wakes").
        core_a, core_b = " ".join(ca.core), " ".join(cb.core)
        structural = 1.0 if core_a == core_b else max(
            Indel.normalized_similarity(core_a, core_b),
            Indel.normalized_similarity(" ".join(sorted(ca.core)), " ".join(sorted(cb.core))),
        )
        if ca.absent or cb.absent:
            structural *= SUBTITLE_ABSENT_FACTOR
        ratio = max(ratio, structural)
    return ratio, guard


# -------------------------------------------------------------------- the decision


def _names_clash(author_score: float | None, component: float) -> bool:
    """The ``author_mismatch`` guard: both sides name authors and no name on one side
    resembles any on the other. Whatever the titles, the pair is then rejected."""
    return author_score is not None and component < AUTHOR_FLOOR


def _names_rule_out(req: _Prepared, item: _Prepared) -> bool:
    """:func:`_names_clash` for this pair, told without scoring the names in full.

    The same rule: both sides name authors, and neither the request's authors nor its
    narrators may be the Plex author (``people_similarity`` below ``AUTHOR_FLOOR``), and
    no runtime close on both sides may overcome it. An index asks it of every plausible
    candidate before parsing the candidate's title, and most candidates' names are simply
    someone else's.
    """
    item_authors = item.authors
    if not req.authors or not item_authors:
        return False
    if (req.duration_ms and item.duration_ms and req.raw_narrator
            and runtime_evidence(req.duration_ms, item.duration_ms) == "runtime_close"
            and people_may_match(req.narrators, item.narrators or item_authors, NARRATOR_FLOOR)):
        return False  # the same recording: strong enough to overcome a pen name
    return not (
        people_may_match(req.authors, item_authors, AUTHOR_FLOOR)
        or people_may_match(req.narrators, item_authors, AUTHOR_FLOOR)
    )


def _voice(req: _Prepared, item: _Prepared) -> float | None:
    """How like the request's narrator the recording's narrator is: the album's narrator,
    or, when it names none, its artist (who is often the narrator)."""
    if not req.narrators:
        return None
    return people_similarity(req.narrators, item.narrators or item.authors)


def _decide(
    req: _Prepared,
    item: _Prepared,
    key: object,
    titles: tuple[float, str | None] | None = None,
) -> Decision:
    """The single decision function. Everything (explain, indexes, CLI) ends here.

    *titles* lets an index pass in the :func:`_compare_titles` result it already computed
    to discard hopeless candidates; it is the same value, not a different rule.
    """
    title_score, guard = titles if titles is not None else _compare_titles(req.title, item.title)
    author_score = people_similarity(req.authors, item.authors)
    narrator_score = people_similarity(req.narrators, item.authors)
    component = max(author_score or 0.0, narrator_score or 0.0)
    title_score = round(title_score, 4)
    if author_score is not None:
        author_score = round(author_score, 4)
    if narrator_score is not None:
        narrator_score = round(narrator_score, 4)
    evidence: list[str] = []

    req_asin = next(iter(req.asins), None)
    if req_asin is not None and item.asins:
        score = round(TITLE_WEIGHT * title_score + AUTHOR_WEIGHT * component, 4)
        if req_asin in item.asins:
            return Decision(
                True, item.asins[req_asin], 1.0, title_score, author_score, narrator_score,
                None, req_asin, key, req.key, item.key, (f"{item.asins[req_asin]} {req_asin}",),
            )
        return Decision(
            False, "asin_mismatch", score, title_score, author_score, narrator_score,
            None, ",".join((req_asin, *item.asins)), key, req.key, item.key,
            (f"asin_mismatch {req_asin} vs {','.join(item.asins)}",),
        )

    evidence.append(f"title {title_score}")
    runtime = runtime_evidence(req.duration_ms, item.duration_ms)
    if runtime is not None:
        evidence.append(f"{runtime} {format_runtime(req.duration_ms or 0)} vs {format_runtime(item.duration_ms or 0)}")
    voice = _voice(req, item)
    if voice is not None and voice >= NARRATOR_FLOOR:
        evidence.append(f"narrator {round(voice, 4)}")
    # A runtime within minutes and the same narrator: the same recording, whatever names
    # its author carries (a pen name) -- never the title alone.
    strong = runtime == "runtime_close" and voice is not None and voice >= NARRATOR_FLOOR
    if guard is None:
        kinds = req.derivatives ^ item.derivatives
        if kinds:
            guard = "derivative"
            side = "item" if kinds & item.derivatives else "request"
            evidence.append(f"derivative {','.join(sorted(kinds))} on the {side} only")
    if guard is None:
        lr, li = req.language, item.language
        if lr is not None and li is not None:
            if lr[0] != li[0]:
                guard = "other_language"
            evidence.append(f"language {lr[0]} ({lr[1]}) vs {li[0]} ({li[1]})")
    if guard is None and runtime == "runtime_apart":
        guard = "runtime_mismatch"

    pen = pen_name_link(req.authors, item.authors)
    if pen is not None:
        evidence.append(f"pen_name {pen[0]} = {pen[1]}")
    elif author_score is not None and author_score >= AUTHOR_FLOOR:
        evidence.append(f"author {author_score}")
    if narrator_score is not None and narrator_score >= AUTHOR_FLOOR and narrator_score > (author_score or 0.0):
        evidence.append(f"narrator_as_author {narrator_score}")
    if guard is None:
        if _names_clash(author_score, component):
            if strong and title_score >= STRONG_TITLE:
                evidence.append("runtime and narrator overcome the author mismatch")
                component = max(component, voice or 0.0)
            else:
                guard = "author_mismatch"
        elif author_score is None and (narrator_score is None or narrator_score < AUTHOR_FLOOR):
            # No name to compare (and the narrator does not turn out to be the Plex
            # author): the title is the only evidence. Accept it only when it is exact and
            # not a single word -- "It" or "Dune" alone names too many books -- unless
            # the runtime and the narrator say it is this recording.
            evidence.append("author_missing")
            words = min(len(req.title.key.split()), len(item.title.key.split()))
            if strong and title_score >= STRONG_TITLE:
                component = max(component, voice or 0.0)
            elif title_score < 1.0 or words < 2:
                guard = "author_missing"
    score = round(TITLE_WEIGHT * title_score + AUTHOR_WEIGHT * component, 4)
    if score < ACCEPT_THRESHOLD:
        reason, match = "below_threshold", False
    elif guard is not None:
        reason, match = guard, False
    else:
        reason, match = "fuzzy", True
    return Decision(
        match, reason, score, title_score, author_score, narrator_score,
        guard, None, key, req.key, item.key, tuple(evidence),
    )


def explain(request: RequestSide, item: ItemSide) -> Decision:
    """Decide whether *request* is satisfied by *item*, and say why."""
    return _decide(_prepare_request(request), _prepare_item(item), item.key)


def _rank(d: Decision) -> tuple[bool, float, bool, float, float]:
    """Order decisions best first: accepted, score, ASIN-certain, title, names."""
    return (
        d.match,
        d.score,
        d.reason in ASIN_REASONS,
        d.title_score,
        max(d.author_score or 0.0, d.narrator_score or 0.0),
    )

