"""Real Plex text: what real libraries put in titles, names and summaries, so consumers of
the simulator meet it before their users do.

Well-formed (on by default, in a small seedable share of albums, ``build_catalogue``'s
``real_text``): entities (``&``, quotes, apostrophes, ``<``/``>`` in summaries, written
as ``&amp;``, ``&quot;``, ``&apos;``, ``&lt;``/``&gt;``), ``&#10;`` newlines between
paragraphs, CJK and right-to-left (Arabic, Hebrew) titles and authors, emoji, and a few
12,000-character summaries.

Not well-formed (off by default, ``dirty_text``): raw control characters that XML 1.0
forbids, such as ``\\x04`` or ``\\x0b``, inside summaries. Real servers send them (see
python-plexapi issue #1450 and pull requests #1452 and #1511); the renderer writes them
unescaped, so such a page is not well-formed XML, exactly like the real thing.
"""
from __future__ import annotations

import random
import re

# Kinds of well-formed real text an album can carry (``Album.text``), and the dirty one.
ENTITIES = "entities"
NEWLINES = "newlines"
EMOJI = "emoji"
CJK = "cjk"
RTL = "rtl"
LONG = "long"
DIRTY = "dirty"
# handed out in turn; a long summary is rarer than the others
WELL_FORMED_KINDS = (ENTITIES, NEWLINES, CJK, RTL, EMOJI, LONG, ENTITIES, NEWLINES, CJK, RTL, EMOJI)
LONG_SUMMARY = 12_000

# Characters XML 1.0 does not allow anywhere in a document (not even as references).
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The ones real servers have been seen to send: EOT and vertical tab first.
_CONTROL = ("\x04", "\x0b", "\x04", "\x0b", "\x01", "\x0c", "\x1b", "\x1f", "\x08")

# (title beginnings, title endings) per language, authors in _AUTHORS: a book stays in one script.
_SCRIPTS: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    CJK: (
        (("失われた", "静かな", "最後の", "黄金の", "忘れられた", "遠い", "沈黙の", "白い"),
         ("王国", "森", "海", "約束", "記憶", "夏", "雪国", "庭")),
        (("沉默的", "遥远的", "最后的", "燃烧的", "隐藏的", "古老的"),
         ("星空", "河流", "城市", "花园", "故乡", "三体")),
        (("잃어버린 ", "조용한 ", "마지막 ", "푸른 ", "작은 "),
         ("바다", "약속", "정원", "왕국", "기억")),
    ),
    RTL: (
        (("مدينة ", "ليل ", "بحر ", "ذاكرة ", "أسرار ", "رحلة ", "حكاية ", "ظلال "),
         ("النحاس", "الرمال", "الغرباء", "القمر", "الصمت", "النسيان", "الريح")),
        (("הבית ", "הים ", "הזמן ", "סוד ", "מסע ", "שיר ", "לילה "),
         ("האבוד", "השקט", "הרחוק", "האחרון", "הנסתר", "הלבן")),
    ),
}
_AUTHORS: dict[str, tuple[tuple[str, ...], ...]] = {
    CJK: (("村上 春樹", "東野 圭吾", "宮部 みゆき", "吉本 ばなな", "川上 未映子", "小川 洋子"),
          ("刘慈欣", "余华", "莫言", "金庸", "王小波", "三毛"),
          ("한강", "신경숙", "김영하", "조남주")),
    RTL: (("نجيب محفوظ", "أحلام مستغانمي", "علاء الأسواني", "رضوى عاشور", "غسان كنفاني"),
          ("עמוס עוז", "דויד גרוסמן", "אתגר קרת", "מאיר שלו", "צרויה שלו")),
}
_EMOJI = ("🌙", "🐉", "🔥", "✨", "🌊", "📚", "🎧", "🧭", "🌲", "👻", "❤️", "🏴‍☠️", "👩🏽‍🚀")
_PRAISE = ('"A triumph" - The Guardian', "5 ★★★★★ & counting", 'Winner of the "Golden Quill"',
           "<b>New York Times</b> bestseller", "Author's cut & extended edition",
           "It's \"unputdownable\" & 'unmissable' <3")


