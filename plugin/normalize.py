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

An index over a whole library cannot afford to parse every title, so
:func:`sketch_title` gives it, in one cheap pass, the words a title can be found by
and enough to rule most titles out before they are parsed (see :class:`TitleSketch`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, NamedTuple

from rapidfuzz.distance import Indel
from rapidfuzz import fuzz

__all__ = [
    "Person",
    "Segment",
    "Title",
    "TitleSketch",
    "fold",
    "parse_people",
    "parse_title",
    "people_may_match",
    "people_similarity",
    "person_similarity",
    "sketch_title",
    "token_close",
]

# --------------------------------------------------------------------------- folding

_CHAR_MAP = str.maketrans(
    {
        "ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe",
        "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th",
        "ı": "i", "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "“": '"', "”": '"',
        "„": '"', "«": '"', "»": '"', "–": " - ", "—": " - ", "―": " - ", "‐": "-",
        "‑": "-", "−": "-", "…": "...", "＆": "&", "：": ":", "·": " ", "•": " ",
    }
)


def fold(text: str) -> str:
    """Lower-case *text* and strip accents, so "Brontë" and "Bronte" compare equal.

    Non-Latin scripts are kept (only combining marks are dropped): a Cyrillic title
    must still have words to compare, not vanish.
    """
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.translate(_CHAR_MAP))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


_NON_WORD_RE = re.compile(r"[\W_]+")
_DIGIT_RE = re.compile(r"\d")

# ------------------------------------------------------------------------- numbers

_WORD_NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_WORD_NUMBERS.update(
    {
        w: i
        for i, w in enumerate(
            "zeroth first second third fourth fifth sixth seventh eighth ninth tenth "
            "eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth "
            "eighteenth nineteenth twentieth".split()
        )
        if i
    }
)
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
# Standalone roman numerals that are safe to read as numbers inside a title. "I", "V",
# "X" and "L" are left alone: "I, Robot", "V for Vendetta".
_STANDALONE_ROMAN = frozenset(
    "ii iii iv vi vii viii ix xi xii xiii xiv xv xvi xvii xviii xix xx".split()
)


def _roman(text: str) -> int | None:
    if not text or text.strip("ivxlc") or len(text) > 7:  # a letter that is no numeral
        return None
    total, prev = 0, 0
    for ch in reversed(text):
        value = _ROMAN_VALUES[ch]
        total = total - value if value < prev else total + value
        prev = max(prev, value)
    return total if 0 < total < 200 else None


def _number(text: str) -> str | None:
    """Canonical string for a series number ("03" → "3", "III" → "3", "two" → "2")."""
    text = text.strip().rstrip(".")
    if not text:
        return None
    if text[0].isdigit():
        if "." in text:
            whole, _, frac = text.partition(".")
            if not whole.isdecimal():
                return None  # "2nd.Ed", the last word of a title, is not a number
            frac = frac.rstrip("0")
            return f"{int(whole)}.{frac}" if frac else str(int(whole))
        return str(int(text)) if text.isdecimal() else None
    if text in _WORD_NUMBERS:
        return str(_WORD_NUMBERS[text])
    value = _roman(text)
    return str(value) if value is not None else None


# -------------------------------------------------------------------------- titles

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
    "handbook lessons tale tales essays letters novel novella edition".split()
)
_TITLE_LIST_SPLIT_RE = re.compile(r"\s*,\s*|\s+and\s+")

STOPWORDS = frozenset(
    "a an the and of or to in on at for by with from is as "
    "le la les el los las l d un une der das".split()
)


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


def _canonical(tok: str) -> str:
    """One word as titles are compared: numbers written one way ("03", "8th", "IV").

    ``isdecimal``, not ``isdigit``: ``int`` rejects digits such as "፩".
    """
    if tok.isdecimal():
        return str(int(tok))
    if tok[0].isdigit() and tok[-2:] in ("st", "nd", "rd", "th") and tok[:-2].isdecimal():
        return str(int(tok[:-2]))  # "8th" → "8"
    if tok in _STANDALONE_ROMAN:
        return str(_roman(tok))
    return tok


