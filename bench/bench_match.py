"""Matching at library scale, against its targets, the matcher before it, and the original design.

1. Full scan: what ``lifecycle.find_matches`` does after every full scan, which builds a
   :class:`MatchIndex` over the whole mirror each time: build the index over 100,000
   items, then ``best_match`` for 10,000 open requests (~10 % have a true match; half the
   requests carry a runtime, half a language; 90 % of items a duration). Each of the 3
   samples starts cold (the matcher's caches emptied, as in a fresh process); build,
   matching and their sum are reported as the median of the 3, in CPU seconds of this
   process (the development machine is shared: wall time there measures the others). The same workload runs on
   the **baseline**: the matcher of revision ``BASELINE_REV`` (before runtime, language and
   derivative evidence), loaded from git into this process; the ratio must stay ≤ 1.
2. Real time: one newly arrived item against a :class:`RequestIndex` of 10,000 open
   requests, over 200 items. Target < 1 ms median (baseline reported alongside).
3. Look-up keys: ``candidates.title_keys`` over every item title (CPU µs per title), and
   request creation: ``candidates.best_library_match`` for 300 requests against a SQLite
   mirror of the 100,000 items written by the mirror's own writer, which also stores the
   look-up keys (their share of the write is reported).
4. The original TypeScript design: every request compared with every item by
   string-similarity's ``compareTwoStrings`` (Dice on character bigrams) on title and
   author, 0.7/0.3. Timed on a sample of requests against all 100,000 items and
   extrapolated to 10,000 requests; reported with its ratio to (1), build included.

Everything is generated from one seed, so runs compare. ``python -m bench.bench_match``
prints the medians; ``make bench`` calls :func:`run`.
"""
from __future__ import annotations

import gc
import importlib
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Callable

from plugin.matching import ItemSide, MatchIndex, RequestIndex, RequestSide
from plugin.matching import decision, evidence, indexes, numbers, people, sides, sketch, text, titles

SEED = 20240611
N_ITEMS = 100_000
N_REQUESTS = 10_000
MATCH_SHARE = 0.10
FULL_SCAN_SAMPLES = 3
REALTIME_ITEMS = 200
NAIVE_BUDGET_S = 12.0  # wall-clock budget for the naive sample
LOOKUP_REQUESTS = 300  # request-creation look-ups timed against the mirror

Report = Callable[..., None]

# ------------------------------------------------------------------ synthetic data

