"""The mirror's look-up keys: written with every row, replaced when the row changes, gone with
it, filled for existing mirrors by the migration; and request creation finding books by them."""
from __future__ import annotations

import hashlib

from sqlalchemy import func, select, text

from plugin import db
from plugin.matching import ItemSide, RequestSide, explain
from plugin.matching.candidates import (
    KEYS,
    backfill_keys,
    best_library_match,
    item_keys,
    library_candidates,
    refresh_keys,
    store_keys,
    word_key,
)
from plugin.mirror import MirrorWriter, remove_rows
from plugin.models import LibraryItem, utcnow
from plugin.plex import AlbumRecord

ITEMS = LibraryItem.__table__
MISERABLES = word_key("miserables")  # folded, under the indexes' respelling key


def album(n: int, title: str, author: str | None = "Victor Hugo", guid: str | None = None,
          guids: tuple[str, ...] = ()) -> AlbumRecord:
    return AlbumRecord(str(n), guid or f"plex://album/k{n}", title, author, None, None, "3", None, None, None, None,
                       1_700_000_000 + n, 1_700_000_000 + n, guids, hashlib.md5(f"{n}-{title}".encode()).hexdigest())  # a fingerprint is 32 hex digits


def write(runtime, *albums: AlbumRecord) -> None:
    with runtime.engine.begin() as conn:
        writer = MirrorWriter(conn, utcnow())
        writer.add_all(albums)
        writer.flush()


def keys_of(conn, guid: str) -> set[str]:
    item_id = conn.execute(select(ITEMS.c.id).where(ITEMS.c.guid == guid)).scalar_one()
    return {k for (k,) in conn.execute(select(KEYS.c.key).where(KEYS.c.item_id == item_id))}


def test_keys_are_written_with_the_row_and_replaced_when_its_title_changes(runtime) -> None:
    write(runtime, album(1, "Les Misérables (Unabridged)"))
    request = RequestSide("Les Miserables", "Victor Hugo")
    with runtime.engine.connect() as conn:
        assert keys_of(conn, "plex://album/k1") == item_keys(ItemSide("Les Misérables (Unabridged)"))
        assert MISERABLES in keys_of(conn, "plex://album/k1")
        assert best_library_match(conn, request) is not None
    write(runtime, album(1, "Notre-Dame de Paris"))  # the same guid, retitled: an update
    with runtime.engine.connect() as conn:
        assert best_library_match(conn, request) is None
        assert best_library_match(conn, RequestSide("Notre Dame de Paris", "Victor Hugo")) is not None
        assert MISERABLES not in keys_of(conn, "plex://album/k1")


def test_keys_go_with_their_row(runtime) -> None:
    write(runtime, album(1, "Les Misérables"), album(2, "Notre-Dame de Paris"))
    with runtime.engine.begin() as conn:
        item_id = conn.execute(select(ITEMS.c.id).where(ITEMS.c.guid == "plex://album/k1")).scalar_one()
        remove_rows(conn, [item_id])
        assert conn.execute(select(func.count()).select_from(KEYS).where(KEYS.c.item_id == item_id)).scalar() == 0
        assert best_library_match(conn, RequestSide("Les Misérables", "Victor Hugo")) is None
        assert best_library_match(conn, RequestSide("Notre-Dame de Paris", "Victor Hugo")) is not None


def test_asin_keys_follow_the_one_path_asin_rule(runtime) -> None:
    """A path ASIN counts only when every bracketed ASIN of the files is the same one, at
    write time (the mirror's asin column, the keys) and at match time (explain)."""
    write(runtime, album(1, "Disc 1", None), album(2, "Disc 2", None))
    one = ["/books/Dune [B002V1OF70]/01.mp3", "/books/Dune [B002V1OF70]/02.mp3"]
    two = ["/books/Mixed [B002V1OF70]/01.mp3", "/books/Mixed [B00B7NPRY8]/02.mp3"]
    with runtime.engine.begin() as conn:
        for guid, paths in (("plex://album/k1", one), ("plex://album/k2", two)):
            conn.execute(ITEMS.update().where(ITEMS.c.guid == guid).values(file_paths=paths))
        refresh_keys(conn, guids=["plex://album/k1", "plex://album/k2"])
        assert "asin:B002V1OF70" in keys_of(conn, "plex://album/k1")
        assert not {k for k in keys_of(conn, "plex://album/k2") if k.startswith("asin:")}
        found = best_library_match(conn, RequestSide("Dune", "Frank Herbert", asin="B002V1OF70"))
        assert found is not None and found.reason == "asin_path"
        assert found.item_key == conn.execute(select(ITEMS.c.id).where(ITEMS.c.guid == "plex://album/k1")).scalar()
        assert best_library_match(conn, RequestSide("Mixed", "Nobody", asin="B00B7NPRY8")) is None
    mixed = ItemSide("Disc 2", file_paths=tuple(two))
    assert not explain(RequestSide("Mixed", "Nobody", asin="B00B7NPRY8"), mixed).match