def _pick(rng: random.Random, seq: tuple[str, ...]) -> str:
    return seq[int(rng.random() * len(seq))]


def script_book(rng: random.Random, kind: str) -> tuple[str, str]:
    """(title, author) of a book in one CJK (``cjk``) or right-to-left (``rtl``) language."""
    language = int(rng.random() * len(_SCRIPTS[kind]))
    starts, ends = _SCRIPTS[kind][language]
    return _pick(rng, starts) + _pick(rng, ends), _pick(rng, _AUTHORS[kind][language])


def emoji(rng: random.Random) -> str:
    return _pick(rng, _EMOJI)


def decorate_title(rng: random.Random, kind: str, base: str) -> str:
    """The title a book of *kind* shows (``entities`` and ``emoji`` keep the base)."""
    if kind == ENTITIES:
        return f"{base} & Other Stories"
    if kind == EMOJI:
        return f"{base} {emoji(rng)}"
    return base


def summary(rng: random.Random, kind: str, plain: str) -> str:
    """The summary a book of *kind* carries, built around its *plain* summary."""
    plain = plain or "No description."
    if kind == ENTITIES:
        return f"{plain} {_pick(rng, _PRAISE)}. Tom & Jerry's \"favourite\" <audiobook>."
    if kind == NEWLINES:
        return f"{plain}\n\n{_pick(rng, _PRAISE)}.\nNarrated in full.\r\nUnabridged."
    if kind == EMOJI:
        return f"{emoji(rng)} {plain} {emoji(rng)}{emoji(rng)}"
    if kind in (CJK, RTL):
        return f"{script_book(rng, kind)[0]}. {plain}"
    if kind == LONG:
        out = [plain]
        size = len(plain)
        while size < LONG_SUMMARY:  # bounded: every step adds at least one character
            sentence = f" {_pick(rng, _PRAISE)}; chapter {len(out)} of a very long blurb."
            out.append(sentence)
            size += len(sentence)
        return "".join(out)[:LONG_SUMMARY]
    if kind == DIRTY:
        return dirty(rng, plain)
    return plain


def dirty(rng: random.Random, text: str) -> str:
    """*text* with one to three raw control characters inside it (never escaped)."""
    chars = list(text)
    for _ in range(1 + int(rng.random() * 3)):
        chars.insert(int(rng.random() * (len(chars) + 1)), _pick(rng, _CONTROL))
    return "".join(chars)


def has_forbidden(text: str | None) -> bool:
    """True when *text* holds a character XML 1.0 forbids."""
    return bool(text) and XML_FORBIDDEN.search(text) is not None  # type: ignore[arg-type]


def assign(rng: random.Random, candidates: int, well_formed: float, dirty_share: float
           ) -> dict[int, str]:
    """Which of *candidates* albums (by position) carry which kind of real text.

    Exact counts (rounded, at least one when a share is above zero and there are
    albums): ``well_formed`` of them get one of the well-formed kinds, in turn, and
    ``dirty_share`` control characters.
    """
    for share in (well_formed, dirty_share):
        if not 0.0 <= share <= 1.0:
            raise ValueError("text shares must be between 0 and 1")
    if candidates <= 0:
        return {}
    # well-formed kinds from the front of one shuffled order, dirty ones from its back, so
    # turning dirty text on does not move the well-formed books (it may override one)
    order = rng.sample(range(candidates), candidates)
    kinds = {pos: WELL_FORMED_KINDS[i % len(WELL_FORMED_KINDS)]
             for i, pos in enumerate(order[:_count(candidates, well_formed)])}
    n_dirty = _count(candidates, dirty_share)
    for pos in order[len(order) - n_dirty:]:
        kinds[pos] = DIRTY
    return kinds


def _count(total: int, share: float) -> int:
    if share <= 0:
        return 0
    return max(1, min(total, round(total * share)))