_COMMON = (
    "night dark love house king queen fire shadow blood death war girl boy man woman city star "
    "stars sea river road time world life secret secrets last first lost silent black white red "
    "golden iron glass stone winter summer storm wind light moon sun sky heart bone bones ghost "
    "garden island mountain forest wolf wolves dragon dragons crown throne sword empire kingdom "
    "children daughter son mother father sister brother wife husband friend enemy stranger "
    "story stories history book library letter letters promise lie lies truth memory dream "
    "dreams game games hunt hunter hunters witch witches magic song songs blade rising fall "
    "fallen broken burning hidden wild quiet long little great small new old deep cold hollow "
    "valley north south east west ocean ship ships street door window room mirror clock hour "
    "days day year years end beginning way path journey return rise ash ashes dust salt gold "
    "silver orchid rose roses thorn thorns lady lord prince princess knight soldier spy thief "
    "killer murder murders case files detective doctor lake paris london rome tokyo america"
).split()
_SYLLABLES = (
    "ka ri to mo sha len vor dra mir el an thu bel cor dun fen gar hal isk jor kel lun mar nor "
    "ost pel quen ras sil tor ulm var wen yor zan bri cal dor eth fal gil har ith kal lor "
    "mal ner ori pra rul sen tal und vel wyr xan yel zor"
).split()
_FIRST = (
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard "
    "Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark "
    "Margaret Donald Sandra Steven Ashley Paul Kimberly Andrew Emily Joshua Donna Kenneth Michelle "
    "Kevin Dorothy Brian Carol George Amanda Timothy Melissa Ronald Deborah Edward Stephanie Jason "
    "Rebecca Jeffrey Sharon Ryan Laura Jacob Cynthia Gary Kathleen Nicholas Amy Eric Angela Jonathan "
    "Shirley Stephen Anna Larry Brenda Justin Pamela Scott Emma Brandon Nicole Benjamin Helen Samuel "
    "Samantha Gregory Katherine Alexander Christine Frank Debra Patrick Rachel Raymond Carolyn Jack "
    "Janet Dennis Catherine Jerry Maria Tyler Heather Aaron Diane José Zoë Björn Søren Łukasz Renée"
).split()
_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers "
    "Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson "
    "Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo "
    "Sanders Patel Myers Long Ross Foster Jiménez Müller Ødegaard Le Guin"
).split()
_SERIES_WORDS = "Chronicles Saga Cycle Trilogy Sequence Series Archive Legacy Tales".split()
_MARKERS = ["(Unabridged)", "[Unabridged]", "(Full Cast)", "(Dramatized Adaptation)", "(Abridged)"]
_ASIN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class _Words:
    """A Zipf-like vocabulary: a few common words, a long tail of invented ones."""

    def __init__(self, rng: random.Random, tail: int = 6000) -> None:
        words = list(_COMMON)
        seen = set(words)
        while len(words) < len(_COMMON) + tail:
            w = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
            if w not in seen:
                seen.add(w)
                words.append(w)
        self.words = words
        weights = [1.0 / (i + 10) ** 0.9 for i in range(len(words))]
        self.cum = list(_accumulate(weights))

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.words, cum_weights=self.cum)[0]

    def cap(self, rng: random.Random) -> str:
        return self.pick(rng).capitalize()

    def rare(self, rng: random.Random) -> str:
        """A word for a one-word title: those are spread over the whole vocabulary (a real
        library has a handful of books called "Night", not hundreds)."""
        return rng.choice(self.words).capitalize()


def _accumulate(values: list[float]) -> list[float]:
    out, total = [], 0.0
    for v in values:
        total += v
        out.append(total)
    return out


def _title(rng: random.Random, w: _Words) -> str:
    c = w.cap
    form = rng.randrange(10)
    if form == 0:
        return f"The {w.rare(rng)}"
    if form == 1:
        return f"{c(rng)} {c(rng)}"
    if form == 2:
        return f"The {c(rng)} of {c(rng)}"
    if form == 3:
        return f"{c(rng)} and {c(rng)}"
    if form == 4:
        return f"A {c(rng)} of {c(rng)} and {c(rng)}"
    if form == 5:
        return f"The {c(rng)} {c(rng)}"
    if form == 6:
        return f"{rng.choice(_FIRST)}'s {c(rng)}"
    if form == 7:
        return f"{c(rng)} of the {c(rng)} {c(rng)}"
    if form == 8:
        return w.rare(rng)
    return f"The {c(rng)} {c(rng)} {c(rng)}"


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_FIRST), rng.choice(_LAST)


def _author_text(first: str, last: str, style: int) -> str:
    if style == 1:
        return f"{last}, {first}"
    if style == 2:
        return f"{first[0]}. {last}"
    return f"{first} {last}"


def _asin(rng: random.Random) -> str:
    return "B0" + "".join(rng.choice(_ASIN_ALPHABET) for _ in range(8))


def _book(rng: random.Random, w: _Words) -> dict:
    title = _title(rng, w)
    series = None
    if rng.random() < 0.3:
        series = (f"The {w.cap(rng)} {rng.choice(_SERIES_WORDS)}", rng.randint(1, 12))
    subtitle = f"A {w.cap(rng)} of {w.cap(rng)}" if rng.random() < 0.12 else None
    return {
        "title": title,
        "subtitle": subtitle,
        "series": series,
        "author": _person(rng),
        "coauthor": _person(rng) if rng.random() < 0.05 else None,
        "narrator": _person(rng),
        "asin": _asin(rng),
        "duration": rng.randint(3 * 60, 40 * 60) * 60_000,
    }


