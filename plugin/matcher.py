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

:class:`MatchIndex` (items, queried by requests) and :class:`RequestIndex` (open
requests, queried by a newly arrived item) find the few plausible candidates by ASIN and
by an inverted index on title words, then run the same decision on them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, Iterable, Iterator, Mapping, TypeVar

from rapidfuzz.distance import Indel

from plugin.asin import asin_from_guid, asins_from_path, normalize_asin
from plugin.normalize import (
    Person,
    Segment,
    Title,
    parse_people,
    parse_title,
    people_may_match,
    people_similarity,
    sketch_title,
    token_close,
)

__all__ = [
    "ACCEPT_THRESHOLD",
    "Decision",
    "ItemSide",
    "MatchIndex",
    "RequestIndex",
    "RequestSide",
    "explain",
    "item_asins",
    "match_pairs",
]

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
    "author_mismatch", "author_missing",
)


# ---------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class RequestSide:
    """An audiobook request as the matcher sees it. ``key`` is the caller's id (row id)."""

    title: str
    author: str | None = None
    narrator: str | None = None
    asin: str | None = None
    key: object = None


@dataclass(frozen=True, slots=True)
class ItemSide:
    """A Plex library album as the matcher sees it.

    ``author`` is Plex's ``parentTitle`` and may really be the narrator. ASINs are read
    from ``asin``, ``guid``, ``guids`` and bracketed tokens in ``file_paths`` (see
    :func:`item_asins`). ``key`` is the caller's id, returned in decisions.
    """

    title: str
    author: str | None = None
    narrator: str | None = None
    asin: str | None = None
    guid: str | None = None
    guids: tuple[str, ...] = ()
    file_paths: tuple[str, ...] = ()
    key: object = None


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
        }


def _json_key(key: object) -> object:
    return key if key is None or isinstance(key, (str, int, float, bool)) else str(key)


def item_asins(item: ItemSide) -> dict[str, str]:
    """Every ASIN the item carries, mapped to where it was found (first source wins).

    Order of trust: a dedicated field, then the album guid / external Guid ids, then a
    bracketed ``[ASIN]`` in a folder or file name.
    """
    found: dict[str, str] = {}
    asin = normalize_asin(item.asin)
    if asin:
        found[asin] = "asin_field"
    for guid in (item.guid, *item.guids) if item.guids else (item.guid,):
        if guid and not guid.startswith("plex://"):  # Plex's own ids are never ASINs
            asin = asin_from_guid(guid)
            if asin and asin not in found:
                found[asin] = "asin_guid"
    for path in item.file_paths:
        if "[" in path:  # only a bracketed token counts; most paths have none
            for asin in asins_from_path(path):
                found.setdefault(asin, "asin_path")
    return found


