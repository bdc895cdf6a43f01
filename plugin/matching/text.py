"""Text as the matcher compares it: case and accents folded, punctuation gone, words canonical."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import Indel

from plugin.matching.numbers import _STANDALONE_ROMAN, _roman
from plugin.matching.spellings import AMERICAN

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
    # Word by word, each non-ASCII word once (cached): folding never looks across a space
    # (a space is no combining mark, and lower-casing's final-sigma rule stops at it), and
    # the accented words of a library ("Malmö", "Brontë") come back title after title.
    # Only words of a title's size are kept, so no text can fill the cache with long ones.
    return " ".join([word.lower() if word.isascii() else _fold_word(word) if len(word) <= 64 else _fold_text(word)
                     for word in text.split(" ")])


def _fold_text(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_CHAR_MAP))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


_fold_word = lru_cache(maxsize=65_536)(_fold_text)


_NON_WORD_RE = re.compile(r"[\W_]+")
_DIGIT_RE = re.compile(r"\d")

STOPWORDS = frozenset(
    "a an the and of or to in on at for by with from is as "
    "le la les el los las l d un une der das".split()
)


def _canonical(tok: str) -> str:
    """One word as titles are compared: numbers written one way ("03", "8th", "IV"), and
    British spellings the American way.

    ``isdecimal``, not ``isdigit``: ``int`` rejects digits such as "፩".
    """
    if tok.isdecimal():
        return str(int(tok))
    if tok[0].isdigit() and tok[-2:] in ("st", "nd", "rd", "th") and tok[:-2].isdecimal():
        return str(int(tok[:-2]))  # "8th" → "8"
    if tok in _STANDALONE_ROMAN:
        return str(_roman(tok))
    return AMERICAN.get(tok, tok)  # "colour" → "color", "grey" → "gray"


def _tokens(text: str) -> list[str]:
    text = text.replace("'", "").replace(".", " ")
    return [_canonical(tok) for tok in _NON_WORD_RE.sub(" ", text).split()]



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


_VOWELS = frozenset("aeiouy")


@lru_cache(maxsize=262_144)
def spelling_key(word: str) -> str:
    """The key a word is indexed and looked up under: long words by their consonant skeleton.

    "colour"/"color", "travellers"/"travelers", "theatre"/"theater" share a key, and so do
    a soft "c", "s" and "z" ("defence"/"defense", "organise"/"organize", "Process"/
    "Prozess"), so the spelling variants the decision forgives (:func:`token_close`) are
    also found by the indexes. Short words and numbers are never respelt and stay as
    they are.
    """
    if len(word) < 5 or word.isdigit():
        return word
    out = [word[0]]
    last = len(word) - 1
    for i in range(1, len(word)):
        ch = word[i]
        if ch in _VOWELS:
            continue
        if ch == "z" or (ch == "c" and i < last and word[i + 1] in "eiy"):
            ch = "s"
        if ch != out[-1]:
            out.append(ch)
    return "~" + "".join(out)