def _plex_item(rng: random.Random, book: dict, key: int) -> ItemSide:
    title = book["title"]
    if book["subtitle"] and rng.random() < 0.5:
        title = f"{title}: {book['subtitle']}"
    if book["series"]:
        name, n = book["series"]
        style = rng.randrange(4)
        if style == 0:
            title = f"{title} ({name}, Book {n})"
        elif style == 1:
            title = f"{name} {n} - {title}"
        elif style == 2:
            title = f"{title}: {name}, Book {n}"
    if rng.random() < 0.1:
        title = f"{title} {rng.choice(_MARKERS)}"
    first, last = book["author"]
    author = _author_text(first, last, rng.randrange(4))
    if book["coauthor"]:
        author = f"{author} & {' '.join(book['coauthor'])}"
    if rng.random() < 0.05:
        author = " ".join(book["narrator"])  # tagged with the narrator
    elif rng.random() < 0.02:
        author = None
    guid, asin, paths = f"plex://album/{key:024x}", None, ()
    where = rng.random()
    if where < 0.15:
        guid = f"com.plexapp.agents.audnexus://{book['asin']}_us?lang=en"
    elif where < 0.25:
        asin = book["asin"]
    elif where < 0.4:
        paths = (f"/audiobooks/{last}/{book['title']} [{book['asin']}]/01.m4b",)
    else:
        paths = (f"/audiobooks/{last}/{book['title']}/01.m4b",)
    duration = book["duration"] + rng.randint(-60, 60) * 1000 if rng.random() < 0.9 else None
    return ItemSide(title=title, author=author, asin=asin, guid=guid, file_paths=paths, duration_ms=duration,
                    key=key)


def _request(rng: random.Random, book: dict, key: int) -> RequestSide:
    title = book["title"]
    if book["subtitle"] and rng.random() < 0.3:
        title = f"{title}: {book['subtitle']}"
    first, last = book["author"]
    author = f"{first} {last}"
    if book["coauthor"]:
        author = f"{author}, {' '.join(book['coauthor'])}"
    return RequestSide(
        title=title,
        author=author,
        narrator=" ".join(book["narrator"]),
        asin=book["asin"] if rng.random() < 0.5 else None,
        duration_ms=book["duration"] if rng.random() < 0.5 else None,
        language="en" if rng.random() < 0.5 else None,
        key=key,
    )


def _build(n_items: int, n_requests: int, seed: int = SEED) -> tuple[
    list[ItemSide], list[RequestSide], list[dict], list[dict]
]:
    rng = random.Random(seed)
    words = _Words(rng)
    books = [_book(rng, words) for _ in range(n_items)]
    items = [_plex_item(rng, b, i) for i, b in enumerate(books)]
    requests: list[RequestSide] = []
    req_books: list[dict] = []
    for k in range(n_requests):
        book = rng.choice(books) if rng.random() < MATCH_SHARE else _book(rng, words)
        requests.append(_request(rng, book, k))
        req_books.append(book)
    return items, requests, req_books, books


def build_data(n_items: int = N_ITEMS, n_requests: int = N_REQUESTS, seed: int = SEED) -> tuple[
    list[ItemSide], list[RequestSide], list[dict]
]:
    """(items, requests, the book behind each request); ~MATCH_SHARE of requests have their
    book among the items (the same book dict), the rest are books the library lacks."""
    items, requests, req_books, _books = _build(n_items, n_requests, seed)
    return items, requests, req_books


# ------------------------------------------------------------- the original design


def compare_two_strings(first: str, second: str) -> float:
    """string-similarity's ``compareTwoStrings``: Dice coefficient on character bigrams."""
    first = "".join(first.split())
    second = "".join(second.split())
    if first == second:
        return 1.0
    if len(first) < 2 or len(second) < 2:
        return 0.0
    bigrams = Counter(first[i : i + 2] for i in range(len(first) - 1))
    hits = 0
    for i in range(len(second) - 1):
        bg = second[i : i + 2]
        if bigrams.get(bg, 0) > 0:
            bigrams[bg] -= 1
            hits += 1
    return 2.0 * hits / (len(first) + len(second) - 2)


