"""Numbers in titles: digits, words ("three", "third") and Roman numerals, written one way."""
from __future__ import annotations

import re

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



# ------------------------------------------------------------ numbers spelled out

_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine".split())}
_TEENS = {w: i + 10 for i, w in enumerate(
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: (i + 2) * 10 for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_CARDINALS = {**_UNITS, **_TEENS, **_TENS}
_SPELLED_RUN_RE = re.compile(
    r"\b(?:" + "|".join(sorted([*_CARDINALS, *_SCALES], key=len, reverse=True)) + r")"
    r"(?:(?:[\s-]+|\s+and\s+)(?:" + "|".join(sorted([*_CARDINALS, *_SCALES], key=len, reverse=True)) + r"))*\b"
)
_THOUSANDS_COMMA_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def _by_first_letter(words: list[str]) -> str:
    """An alternation grouped by first letter: every title is searched, and the grouped
    form is a third of the plain one's cost."""
    groups: dict[str, list[str]] = {}
    for word in sorted(words, key=len, reverse=True):
        groups.setdefault(word[0], []).append(word[1:])
    return "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items())


# The words that start a spelled-out number: a title without one of them as a whole word
# (a maximal run of word characters) is left as it is by spell_digits' number rules.
NUMBER_WORDS = frozenset([*_CARDINALS, "hundred", "thousand"])
_ANY_NUMBER_WORD_RE = re.compile(r"\b(?:" + _by_first_letter([*_CARDINALS, "hundred", "thousand"]) + r")\b")


def _pairs(words: list[str]) -> list[int] | None:
    """Two-digit groups ("nineteen", "eighty four"), or None when *words* are no such run."""
    out: list[int] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in _TENS:
            value = _TENS[w]
            if i + 1 < len(words) and words[i + 1] in _UNITS and words[i + 1] != "zero":
                value += _UNITS[words[i + 1]]
                i += 1
            out.append(value)
        elif w in _TEENS or w in _UNITS:
            out.append(_CARDINALS[w])
        else:
            return None
        i += 1
    return out


def _spelled_value(words: list[str]) -> int | None:
    """The number a run of number words spells, or None when it spells no single number.

    "twenty two" 22, "one hundred and one" 101, "twenty thousand" 20000, and years read
    as two pairs: "nineteen eighty four" 1984. Counting ("one two three") is no number.
    """
    if any(w in _SCALES for w in words):
        total, current = 0, 0
        last_scale = 10**9
        for w in words:
            if w in _SCALES:
                scale = _SCALES[w]
                if scale == 100:
                    current = (current or 1) * 100
                else:
                    if scale >= last_scale:
                        return None
                    total += (current or 1) * scale
                    current, last_scale = 0, scale
            else:
                pairs = _pairs([w])
                if pairs is None:
                    return None
                if current % 100 and (current % 10 or pairs[0] >= 10 or _CARDINALS[w] >= 10):
                    if not (current % 100 in _TENS.values() and pairs[0] < 10):
                        return None
                current += pairs[0]
        return total + current
    pairs = _pairs(words)
    if not pairs:
        return None
    if len(pairs) == 1:
        return pairs[0]
    if len(pairs) == 2 and pairs[0] >= 10 and pairs[1] >= 10:
        return pairs[0] * 100 + pairs[1]  # a year: "nineteen eighty four", "twenty twenty"
    return None


def _spelled_run(m: re.Match[str]) -> str:
    words = [w for w in re.split(r"[\s-]+", m.group(0)) if w and w != "and"]
    value = _spelled_value(words)
    if value is not None:
        return str(value)
    out = []  # no single number: each word on its own ("one two three")
    for w in words:
        out.append(str(_CARDINALS[w]) if w in _CARDINALS else w)
    return " ".join(out)


_ORDINAL_UNITS = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth".split(), 1)}
_COMPOUND_ORDINAL_RE = re.compile(
    r"\b(" + "|".join(_TENS) + r")[\s-]+(" + "|".join(_ORDINAL_UNITS) + r")\b")
# "03. Children of Dune": a leading track-style number is a part of its own, as "03 - ".
_LEADING_NUMBER_RE = re.compile(r"^(\d{1,3})\.\s+(?=\D)")


def digit_marks(text: str) -> str:
    """What :func:`spell_digits` does to a *text* that has none of :data:`NUMBER_WORDS` as
    a whole word: "20,000" → "20000", a leading "03. " → "03 - "."""
    if "," in text:
        text = _THOUSANDS_COMMA_RE.sub("", text)
    if text[:1].isdigit() and ". " in text:
        text = _LEADING_NUMBER_RE.sub(r"\1 - ", text)
    return text


def spell_digits(text: str) -> str:
    """*text* (folded) with numbers written in digits: "nineteen eighty-four" → "1984",
    "twenty thousand" → "20000", "20,000" → "20000", "twenty-first" → "21"; a leading
    "03. " set apart as "03 - ". Single ordinals ("first") stay words: they name series
    positions, which the series patterns read themselves. Both the title parser and the
    sketch start from this text, so they see the same words."""
    text = digit_marks(text)
    if _ANY_NUMBER_WORD_RE.search(text) is None:
        return text
    if "-" in text or " " in text:  # "twenty-first" → "21" (as "21st" is)
        text = _COMPOUND_ORDINAL_RE.sub(lambda m: str(_TENS[m.group(1)] + _ORDINAL_UNITS[m.group(2)]), text)
    return _SPELLED_RUN_RE.sub(_spelled_run, text)
