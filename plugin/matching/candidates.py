"""The library mirror's candidates for one request, found by the matcher's own rule.

Request creation (``already_available``), a request moved back to an open status and the
candidates endpoint each ask about one request. They must not index the whole mirror for
it, and they must not find books by another rule than the scans do: a request told "not
in the library" at creation and then matched by the next scan is the bug this prevents.

So each mirror row carries **keys** in ``library_item_keys``, derived by the matcher's
own normalization. An accepted fuzzy decision needs some part of the *item's* title to be
wholly present in the request's (the ``extra_words`` guard); the item's
:func:`~plugin.matching.sketch.sketch_title` says which words each part is sure to
require. So an item is filed under one **anchor** word per part (its longest) and every
word of the pieces the sketch is unsure of, each by the respelling key the indexes use
(:func:`~plugin.matching.text.spelling_key`), plus ``asin:`` and every ASIN the matcher reads
from it (:func:`~plugin.matching.sides.item_asins`: guid ASINs and the one path ASIN of
:func:`plugin.asin.path_asin`). A request looks up every word its parsed title may cover
an item's word with (its words, glued pairs, series numbers, and each word cut in two
for items that write it as two), and its ASIN. The rows found go into a
:class:`MatchIndex`, which decides exactly as it does over the whole mirror: every row
the whole-mirror index would accept is among them. One or two keys per row keep the
writes cheap: a full scan of 100,000 albums writes about 150,000.

The writers call :func:`store_keys` (rows they just wrote), :func:`refresh_keys` (ids or
guids, read back) or, after track details, :func:`refresh_asin_keys`, in the transaction
that writes the rows; the migration that made the table filled it with :func:`backfill_keys`.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from plugin.db import placeholder
from plugin.asin import normalize_asin
from plugin.matching.decision import Decision
from plugin.matching.indexes import MatchIndex, _halves
from plugin.matching.keys import ASIN_PREFIX, asin_key, asin_keys, title_keys, word_key
from plugin.matching.sides import ItemSide, RequestSide, item_asins
from plugin.matching.titles import Title, parse_title
from plugin.models import LibraryItem, LibraryItemKey, table

ITEMS = table(LibraryItem)
KEYS = table(LibraryItemKey)
ITEM_COLUMNS = (ITEMS.c.id, ITEMS.c.title, ITEMS.c.author, ITEMS.c.narrator, ITEMS.c.guid,
                ITEMS.c.external_guids, ITEMS.c.file_paths, ITEMS.c.duration_ms)
CHUNK = 500


def item_side(row: Any) -> ItemSide:
    """A mirror row (with :data:`ITEM_COLUMNS`) as the matcher sees it."""
    return ItemSide(title=row.title, author=row.author, narrator=row.narrator, guid=row.guid,
                    guids=tuple(row.external_guids or ()), file_paths=tuple(row.file_paths or ()),
                    duration_ms=row.duration_ms, key=row.id)


def request_side(row: Any) -> RequestSide:
    """A requests row as the matcher sees it."""
    return RequestSide(title=row.title, author=row.author, narrator=row.narrator, asin=row.asin,
                       duration_ms=row.duration_ms, language=row.language, key=row.id)


# ----------------------------------------------------------------------- the keys


def item_keys(item: ItemSide) -> set[str]:
    """Every key of one library item: its title's anchors and its ASINs."""
    keys = title_keys(item.title or "")
    if item.asin or item.file_paths or item.guids or (item.guid and not item.guid.startswith("plex://")):
        keys.update(asin_key(a) for a in item_asins(item))
    return keys


def _fields(row: Any) -> tuple[Any, ...]:
    """(id, guid, title, asin, external_guids, file_paths, title keys) of a row given as a
    mapping (the writers' dicts; ``_id`` is the update's name for the id; ``title_keys`` when
    the reader already derived them) or as an object with attributes."""
    if type(row) is dict:
        get = row.get
        return (get("id", get("_id")), get("guid"), get("title"), get("asin"), get("external_guids"),
                get("file_paths"), get("title_keys"))
    return (getattr(row, "id", None), getattr(row, "guid", None), row.title, getattr(row, "asin", None),
            getattr(row, "external_guids", None), getattr(row, "file_paths", None), None)