def naive_best_match(request: RequestSide, items: list[ItemSide]) -> tuple[float, object]:
    """All pairs, 0.7 × title Dice + 0.3 × author Dice, as the TypeScript matcher did."""
    best, best_key = 0.0, None
    title, author = request.title, request.author or ""
    for item in items:
        score = 0.7 * compare_two_strings(title, item.title) + 0.3 * compare_two_strings(
            author, item.author or ""
        )
        if score > best:
            best, best_key = score, item.key
    return best, best_key


# ---------------------------------------------------------------------- the bench


def _forget_caches(*modules: ModuleType) -> None:
    """Empty every cache of *modules* (anything with ``cache_clear``) and collect, so a
    sample starts as a new process would: nothing parsed yet, no garbage pending."""
    for module in modules:
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and not isinstance(value, type):
                clear()
    gc.collect()


# The full-scan samples are timed in CPU seconds of this process (garbage collection
# included): on a machine shared with other work, wall time mostly measures the others.
CLOCK = time.process_time


def _full_scan(items: list[ItemSide], requests: list[RequestSide]) -> tuple[float, float, int]:
    """(seconds to build the index, seconds for every best_match, accepted matches)."""
    t0 = CLOCK()
    index = MatchIndex(items)
    t1 = CLOCK()
    accepted = sum(1 for r in requests if index.best_match(r) is not None)
    return t1 - t0, CLOCK() - t1, accepted


# The matcher as it was before runtime, language and derivative evidence (the last commit
# with plugin/matcher.py): loaded from git into this process, it runs the same workload, so
# "no slower than before" is a ratio measured in one run on one machine.
BASELINE_REV = "d747d82"


def _baseline() -> ModuleType | None:
    """The baseline matcher module, or None when git or the revision is not at hand."""
    root = Path(__file__).resolve().parent.parent
    target = Path(tempfile.mkdtemp(prefix="plexbooks-baseline-"))
    try:
        for name in ("normalize", "matcher"):
            text = subprocess.run(["git", "show", f"{BASELINE_REV}:plugin/{name}.py"], cwd=root, check=True,
                                  capture_output=True, text=True).stdout
            text = text.replace("from plugin.normalize import", "from baseline_normalize import")
            (target / f"baseline_{name}.py").write_text(text, encoding="utf-8")
    except (OSError, subprocess.CalledProcessError):
        return None
    sys.path.insert(0, str(target))
    try:
        return importlib.import_module("baseline_matcher")
    finally:
        sys.path.remove(str(target))


def _as_baseline(module: ModuleType, items: list[ItemSide], requests: list[RequestSide]) -> tuple[list, list]:
    base_items = [module.ItemSide(title=i.title, author=i.author, narrator=i.narrator, asin=i.asin, guid=i.guid,
                                  guids=i.guids, file_paths=i.file_paths, key=i.key) for i in items]
    base_requests = [module.RequestSide(title=r.title, author=r.author, narrator=r.narrator, asin=r.asin, key=r.key)
                     for r in requests]
    return base_items, base_requests


def _cold_full_scans(index_class: type, items: list, requests: list, caches: tuple,
                     samples: int = FULL_SCAN_SAMPLES) -> list[float]:
    totals = []
    for _ in range(samples):
        _forget_caches(*caches)
        t0 = CLOCK()
        index = index_class(items)
        for r in requests:
            index.best_match(r)
        totals.append(CLOCK() - t0)
    return totals


def _one_item_times(index, arrivals: list) -> list[float]:
    out = []
    for item in arrivals:
        t0 = time.perf_counter()
        index.matches_for_item(item)
        out.append(time.perf_counter() - t0)
    return out


