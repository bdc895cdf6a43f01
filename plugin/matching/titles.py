"""Text normalization for matching: book titles and people's names.

Plex titles and audiobook-store titles describe the same book in different ways: the
store says ``Leviathan Wakes`` with a subtitle ``The Expanse, Book 1``, a Plex agent
writes ``Leviathan Wakes (The Expanse, Book 1)``, a folder name gives
``The Expanse 1 - Leviathan Wakes``, a ripper appends ``(Unabridged)``. Comparing raw
strings makes these look different and, worse, makes "Dune" look a lot like
"Dune Messiah". So a title is not reduced to one string here but *parsed*: into
segments (main title, subtitles, series parts), the series/volume numbers, and whether
it names several books at once (an omnibus). The matcher's guards work on that
structure; the similarity score works on the plain key.

People are parsed into a tuple of :class:`Person` so that "Tolkien, J.R.R.",
"J. R. R. Tolkien" and "JRR Tolkien" become the same name, and "A, B & C" becomes
three names of which any one may match.

Everything here is pure and cached: the same author string appears on thousands of
library items, and the same title is parsed on every scan.

"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import filterfalse
from typing import Iterable

from plugin.matching.numbers import _WORD_NUMBERS, _number, spell_digits
from plugin.matching.text import _DIGIT_RE, STOPWORDS, _tokens, fold

_NUM = (
    r"(?:\d+(?:\.\d+)?|[ivxlc]{1,7}|"
    + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True))
    + r")"
)
_MARK = r"(?:book|bk|volume|vol|part|pt|episode|ep|no|number|installment|novel|#)"

# "Book 3", "Book Three of the Stormlight Archive", "Vol. 2 in the X series"
_SERIES_A = re.compile(
    rf"^(?:the\s+)?{_MARK}\.?\s*#?\s*(?P<n>{_NUM})"
    rf"(?:\s*(?:of|in|from)\s+(?:the\s+)?(?P<s>.+?))?(?:\s+(?:series|saga|sequence|cycle))?$"
)
_SERIES_A_HEAD = re.compile(rf"(?:the\s+)?{_MARK}")
# "The Expanse, Book 3", "Expanse Series Book 3", "Wheel of Time Vol. 2"
_SERIES_B = re.compile(
    rf"^(?P<s>.+?)[\s,]*(?:(?:series|saga|sequence|cycle)\s*,?\s*)?\b{_MARK}\.?\s*#?\s*(?P<n>{_NUM})$"
)
# "Stormlight Archive #3"
_SERIES_C = re.compile(r"^(?P<s>.+?)\s*#\s*(?P<n>\d+(?:\.\d+)?)$")
# "03" (as in "Harry Potter - 03 - ...")
_SERIES_D = re.compile(r"^#?\s*(?P<n>\d+(?:\.\d+)?)$")
# "The Expanse 3" -- only trusted as a *prefix* segment ("The Expanse 3 - Abaddon's Gate")
# or inside parentheses, never for a whole title ("Fahrenheit 451").
_SERIES_E = re.compile(r"^(?P<s>.*?[a-z].*?)[\s,]+(?P<n>\d+(?:\.\d+)?)$")

# Several books in one: ranges, box sets, omnibus editions, "trilogy" as a title.
_RANGE_RE = re.compile(
    r"\b(?:books?|bks?|vols?|volumes?|parts?|nos?|#)\.?\s*#?\s*(\d{1,3})\s*(?:-|to|through|thru|&|and)\s*#?\s*(\d{1,3})\b"
)
# One part of a book split in several ("Part 1 of 2", "(2 of 3)", "Disc 1/4"): not the book.
_SPLIT_NUM = r"(?:\d+|" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + r")"
_SPLIT_RE = re.compile(
    rf"(?:^|[\s,:;(\[-])\s*(?:(?:part|pt|disc|cd)\.?\s*(?P<n1>{_SPLIT_NUM})\s*(?:of|/)"
    rf"|(?P<n2>{_SPLIT_NUM})\s+of)\s*(?P<m>{_SPLIT_NUM})\s*$"
)
_PART_ONLY_RE = re.compile(r"^(?:part|pt)\.?\s*(?:\d+|[ivx]{1,4})$")
_PAREN_RANGE_RE = re.compile(r"^(?P<s>.*?[a-z].*?)[\s,]+#?(\d{1,3})\s*-\s*#?(\d{1,3})$")
_OMNIBUS_RE = re.compile(
    r"\b(?:box(?:ed)?\s*set|boxset|omnibus|anthology|compendium|collection|compilation|bundle"
    r"|complete\s+(?:series|saga|trilogy|novels|works|stories|set|box|cycle|chronicles)"
    r"|trilogy|duology|tetralogy|quartet|quintet|sextet|books\s+(?:\d+|one|two|three))\b"
)

_EDITION_RE = re.compile(
    r"""(?x)^(?:
      (?:the\s+)?(?:complete\s+and\s+)?(?:un)?abridged(?:\s+(?:edition|version|audio(?:book)?|recording|production|classics?))?
    | (?:a\s+)?full[\s-]*cast(?:\s+(?:edition|dramati[sz]ation|recording|production|audio\s*drama|version|audio))?
    | (?:a\s+)?(?:bbc\s+)?(?:radio\s*\d*\s+)?(?:full[\s-]*cast\s+)?(?:dramati[sz](?:ed|ation)|adaptation|audio\s*drama|radio\s+drama)
        (?:\s+(?:adaptation|version|edition|recording|production|drama))?
    | (?:narrated|read|performed|told)\s+by\b.*
    | (?:an?\s+)?audio\s*(?:book|edition|drama|version|production)
    | (?:an\s+)?audible\s+(?:original|exclusive|edition)(?:\s+(?:drama|production))?
    | retail | mp3 | m4b | m4a | aac | flac | ogg | opus | \d+\s*k(?:bps)?
    | an?\s+(?:novel|thriller|memoir|novella|mystery)
    | (?:\d+(?:st|nd|rd|th)\s+)?anniversary\s+edition
    | (?:revised|updated|expanded|special|deluxe|collector'?s|illustrated|new|original|definitive
        |author'?s\s+preferred|uncut|movie\s+tie[\s-]*in|tie[\s-]*in|us|uk|american|british|international)
        (?:\s+(?:edition|text|version|recording))?
    | \d{4}
    | b0[a-z0-9]{8} | \d{9}[\dx] | \d{13} | isbn[\s:]*[\dx-]+
    )$"""
)
_TRAILING_EDITION_RE = re.compile(
    r"(?:\s*,\s*an?\s+(?:novel|thriller|memoir|novella)|[\s,]+(?:un)?abridged(?:\s+(?:edition|audiobook))?)\s*$"
)
_BRACKET_RE = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|\{([^{}]*)\}")
# Where a title splits into a main title and subtitles / series parts.
_SEGMENT_SPLIT_RE = re.compile(r"\s*(?::|;|\s-+\s|\s-+$|^-+\s|\|)\s*|\s*,\s+(?=or,?\s)")
# A trailing part that reads like a descriptive subtitle rather than a book's own title.
_DESCRIPTIVE_START = frozenset(
    "a an or how why what when where who on in from being notes stories tales lessons essays letters "
    "reflections conversations poems memoirs".split()
)
_DESCRIPTIVE_WORDS = frozenset(
    "story stories history guide memoir memoirs life lives biography autobiography journey introduction "
    "handbook lessons tale tales essays letters novel novella edition voyage account expedition adventures"
    .split()
)
_TITLE_LIST_SPLIT_RE = re.compile(r"\s*,\s*|\s+and\s+")


@dataclass(frozen=True, slots=True)
class Segment:
    """One part of a title: the main title, a subtitle, or a series part.

    ``tokens`` are the significant words (stopwords dropped unless nothing else is left).
    A *series* segment ("The Expanse, Book 3") is always optional when comparing: one
    side naming the series and the other not says nothing about whether it is the same
    book; the number it carried is kept in :attr:`Title.series_numbers`.
    """

    tokens: tuple[str, ...]
    series: bool = False
    joins: tuple[str, ...] = ()  # adjacent significant words glued: "spider man" → "spiderman"
    # Reads like a descriptive subtitle ("A Brief History of Humankind", "or There and
    # Back Again") rather than a book's own title ("Catching Fire"). Only meaningful for
    # a part that follows the main title.
    descriptive: bool = True
    token_set: frozenset[str] = frozenset()
    # The words that must all be found in the other title for this part to count as
    # present: all of them, except that a long subtitle is not judged on the words it
    # repeats from its own main title ("Atomic Habits: ... Build Good Habits ...").
    required: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Title:
    """A parsed book title. See the module docstring for why it is not just a string."""

    segments: tuple[Segment, ...]
    key: str  # significant words of the non-series segments, in order: what gets fuzzy-scored
    tokens: frozenset[str]  # every significant word, series segments included
    joins: frozenset[str]
    series_numbers: frozenset[str]
    title_numbers: frozenset[str]
    omnibus: bool
    split: bool  # one part of a book published in several ("Part 1 of 2")
    # What may cover a word of the *other* title: words, glued pairs and series numbers.
    cover: frozenset[str] = frozenset()



def _significant(tokens: list[str]) -> tuple[str, ...]:
    sig = tuple(filterfalse(STOPWORDS.__contains__, tokens))  # a C loop: no generator per segment
    return sig or tuple(tokens)


def _series_match(text: str, *, allow_bare_number: bool) -> tuple[str, str] | None:
    """(series name, number) when *text* is a series designation, else None."""
    # Cheap gates first: every pattern but A ends with a number, and A starts with a
    # marker word. (The patterns themselves backtrack a lot on ordinary titles.)
    if _SERIES_A_HEAD.match(text):
        m = _SERIES_A.match(text)
        if m:
            num = _number(m.group("n"))
            if num is not None:
                return (m.group("s") or "").strip(" ,"), num
    words = text.rsplit(None, 1)
    if not words or _number(words[-1].lstrip("#")) is None:
        return None
    for rx in (_SERIES_B, _SERIES_C, _SERIES_D):
        m = rx.match(text)
        if m:
            num = _number(m.group("n"))
            if num is not None:
                return (m.groupdict().get("s") or "").strip(" ,"), num
    if allow_bare_number:
        m = _SERIES_E.match(text)
        if m:
            num = _number(m.group("n"))
            if num is not None:
                return m.group("s").strip(" ,"), num
    return None


def _is_title_list(text: str) -> bool:
    """"The Fellowship of the Ring, The Two Towers, The Return of the King": three titles.

    Parts must be three words or longer so that "The Lion, the Witch and the Wardrobe"
    stays one book.
    """
    if text.count(",") < 1:
        return False
    parts = [p for p in _TITLE_LIST_SPLIT_RE.split(text) if p.strip()]
    return len(parts) >= 3 and all(len(p.split()) >= 3 for p in parts)


@lru_cache(maxsize=262_144)
def parse_title(raw: str) -> Title:
    """Parse a book title into segments, numbers and an omnibus flag.

    Edition markers ("(Unabridged)", "[Full Cast]", ": A Novel", years, bracketed
    ASINs) are dropped because they describe the recording, not the book. Series
    designations are kept as optional segments plus their number, because "Book 2"
    versus "Book 3" is exactly the difference that must never match.
    """
    text = spell_digits(fold(raw or "")).replace("&", " and ").replace("+", " and ")
    text = " ".join(text.split())
    series_numbers: set[str] = set()
    omnibus = False
    has_digit = _DIGIT_RE.search(text) is not None

    # Ranges first: "Books 1 - 3" would otherwise be split at " - ".
    if has_digit:
        for m in _RANGE_RE.finditer(text):
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo < hi <= lo + 50:
                omnibus = True
                series_numbers.update(str(i) for i in range(lo, hi + 1))
        text = _RANGE_RE.sub(" ", text)

    pieces: list[tuple[str, bool]] = []  # (text, forced_series)
    split = False

    def split_part(text: str) -> str:
        """Drop a trailing "Part 1 of 2" from *text*, keeping its number."""
        nonlocal split
        m = _SPLIT_RE.search(text) if " of" in text or "/" in text else None
        if m is None:
            return text
        num = _number(m.group("n1") or m.group("n2"))
        total = _number(m.group("m"))
        if num is None or total is None or float(num) > float(total) or total == "1":
            return text
        split = True
        series_numbers.add(num)
        return text[: m.start()].strip(" ,:;-")

    def bracket(m: re.Match[str]) -> str:
        nonlocal omnibus
        inner = (m.group(1) or m.group(2) or m.group(3) or "").strip(" ,.-")
        if not inner or _EDITION_RE.match(inner):
            return " "
        inner = split_part(inner)
        if not inner:
            return " "
        rm = _PAREN_RANGE_RE.match(inner)
        if rm and int(rm.group(2)) < int(rm.group(3)) <= int(rm.group(2)) + 50:
            omnibus = True
            series_numbers.update(str(i) for i in range(int(rm.group(2)), int(rm.group(3)) + 1))
            pieces.append((rm.group("s"), True))
            return " "
        if _series_match(inner, allow_bare_number=True):
            pieces.append((inner, True))
        else:
            pieces.append((inner, False))
        return " "

    for _ in range(3):  # nested brackets, innermost first
        if "(" not in text and "[" not in text and "{" not in text:
            break
        new = _BRACKET_RE.sub(bracket, text)
        if new == text:
            break
        text = new
    text = " ".join(text.split()).strip(" ,")
    if "," in text or "abridged" in text:  # what either trailing marker needs
        text = _TRAILING_EDITION_RE.sub("", text).strip(" ,")
    text = split_part(text)

    if ":" in text or ";" in text or "-" in text or "|" in text or "," in text:  # a mark to split at
        parts = [p.strip(" ,.") for p in _SEGMENT_SPLIT_RE.split(text)]
    else:
        parts = [text.strip(" ,.")]
    # A segment that is only an edition marker goes; a bare number stays ("2001: ...").
    parts = [p for p in parts if p and (p.isdigit() or not _EDITION_RE.match(p))]

    # (text, where): "main" for the parts of the title itself, "series" for a bracketed
    # series designation, "aside" for other bracketed text (an alternative title).
    entries: list[tuple[str, str]] = [(p, "main") for p in parts]
    entries += [(p, "series" if is_series else "aside") for p, is_series in pieces]
    lone = len(parts) == 1
    # (tokens, series, joins, descriptive, token set) per segment: the Segments are made
    # once the last pass below knows which words each one requires.
    drafts: list[tuple[tuple[str, ...], bool, tuple[str, ...], bool, frozenset[str]]] = []
    title_numbers: set[str] = set()
    for idx, (part, where) in enumerate(entries):
        series = where == "series"
        name = part
        # A trailing bare number is a series number only in a leading "The Expanse 3 - "
        # or in brackets; in a lone title it is the title ("Fahrenheit 451").
        bare_ok = where == "series" or (where == "main" and idx == 0 and not lone)
        if (idx > 0 or where != "main") and _PART_ONLY_RE.match(part):
            split = True  # "...: Part Two" alone names one part of a book published in several
        sm = _series_match(part, allow_bare_number=bare_ok)
        if sm is not None:
            name, num = sm
            series_numbers.add(num)
            # A whole title that is "X, Book 3" stays the main title "X" (with its number).
            series = not (where == "main" and lone)
            if not name:
                name = part if not series else ""
        elif where != "series" and (_OMNIBUS_RE.search(part) or _is_title_list(part)):
            omnibus = True
        toks = _tokens(name)
        if not toks:
            continue
        sig = _significant(toks)
        if not series:
            title_numbers.update(t for t in sig if t.isdigit())
        joins = tuple(map(str.__add__, sig, sig[1:]))  # each word glued to the next
        descriptive = (
            where != "main"
            or idx == 0
            or len(toks) >= 5
            or toks[0] in _DESCRIPTIVE_START
            or not _DESCRIPTIVE_WORDS.isdisjoint(toks)
        )
        drafts.append((sig, series, joins, descriptive, _frozen(sig)))

    if drafts and all(series for _sig, series, *_rest in drafts):
        # Nothing but a series designation ("Book 2"): that *is* the title.
        drafts = [(sig, False, joins, descriptive, token_set) for sig, _s, joins, descriptive, token_set in drafts]
    main: frozenset[str] | None = None
    segments: list[Segment] = []
    for sig, series, joins, descriptive, token_set in drafts:
        required = token_set
        if not series:
            if main is None:
                main = required
            elif len(required) >= 4 and not main <= required:
                # A short subtitle ("A Court of Thorns and Roses: A Court of Mist and Fury")
                # or one repeating the whole main title ("Good Omens: ... Good Omens
                # Script Book") is judged on all its words.
                required = (required - main) or required
        segments.append(Segment(sig, series, joins, descriptive, token_set, required))
    if len(segments) == 1:  # most titles: no generators over the segments
        only = segments[0]
        key = "" if only.series else " ".join(only.tokens)
        # One segment's word set is the title's: shared, one object fewer to keep per title.
        tokens = only.token_set
        glued = _frozen(only.joins)
    else:
        key = " ".join(t for s in segments if not s.series for t in s.tokens)
        tokens = _frozen(t for s in segments for t in s.tokens)
        glued = _frozen(j for s in segments for j in s.joins)
    numbers = _frozen(series_numbers)
    return Title(
        segments=tuple(segments),
        key=key,
        tokens=tokens,
        joins=glued,
        series_numbers=numbers,
        title_numbers=_frozen(title_numbers),
        omnibus=omnibus,
        split=split,
        cover=tokens | glued | numbers if glued or numbers else tokens,
    )


_EMPTY: frozenset[str] = frozenset()


def _frozen(values: Iterable[str]) -> frozenset[str]:
    # One shared empty set: a library of 100,000 titles otherwise holds hundreds of
    # thousands of empty frozensets, each one more object for the garbage collector.
    out = frozenset(values)
    return out if out else _EMPTY