# ---------------------------------------------------------------- prepared values


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One side of a pair as the decision reads it.

    The title and the names are parsed when first read, through the parsers' caches:
    an index rules most candidates out on cheaper grounds (ASINs, a sketch of the
    title, then the names alone), and a title that is never read is never parsed.
    """

    raw_title: str
    raw_author: str | None
    raw_narrator: str | None
    asins: Mapping[str, str]
    key: object

    @property
    def title(self) -> Title:
        return parse_title(self.raw_title)

    @property
    def authors(self) -> tuple[Person, ...]:
        return parse_people(self.raw_author)

    @property
    def narrators(self) -> tuple[Person, ...]:
        return parse_people(self.raw_narrator)


def _request_asins(request: RequestSide) -> dict[str, str]:
    asin = normalize_asin(request.asin)
    return {asin: "request"} if asin else {}


def _prepare_request(request: RequestSide) -> _Prepared:
    return _Prepared(request.title or "", request.author, request.narrator, _request_asins(request), request.key)


def _prepare_item(item: ItemSide) -> _Prepared:
    return _Prepared(item.title or "", item.author, item.narrator, item_asins(item), item.key)


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
    narrators may be the Plex author (``people_similarity`` below ``AUTHOR_FLOOR``).
    An index asks it of every plausible candidate before parsing the candidate's
    title, and most candidates' names are simply someone else's.
    """
    item_authors = item.authors
    if not req.authors or not item_authors:
        return False
    return not (
        people_may_match(req.authors, item_authors, AUTHOR_FLOOR)
        or people_may_match(req.narrators, item_authors, AUTHOR_FLOOR)
    )


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
    score = round(TITLE_WEIGHT * title_score + AUTHOR_WEIGHT * component, 4)
    title_score = round(title_score, 4)
    if author_score is not None:
        author_score = round(author_score, 4)
    if narrator_score is not None:
        narrator_score = round(narrator_score, 4)

    req_asin = next(iter(req.asins), None)
    if req_asin is not None and item.asins:
        if req_asin in item.asins:
            return Decision(
                True, item.asins[req_asin], 1.0, title_score, author_score, narrator_score,
                None, req_asin, key, req.key, item.key,
            )
        return Decision(
            False, "asin_mismatch", score, title_score, author_score, narrator_score,
            None, ",".join((req_asin, *item.asins)), key, req.key, item.key,
        )

    if guard is None:
        if _names_clash(author_score, component):
            guard = "author_mismatch"
        elif author_score is None and (narrator_score is None or narrator_score < AUTHOR_FLOOR):
            # No name to compare (and the narrator does not turn out to be the Plex
            # author): the title is the only evidence. Accept it only when it is exact and
            # not a single word -- "It" or "Dune" alone names too many books.
            words = min(len(req.title.key.split()), len(item.title.key.split()))
            if title_score < 1.0 or words < 2:
                guard = "author_missing"
    if score < ACCEPT_THRESHOLD:
        reason, match = "below_threshold", False
    elif guard is not None:
        reason, match = guard, False
    else:
        reason, match = "fuzzy", True
    return Decision(
        match, reason, score, title_score, author_score, narrator_score,
        guard, None, key, req.key, item.key,
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


# ------------------------------------------------------------------------ indexes


_VOWELS = frozenset("aeiouy")


@lru_cache(maxsize=262_144)
def _ik(word: str) -> str:
    """The key a word is indexed under: long words by their consonant skeleton.

    "colour"/"color", "travellers"/"travelers", "theatre"/"theater" share a key, so the
    spelling variants the decision forgives (:func:`token_close`) are also found by the
    indexes. Short words and numbers are never respelt and stay as they are.
    """
    if len(word) < 5 or word.isdigit():
        return word
    out = [word[0]]
    for ch in word[1:]:
        if ch not in _VOWELS and ch != out[-1]:
            out.append(ch)
    return "~" + "".join(out)


@lru_cache(maxsize=65_536)
def _halves(word: str) -> tuple[tuple[str, str], ...]:
    """Each way to cut *word* in two: a query's "Spiderman" may be "Spider-Man" glued."""
    return tuple((word[:i], word[i:]) for i in range(1, len(word)))


def _may_be_covered(x: Title, y: Title) -> bool:
    """Could some part of *x* be wholly present in *y*? False only when certainly not.

    A cheap necessary condition of :func:`_coverage` finding a full part (set operations,
    with any word that respelling or gluing might still cover counted as "maybe"), so an
    index can skip most hopeless candidates without changing a single decision.
    """
    cover = y.cover
    for seg in x.segments:
        if seg.series:
            continue
        diff = seg.required - cover
        if not diff:
            return True
        if seg.joins and not y.tokens.isdisjoint(seg.joins):
            return True
        # Every missing word must pass token_close's own preconditions against some word
        # of y: long, not a number, same first letter, similar length.
        if all(
            len(w) >= 5
            and not w.isdigit()
            and any(u[0] == w[0] and len(u) >= 5 and abs(len(u) - len(w)) <= 2 for u in y.tokens)
            for w in diff
        ):
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Probe:
    """A query title laid out to rule out indexed titles from their sketches alone.

    :meth:`admits` is :func:`_may_be_covered` (could some part of the indexed title be
    wholly present in the query's?) asked of a :class:`TitleSketch` instead of a parsed
    title, and as certain: False only when the parse would say no too.
    """

    cover: frozenset[str]
    # (first letter, length) of every word that a query word of five letters or more
    # could be a respelling of: token_close's preconditions, as a set.
    close: frozenset[tuple[str, int]]
    # Query words that may be two indexed words glued, with each such cut in two.
    splits: Mapping[str, tuple[tuple[str, str], ...]]
    glued: tuple[tuple[str, str], ...]  # every cut of splits

    def admits(
        self, words: tuple[str, ...], parts: tuple[tuple[str, ...], ...], loose: tuple[tuple[str, ...], ...]
    ) -> bool:
        """False only when no part of the sketched title can be present in the query."""
        # Plain loops rather than all()/any() over generators: this runs for every
        # entry sharing a word with the query, thousands for a common word.
        cover, close = self.cover, self.close
        for part in parts:
            if cover.issuperset(part):
                return True
            if close:
                for w in part:
                    if w not in cover and (len(w) < 5 or (w[0], len(w)) not in close):
                        break
                else:
                    return True
        for bag in loose:
            if not cover.isdisjoint(bag):
                return True
            if close:
                for w in bag:
                    if len(w) >= 5 and not w.isdigit() and (w[0], len(w)) in close:
                        return True
        if self.glued:
            for a, b in self.glued:
                if a in words and b in words:
                    return True
        return False


_Side = TypeVar("_Side", RequestSide, ItemSide)


class _Index(Generic[_Side]):
    """Entries filed under their title words and ASINs, parsed only when plausible.

    Building an index must be cheap: a full scan builds one over the whole library
    mirror every time, and parsing 100,000 titles and names costs seconds, while most
    of them are never close to any request. So an entry is filed under the words of its
    :func:`sketch_title` and parsed only when a query cannot rule it out otherwise.

    Candidate generation rests on what an accepted fuzzy decision requires of the
    titles: some part (non-series segment) of the query title is wholly present in the
    entry's title, *and* some part of the entry's title is wholly present in the query's.

    * ``_postings`` (word → entries holding it) serve the first: per query part,
      intersect the entries holding each of its words, rarest first. A word is also
      found respelt (``_spellings``: the filed words by :func:`_ik` key) and as two
      words of the entry glued ("Spiderman" in "Spider-Man").
    * The entry's sketch serves the second (:class:`_Probe`): the many titles that
      merely share a common word with the query ("The Night" and every title with
      "night") stop there, unparsed.

    Next the names, which alone can rule a pair out (:func:`_names_clash`) and cost
    less to parse than a title; then the exact title checks and :func:`_decide`. Common
    respellings ("Colour"/"Color") are found through their shared :func:`_ik` key; a
    match that rests on a respelling the key does not capture ("Prozess"/"Process", a
    typo that swaps letters) can be missed by an index while :func:`explain` accepts it.

    Per entry the index adds no object that the garbage collector keeps tracking: it
    refers to the caller's own side object and otherwise holds tuples of strings at
    most two deep, which the collector soon stops tracking (a named tuple, or anything
    deeper, it tracks for good or long enough to promote it to the oldest generation).
    Each full collection walks every tracked object, and it is the growth of the oldest
    generation that brings one on: 100,000 more would make every scan pay for several.
    """

    _ENTRIES_ARE_ITEMS = True
    _INTERSECT_ENOUGH = 4  # stop intersecting postings once this few candidates remain

    def __init__(self) -> None:
        self._sides: dict[int, _Side] = {}
        # The entry's TitleSketch, field by field.
        self._words: dict[int, tuple[str, ...]] = {}
        self._parts: dict[int, tuple[tuple[str, ...], ...]] = {}
        self._loose: dict[int, tuple[tuple[str, ...], ...]] = {}
        self._asins: dict[int, tuple[str, ...]] = {}  # only entries that have any
        self._ids: dict[object, int] = {}
        self._next = 0
        self._by_asin: dict[str, tuple[int, ...]] = {}
        self._postings: dict[str, set[int]] = {}  # word, as written → entries
        self._spellings: dict[str, tuple[str, ...]] = {}  # _ik key → the words filed under it
        # Query word → its cuts into two filed words; valid until a word is filed for the
        # first time or its last entry goes, which is when it is emptied.
        self._cuts: dict[str, tuple[tuple[str, str], ...]] = {}

    def __len__(self) -> int:
        return len(self._sides)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def _prepare(self, slot: int) -> _Prepared:
        """The entry in *slot* as the decision reads it (nothing is parsed yet)."""
        raise NotImplementedError

    def _insert(self, entries: Iterable[tuple[_Side, Iterable[str]]]) -> None:
        """File each (side, its ASINs), replacing any entry with the same key.

        One loop with the tables bound once serves a bulk load and a single add alike: a
        full scan files 100,000 items, and per-item overhead adds up.
        """
        ids, sides, asins_of, by_asin = self._ids, self._sides, self._asins, self._by_asin
        words_of, parts_of, loose_of = self._words, self._parts, self._loose
        postings, spellings = self._postings, self._spellings
        for side, asins in entries:
            key = side.key
            if key is not None and key in ids:
                self.remove(key)
            slot = self._next
            self._next = slot + 1
            words, parts, loose = sketch_title(side.title or "")
            sides[slot] = side
            words_of[slot], parts_of[slot], loose_of[slot] = words, parts, loose
            if key is not None:
                ids[key] = slot
            if asins:
                asins_of[slot] = filed = tuple(asins)
                for asin in filed:
                    by_asin[asin] = by_asin.get(asin, ()) + (slot,)
            for word in words:
                bucket = postings.get(word)
                if bucket is None:
                    postings[word] = {slot}
                    key_of_word = _ik(word)
                    spellings[key_of_word] = spellings.get(key_of_word, ()) + (word,)
                    self._cuts.clear()
                else:
                    bucket.add(slot)

    def remove(self, key: object) -> bool:
        """Forget the entry with *key*; False when there was none."""
        slot = self._ids.pop(key, None)
        if slot is None:
            return False
        del self._sides[slot]
        for asin in self._asins.pop(slot, ()):
            left = tuple(s for s in self._by_asin[asin] if s != slot)
            if left:
                self._by_asin[asin] = left
            else:
                del self._by_asin[asin]
        del self._parts[slot], self._loose[slot]
        for word in self._words.pop(slot):
            bucket = self._postings[word]
            bucket.discard(slot)
            if not bucket:
                del self._postings[word]
                self._cuts.clear()
                ik = _ik(word)
                others = tuple(w for w in self._spellings[ik] if w != word)
                if others:
                    self._spellings[ik] = others
                else:
                    del self._spellings[ik]
        return True

    def _asin_slots(self, asins: Iterable[str]) -> set[int]:
        out: set[int] = set()
        for asin in asins:
            out.update(self._by_asin.get(asin, ()))
        return out

    def _word_slots(self, word: str, probe: _Probe) -> list[set[int]]:
        """Entries whose title may hold *word*, as sets to be united: those holding it
        as written or respelt, and those holding two words it glues."""
        postings = self._postings
        found = [postings[spelling] for spelling in self._spellings.get(_ik(word), ())]
        for a, b in probe.splits.get(word, ()):
            both = postings[a] & postings[b]
            if both:
                found.append(both)
        return found

    def _title_slots(self, title: Title, probe: _Probe) -> set[int]:
        """Entries holding every word of at least one part of *title*."""
        postings = self._postings
        out: set[int] = set()
        for seg in title.segments:
            if seg.series:
                continue
            # Rarest word first. A word no entry holds is skipped: it may still be a
            # respelling of one.
            words = sorted(
                ((sum(map(len, sets)), sets) for sets in (self._word_slots(w, probe) for w in seg.required) if sets),
                key=lambda sized: sized[0],
            )
            if words:
                first = words[0][1]
                found = first[0] if len(first) == 1 else set().union(*first)
                for _size, sets in words[1:]:
                    if len(found) <= self._INTERSECT_ENOUGH:
                        break
                    # found is the smaller side: intersect it with each set, unite the rest.
                    found = found & sets[0] if len(sets) == 1 else set().union(*[found & s for s in sets])
                out |= found
            for glued in seg.joins:  # "Spider-Man" is an entry's "Spiderman" as written
                hit = postings.get(glued)
                if hit:
                    out |= hit
        return out

    def _probe(self, title: Title) -> _Probe:
        postings, known = self._postings, self._cuts
        splits = {}
        for token in title.tokens:
            cuts = known.get(token)
            if cuts is None:
                cuts = known[token] = tuple((a, b) for a, b in _halves(token) if a in postings and b in postings)
            if cuts:
                splits[token] = cuts
        return _Probe(
            cover=title.cover,
            close=frozenset(
                (u[0], n) for u in title.tokens if len(u) >= 5 for n in range(len(u) - 2, len(u) + 3)
            ),
            splits=splits,
            glued=tuple(cut for cuts in splits.values() for cut in cuts),
        )

    def _plausible(self, query: _Prepared) -> list[int]:
        """The title candidates for *query* that its ASINs and their sketches leave, in
        slot order: one pass over what may be thousands of entries sharing a word."""
        probe = self._probe(query.title)
        conflicting = self._asins if query.asins else {}  # equal ASINs are found by ASIN
        words, parts, loose, admits = self._words, self._parts, self._loose, probe.admits
        return [
            slot for slot in sorted(self._title_slots(query.title, probe))
            if slot not in conflicting and admits(words[slot], parts[slot], loose[slot])
        ]

    def _near_slots(self, title: Title, asins: Iterable[str], budget: int = 500) -> set[int]:
        """A wider net for near misses: any shared word, rarest words first."""
        out = self._title_slots(title, self._probe(title)) | self._asin_slots(asins)
        spellings = {w for t in title.tokens for w in self._spellings.get(_ik(t), ())}
        for word in sorted(spellings, key=lambda w: len(self._postings[w])):
            if len(out) >= budget:
                break
            out |= self._postings[word]
        return out

    def _accepted(self, slot: int, query: _Prepared) -> Decision | None:
        """The decision for a :meth:`_plausible` candidate if it is accepted, else None.

        The names first, since they alone can rule the pair out and cost less to parse
        than the entry's title, which is parsed only when they do not.
        """
        entry = self._prepare(slot)
        req, item = (query, entry) if self._ENTRIES_ARE_ITEMS else (entry, query)
        if _names_rule_out(req, item):
            return None  # author_mismatch, whatever the titles
        if not _may_be_covered(entry.title, query.title):
            return None
        titles = _compare_titles(req.title, item.title, quick=True, b_first=self._ENTRIES_ARE_ITEMS)
        if titles[1] is not None:
            return None  # a title guard fires: the decision cannot accept
        d = _decide(req, item, entry.key, titles)
        return d if d.match else None

    def _decisions(self, slots: Iterable[int], query: _Prepared) -> list[Decision]:
        """The full decision for each entry in *slots*, in slot order."""
        prepare, out = self._prepare, []
        for slot in sorted(slots):
            entry = prepare(slot)
            req, item = (query, entry) if self._ENTRIES_ARE_ITEMS else (entry, query)
            out.append(_decide(req, item, entry.key))
        return out


class MatchIndex(_Index[ItemSide]):
    """The library mirror as a matcher: many items, queried by one request at a time."""

    def __init__(self, items: Iterable[ItemSide] = ()) -> None:
        super().__init__()
        self._insert((item, item_asins(item)) for item in items)

    def add(self, item: ItemSide) -> None:
        """Add (or replace, by ``item.key``) one library item."""
        self._insert(((item, item_asins(item)),))

    def _prepare(self, slot: int) -> _Prepared:
        item = self._sides[slot]
        # The index knows which items have ASINs: no need to look through the others'.
        asins = item_asins(item) if slot in self._asins else {}
        return _Prepared(item.title or "", item.author, item.narrator, asins, item.key)

    def best_match(self, request: RequestSide) -> Decision | None:
        """The best accepted decision for *request* (its ``key`` is the item's), or None."""
        req = _prepare_request(request)
        if req.asins:
            hits = [d for d in self._decisions(self._asin_slots(req.asins), req) if d.match]
            if hits:
                return max(hits, key=_rank)
        best: Decision | None = None
        best_rank: tuple[bool, float, bool, float, float] | None = None
        for slot in self._plausible(req):
            d = self._accepted(slot, req)
            if d is not None:
                r = _rank(d)
                if best_rank is None or r > best_rank:
                    best, best_rank = d, r
        return best

    def candidates(self, request: RequestSide, limit: int = 5) -> list[Decision]:
        """The best-scoring decisions for *request*, accepted or not, best first.

        Near misses carry their reason ("extra_words", "below_threshold", ...), which is
        what an admin needs to see when asking why a request did not match.
        """
        req = _prepare_request(request)
        decisions = self._decisions(self._near_slots(req.title, req.asins), req)
        decisions.sort(key=_rank, reverse=True)
        return decisions[: max(0, limit)]


class RequestIndex(_Index[RequestSide]):
    """Open requests as a matcher: queried by one newly arrived library item.

    This is the real-time path (webhook, websocket, poll): one item against every open
    request, in milliseconds.
    """

    _ENTRIES_ARE_ITEMS = False

    def __init__(self, requests: Iterable[RequestSide] = ()) -> None:
        super().__init__()
        self._insert((request, _request_asins(request)) for request in requests)

    def add(self, request: RequestSide) -> None:
        """Add (or replace, by ``request.key``) one open request."""
        self._insert(((request, _request_asins(request)),))

    def _prepare(self, slot: int) -> _Prepared:
        return _prepare_request(self._sides[slot])

    def matches_for_item(self, item: ItemSide) -> list[Decision]:
        """Every request *item* satisfies, best first; each decision's ``key`` is the request's."""
        it = _prepare_item(item)
        by_asin = self._asin_slots(it.asins)
        out = [d for d in self._decisions(by_asin, it) if d.match]
        for slot in self._plausible(it):  # not by_asin: those have ASINs, and so has it
            d = self._accepted(slot, it)
            if d is not None:
                out.append(d)
        out.sort(key=_rank, reverse=True)
        return out

    def candidates(self, item: ItemSide, limit: int = 5) -> list[Decision]:
        """The best-scoring requests for *item*, accepted or not, best first."""
        it = _prepare_item(item)
        decisions = self._decisions(self._near_slots(it.title, it.asins), it)
        decisions.sort(key=_rank, reverse=True)
        return decisions[: max(0, limit)]


# ---------------------------------------------------------------------- JSON pairs

_REQUEST_FIELDS = ("title", "author", "narrator", "asin")
_ITEM_FIELDS = ("title", "author", "narrator", "asin", "guid")


def _opt_str(obj: Mapping[str, object], name: str, where: str) -> str | None:
    value = obj.get(name)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{where}.{name} must be a string or null")


def _str_list(obj: Mapping[str, object], name: str, where: str) -> tuple[str, ...]:
    value = obj.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"{where}.{name} must be a string or a list of strings")