def _title_keys_per_title(report: Report, items: list[ItemSide], caches: tuple) -> None:
    """``candidates.title_keys`` (what ``store_keys`` computes for every mirror row a full
    scan writes) over every item title, caches emptied first as in a fresh process: CPU
    microseconds per title, 3 samples."""
    from plugin.matching.candidates import title_keys

    titles = [item.title for item in items]
    samples = []
    for _ in range(3):
        _forget_caches(*caches)
        t0 = CLOCK()
        for title in titles:
            title_keys(title)
        samples.append(CLOCK() - t0)
    report("match.title_keys_all_items", samples, items=len(titles),
           per_title_us=round(statistics.median(samples) / len(titles) * 1e6, 2))


def _candidates_lookup(report: Report, items: list[ItemSide], requests: list[RequestSide]) -> None:
    """Request creation's look-up (``best_library_match``) against a SQLite mirror of every
    item, written by the mirror's own writer (which stores the keys)."""
    from plugin import db
    from plugin.matching.candidates import best_library_match
    from plugin.mirror import MirrorWriter
    from plugin.models import utcnow
    from plugin.plex import AlbumRecord

    data_dir = Path(tempfile.mkdtemp(prefix="plexbooks-bench-keys-"))
    engine = db.make_engine(db.sqlite_url(data_dir))
    db.upgrade(engine)
    albums = [AlbumRecord(str(i.key), i.guid or f"plex://album/{i.key}", i.title, i.author, None, None, "3", None,
                          None, None, None, int(i.key), int(i.key), i.guids, f"fp{i.key}") for i in items]
    import plugin.mirror as mirror

    spent = [0.0]
    store = mirror.store_keys

    def timed(conn, rows):  # noqa: ANN001, ANN202 - the writer's own call, timed
        t0 = time.perf_counter()
        try:
            return store(conn, rows)
        finally:
            spent[0] += time.perf_counter() - t0

    mirror.store_keys = timed
    try:
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA cache_size=-32000")  # as the full scan sets it
            writer = MirrorWriter(conn, utcnow())
            writer.load_all()
            writer.add_all(albums)
            writer.flush()
        t_write = time.perf_counter() - t0
    finally:
        mirror.store_keys = store
    with engine.connect() as conn:
        keys = conn.exec_driver_sql("SELECT count(*) FROM library_item_keys").scalar()
        times = []
        for request in requests[:LOOKUP_REQUESTS]:
            t0 = time.perf_counter()
            best_library_match(conn, request)
            times.append(time.perf_counter() - t0)
    engine.dispose()
    ms = sorted(x * 1e3 for x in times)
    report("match.keys_written_with_the_mirror", [spent[0]], items=len(items), keys=keys,
           whole_write_s=round(t_write, 2), share_of_write=round(spent[0] / t_write, 2))
    report("match.request_creation_lookup", times, items=len(items), requests=len(times),
           median_ms=round(statistics.median(ms), 2), p95_ms=round(ms[int(len(ms) * 0.95) - 1], 2))