def _tokens(text: str) -> list[str]:
    text = text.replace("'", "").replace(".", " ")
    return [_canonical(tok) for tok in _NON_WORD_RE.sub(" ", text).split()]


def _significant(tokens: list[str]) -> tuple[str, ...]:
    sig = tuple(t for t in tokens if t not in STOPWORDS)
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
    text = fold(raw or "").replace("&", " and ").replace("+", " and ")
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
    text = _TRAILING_EDITION_RE.sub("", text).strip(" ,")
    text = split_part(text)

    parts = [p.strip(" ,.") for p in _SEGMENT_SPLIT_RE.split(text)]
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
        joins = tuple(sig[j] + sig[j + 1] for j in range(len(sig) - 1))
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
    key = " ".join(t for s in segments if not s.series for t in s.tokens)
    # One segment's word set is the title's: shared, one object fewer to keep per title.
    tokens = segments[0].token_set if len(segments) == 1 else _frozen(t for s in segments for t in s.tokens)
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


# ------------------------------------------------------------------ title sketches


class TitleSketch(NamedTuple):
    """What an index needs of a title before it is worth parsing.

    :func:`parse_title` costs tens of microseconds, too much to spend on each of
    100,000 library titles when most are never close to any request. A sketch is one
    pass over the title's words that promises two things about the parse (the tests
    hold it to them):

    * ``words`` holds every word of the parse's ``tokens`` and ``series_numbers``
      (and more: each number in every spelling, words the parse drops), so an index
      filing a sketch's words finds every title that the parsed words would find.
      Like the parse's, it has stopwords only where they may be all a segment has.
    * Every non-series segment of the parse either has all the words of some entry
      of ``parts`` among its ``required`` words, or has a required word in some entry
      of ``loose``. So when no entry of ``parts`` can be wholly found in another
      title and no word of ``loose`` can be found there at all, no segment of the
      parse can be found there either, and the title is ruled out without parsing.

    ``parts`` come from pieces of the title that have words the parse is sure to
    keep; ``loose`` from pieces that have none ("(Unabridged)", "(Book 3)"), which
    may not form a segment at all.
    """

    words: tuple[str, ...]
    parts: tuple[tuple[str, ...], ...]
    loose: tuple[tuple[str, ...], ...]


# Words a segment's required words may lack although the title's text has them:
# stopwords, and whatever a series designation ("Book Three of the X Series"), a
# range ("Books 1-3"), a split part ("Part 1 of 2") or a trailing edition marker
# (", A Novel", "Unabridged Edition") takes out of a segment.
_SKETCH_UNSURE = STOPWORDS | frozenset(_WORD_NUMBERS) | frozenset(
    "book books bk bks volume volumes vol vols part parts pt episode ep no nos number installment "
    "novel novella thriller memoir series saga sequence cycle disc cd through thru unabridged "
    "abridged edition audiobook".split()
)
# The same patterns match without spaces, inside one word: "Nox" is "No. X" to the
# series patterns, "Book2" is "Book 2", "often" is "of ten" to the split-part one, and
# "Bicycle Book 2" is the series "Bi" (a series word glued to the name before it).
_GLUED_NUMBER_RE = re.compile(
    rf"(?:book|bk|volume|vol|part|pt|episode|ep|no|number|installment|novel|disc|cd)?(?:{_NUM})?"
    rf"(?:of|in|from)?(?:{_NUM})?"
)
_GLUED_SERIES_RE = re.compile(r"(.+?)(?:series|saga|sequence|cycle)")
# Numbers the parse takes from the text rather than from one word: every "N - M" range
# (a superset of the range patterns) and every decimal ("Book 1.5").
_SKETCH_RANGE_RE = re.compile(r"(?=(\d{1,3})\s*(?:-|to|through|thru|and)\s*#?\s*(\d{1,3})(?!\d))")
_DECIMAL_RE = re.compile(r"(?=(\d+\.\d+))")
# One translation for a whole title: "|" wherever parse_title may split it into
# segments, and more (every bracket, colon, semicolon and bar; dashes next to a space
# and ", or" are marked beforehand); a space for other ASCII punctuation, as _tokens
# does; apostrophes are kept for _apostrophe_word. Other scripts' punctuation goes by
# the regular expression _tokens uses.
_SKETCH_MARKS = {
    **{chr(c): " " for c in range(128) if not chr(c).isalnum() and chr(c) not in "'|"},
    **dict.fromkeys("()[]{}:;", "|"),
}
_SKETCH_TABLE = str.maketrans(_SKETCH_MARKS)
# The same for ASCII titles as bytes, where a translation is a plain table look-up.
_SKETCH_BYTES = bytes.maketrans("".join(_SKETCH_MARKS).encode(), "".join(_SKETCH_MARKS.values()).encode())
_NON_WORD_BUT_MARKS_RE = re.compile(r"(?:[^\w'|]|_)+")


