"""ASIN recognition: the one place that decides what counts as an ASIN.

An ASIN is ten characters: ``B0`` followed by eight uppercase letters or digits
(Audible), or an ISBN-10 (nine digits and a digit or ``X``). Comparison is
case-insensitive, so every ASIN leaves this module upper-cased.

ASINs are only ever taken from places that are known to hold one: the guid of the
legacy Audible/Audnexus agents, external ``Guid`` ids, and a *bracketed* token in a
folder or file name. An arbitrary run of ten characters is never an ASIN.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

# What an ASIN is (normalize_asin tests it with string methods, which say the same).
_ASIN_RE = re.compile(r"^(?:B0[A-Z0-9]{8}|[0-9]{9}[0-9X])$")
# A bracketed token in a path: "[B08V8B2CGV]". Brackets are required on both sides.
_BRACKETED_RE = re.compile(r"\[([A-Za-z0-9]{10})\]")
# Where a guid's identifier ends: "B08V8B2CGV_us?lang=en" names B08V8B2CGV.
_IDENT_END = re.compile(r"[_?/&#]")
# Guid schemes whose identifier part is an ASIN.
_ASIN_GUID_SCHEMES = (
    "com.plexapp.agents.audnexus",
    "com.plexapp.agents.audible",
    "audnexus",
    "audible",
    "asin",
)


def normalize_asin(value: object) -> str | None:
    """Return the canonical (upper-case) ASIN for *value*, or None if it is not one."""
    if not isinstance(value, str):
        return None
    candidate = value.strip().upper()
    # _ASIN_RE's test, told with string methods (a full scan asks this of thousands of
    # ids): ten ASCII letters or digits (upper-cased), "B0" first or nine digits then a
    # digit or "X".
    if len(candidate) != 10 or not candidate.isascii() or not candidate.isalnum():
        return None
    if candidate.startswith("B0") or (candidate[:9].isdigit() and candidate[9] in "0123456789X"):
        return candidate
    return None


def asin_from_guid(guid: str | None) -> str | None:
    """ASIN carried by an agent guid such as ``com.plexapp.agents.audnexus://B08V8B2CGV_us?lang=en``.

    ``plex://`` and other agents' guids carry no ASIN, even when their hash happens to be
    ten characters long.
    """
    if not guid or "://" not in guid:
        return None
    scheme, _, rest = guid.partition("://")
    if scheme.lower() not in _ASIN_GUID_SCHEMES:
        return None
    ident = _IDENT_END.split(rest, maxsplit=1)[0]
    return normalize_asin(ident)


def asins_from_path(path: str | None) -> list[str]:
    """Every bracketed ASIN in a folder or file path, in order, without repeats."""
    if not path:
        return []
    found: list[str] = []
    for token in _BRACKETED_RE.findall(path):
        asin = normalize_asin(token)  # "[Unabridged]" is ten letters but not an ASIN
        if asin and asin not in found:
            found.append(asin)
    return found



def path_asin(paths: Iterable[str | None]) -> str | None:
    """The ASIN an album's file paths name, or None: the one rule for a path ASIN.

    Every bracketed ASIN in every path must be the same one. Files that name two ASINs
    (a folder holding two books, a mislabelled disc) name none: guessing one of them
    could mark the wrong edition available. The mirror stores this value and the
    matcher reads paths through it, so a path ASIN means the same thing at write time
    and at match time.
    """
    found: str | None = None
    for path in paths:
        if path and "[" in path:
            for asin in asins_from_path(path):
                if found is None:
                    found = asin
                elif asin != found:
                    return None
    return found


def carried_asins(asin_field: str | None, guid: str | None, guids: Sequence[str] | None,
                  paths: Sequence[str] | None) -> dict[str, str]:
    """Every ASIN an album's fields carry, mapped to where it was found (first source wins):
    the matcher's ``item_asins`` of an item, and the mirror's ``asin:`` look-up keys, written
    for every album of a scan.

    Order of trust: a dedicated field, then the album guid / external Guid ids, then a
    bracketed ``[ASIN]`` in a folder or file name (:func:`path_asin`).
    """
    found: dict[str, str] = {}
    if asin_field:
        asin = normalize_asin(asin_field)
        if asin:
            found[asin] = "asin_field"
    for one in (guid, *guids) if guids else (guid,):
        if one and not one.startswith("plex://"):  # Plex's own ids are never ASINs
            asin = asin_from_guid(one)
            if asin and asin not in found:
                found[asin] = "asin_guid"
    # Only a bracketed token counts (path_asin's own test, made here once per item: a
    # full scan asks this of every album, and most paths have no bracket). A plain loop,
    # not any() over a generator: this runs for every album of a library.
    paths = paths or ()
    for path in paths:
        if path and "[" in path:
            asin = path_asin(paths)  # the mirror's rule: one ASIN all paths agree on
            if asin:
                found.setdefault(asin, "asin_path")
            break
    return found