def run(report: Report, quick: bool = False) -> None:
    n_items = 20_000 if quick else N_ITEMS
    n_requests = 2_000 if quick else N_REQUESTS
    t0 = time.perf_counter()
    items, requests, req_books, item_books = _build(n_items, n_requests)
    t_gen = time.perf_counter() - t0
    caches = (numbers, text, titles, sketch, people, sides, decision, indexes, evidence)

    baseline = _baseline()
    if baseline is not None:
        base_items, base_requests = _as_baseline(baseline, items, requests)
        base_caches = (sys.modules["baseline_normalize"], baseline)
    builds, matches, totals, base_totals, accepted = [], [], [], [], 0
    for _ in range(FULL_SCAN_SAMPLES):
        # Samples alternate with the baseline's, so a busy machine slows both alike.
        _forget_caches(*caches)
        t_build, t_match, accepted = _full_scan(items, requests)
        builds.append(t_build)
        matches.append(t_match)
        totals.append(t_build + t_match)
        if baseline is not None:
            base_totals += _cold_full_scans(baseline.MatchIndex, base_items, base_requests, base_caches, samples=1)
    warm_build, warm_match, _ = _full_scan(items, requests)  # caches kept from the last sample
    full = statistics.median(totals)
    report("match.build_index_items", builds, items=n_items, generate_s=round(t_gen, 2))
    report(
        "match.best_match_all_requests", matches,
        requests=n_requests, items=n_items, accepted=accepted,
        per_request_us=round(statistics.median(matches) / n_requests * 1e6, 1),
    )
    extra: dict[str, object] = {}
    if baseline is not None:
        base = statistics.median(base_totals)
        report("match.baseline_full_scan_build_and_match", base_totals, requests=n_requests, items=n_items,
               revision=BASELINE_REV)
        extra = {"baseline_s": round(base, 3), "ratio_to_baseline": round(full / base, 2)}
    report(
        "match.full_scan_build_and_match", totals,
        requests=n_requests, items=n_items, warm_s=round(warm_build + warm_match, 3), **extra,
    )

    t0 = time.perf_counter()
    open_requests = RequestIndex(requests)
    t_req = time.perf_counter() - t0
    # Arrivals: half are books someone asked for (tagged the way Plex tags them), half
    # are anything else; all are new objects, as a webhook would produce.
    rng = random.Random(SEED + 1)
    arrivals = [
        _plex_item(rng, rng.choice(req_books), 10_000_000 + i) if i % 2 == 0 else
        _plex_item(rng, rng.choice(item_books), 10_000_000 + i)
        for i in range(REALTIME_ITEMS)
    ]
    extra = {}
    if baseline is not None:
        base_arrivals = _as_baseline(baseline, arrivals, [])[0]
        base_index = baseline.RequestIndex(_as_baseline(baseline, [], requests)[1])
        per_item, base_times = [], []
        for new_item, old_item in zip(arrivals, base_arrivals):  # alternating, as above
            per_item += _one_item_times(open_requests, [new_item])
            base_times += _one_item_times(base_index, [old_item])
        base_ms = statistics.median(base_times) * 1e3
        extra = {"baseline_median_ms": round(base_ms, 3),
                 "ratio_to_baseline": round(statistics.median(per_item) * 1e3 / base_ms, 2)}
    else:
        per_item = _one_item_times(open_requests, arrivals)
    matched = sum(bool(open_requests.matches_for_item(item)) for item in arrivals)
    per_item_ms = sorted(x * 1e3 for x in per_item)
    report(
        "match.one_item_vs_open_requests", per_item,
        requests=n_requests, items_tried=len(arrivals), with_match=matched, target_ms=1.0,
        median_ms=round(statistics.median(per_item_ms), 3),
        p95_ms=round(per_item_ms[int(len(per_item_ms) * 0.95) - 1], 3), build_s=round(t_req, 2), **extra,
    )

    _title_keys_per_title(report, items, caches)
    _candidates_lookup(report, items, requests)

    naive_times: list[float] = []
    budget_end = time.perf_counter() + (NAIVE_BUDGET_S / 4 if quick else NAIVE_BUDGET_S)
    for request in requests:
        t0 = time.perf_counter()
        naive_best_match(request, items)
        naive_times.append(time.perf_counter() - t0)
        if len(naive_times) >= 100 or (len(naive_times) >= 3 and time.perf_counter() > budget_end):
            break
    per_naive = statistics.median(naive_times)
    extrapolated = per_naive * n_requests
    report(
        "match.naive_dice_all_pairs_per_request", naive_times,
        sampled_requests=len(naive_times), items=n_items,
        extrapolated_s=round(extrapolated, 1), ratio_vs_full_scan=round(extrapolated / full, 1),
    )


def main() -> int:
    def report(name: str, seconds: list[float], **extra: object) -> None:
        extras = " ".join(f"{k}={v}" for k, v in extra.items())
        print(f"{name:45} median {statistics.median(seconds):10.4f} s  {extras}", flush=True)

    run(report, quick="--quick" in sys.argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
