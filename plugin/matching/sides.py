"""The two sides of a pair: an audiobook request and a Plex library item, and both as the decision reads them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from plugin.asin import carried_asins, normalize_asin
from plugin.matching.evidence import ASSUMED_REQUEST_LANGUAGE, derivative_kinds, item_language, primary_language
from plugin.matching.people import Person, parse_people
from plugin.matching.titles import Title, parse_title


@dataclass(frozen=True, slots=True)
class RequestSide:
    """An audiobook request as the matcher sees it. ``key`` is the caller's id (row id)."""

    title: str
    author: str | None = None
    narrator: str | None = None
    asin: str | None = None
    duration_ms: int | None = None  # the audiobook's runtime, when the request manager knows it
    language: str | None = None  # a BCP 47 tag ("en", "de-DE")
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
    duration_ms: int | None = None  # the sum of the tracks' durations
    key: object = None


def item_asins(item: ItemSide) -> dict[str, str]:
    """Every ASIN the item carries, mapped to where it was found (first source wins).

    Order of trust: a dedicated field, then the album guid / external Guid ids, then a
    bracketed ``[ASIN]`` in a folder or file name (:func:`plugin.asin.carried_asins`).
    """
    return carried_asins(item.asin, item.guid, item.guids, item.file_paths)


# ---------------------------------------------------------------- prepared values


@dataclass(slots=True)
class _Prepared:
    """One side of a pair as the decision reads it (never changed once made; not frozen,
    since a frozen dataclass is slower to make, and one is made per candidate).

    The title and the names are parsed when first read, through the parsers' caches:
    an index rules most candidates out on cheaper grounds (ASINs, a sketch of the
    title, then the names alone), and a title that is never read is never parsed.
    """

    raw_title: str
    raw_author: str | None
    raw_narrator: str | None
    asins: Mapping[str, str]
    key: object
    duration_ms: int | None = None
    language_tag: str | None = None  # the request's language field
    paths: tuple[str, ...] = ()  # the item's file paths
    is_request: bool = False

    @property
    def title(self) -> Title:
        return parse_title(self.raw_title)

    @property
    def language(self) -> tuple[str, str] | None:
        """(primary language, where it was read) for this side, or None when unknown: the
        request's ``language`` field, else a marker in the title (or the item's folders),
        else, for a request, the assumed language."""
        tag = primary_language(self.language_tag)
        if tag:
            return tag, "language"
        found = item_language(self.raw_title, self.paths)
        if found:
            return found, "marker"
        return (ASSUMED_REQUEST_LANGUAGE, "assumed") if self.is_request else None

    @property
    def derivatives(self) -> frozenset[str]:
        return derivative_kinds(self.raw_title)

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
    return _Prepared(request.title or "", request.author, request.narrator, _request_asins(request), request.key,
                     request.duration_ms, request.language, is_request=True)


def _prepare_item(item: ItemSide) -> _Prepared:
    return _Prepared(item.title or "", item.author, item.narrator, item_asins(item), item.key, item.duration_ms,
                     None, item.file_paths)