def _pair_from_json(obj: object) -> tuple[RequestSide, ItemSide]:
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object with 'request' and 'item'")
    req, item = obj.get("request"), obj.get("item")
    if not isinstance(req, dict):
        raise ValueError("'request' must be an object")
    if not isinstance(item, dict):
        raise ValueError("'item' must be an object")
    if not isinstance(req.get("title"), str):
        raise ValueError("request.title must be a string")
    if not isinstance(item.get("title"), str):
        raise ValueError("item.title must be a string")
    request_side = RequestSide(**{f: _opt_str(req, f, "request") for f in _REQUEST_FIELDS})  # type: ignore[arg-type]
    paths = _str_list(item, "file_path", "item") + _str_list(item, "file_paths", "item")
    item_side = ItemSide(
        **{f: _opt_str(item, f, "item") for f in _ITEM_FIELDS},  # type: ignore[arg-type]
        guids=_str_list(item, "guids", "item"),
        file_paths=paths,
    )
    return request_side, item_side


def match_pairs(lines: Iterable[str]) -> Iterator[dict[str, object]]:
    """Decide each JSON-lines pair; the engine behind ``plexbooks match-pairs FILE``.

    Each line is ``{"request": {"title", "author", "narrator", "asin"}, "item": {"title",
    "author", "narrator", "guid", "asin", "file_path"}}`` (only the titles are required).
    Yields the decision's fields plus ``line`` (1-based) per pair. A malformed line
    yields ``{"line": n, "error": "..."}`` instead and the run goes on: one bad line in a
    file of thousands should not hide the other answers. Blank lines are skipped.
    """
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            request, item = _pair_from_json(json.loads(line))
        except (ValueError, TypeError, RecursionError) as exc:
            yield {"line": number, "error": f"line {number}: {exc}"}
            continue
        yield {"line": number, **explain(request, item).as_dict()}
