"""Title sketches: the words an index files a title under, without parsing it.

An index over a whole library cannot afford to parse every title, so
:func:`sketch_title` gives it, in one cheap pass, the words a title can be found by
and enough to rule most titles out before they are parsed (see :class:`TitleSketch`).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from plugin.matching.numbers import NUMBER_WORDS, _WORD_NUMBERS, _number, _roman, digit_marks, spell_digits
from plugin.matching.text import _DIGIT_RE, STOPWORDS, _canonical, fold
from plugin.matching.titles import _NUM, _RANGE_RE


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
_SERIES_WORDS = ("series", "saga", "sequence", "cycle")  # what _GLUED_SERIES_RE needs at the end
# Numbers the parse takes from the text rather than from one word: every "N - M" range
# (a superset of the range patterns) and every decimal ("Book 1.5").
_SKETCH_RANGE_RE = re.compile(r"(?=(\d{1,3})\s*(?:-|to|through|thru|and)\s*#?\s*(\d{1,3})(?!\d))")
_DECIMAL_RE = re.compile(r"(?=(\d+\.\d+))")
# Every byte but a digit as a space: what is left, split, is the text's runs of digits.
_DIGIT_RUNS = bytes(c if 48 <= c <= 57 else 32 for c in range(256))
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
# Its two sets, bound once (emptied in place, never replaced).
_PLAIN, _SURE = _KNOWN_WORDS.plain, _KNOWN_WORDS.sure


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
    glued_series = _GLUED_SERIES_RE.fullmatch(word) if word.endswith(_SERIES_WORDS) else None
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
    if found == (tok,) and tok not in NUMBER_WORDS:  # see _SpelledNumber
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


def _may_have_range(text: str) -> bool:
    """False only when *text* has fewer than two runs of digits, which a range needs:
    told without a regular expression for ASCII text (most titles with a digit have one
    number, "Book 3")."""
    if not text.isascii():
        return True
    return len(text.encode("ascii").translate(_DIGIT_RUNS).split()) >= 2


def _text_numbers(text: str) -> set[str]:
    """Series numbers that no single word of *text* spells: ranges and decimals."""
    out: set[str] = set()
    if _may_have_range(text) and _SKETCH_RANGE_RE.search(text):  # else neither the parse nor this finds a range
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


class _SpelledNumber(Exception):
    """A title has a word that may start a spelled-out number ("nineteen", "thousand").

    :func:`sketch_title` first reads a title as though it had none, which is what nearly
    every title is, and so skips :func:`spell_digits`' search of the whole text. The
    number words are never noted as plain in :data:`_KNOWN_WORDS`, so each one reaches
    :func:`_sketch_piece`'s look at the odd words, which raises this; the title is then
    read again, spelled out first.
    """


_DIGITS = b"0123456789"

_SketchFields = tuple[tuple[str, ...], tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]


def sketch_title(raw: str) -> TitleSketch:
    """The :class:`TitleSketch` of *raw*: its words, without parsing the title.

    Set operations and cached per-word facts: an index sketches every title of a
    library, so this is kept to a few microseconds a title.
    """
    return tuple.__new__(TitleSketch, sketch_fields(raw))  # type: ignore[type-var]


def sketch_fields(raw: str) -> _SketchFields:
    """:func:`sketch_title` as a plain tuple (words, parts, loose), for an index that
    takes it apart at once (one object fewer per title of a library)."""
    raw = raw or ""
    folded = raw.lower() if raw.isascii() else fold(raw)  # fold's own ASCII case, without the call
    if folded.isascii():
        # A digit test without a regular expression: bytes.translate deleting the digits.
        data = folded.encode("ascii")
        has_digit = len(data.translate(None, _DIGITS)) != len(data)
    else:
        has_digit = _DIGIT_RE.search(folded) is not None
    try:
        # Without a number word, spell_digits changes no more than digit_marks does,
        # and digit_marks changes nothing without a digit.
        return _sketch(digit_marks(folded) if has_digit else folded, True, has_digit)
    except _SpelledNumber:
        text = spell_digits(folded)
        return _sketch(text, False, _DIGIT_RE.search(text) is not None)


def _sketch(text: str, plain_numbers: bool, has_digit: bool) -> _SketchFields:
    """:func:`sketch_fields` of the folded title *text*, its numbers already in digits
    unless *plain_numbers* (then a number word raises :class:`_SpelledNumber`);
    *has_digit* says whether *text* has a digit."""
    if "&" in text or "+" in text:
        text = text.replace("&", " and ").replace("+", " and ")
    if "-" in text or "," in text:  # the marks below go by single spaces, as the parse's
        text = " ".join(text.split())
    numbers = _text_numbers(text) if has_digit else None
    if "-" in text:
        text = text.replace(" -", " |").replace("- ", "| ")
    if ", or" in text:
        text = text.replace(", or ", "| or ").replace(", or,", "| or,")
    if text.isascii():
        text = text.encode("ascii").translate(_SKETCH_BYTES).decode("ascii")
    else:
        text = _NON_WORD_BUT_MARKS_RE.sub(" ", text.translate(_SKETCH_TABLE))
    if "|" not in text:  # one piece, as most titles are
        piece = _sketch_piece(text, plain_numbers)
        if piece is None:
            return tuple(numbers or ()), (), ()
        found, kept = piece
        words = found | numbers if numbers else found
        return tuple(words), (tuple(kept),) if kept else (), () if kept else (tuple(found),)
    pieces = [piece for part in text.split("|") if (piece := _sketch_piece(part, plain_numbers)) is not None]
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
    return tuple(words), parts, loose


def _sketch_piece(piece: str, plain_numbers: bool = False) -> tuple[set[str], set[str]] | None:
    """(every word it may stand for, the words the parse is sure to keep) for one piece
    of a title (its punctuation already spaces), or None when it has no words. With
    *plain_numbers*, a number word raises :class:`_SpelledNumber`."""
    found = set(piece.split())
    if not found:
        return None
    odd = found - _PLAIN
    kept = found & _SURE
    if odd:
        if plain_numbers and (not NUMBER_WORDS.isdisjoint(odd) or any(
            "'" in tok and not NUMBER_WORDS.isdisjoint(tok.split("'")) for tok in odd
        )):
            raise _SpelledNumber
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