def store_keys(conn: Connection, rows: Iterable[Any]) -> int:
    """Write the keys of mirror rows just inserted or changed; returns the keys written.

    Each row (a mapping or an object with attributes) gives ``id`` (or ``_id``), ``title``,
    and whatever it has of ``guid``, ``asin``, ``external_guids`` and ``file_paths``: the row
    as stored, since the keys must say what the matcher will read from it. A row with an
    id has its old keys replaced. A row without one is a row just inserted: it is found by
    its ``guid`` and has no keys yet. Run it in the transaction that wrote the rows.
    """
    key_sets: list[tuple[int | None, str | None, Iterable[str]]] = []
    for item_id, guid, title, asin, guids, paths, derived in map(_fields, rows):
        keys = set(derived) if derived is not None else title_keys(title or "")
        keys.update(asin_keys(asin, guid, guids, paths))
        key_sets.append((item_id, guid, keys))
    return store_key_sets(conn, key_sets)


def store_key_sets(conn: Connection, rows: Sequence[tuple[int | None, str | None, Iterable[str]]]) -> int:
    """:func:`store_keys` for keys already derived: (id or None for a row just inserted, guid,
    every key of the row). A listing child process derives them for a full scan."""
    if not rows:
        return 0
    mark = placeholder(conn.dialect)
    fresh = [guid for item_id, guid, _keys in rows if item_id is None and guid]
    by_guid: dict[str, int] = {}
    for start in range(0, len(fresh), CHUNK):
        chunk = fresh[start:start + CHUNK]
        sql = f"SELECT id, guid FROM {ITEMS.name} WHERE guid IN ({', '.join([mark] * len(chunk))})"
        by_guid.update((g, i) for i, g in conn.exec_driver_sql(sql, tuple(chunk)).all())  # .all(): one fetch
    values: list[tuple[str, int]] = []
    replaced: list[int] = []
    for item_id, guid, keys in rows:
        if item_id is None:
            item_id = by_guid.get(guid or "")
            if item_id is None:
                continue
        else:
            replaced.append(item_id)
        values.extend((key, item_id) for key in keys)
    for start in range(0, len(replaced), CHUNK):
        conn.execute(delete(KEYS).where(KEYS.c.item_id.in_(replaced[start:start + CHUNK])))
    insert_keys(conn, values)
    return len(values)


def insert_keys(conn: Connection, values: list[tuple[str, int]]) -> None:
    """(key, item id) pairs of rows that have none of them yet, through the driver's
    executemany, in key order (the table's): a full scan writes 150,000. Two writers may key
    the same new album at once (the poll and a webhook): both keep."""
    if values:
        values.sort()
        mark = placeholder(conn.dialect)
        conn.exec_driver_sql(f"INSERT INTO {KEYS.name} (key, item_id) VALUES ({mark}, {mark}) "
                             "ON CONFLICT DO NOTHING", values)


def insert_key_runs(conn: Connection, first_id: int, key_lists: Sequence[str]) -> None:
    """The keys of rows ``first_id``, ``first_id + 1``, … just inserted into an empty SQLite
    mirror, each row's given as a JSON array (``plugin.prepare.PreparedRow``): one statement
    expands them inside SQLite, where 185,000 (key, id) tuples built and bound in Python cost
    the writer half a second more."""
    if key_lists:
        conn.exec_driver_sql(
            f"INSERT INTO {KEYS.name} (key, item_id) SELECT k.value, ? + r.key FROM json_each(?) AS r, "
            "json_each(r.value) AS k WHERE true ON CONFLICT DO NOTHING",
            (first_id, "[" + ",".join(key_lists) + "]"))


def refresh_keys(conn: Connection, ids: Iterable[int] = (), guids: Iterable[str] = ()) -> int:
    """:func:`store_keys` for rows named by id or guid, read back from the mirror."""
    written = 0
    for column, wanted in ((ITEMS.c.id, list(ids)), (ITEMS.c.guid, list(guids))):
        for start in range(0, len(wanted), CHUNK):
            rows = conn.execute(select(ITEMS.c.id, ITEMS.c.title, ITEMS.c.asin, ITEMS.c.guid, ITEMS.c.external_guids,
                                       ITEMS.c.file_paths).where(column.in_(wanted[start:start + CHUNK]))).all()
            written += store_keys(conn, rows)
    return written


