"""How an album becomes a mirror row, in a module a listing child process can import: it is
free of the database layers (a child that imported them would start seconds later), so the
children build the rows (``prepare_row``) on other cores while the parent writes them.
``plugin.mirror`` uses the same mapping for every other source of change."""
from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from dataclasses import dataclass
from functools import cache
from typing import Any, Callable, Iterable

from plugin.asin import carried_asins
from plugin.plex import AlbumRecord

MAX_TEXT = 1024     # the longest text a mirror column keeps


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str


def guid_asin(album: AlbumRecord) -> str | None:
    """ASIN from the album guid (legacy agents) or its external Guid list: the first of the
    ASINs they carry (:func:`~plugin.asin.carried_asins`), the album guid's first."""
    return next(iter(carried_asins(None, album.guid, album.guids, None)), None)


def skip_reason(album: AlbumRecord) -> str | None:
    if not album.guid:
        return "missing_guid"
    if not album.title or not album.title.strip():
        return "missing_title"
    if not album.rating_key:
        return "missing_rating_key"
    if len(album.guid) > 512:
        return "guid_too_long"
    return None


_UNKNOWN = object()


def album_values(album: AlbumRecord, external_guids: Any = None, asin: Any = _UNKNOWN) -> tuple | Skip:
    """The mirror columns of an album, in ``ROW_COLUMNS`` order, or why it cannot be mirrored:
    the one mapping of an album to a row. ``external_guids`` is the column's value when the
    caller has encoded the album's Guid ids already (a listing child sends them as JSON);
    otherwise their list, or None when there are none. ``asin`` is its :func:`guid_asin` when
    the caller has it already.

    A tuple rather than a mapping: a first scan maps every album of the library with it."""
    reason = skip_reason(album)
    if reason:
        return Skip(reason)
    if asin is _UNKNOWN:
        asin = guid_asin(album)
    author = album.parent_title or album.original_title
    thumb = album.thumb
    return (album.guid, album.rating_key, album.section_key or "", album.title.strip()[:MAX_TEXT],  # type: ignore[union-attr]
            author[:MAX_TEXT] if author else None, asin, "guid" if asin else None,
            external_guids if external_guids is not None else (list(album.guids) or None),
            album.year, album.summary, thumb and thumb[:MAX_TEXT], album.user_rating, album.added_at,
            album.updated_at, album.fingerprint)


def album_row(album: AlbumRecord) -> dict[str, Any] | Skip:
    """:func:`album_values` as a mapping by column (the writer's path for single albums)."""
    values = album_values(album)
    return values if isinstance(values, Skip) else dict(zip(ROW_COLUMNS, values))


# The columns of ``PreparedRow.values``, in the writer's INSERT order (which adds the two
# timestamps the writer stamps once per write).
ROW_COLUMNS = ("guid", "rating_key", "section_key", "title", "author", "asin", "asin_source", "external_guids",
               "year", "summary", "thumb", "user_rating", "added_at", "updated_at", "content_hash")


# An album as the writer sends it to the database: (guid, the values of ``ROW_COLUMNS`` with
# ``external_guids`` already JSON, as the JSON column stores it, every look-up key of the new row
# (``plugin.matching.candidates``' title keys and ASINs) as a JSON array: the writer expands a
# first load's keys inside SQLite (``insert_key_runs``), not as 185,000 Python tuples). A plain
# tuple, not a named one: a first scan's listing children send 100,000 of them, and unpickling a
# named tuple calls its Python constructor once per row (0.95 s against 0.30 s per 100,000 rows
# here), in the writing process.
PreparedRow = tuple[str, tuple, str]


def json_strings(texts: Iterable[str]) -> str:
    """``json.dumps`` of a list of strings, as its own C encoder of one string writes them, without
    the Python-level encoder it runs per call (a scan encodes two lists for every album)."""
    return "[" + ", ".join(map(encode_basestring_ascii, texts)) + "]"


def prepared_keys(row: PreparedRow) -> list[str]:
    """The look-up keys of a prepared row."""
    keys: list[str] = json.loads(row[2])
    return keys


def prepared_as_row(values: tuple) -> dict[str, Any]:
    """A prepared row's values as ``album_row`` maps them (for the rare consumer that wants a mapping)."""
    row = dict(zip(ROW_COLUMNS, values))
    if row["external_guids"] is not None:
        row["external_guids"] = json.loads(row["external_guids"])
    return row


@cache
def _key_rules() -> tuple[Callable[[str], set[str]], Callable[[str], str]]:
    """The matcher's key functions, imported on first use: a re-scan that changed nothing never
    needs them (a child that imported them at start would start later), and an import
    statement run per album would cost more than the album's ASIN keys."""
    from plugin.matching.keys import asin_key, title_keys
    return title_keys, asin_key


def prepare_row(album: AlbumRecord) -> PreparedRow | None:
    """The row and keys of an album as the writer will store them; None when it cannot be
    mirrored (the writer counts why)."""
    title_keys, asin_key = _key_rules()
    guids = album.guids
    # Every ASIN its guids carry, derived once: the row's ASIN is the first of them (guid_asin),
    # its ``asin:`` keys are all of them (asin_keys, for a row without paths).
    carried = carried_asins(None, album.guid, guids, None)
    values = album_values(album, json_strings(guids) if guids else None, next(iter(carried), None))
    if isinstance(values, Skip):
        return None
    keys = title_keys(values[3])
    if carried:
        keys.update(map(asin_key, carried))
    return values[0], values, json_strings(keys)
