"""Indexes that find the few plausible candidates for one query among many entries.

:class:`MatchIndex` (items, queried by requests) and :class:`RequestIndex` (open
requests, queried by a newly arrived item) find candidates by ASIN and by an inverted
index on title words, then run the one decision (:mod:`plugin.matching.decision`) on them.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Callable, Generic, Iterable, Iterator, Mapping, TypeVar

from plugin.matching.decision import Decision, _compare_titles, _decide, _names_rule_out, _rank
from plugin.matching.sides import (
    ItemSide,
    RequestSide,
    _prepare_item,
    _prepare_request,
    _Prepared,
    _request_asins,
    item_asins,
)
from plugin.matching.sketch import sketch_fields
from plugin.matching.text import spelling_key
from plugin.matching.titles import Title

_SIZE = itemgetter(0)


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


@dataclass(slots=True)
class _Probe:
    """A query title laid out to rule out indexed titles from their sketches alone (made
    once per query and never changed; not frozen, which is slower to make).

    :meth:`admits` is :func:`_may_be_covered` (could some part of the indexed title be
    wholly present in the query's?) asked of a :class:`TitleSketch` instead of a parsed
    title, and as certain: False only when the parse would say no too.
    """

    cover: frozenset[str]
    tokens: frozenset[str]  # the query's words
    # Query words that may be two indexed words glued, with each such cut in two.
    splits: Mapping[str, tuple[tuple[str, str], ...]]
    glued: tuple[tuple[str, str], ...]  # every cut of splits
    # (first letter, length) of every word that a query word of five letters or more
    # could be a respelling of: token_close's preconditions, as a set. Made when first
    # asked for (the only change ever made to a probe): many queries have no candidate
    # to rule out.
    close: frozenset[tuple[str, int]] | None = None

    def _close(self) -> frozenset[tuple[str, int]]:
        close = self.close = frozenset(
            (u[0], n) for u in self.tokens if len(u) >= 5 for n in range(len(u) - 2, len(u) + 3)
        )
        return close

    def admits(
        self, words: tuple[str, ...], parts: tuple[tuple[str, ...], ...], loose: tuple[tuple[str, ...], ...]
    ) -> bool:
        """False only when no part of the sketched title can be present in the query."""
        # Plain loops rather than all()/any() over generators: this runs for every
        # entry sharing a word with the query, thousands for a common word.
        cover, close = self.cover, self.close
        if close is None:
            close = self._close()
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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while an index is filled in bulk, as it was after.

    Filling allocates a few objects per entry (sketch tuples, posting sets) and frees
    almost none, so each pass of the collector over the growing heap finds nothing to
    free: at 100,000 items they are pure overhead. Reference counting still frees
    everything as usual. Whoever turned the collector off stays its owner: it is turned
    back on only when it was on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
      found respelt (``_spellings``: the filed words by :func:`~plugin.matching.text.spelling_key` key) and as two
      words of the entry glued ("Spiderman" in "Spider-Man").
    * The entry's sketch serves the second (:class:`_Probe`): the many titles that
      merely share a common word with the query ("The Night" and every title with
      "night") stop there, unparsed.

    Next the names, which alone can rule a pair out (:func:`_names_clash`) and cost
    less to parse than a title; then the exact title checks and :func:`_decide`. Common
    respellings ("Colour"/"Color") are found through their shared :func:`~plugin.matching.text.spelling_key` key; a
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
        self._spellings: dict[str, tuple[str, ...]] = {}  # spelling key → the words filed under it
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

    def _insert(self, entries: Iterable[_Side], asins_of: Callable[[_Side], Iterable[str]]) -> None:
        """File each side with its ASINs (``asins_of(side)``), replacing any entry with the
        same key.

        One loop with the tables bound once serves a bulk load and a single add alike: a
        full scan files 100,000 items, and per-item overhead adds up.
        """
        ids, sides, asins_filed, by_asin = self._ids, self._sides, self._asins, self._by_asin
        words_of, parts_of, loose_of = self._words, self._parts, self._loose
        postings, spellings = self._postings, self._spellings
        for side in entries:
            key = side.key
            if key is not None and key in ids:
                self.remove(key)
            slot = self._next
            self._next = slot + 1
            words, parts, loose = sketch_fields(side.title)
            sides[slot] = side
            words_of[slot], parts_of[slot], loose_of[slot] = words, parts, loose
            if key is not None:
                ids[key] = slot
            asins = asins_of(side)
            if asins:
                asins_filed[slot] = filed = tuple(asins)
                for asin in filed:
                    by_asin[asin] = by_asin.get(asin, ()) + (slot,)
            for word in words:
                bucket = postings.get(word)
                if bucket is None:
                    postings[word] = {slot}
                    key_of_word = spelling_key(word)
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
                ik = spelling_key(word)
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
        found = [postings[spelling] for spelling in self._spellings.get(spelling_key(word), ())]
        for a, b in probe.splits.get(word, ()):
            both = postings[a] & postings[b]
            if both:
                found.append(both)
        return found

    def _title_slots(self, title: Title, probe: _Probe) -> set[int]:
        """Entries holding every word of at least one part of *title*."""
        postings, word_slots = self._postings, self._word_slots
        out: set[int] = set()
        for seg in title.segments:
            if seg.series:
                continue
            # Rarest word first. A word no entry holds is skipped: it may still be a
            # respelling of one.
            words: list[tuple[int, list[set[int]]]] = []
            for w in seg.required:
                sets = word_slots(w, probe)
                if sets:
                    words.append((sum(map(len, sets)), sets))
            words.sort(key=_SIZE)
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
            tokens=title.tokens,
            splits=splits,
            glued=tuple(cut for cuts in splits.values() for cut in cuts),
        )

    def _plausible(self, query: _Prepared) -> list[int]:
        """The title candidates for *query* that its ASINs and their sketches leave, in
        slot order: one pass over what may be thousands of entries sharing a word."""
        title = query.title
        probe = self._probe(title)
        conflicting = self._asins if query.asins else {}  # equal ASINs are found by ASIN
        words, parts, loose, admits = self._words, self._parts, self._loose, probe.admits
        return [
            slot for slot in sorted(self._title_slots(title, probe))
            if slot not in conflicting and admits(words[slot], parts[slot], loose[slot])
        ]

    def _near_slots(self, title: Title, asins: Iterable[str], budget: int = 500) -> set[int]:
        """A wider net for near misses: any shared word, rarest words first."""
        out = self._title_slots(title, self._probe(title)) | self._asin_slots(asins)
        spellings = {w for t in title.tokens for w in self._spellings.get(spelling_key(t), ())}
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
        with _collector_paused():
            self._insert(items, item_asins)

    def add(self, item: ItemSide) -> None:
        """Add (or replace, by ``item.key``) one library item."""
        self._insert((item,), item_asins)

    def _prepare(self, slot: int) -> _Prepared:
        item = self._sides[slot]
        # The index knows which items have ASINs: no need to look through the others'.
        asins = item_asins(item) if slot in self._asins else {}
        return _Prepared(item.title or "", item.author, item.narrator, asins, item.key, item.duration_ms, None,
                         item.file_paths)

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
        with _collector_paused():
            self._insert(requests, _request_asins)

    def add(self, request: RequestSide) -> None:
        """Add (or replace, by ``request.key``) one open request."""
        self._insert((request,), _request_asins)

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