def refresh_asin_keys(conn: Connection, rows: Iterable[tuple[int, Sequence[str]]]) -> int:
    """Bring the ``asin:`` keys of rows whose track details were just written up to date;
    ``rows`` are (id, the album's file paths now). Returns the keys deleted or inserted.

    Details change a row's file paths (and with them its path ASIN), never its title, so
    its title keys stay; re-deriving them for every album of a first scan would cost as
    much as the scan's whole write. The file paths come from the caller, which has them at
    hand: reading them back would decode every album's JSON once more."""
    wanted = {item_id: tuple(files) for item_id, files in rows}
    ids = list(wanted)
    mark = placeholder(conn.dialect)
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        have: dict[int, set[str]] = {}
        for key, item_id in conn.execute(select(KEYS.c.key, KEYS.c.item_id).where(
                KEYS.c.item_id.in_(chunk), KEYS.c.key.startswith(ASIN_PREFIX, autoescape=True))):
            have.setdefault(item_id, set()).add(key)
        stale: list[tuple[str, int]] = []
        fresh: list[tuple[str, int]] = []
        for item_id, asin, guid, guids in conn.execute(select(ITEMS.c.id, ITEMS.c.asin, ITEMS.c.guid,
                                                              ITEMS.c.external_guids).where(ITEMS.c.id.in_(chunk))):
            side = ItemSide("", asin=asin, guid=guid, guids=tuple(guids or ()), file_paths=wanted[item_id])
            keys = {asin_key(a) for a in item_asins(side)}
            old = have.get(item_id, set())
            stale.extend((k, item_id) for k in old - keys)
            fresh.extend((k, item_id) for k in keys - old)
        if stale:
            conn.exec_driver_sql(f"DELETE FROM {KEYS.name} WHERE key = {mark} AND item_id = {mark}", stale)
        insert_keys(conn, fresh)
        changed += len(stale) + len(fresh)
    return changed


def backfill_keys(conn: Connection, batch: int = 5000) -> int:
    """Keys for every mirror row (the migration that made the table; safe to run again)."""
    written, last = 0, 0
    while True:
        rows = conn.execute(select(ITEMS.c.id, ITEMS.c.title, ITEMS.c.asin, ITEMS.c.guid, ITEMS.c.external_guids,
                                   ITEMS.c.file_paths).where(ITEMS.c.id > last).order_by(ITEMS.c.id)
                            .limit(batch)).all()
        if not rows:
            return written
        written += store_keys(conn, rows)
        last = rows[-1].id


# ------------------------------------------------------------------- the look-up


def _ids_for(conn: Connection, keys: Iterable[str]) -> set[int]:
    wanted = list(dict.fromkeys(keys))
    out: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        query = select(KEYS.c.item_id).where(KEYS.c.key.in_(wanted[start:start + CHUNK]))
        out.update(i for (i,) in conn.execute(query))
    return out


def request_keys(title: Title) -> set[str]:
    """The keys an item may be filed under if *title* can be a request for it: every word
    that may cover one of the item's (words, glued pairs, series numbers) and both halves
    of each word, for an item writing it as two ("Spiderman": "Spider-Man")."""
    keys = {word_key(w) for w in title.cover}
    for word in title.tokens:
        for a, b in _halves(word):
            keys.add(word_key(a))
            keys.add(word_key(b))
    return keys


def _load(conn: Connection, ids: Iterable[int]) -> list[ItemSide]:
    wanted = sorted(ids)
    out: list[ItemSide] = []
    for start in range(0, len(wanted), CHUNK):
        # in id order: of two equally good books the older row wins, on every database, every time
        rows = conn.execute(select(*ITEM_COLUMNS).where(ITEMS.c.id.in_(wanted[start:start + CHUNK]))
                            .order_by(ITEMS.c.id))
        out.extend(item_side(r) for r in rows)
    return out


def library_candidates(conn: Connection, request: RequestSide) -> list[ItemSide]:
    """The mirror rows the matcher could accept for *request*: those filed under one of its
    keys (:func:`request_keys`, and its ASIN). They are also the near misses an admin sees:
    books with a whole part of their title in the request's."""
    keys = request_keys(parse_title(request.title or ""))
    asin = normalize_asin(request.asin)
    if asin:
        keys.add(asin_key(asin))
    return _load(conn, _ids_for(conn, keys))


def best_library_match(conn: Connection, request: RequestSide) -> Decision | None:
    """The best accepted decision for *request* among the mirror's rows, or None."""
    return MatchIndex(library_candidates(conn, request)).best_match(request)


def library_near_misses(conn: Connection, request: RequestSide, limit: int = 5) -> list[Decision]:
    """The best-scoring decisions for *request*, accepted or not, best first."""
    return MatchIndex(library_candidates(conn, request)).candidates(request, limit=limit)


def match_one(conn: Connection, request: RequestSide, *, limit: int = 5) -> tuple[Decision | None, list[Decision]]:
    """The best accepted match for one request and its best candidates (near misses included)."""
    index = MatchIndex(library_candidates(conn, request))
    return index.best_match(request), index.candidates(request, limit=limit)

