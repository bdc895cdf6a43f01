"""Evidence beyond title and author: runtime, language, derivative works.

A request manager knows the audiobook it asks for from Audible: its runtime and its
language. The mirror knows each album's duration (the sum of its tracks) and its file
paths. These say things the title cannot:

* **Runtime.** Two recordings of one unabridged text run within a few percent of each
  other; an abridgement, a young readers' adaptation or a summary runs far shorter. A
  runtime within :data:`RUNTIME_CLOSE` is strong evidence *for* (with a matching narrator
  it even overcomes a pen name); one that differs by more than :data:`RUNTIME_APART` is
  strong evidence *against*.
* **Language.** A request's ``language`` tag, or a clear marker in a title or folder
  ("(German Edition)", "Ungekürzt", "Hörbücher/", "[fra]"), names the language of the
  recording. Two known languages that differ are two audiobooks, however alike the titles.
  A title's own words are no such marker: "Les Misérables" is also the English title.
* **Derivatives.** Young readers' editions, graphic novels, workbooks, summaries, study
  guides, companions and scripts are other books that carry the original's title (and
  often, in Plex, its author). A kind of derivative named on one side only is evidence
  against; edition markers that mean the same text (anniversary, deluxe, unabridged,
  full cast) are dropped by the title parser and never get here.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from plugin.matching.text import fold

# Within this share of the longer runtime (or RUNTIME_CLOSE_MS, whichever is larger) two
# runtimes are the same recording's, give or take the intro and outro of a release.
RUNTIME_CLOSE = 0.03
RUNTIME_CLOSE_MS = 3 * 60_000
# The shorter runtime under this share of the longer: an abridgement, an adaptation, a
# summary. Two unabridged recordings of one text by different narrators stay well above.
RUNTIME_APART = 0.75


def runtime_evidence(a_ms: int | None, b_ms: int | None) -> str | None:
    """"runtime_close", "runtime_apart", or None (unknown on a side, or in between)."""
    if not a_ms or not b_ms or a_ms <= 0 or b_ms <= 0:
        return None
    longer, shorter = max(a_ms, b_ms), min(a_ms, b_ms)
    if longer - shorter <= max(RUNTIME_CLOSE_MS, RUNTIME_CLOSE * longer):
        return "runtime_close"
    if shorter < RUNTIME_APART * longer:
        return "runtime_apart"
    return None


def format_runtime(ms: int) -> str:
    minutes = round(ms / 60_000)
    return f"{minutes // 60}h{minutes % 60:02d}m"


# ----------------------------------------------------------------------- language

_LANGUAGE_NAMES = {
    "en": "english", "de": "german deutsch deutsche deutscher", "fr": "french francais francaise",
    "es": "spanish espanol espanola castellano", "it": "italian italiano italiana",
    "nl": "dutch nederlands nederlandse", "pt": "portuguese portugues portuguesa", "sv": "swedish svenska",
    "da": "danish dansk", "no": "norwegian norsk", "fi": "finnish suomi", "pl": "polish polski",
    "ru": "russian", "ja": "japanese", "zh": "chinese mandarin", "ko": "korean", "cs": "czech cesky",
    "hu": "hungarian magyar", "tr": "turkish turkce",
}
_NAME_TO_CODE = {name: code for code, names in _LANGUAGE_NAMES.items() for name in names.split()}
# ISO 639-2 codes as release names write them in brackets ("[ger]", "(fra)").
_THREE_LETTER = {
    "eng": "en", "ger": "de", "deu": "de", "fre": "fr", "fra": "fr", "spa": "es", "ita": "it", "dut": "nl",
    "nld": "nl", "por": "pt", "swe": "sv", "dan": "da", "nor": "no", "fin": "fi", "pol": "pl", "rus": "ru",
    "jpn": "ja", "chi": "zh", "zho": "zh", "kor": "ko", "cze": "cs", "ces": "cs", "hun": "hu", "tur": "tr",
}
_NAMES = "|".join(sorted(_NAME_TO_CODE, key=len, reverse=True))
# "(German Edition)", "Deutsche Ausgabe", "English version", "edicion en espanol", "in Italian"
_NAMED_RE = re.compile(
    rf"\b(?P<a>{_NAMES})\s+(?:edition|ausgabe|version|audiobook|audio\s*edition|language|sprache|horbuch|editie)\b"
    rf"|\b(?:edition|edicion|edizione|editie|version|ausgabe|audiolibro)\s+(?:en\s+|in\s+)?(?P<b>{_NAMES})\b"
    rf"|\bin\s+(?P<c>{_NAMES})\b"
    rf"|[(\[{{]\s*(?P<d>{_NAMES})\s*[)\]}}]"
)
# Words only one language's releases use: "Ungekürzt" is German for "Unabridged".
_WORD_SIGNALS = {
    "ungekurzt": "de", "ungekuerzt": "de", "gekurzt": "de", "horbuch": "de", "horbucher": "de", "hoerbuch": "de",
    "hoerbuecher": "de", "gelesen": "de", "sprecher": "de", "folge": None,
    "livre": None, "livres": None, "lu": None, "integrale": "fr",
    "audiolibro": None, "audiolibros": "es", "narrado": "es", "luisterboek": "nl", "luisterboeken": "nl",
    "ljudbok": "sv", "ljudbocker": "sv", "lydbog": "da", "lydbok": "no", "aanikirja": "fi", "audiolivro": "pt",
    "audiobuch": "de",
}
_WORD_SIGNALS = {word: code for word, code in _WORD_SIGNALS.items() if code}
_WORD_SIGNAL_RE = re.compile(r"\b(?:" + "|".join(sorted(_WORD_SIGNALS, key=len, reverse=True)) + r")\b")
# Every marker above has one of these characters or words in it: most titles have none.
_MAYBE_MARKER_RE = re.compile(r"[(\[{]|edition|ausgabe|version|edicion|edizione|editie|audio|livre|\bin\s"
                              r"|" + "|".join(sorted(_WORD_SIGNALS, key=len, reverse=True)))
_PHRASES_RE = re.compile(r"\blivres?\s+audio\b|\bversion\s+integrale\b|\btexte\s+integral\b")
_CODE_RE = re.compile(r"[(\[{]\s*(?P<code>[a-z]{2,3})(?:[-_][a-z]{2})?\s*[)\]}]")
_TWO_LETTER = frozenset(_LANGUAGE_NAMES)


@lru_cache(maxsize=65_536)
def language_signal(text: str | None) -> str | None:
    """The language a title or a path clearly names ("de", "fr", ...), or None.

    Only markers count (a language named as an edition, a bracketed language code, words
    only one language's releases use), never the title's own words.
    """
    if not text:
        return None
    folded = fold(text)
    if _MAYBE_MARKER_RE.search(folded) is None:
        return None
    m = _NAMED_RE.search(folded)
    if m:
        return _NAME_TO_CODE[next(g for g in m.groups() if g)]
    if _PHRASES_RE.search(folded):
        return "fr"
    for m in _CODE_RE.finditer(folded):
        code = m.group("code")
        if code in _THREE_LETTER:
            return _THREE_LETTER[code]
        if code in _TWO_LETTER and code not in ("it", "no"):  # "(It)" and "[No]" are words
            return code
    m = _WORD_SIGNAL_RE.search(folded)
    return _WORD_SIGNALS[m.group(0)] if m else None


def item_language(title: str | None, paths: Iterable[str]) -> str | None:
    """The language an item's title or its files' folders name, title first."""
    found = language_signal(title)
    if found:
        return found
    for path in paths:
        # The folders a book sits in (not the file name, which is often a track title).
        folder = path.replace("\\", "/").rsplit("/", 1)[0]
        found = language_signal(folder.replace("/", " / "))
        if found:
            return found
    return None


# A request that names no language (and no marker in its title says one) is taken to be
# for an English audiobook -- what request managers ask for unless told otherwise -- so an
# album that clearly marks another language is not it.
ASSUMED_REQUEST_LANGUAGE = "en"


def primary_language(tag: str | None) -> str | None:
    """"de" for "de-DE", "en" for "EN", None for None."""
    if not tag:
        return None
    return tag.strip().replace("_", "-").split("-", 1)[0].lower() or None


# --------------------------------------------------------------------- derivatives

_DERIVATIVES = (
    ("young_readers", r"young\s+readers?'?s?|adapted\s+for\s+(?:young|teen|kids|children)\w*"
                      r"|for\s+young\s+(?:readers|adults|people)|young\s+adult\s+(?:edition|adaptation|version)"
                      r"|(?:teen|kids|children'?s|junior|student|classroom|school)\s+edition"
                      r"|for\s+(?:kids|teens|children)"),
    ("graphic", r"graphic\s+(?:novel|adaptation|history|edition|memoir)|manga\s+(?:edition|adaptation|version)"
                r"|comic\s+(?:book\s+)?adaptation|picture\s+book"),
    ("workbook", r"workbook|work\s+book|journal\s+edition|activity\s+book|coloring\s+book|colouring\s+book"),
    ("summary", r"summary|summaries|key\s+takeaways|book\s+notes|quick\s+read|in\s+\d+\s+minutes"
                r"|analysis\s+of|summary\s+and\s+analysis|conversation\s+starters|trivia|quiz\s+book"),
    ("study_guide", r"study\s+guide|reading\s+guide|reader'?s\s+guide|discussion\s+guide|teacher'?s\s+guide"
                    r"|sparknotes|cliffs?\s*notes|lesson\s+plans"),
    ("companion", r"companion|the\s+art\s+of|the\s+making\s+of|the\s+world\s+of|behind\s+the\s+scenes"),
    ("script", r"screenplay|script\s+book|the\s+script|shooting\s+script|stage\s+play|playscript"),
    ("excerpt", r"excerpt|sampler|sneak\s+peek|free\s+preview|first\s+chapters?"),
)
_DERIVATIVE_RES = tuple((kind, re.compile(rf"\b(?:{pattern})\b")) for kind, pattern in _DERIVATIVES)
_MAYBE_DERIVATIVE_RE = re.compile(
    r"young|adapted|teen|kids|children|junior|student|classroom|school|graphic|manga|comic|picture|work|journal|activity|colou?r"
    r"|summar|takeaway|notes|quick|minutes|analysis|conversation|trivia|quiz|guide|spark|cliff|lesson|companion"
    r"|the art|making|world|scenes|script|play|excerpt|sampler|peek|preview|chapter"
)


@lru_cache(maxsize=131_072)
def derivative_kinds(title: str | None) -> frozenset[str]:
    """The kinds of derivative work a title names ("young_readers", "summary", ...)."""
    if not title:
        return frozenset()
    folded = fold(title)
    if _MAYBE_DERIVATIVE_RE.search(folded) is None:
        return frozenset()
    return frozenset(kind for kind, rx in _DERIVATIVE_RES if rx.search(folded))


# ------------------------------------------------------------------ input values

# A runtime longer than this is no audiobook (the longest run a few hundred hours).
MAX_DURATION_MS = 10_000 * 3_600_000
# BCP 47, as request managers send it: a 2-3 letter language, then optional script,
# region or variant subtags ("en", "de-DE", "pt-BR", "zh-Hant-TW", "es-419").
_LANGUAGE_TAG_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?(?:-[A-Za-z\d]{5,8})*$")


def check_duration_ms(value: object) -> int:
    """A request's ``duration_ms``: a positive whole number of milliseconds (ValueError if not)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_DURATION_MS:
        raise ValueError(f"must be a positive whole number of milliseconds, at most {MAX_DURATION_MS}")
    return value


def check_language(value: object) -> str:
    """A request's ``language``: a BCP 47 tag such as "en" or "de-DE", returned in its
    usual case ("de-DE", "zh-Hant-TW"); ValueError if it is none."""
    if not isinstance(value, str) or len(value) > 35 or not _LANGUAGE_TAG_RE.match(value.strip().replace("_", "-")):
        raise ValueError('must be a language tag such as "en" or "de-DE"')
    parts = value.strip().replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 and part.isalpha() else part.upper() if len(part) == 2 else part)
    return "-".join(out)