def test_store_keys_finds_rows_by_guid_and_ignores_unknown_ones(runtime) -> None:
    write(runtime, album(1, "Les Misérables"))
    with runtime.engine.begin() as conn:
        conn.execute(KEYS.delete())
        written = store_keys(conn, [{"guid": "plex://album/k1", "title": "Les Misérables"},
                                    {"guid": "plex://album/none", "title": "Nothing"}])
        assert written == len(item_keys(ItemSide("Les Misérables"))) > 0
        assert store_keys(conn, []) == 0
        assert keys_of(conn, "plex://album/k1") == item_keys(ItemSide("Les Misérables"))


def test_the_migration_fills_the_keys_of_an_existing_mirror(tmp_path) -> None:
    engine = db.make_engine(db.sqlite_url(tmp_path))
    cfg = db._alembic_config()
    from alembic import command

    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.execute(text("INSERT INTO library_items (guid, rating_key, section_key, title, author, content_hash, "
                          "first_seen_at, last_seen_at) VALUES ('plex://album/old', '1', '3', 'Les Misérables', "
                          "'Victor Hugo', 'x', '2026-01-01', '2026-01-01')"))
    db.upgrade(engine)
    with engine.connect() as conn:
        assert MISERABLES in keys_of(conn, "plex://album/old")
        assert best_library_match(conn, RequestSide("Les Miserables", "Victor Hugo")) is not None
        assert backfill_keys(conn) == len(keys_of(conn, "plex://album/old"))  # safe to run again
    engine.dispose()


def test_a_common_word_does_not_load_the_whole_mirror(runtime) -> None:
    write(runtime, *[album(n, f"The Night {word}", "Ann Lee") for n, word in
                     enumerate(["Circus", "Watch", "Manager", "Garden", "Tiger", "Parade"] * 50)])
    write(runtime, album(999, "The Night Circus (Unabridged)", "Erin Morgenstern"))
    with runtime.engine.connect() as conn:
        found = library_candidates(conn, RequestSide("The Night Circus", "Erin Morgenstern"))
        assert 0 < len(found) <= 60  # "circus" is rarer than "night"
        best = best_library_match(conn, RequestSide("The Night Circus", "Erin Morgenstern"))
        assert best is not None and best.item_key == max(item.key for item in found)


def test_track_details_change_only_the_asin_keys_and_keep_them_exact(runtime) -> None:
    """Details bring file paths: a path ASIN becomes a key, a later listing without it takes it
    away again, and the title's keys are neither dropped nor re-derived."""
    from plugin.mirror import DetailsWriter
    from plugin.plex import TrackRecord

    write(runtime, album(1, "Dune", "Frank Herbert"))
    title_only = item_keys(ItemSide("Dune"))

    def details(*files: str) -> None:
        with runtime.engine.begin() as conn:
            item_id = conn.execute(select(ITEMS.c.id).where(ITEMS.c.guid == "plex://album/k1")).scalar_one()
            tracks = [TrackRecord("t1", str(item_id), "Chapter 1", "Scott Brick", 1000, tuple(files))]
            DetailsWriter(conn).write([(item_id, "Frank Herbert", None, 1, tracks)])

    details("/books/Dune [B002V1OF70]/01.mp3")
    with runtime.engine.connect() as conn:
        assert keys_of(conn, "plex://album/k1") == title_only | {"asin:B002V1OF70"}
        found = best_library_match(conn, RequestSide("Anything", "Frank Herbert", asin="B002V1OF70"))
        assert found is not None and found.reason == "asin_path"
    details("/books/Dune [B00B7NPRY8]/01.mp3")           # retagged: the old ASIN goes
    with runtime.engine.connect() as conn:
        assert keys_of(conn, "plex://album/k1") == title_only | {"asin:B00B7NPRY8"}
    details("/books/Dune/01.mp3")
    with runtime.engine.connect() as conn:
        assert keys_of(conn, "plex://album/k1") == title_only
        assert best_library_match(conn, RequestSide("Anything", "Frank Herbert", asin="B00B7NPRY8")) is None
