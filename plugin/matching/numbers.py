"""Numbers in titles: digits, words ("three", "third") and Roman numerals, written one way."""
from __future__ import annotations


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