# What one word brings to a sketch: (every word it may stand for, the word as the parse
# writes it first; that word again if the parse keeps it in any segment, else None).
_WordFacts = tuple[tuple[str, ...], str | None]


class _KnownWords:
    """Words whose facts are just themselves ("plain"), and the plain words the parse
    is sure to keep (a sure word is always plain).

    With these, a title's words are sorted by set operations, and only the odd ones
    (numbers, glued forms, words not seen yet) are looked at one by one. A cache: it
    grows with the vocabulary, so it is emptied past a size, and ``cache_clear``
    empties it like the ``lru_cache`` functions' own.
    """

    _LIMIT = 500_000

    def __init__(self) -> None:
        self.plain: set[str] = set()
        self.sure: set[str] = set()

    def note(self, word: str, sure: bool) -> None:
        if len(self.plain) >= self._LIMIT:
            self.cache_clear()
        self.plain.add(word)
        if sure:
            self.sure.add(word)

    def cache_clear(self) -> None:
        self.plain.clear()
        self.sure.clear()


_KNOWN_WORDS = _KnownWords()


@lru_cache(maxsize=131_072)
def _sketch_word(tok: str) -> _WordFacts:
    """The :data:`_WordFacts` of one word, noting it in :data:`_KNOWN_WORDS` if plain."""
    word = _canonical(tok)
    more: list[str] = []
    if word in _WORD_NUMBERS:
        more.append(str(_WORD_NUMBERS[word]))
    elif not word.strip("ivxlc"):
        value = _roman(word)
        if value is not None:
            more.append(str(value))
    glued_series = _GLUED_SERIES_RE.fullmatch(word)
    if glued_series:
        more.append(_canonical(glued_series.group(1)))
    listed = word in _SKETCH_UNSURE or word.isdecimal()
    glued_number = not listed and _GLUED_NUMBER_RE.fullmatch(word) is not None
    if glued_number:
        # "nox", "book2", "partoneof": the number may be any piece of the word.
        more.extend(
            n for i in range(len(word)) for j in range(i + 1, len(word) + 1)
            if (n := _number(word[i:j])) is not None
        )
    sure = word.isalpha() and not (listed or glued_number or glued_series)
    found = tuple(dict.fromkeys((word, *more)))
    if found == (tok,):
        _KNOWN_WORDS.note(tok, sure)
    return found, word if sure else None


def _apostrophe_word(tok: str) -> _WordFacts | None:
    """:func:`_sketch_word` for a word with an apostrophe in it.

    The parse deletes the apostrophe ("Abaddon's" is "abaddons"), but its patterns see
    a word boundary there ("Ve'Book V" is the series "Ve"): each piece is a word too,
    and the word is sure only when every later piece is.
    """
    bits = [bit for bit in tok.split("'") if bit]
    if not bits:
        return None
    found, sure = _sketch_word("".join(bits))
    pieces = [_sketch_word(bit) for bit in bits]
    found += tuple(word for bit_found, _ in pieces for word in bit_found)
    return found, sure if all(bit_sure for _, bit_sure in pieces[1:]) else None


def _text_numbers(text: str) -> set[str]:
    """Series numbers that no single word of *text* spells: ranges and decimals."""
    out: set[str] = set()
    if _SKETCH_RANGE_RE.search(text):  # else neither the parse nor this finds a range
        ranged = _RANGE_RE.sub(" ", text)
        for source in {text, ranged}:  # a range can also close around one the parse removed
            for m in _SKETCH_RANGE_RE.finditer(source):
                lo, hi = int(m.group(1)), int(m.group(2))
                if lo < hi <= lo + 50:
                    out.update(str(i) for i in range(lo, hi + 1))
    if "." in text:
        for m in _DECIMAL_RE.finditer(text):
            number = _number(m.group(1))
            if number is not None:
                out.add(number)
    return out


