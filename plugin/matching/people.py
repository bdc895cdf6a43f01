"""People's names for matching: authors and narrators.

People are parsed into a tuple of :class:`Person` so that "Tolkien, J.R.R.",
"J. R. R. Tolkien" and "JRR Tolkien" become the same name, and "A, B & C" becomes
three names of which any one may match.

Everything here is pure and cached: the same author string appears on thousands of
library items, and the same title is parsed on every scan.

"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from plugin.matching.text import _NON_WORD_RE, fold

_JUNK_PEOPLE = frozenset(
    {
        "", "unknown", "unknown author", "unknown artist", "various", "various authors",
        "various artists", "anonymous", "anon", "n a", "na", "none", "null", "author", "va",
    }
)
_NAME_PREFIXES = frozenset("dr prof professor mr mrs ms miss sir dame rev reverend".split())
_NAME_SUFFIXES = frozenset(
    "jr sr ii iii iv phd md esq obe mbe cbe kbe dbe dphil frs dds mba rn lmsw lcsw msw mft psyd edd "
    "dmin dsc facs abpp cfp cpa pere fils".split()
)
_SURNAME_PARTICLES = frozenset("le la de del della di da du van von der den ten ter st mc mac o".split())
_ROLE_TAIL_RE = re.compile(
    r"\b(?:translated|edited|introduced|illustrated|foreword|introduction|afterword|adapted|retold"
    r"|narrated|read|performed|compiled|selected)\s+(?:and\s+\w+\s+)?by\b.*$"
)
_ROLE_WORD_RE = re.compile(
    r"[,\-]?\s*(?:\b(?:translator|editor|narrator|illustrator|contributor|foreword|introduction|author"
    r"|adaptor|adapter)\b|\b(?:trans|ed|eds)\.)"  # "Ed McBain" keeps his name; "ed." goes
)
# Some piece of text that each of _ROLE_WORD_RE's words has ("tor" for "translator",
# "editor", "narrator", "illustrator", "contributor", "adaptor").
_ROLE_WORD_NEEDS = ("tor", "foreword", "introduction", "author", "adapter", "ed.", "eds.", "trans.")
_PEOPLE_SPLIT_RE = re.compile(r"\s*(?:;|&|\band\b|\bwith\b|/|\+|\||\bfeat\b\.?|\bft\b\.?)\s*")


class Person(NamedTuple):
    """A person's name as words, initials merged ("j r r tolkien" → ("jrr", "tolkien")).

    A named tuple rather than a dataclass: people are compared by the hundred thousand
    during a scan, through a cache keyed on them, and tuple hashing is native.
    """

    tokens: tuple[str, ...]
    compact: str  # "jrrtolkien": spacing and particles do not matter
    last: str
    given: tuple[str, ...]
    sorted_tokens: tuple[str, ...]

    @classmethod
    def of(cls, tokens: tuple[str, ...]) -> "Person":
        return cls(tokens, "".join(tokens), tokens[-1], tokens[:-1], tuple(sorted(tokens)))


def _person(text: str) -> Person | None:
    text = text.replace("'", "").replace(".", " ")
    toks = [t for t in _NON_WORD_RE.sub(" ", text).split()]
    while toks and toks[0] in _NAME_PREFIXES and len(toks) > 1:
        toks = toks[1:]
    while toks and toks[-1] in _NAME_SUFFIXES and len(toks) > 1:
        toks = toks[:-1]
    merged: list[str] = []
    for tok in toks:
        if len(tok) == 1 and merged and len(merged[-1]) <= 3 and _initials_only(merged[-1]) and not merged[-1].isdigit():
            merged[-1] += tok  # "j r r" → "jrr"
        else:
            merged.append(tok)
    if not merged or " ".join(merged) in _JUNK_PEOPLE:
        return None
    return Person.of(tuple(merged))


def _initials_only(tok: str) -> bool:
    """"jrr", "cs", "jk": a run of initials, not a name (names have vowels)."""
    return len(tok) <= 3 and (len(tok) == 1 or not any(ch in "aeiouy" for ch in tok))


@lru_cache(maxsize=65_536)
def parse_people(raw: str | None) -> tuple[Person, ...]:
    """Every person named in an author or narrator field.

    "King, Stephen" is one person; "Stephen King, Peter Straub" two. When a single comma
    is ambiguous ("Le Guin, Ursula K." versus "Neil Gaiman, Terry Pratchett") both
    readings are kept: a match on any name counts, and an extra reading only ever adds a
    name that is really written in the field.
    """
    if not raw:
        return ()
    text = fold(raw)
    # Each pattern only where the text has what it needs (most names have none of it).
    if "(" in text or "[" in text:
        text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    if "by" in text:
        text = _ROLE_TAIL_RE.sub(" ", text)
    if any(map(text.__contains__, _ROLE_WORD_NEEDS)):
        text = _ROLE_WORD_RE.sub(" ", text)
    out: list[Person] = []

    def add(name: str) -> None:
        p = _person(name)
        if p is not None and p not in out:
            out.append(p)

    for chunk in _PEOPLE_SPLIT_RE.split(text):
        chunk = chunk.strip(" ,")
        if not chunk:
            continue
        parts = [p.strip() for p in chunk.split(",") if p.strip()]
        parts = [p for p in parts if p.replace(".", "").strip() not in _NAME_SUFFIXES] or parts
        if len(parts) == 1:
            add(parts[0])
        elif len(parts) == 2:
            left, right = parts
            left_words = left.split()
            right_words = right.replace(".", " ").split()
            reversed_name = f"{right} {left}"
            if (
                len(left_words) == 1
                or len(right_words) <= 1
                or len(right_words[-1]) == 1  # "Le Guin, Ursula K."
                or left_words[0] in _SURNAME_PARTICLES  # "de la Cruz, Juana"
                or _initials_only(right.replace(".", "").replace(" ", ""))
            ):
                add(reversed_name)  # "King, Stephen", "Tolkien, J.R.R."
            else:
                add(left)
                add(right)
                add(reversed_name)
        else:
            if all(len(p.split()) >= 2 for p in parts):
                for p in parts:
                    add(p)
            elif len(parts) % 2 == 0:
                for j in range(0, len(parts), 2):  # "King, Stephen, Straub, Peter"
                    add(f"{parts[j + 1]} {parts[j]}")
            else:
                for p in parts:
                    add(p)
    return tuple(out)


def _given_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Could these given names belong to one person? ("j r r" vs "john ronald reuel")."""

    def expand(given: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for g in given:
            if _initials_only(g) and len(g) > 1:
                out.extend(g)
            else:
                out.append(g)
        return out

    ea, eb = expand(a), expand(b)
    if not ea or not eb:
        return True

    def same(x: str, y: str) -> bool:
        if x == y:
            return True
        if len(x) == 1 or len(y) == 1:
            return x[0] == y[0]
        return Indel.normalized_similarity(x, y) >= 0.66  # "lev"/"leo", "fyodor"/"fedor"

    if not same(ea[0], eb[0]):
        return False
    short, long_ = (ea, eb) if len(ea) <= len(eb) else (eb, ea)
    rest = list(long_[1:])
    for g in short[1:]:
        hit = next((r for r in rest if same(g, r)), None)
        if hit is None:
            return False
        rest.remove(hit)
    return True


def person_similarity(a: Person, b: Person) -> float:
    """0..1: how likely two written names are the same person.

    Same surname with clashing given names ("Stephen King" / "Owen King") scores low on
    purpose: relatives write in the same genres, and a father's book is not the son's.
    """
    return _name_similarity(a.tokens, b.tokens)


# The most two different people's names can score: the fuzzy comparison of their
# spellings is capped there.
DIFFERENT_PEOPLE_MAX = 0.4


@lru_cache(maxsize=262_144)
def _name_similarity(a_tokens: tuple[str, ...], b_tokens: tuple[str, ...]) -> float:
    """:func:`person_similarity`, cached by the names' words (a person is made from
    them): a key of strings is one the garbage collector soon stops tracking, where a
    key of two named tuples it tracks for as long as the cache keeps it, and a scan
    fills the cache with tens of thousands of pairs."""
    a, b = Person.of(a_tokens), Person.of(b_tokens)
    evidence = _same_person_evidence(a, b)
    if evidence is not None:
        return evidence
    return min(DIFFERENT_PEOPLE_MAX, fuzz.token_sort_ratio(" ".join(a.tokens), " ".join(b.tokens)) / 100.0)


PEN_NAMES_FILE = Path(__file__).with_name("pen_names.json")
# Two names of one writer (a pen name and the real name) score this: as sure as a name
# written two ways, a little less than the same name.
PEN_NAME_SCORE = 0.9


@lru_cache(maxsize=1)
def _pen_name_groups() -> dict[str, frozenset[int]]:
    """Compact name -> the pen-name groups it belongs to (``pen_names.json``)."""
    groups: dict[str, set[int]] = {}
    for n, names in enumerate(json.loads(PEN_NAMES_FILE.read_text(encoding="utf-8"))["groups"]):
        for name in names:
            for person in parse_people(name):
                groups.setdefault(person.compact, set()).add(n)
    return {name: frozenset(ids) for name, ids in groups.items()}


def pen_name_link(a: tuple[Person, ...], b: tuple[Person, ...]) -> tuple[str, str] | None:
    """(name on a, name on b) when a name of *a* and one of *b* are one writer's pen
    name and real name (or two pen names), else None."""
    groups = _pen_name_groups()
    for x in a:
        gx = groups.get(x.compact)
        if gx:
            for y in b:
                if x.compact != y.compact and not gx.isdisjoint(groups.get(y.compact, ())):
                    return " ".join(x.tokens), " ".join(y.tokens)
    return None


def _same_person_evidence(a: Person, b: Person) -> float | None:
    """:func:`person_similarity` when the names' structure decides it (same letters,
    same words, same surname, a surname with its particle glued); None when nothing
    does: then they are different people, scored at most ``DIFFERENT_PEOPLE_MAX``."""
    if a.compact == b.compact:
        return 1.0
    groups = _pen_name_groups()
    ga = groups.get(a.compact)
    if ga and not ga.isdisjoint(groups.get(b.compact, ())):
        return PEN_NAME_SCORE
    if a.sorted_tokens == b.sorted_tokens:
        return 0.95  # "King Stephen" written without the comma
    surname = Indel.normalized_similarity(a.last, b.last)
    if surname >= 0.85:
        if not a.given or not b.given:
            return 0.8  # "Tolkien" alone
        if _given_compatible(a.given, b.given):
            return 0.95 if surname == 1.0 else 0.9
        return DIFFERENT_PEOPLE_MAX
    # "Ursula K. Le Guin" / "Ursula LeGuin": compare compact surnames with particles.
    if len(a.tokens) > 1 and len(b.tokens) > 1:
        if a.compact.endswith(b.last) or b.compact.endswith(a.last):
            if _given_compatible(a.given[:1], b.given[:1]):
                return 0.9
    return None


def people_may_match(a: tuple[Person, ...], b: tuple[Person, ...], floor: float) -> bool:
    """Whether ``people_similarity(a, b) >= floor``, for a *floor* above
    ``DIFFERENT_PEOPLE_MAX``: found without the fuzzy comparison of different people's
    spellings, which never scores that high. An index asks this of thousands of
    candidates whose names are simply someone else's."""
    if floor <= DIFFERENT_PEOPLE_MAX:
        raise ValueError(f"floor {floor} is not above {DIFFERENT_PEOPLE_MAX}")
    for x in a:
        for y in b:
            evidence = _same_person_evidence(x, y)
            if evidence is not None and evidence >= floor:
                return True
    return False


def people_similarity(a: tuple[Person, ...], b: tuple[Person, ...]) -> float | None:
    """Best similarity between any name of *a* and any of *b*; None when either is empty.

    Not cached itself (its key would be tuples of named tuples, see
    :func:`_name_similarity`); each pair of names is.
    """
    if not a or not b:
        return None
    return max(person_similarity(x, y) for x in a for y in b)