def sketch_title(raw: str) -> TitleSketch:
    """The :class:`TitleSketch` of *raw*: its words, without parsing the title.

    Set operations and cached per-word facts: an index sketches every title of a
    library, so this is kept to a few microseconds a title.
    """
    text = fold(raw or "")
    if "&" in text or "+" in text:
        text = text.replace("&", " and ").replace("+", " and ")
    if "-" in text or "," in text:  # the marks below go by single spaces, as the parse's
        text = " ".join(text.split())
    numbers = _text_numbers(text) if _DIGIT_RE.search(text) else None
    if "-" in text:
        text = text.replace(" -", " |").replace("- ", "| ")
    if ", or" in text:
        text = text.replace(", or ", "| or ").replace(", or,", "| or,")
    if text.isascii():
        text = text.encode("ascii").translate(_SKETCH_BYTES).decode("ascii")
    else:
        text = _NON_WORD_BUT_MARKS_RE.sub(" ", text.translate(_SKETCH_TABLE))
    if "|" not in text:  # one piece, as most titles are
        piece = _sketch_piece(text)
        if piece is None:
            return TitleSketch(tuple(numbers or ()), (), ())
        found, kept = piece
        words = found | numbers if numbers else found
        return TitleSketch(tuple(words), (tuple(kept),) if kept else (), () if kept else (tuple(found),))
    pieces = [piece for piece in map(_sketch_piece, text.split("|")) if piece is not None]
    every = [found for found, _kept in pieces]
    sure = [kept for _found, kept in pieces]
    # A long subtitle is not judged on words it repeats from the main title, so a word
    # that another piece has too is no promise.
    seen: set[str] = set()
    shared: set[str] = set()
    for found in every:
        shared |= seen & found
        seen |= found
    if shared:
        sure = [kept - shared for kept in sure]
    words = seen | numbers if numbers else seen
    parts = tuple([tuple(kept) for kept in sure if kept])
    loose = tuple([tuple(found) for found, kept in zip(every, sure) if not kept])
    return TitleSketch(tuple(words), parts, loose)


def _sketch_piece(piece: str) -> tuple[set[str], set[str]] | None:
    """(every word it may stand for, the words the parse is sure to keep) for one piece
    of a title (its punctuation already spaces), or None when it has no words."""
    known = _KNOWN_WORDS
    found = set(piece.split())
    if not found:
        return None
    odd = found - known.plain
    kept = found & known.sure
    if odd:
        found -= odd
        for tok in odd:
            facts = _apostrophe_word(tok) if "'" in tok else _sketch_word(tok)
            if facts is not None:
                found.update(facts[0])
                if facts[1]:
                    kept.add(facts[1])
        if not found:
            return None
    if kept:
        # A sure word is never a stopword and stays in its segment, so the parse drops
        # this piece's stopwords ("the", "of"): no need to file them.
        found -= STOPWORDS
    return found, kept


def token_close(a: str, b: str) -> bool:
    """Spelling variants of one word: "colour"/"color", "travellers"/"travelers".

    Deliberately narrow (long words, same first letter, ≥ 0.85 similar) so that
    "night"/"knight" or "wakes"/"makes" stay different words.
    """
    if a[0] != b[0] or len(a) < 5 or len(b) < 5 or abs(len(a) - len(b)) > 2:
        return False
    if a[0].isdigit() or b[0].isdigit():
        return False
    return Indel.normalized_similarity(a, b) >= 0.85


# -------------------------------------------------------------------------- people

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
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    text = _ROLE_TAIL_RE.sub(" ", text)
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


def _same_person_evidence(a: Person, b: Person) -> float | None:
    """:func:`person_similarity` when the names' structure decides it (same letters,
    same words, same surname, a surname with its particle glued); None when nothing
    does: then they are different people, scored at most ``DIFFERENT_PEOPLE_MAX``."""
    if a.compact == b.compact:
        return 1.0
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
