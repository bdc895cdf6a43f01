"""Property-based tests (Hypothesis): laws that must hold for every input, not only the ones
we thought of. Settings (few examples, derandomized) are the "ci" profile in conftest.py."""
from __future__ import annotations

import json
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from sqlalchemy import select

from plugin import state, storable
from plugin.asin import _ASIN_RE
from plugin.models import AudiobookRequest, InboxEvent
from tests.conftest import API_KEY
from tests.internals import (
    ItemSide,
    RequestSide,
    asin_from_guid,
    asins_from_path,
    explain,
    fold,
    normalize_asin,
    parse_album_page,
    parse_title,
)

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
audible_asins = st.text(ALNUM, min_size=8, max_size=8).map(lambda tail: "B0" + tail)
isbn10s = st.builds(lambda d, last: d + last, st.text("0123456789", min_size=9, max_size=9),
                    st.sampled_from("0123456789X"))
asins = st.one_of(audible_asins, isbn10s)


# ------------------------------------------------------------------------------- ASINs
@pytest.mark.pure
@given(st.text("0123456789", min_size=13, max_size=13))
def test_an_isbn13_is_never_an_asin(isbn13):
    assert normalize_asin(isbn13) is None
    assert asins_from_path(f"/audiobooks/Author/{isbn13}/{isbn13}.m4b") == []
    assert asins_from_path(f"/audiobooks/Book [{isbn13}]/01.mp3") == []


@pytest.mark.pure
@given(st.sampled_from(["Unabridged", "unabridged", "UNABRIDGED", "Dramatized", "Full Cast!", "Abridged00"]),
       st.text(st.characters(codec="utf-8", exclude_characters="[]"), max_size=20))
def test_edition_markers_in_brackets_are_not_asins(marker, around):
    assert asins_from_path(f"{around}[{marker}]{around}") == []
    assert normalize_asin(marker) is None


@pytest.mark.pure
@given(st.text(st.characters(codec="utf-8", exclude_characters="[]"), max_size=60))
def test_an_unbracketed_run_is_never_an_asin_in_a_path(path):
    """Any text without brackets (so any 10-character run in it) yields no ASIN."""
    assert asins_from_path(path) == []


@pytest.mark.pure
@given(st.text(st.characters(codec="utf-8"), min_size=10, max_size=10))
def test_an_arbitrary_ten_character_run_is_an_asin_only_in_the_asin_shape(run):
    upper = run.strip().upper()
    shaped = len(upper) == 10 and upper.isascii() and (
        (upper[:2] == "B0" and all(c in ALNUM for c in upper[2:]))
        or (upper[:9].isdigit() and upper[9] in "0123456789X"))
    assert (normalize_asin(run) is not None) == shaped
    # plex:// hashes and other agents never carry one, whatever their shape
    assert asin_from_guid(f"plex://album/{run}") is None
    assert asin_from_guid(f"com.plexapp.agents.none://{run}") is None


@pytest.mark.pure
@given(st.one_of(
    asins,
    st.builds(lambda a, pad: pad + a.lower() + pad, asins, st.sampled_from(["", " ", "\n", " \t"])),
    st.text(st.characters(codec="utf-8"), max_size=14),
    st.text("B0Xx0123456789ßé²٣ \n", min_size=8, max_size=12),
))
def test_normalize_asin_says_what_the_asin_pattern_says(value):
    """normalize_asin tests the shape with string methods; the pattern is the definition."""
    upper = value.strip().upper()
    assert normalize_asin(value) == (upper if _ASIN_RE.match(upper) else None)


@pytest.mark.pure
@given(asins, st.text(st.characters(codec="utf-8", exclude_characters="[]"), max_size=20))
def test_a_bracketed_asin_is_found_wherever_it_is(asin, around):
    assert asins_from_path(f"{around}[{asin.lower()}]{around}") == [asin]
    assert asin_from_guid(f"com.plexapp.agents.audnexus://{asin}_us?lang=en") == asin


# ------------------------------------------------------------------------ normalization
@pytest.mark.pure
@given(st.text(st.characters(codec="utf-8"), max_size=40))
@example("İstanbul")          # lower() of a dotted capital I leaves a combining dot behind
@example("ǅ")
def test_folding_is_idempotent(text):
    once = fold(text)
    assert fold(once) == once


@pytest.mark.pure
@given(st.one_of(st.text(st.characters(codec="utf-8"), max_size=40),
                 st.text(st.sampled_from(list(" 'ΣσςΑΩΪά.İıßﬁ–—…\u00a0\u0301\u0307\u0345ö\u2019x")), max_size=20)))
@example("ΑΣ ΣΑ Σ")           # a capital sigma is final at the end of a word, and only there
@example("o\u0301 \u0301")     # a combining mark after a space belongs to no word before it
@example("Ａ\u00a0Σ")          # NFKD makes the no-break space a space
@example("é" * 70 + " Σ")     # a word too long for the cache is folded all the same
def test_folding_word_by_word_is_folding_the_whole_text(text):
    from plugin.matching.text import _fold_text     # fold's rule, applied to the whole text at once
    assert fold(text) == (text.lower() if text.isascii() else _fold_text(text))


@pytest.mark.pure
@given(st.text(st.characters(codec="utf-8"), max_size=40))
@example("İstanbul")
def test_title_parsing_of_a_folded_title_changes_nothing(text):
    """Normalizing an already normalized title gives the same parse."""
    assert parse_title(fold(text)).key == parse_title(text).key


# -------------------------------------------------------------------------- the matcher
WORDS = ["shadow", "empire", "river", "night", "garden", "stone", "winter", "crown", "silent", "harbor",
         "glass", "iron", "forest", "memory", "ocean", "thunder", "lantern", "orchard", "falcon", "mirror",
         "dragon", "secret", "copper", "meadow", "tower", "island", "kingdom", "raven", "ember", "valley"]
NAMES = ["Anna", "Brontë", "Zoë", "José", "Renée", "Miller", "Okafor", "Lindqvist", "Müller", "Dubois",
         "Tanaka", "Novak", "Søren", "Haddad", "Petrov", "Quinn"]
titles = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5, unique=True).map(" ".join).map(str.title)
people = st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES)).map(" ".join), min_size=1,
                  max_size=3, unique=True)
MARKERS = [" (Unabridged)", " [Unabridged]", " (Abridged)", " (Full Cast)", " (Dramatized)",
           " (Narrated by Anna Quinn)", ": A Novel"]


@st.composite
def pairs(draw):
    """A request and an item: often the same book (so matches are exercised), sometimes not."""
    title = draw(titles)
    authors = draw(people)
    same = draw(st.booleans())
    item_title = title if same else draw(titles)
    item_authors = authors if same or draw(st.booleans()) else draw(people)
    return title, authors, item_title, item_authors


def _decide(title, authors, item_title, item_authors, **asins_):
    return explain(RequestSide(title=title, author=" & ".join(authors), asin=asins_.get("req")),
                   ItemSide(title=item_title, author=" & ".join(item_authors), asin=asins_.get("item"))).match


@pytest.mark.pure
@given(pairs(), asins)
def test_equal_asins_always_match(pair, asin):
    title, authors, item_title, item_authors = pair
    assert _decide(title, authors, item_title, item_authors, req=asin.lower(), item=asin)


@pytest.mark.pure
@given(pairs(), asins, asins)
def test_different_asins_never_match_even_with_the_same_title(pair, a, b):
    assume(a != b)
    title, authors, _item_title, _item_authors = pair
    assert not _decide(title, authors, title, authors, req=a, item=b)


def _accented(text: str) -> str:
    return "".join({"a": "á", "e": "é", "i": "ï", "o": "ö", "u": "ú", "n": "ñ", "c": "ç"}.get(c, c) for c in text)


def _spaced(text: str) -> str:
    return "  " + "   ".join(text.split()) + " \t"


@pytest.mark.pure
@given(pairs(), st.sampled_from([str.upper, str.lower, str.swapcase, _accented, _spaced]),
       st.sampled_from(MARKERS))
def test_case_accents_whitespace_and_edition_markers_never_change_a_decision(pair, change, marker):
    title, authors, item_title, item_authors = pair
    before = _decide(title, authors, item_title, item_authors)
    assert _decide(change(title), [change(a) for a in authors], item_title, item_authors) == before
    assert _decide(title, authors, change(item_title), [change(a) for a in item_authors]) == before
    assert _decide(title + marker, authors, item_title, item_authors) == before
    assert _decide(title, authors, item_title + marker, item_authors) == before


@pytest.mark.pure
@given(pairs(), st.randoms(use_true_random=False))
def test_the_order_of_authors_never_changes_a_decision(pair, rnd):
    title, authors, item_title, item_authors = pair
    shuffled, item_shuffled = list(authors), list(item_authors)
    rnd.shuffle(shuffled)
    rnd.shuffle(item_shuffled)
    assert _decide(title, shuffled, item_title, item_shuffled) == _decide(title, authors, item_title, item_authors)


# ---------------------------------------------------------------------- listing parser
xml_chars = st.characters(codec="utf-8", exclude_categories=["Cs"]).filter(
    lambda c: c in "\t\n\r" or "\x20" <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000")
xml_text = st.text(xml_chars, max_size=40)


@pytest.mark.pure
@given(st.lists(st.fixed_dictionaries({"title": xml_text, "parentTitle": xml_text, "summary": xml_text,
                                       "guid": xml_text}), min_size=1, max_size=4),
       st.lists(xml_text, max_size=3), st.integers(1, 64))
def test_any_attribute_text_xml_allows_survives_the_listing_parser(albums, guids, chunk):
    parts = [b'<?xml version="1.0" encoding="UTF-8"?>\n',
             f'<MediaContainer size="{len(albums)}" totalSize="{len(albums)}" offset="0">\n'.encode()]
    for n, attrs in enumerate(albums):
        text = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
        parts.append(f'<Directory ratingKey="{n}" type="album" {text}>'.encode())
        parts += [f"<Guid id={quoteattr(g)} />".encode() for g in guids]
        parts.append(b"</Directory>\n")
    parts.append(b"</MediaContainer>\n")
    data = b"".join(parts)
    # chunk boundaries fall anywhere, inside multi-byte characters too
    page = parse_album_page(iter([data[i:i + chunk] for i in range(0, len(data), chunk)]), "3", 0, "a page")
    assert page.total_size == len(albums) and len(page.albums) == len(albums)
    for listed, attrs in zip(page.albums, albums):
        for key, value in attrs.items():
            assert listed.attrs[key] == value
        assert list(listed.guids) == [g for g in guids if g]



guid_shapes = st.one_of(
    st.builds(lambda a: f"com.plexapp.agents.audible://{a}?lang=en", asins),
    st.builds(lambda a: f"com.plexapp.agents.audnexus://{a.lower()}_us", asins),
    st.builds(lambda a: f"audible://{a}", asins), st.builds(lambda a: f"asin://{a}", asins),
    st.builds(lambda h: f"plex://album/{h}", st.text("0123456789abcdef", min_size=10, max_size=24)),
    st.sampled_from(["local://5", "imdb://tt0000001", "audible://not-an-asin", "tvdb://1", ""]))


@pytest.mark.pure
@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=60),
       guid_shapes, st.lists(guid_shapes, max_size=4))
def test_a_listing_childs_row_and_keys_are_the_writers_own(title, guid, guids):
    """A listing child maps an album with its own shortcuts (``prepare_row``): the row must be the
    one ``album_values`` maps and its keys the ones ``item_keys`` gives the row as stored."""
    from plugin.matching.candidates import item_keys
    from plugin.plex import AlbumRecord
    from plugin.prepare import Skip, album_row, album_values, prepare_row, prepared_keys

    album = AlbumRecord("7", guid or None, title, "Author", None, None, "3", 2001, None, None, None, 1, 2,
                        tuple(g for g in guids if g), "f" * 32)
    ready, mapped = prepare_row(album), album_values(album)
    if isinstance(mapped, Skip):
        assert ready is None
        return
    assert ready is not None
    row = album_row(album)
    assert not isinstance(row, Skip)
    assert ready[0] == album.guid and ready[1][:7] == mapped[:7] and ready[1][8:] == mapped[8:]
    assert ready[1][7] == (json.dumps(list(album.guids)) if album.guids else None)   # the column's JSON
    side = ItemSide(title=row["title"], asin=row["asin"], guid=row["guid"], guids=album.guids)
    assert set(prepared_keys(ready)) == item_keys(side)

# ---------------------------------------------------------------- webhook endpoint bytes
SECRET = "prop-hook-secret-0123456789"
content_types = st.sampled_from(["application/json", "multipart/form-data; boundary=b0undary",
                                 "multipart/form-data", "text/plain", "", "application/json; charset=latin-1",
                                 "multipart/mixed; boundary=x"])


def _payload(plex, fields):
    meta = {"librarySectionID": "3", "type": "album", "ratingKey": "5", "title": "A Book", **fields.get("meta", {})}
    return {"event": fields.get("event", "library.new"),
            "Server": {"uuid": fields.get("uuid", plex.machine_identifier)}, "Metadata": meta}


unicode_any = st.text(st.characters(codec=None, categories=None), max_size=12) | st.sampled_from(
    ["a\ud800b", "\x00", "x\x00y", "\udfff", "3", "5", "album", "track"])
payload_fields = st.fixed_dictionaries({}, optional={
    "event": unicode_any, "uuid": unicode_any,
    "meta": st.fixed_dictionaries({}, optional={k: unicode_any | st.integers() | st.none() for k in
                                                ("librarySectionID", "type", "ratingKey", "title",
                                                 "parentRatingKey")})})


def _multipart(payload_text: bytes) -> bytes:
    return (b"--b0undary\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n" + payload_text
            + b"\r\n--b0undary--\r\n")


def _storable_inbox(runtime) -> None:
    with runtime.session() as s:
        for event in s.scalars(select(InboxEvent)):
            for value in (event.rating_key, event.section_key, event.parent_rating_key, event.title, event.event,
                          event.item_type, event.dedupe_key):
                assert value is None or storable.problem(value) is None
            assert event.item_type in ("album", "track", "artist") and event.section_key == "3"


@given(body=st.binary(max_size=300) | st.builds(_multipart, st.binary(max_size=200)), content_type=content_types)
@example(body=b'{"event": "library.new", "Server": {"uuid": "\\ud800"}}', content_type="application/json")
@example(body=_multipart(b"\xff\xfe{"), content_type="multipart/form-data; boundary=b0undary")
def test_any_bytes_posted_to_the_webhook_get_2xx_or_4xx(webhook_client, body, content_type):
    client, runtime, _plex = webhook_client
    response = client.post(f"/webhooks/plex/{SECRET}", data=body, content_type=content_type)
    assert 200 <= response.status_code < 500, (response.status_code, response.get_data()[:200])
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) >= {"code", "message"}
    _storable_inbox(runtime)


@given(fields=payload_fields, as_multipart=st.booleans())
@example(fields={"meta": {"title": "a\ud800b"}}, as_multipart=False)
@example(fields={"meta": {"ratingKey": "1\x002"}}, as_multipart=True)
@example(fields={"uuid": "\ud800"}, as_multipart=False)
def test_any_payload_fields_get_2xx_or_4xx_and_nothing_invalid_is_stored(webhook_client, fields, as_multipart):
    client, runtime, plex = webhook_client
    text = json.dumps(_payload(plex, fields)).encode()
    if as_multipart:
        response = client.post(f"/webhooks/plex/{SECRET}", data=_multipart(text),
                               content_type="multipart/form-data; boundary=b0undary")
    else:
        response = client.post(f"/webhooks/plex/{SECRET}", data=text, content_type="application/json")
    assert 200 <= response.status_code < 500, (response.status_code, response.get_data()[:200])
    _storable_inbox(runtime)


@pytest.fixture
def webhook_client(make_runtime, plex):
    runtime = make_runtime(plex, PLEXBOOKS_WEBHOOK_SECRET=SECRET)
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    from plugin.web import create_app
    return create_app(runtime, {"TESTING": True}).test_client(), runtime, plex


# ------------------------------------------------------------------ API text fields
request_bodies = st.builds(lambda known, extra: {**extra, **known},
                           st.fixed_dictionaries({"title": unicode_any}, optional={
                               "author": unicode_any, "narrator": unicode_any, "user": unicode_any}),
                           st.dictionaries(unicode_any, unicode_any, max_size=1))


@given(body=request_bodies)
@example(body={"title": "a\ud800b"})
@example(body={"title": "nul\x00here"})
@example(body={"title": "ok", "author": "\udfff"})
@example(body={"title": "ok", "x\x00": "y"})
def test_request_text_fields_refuse_what_no_database_stores(client, runtime, body):
    response = client.post("/api/v1/requests", data=json.dumps(body), content_type="application/json",
                           headers={"X-Api-Key": API_KEY})
    assert response.status_code < 500, response.get_data()[:300]
    bad = {k for k, v in body.items() if storable.problem(k) or (isinstance(v, str) and storable.problem(v))}
    if bad:
        assert response.status_code == 422
        fields = response.get_json()["error"]["fields"]
        assert {storable.printable_name(k) for k in bad} <= set(fields), fields
    with runtime.session() as s:
        for req in s.scalars(select(AudiobookRequest)):
            for value in (req.title, req.author, req.narrator, req.user):
                assert value is None or storable.problem(value) is None


@pytest.mark.parametrize("path", ["/api/v1/library?q=a%00b", "/api/v1/library/12%0034",
                                  "/api/v1/requests?user=x%00", "/api/v1/jobs/full%00scan/run"])
def test_parameters_with_nul_are_refused_by_name(api, path):
    method = api.post if path.endswith("/run") else api.get
    response = method(path, headers={"X-Api-Key": API_KEY})
    assert response.status_code == 400, response.get_data()[:300]
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter" and error["fields"]


@pytest.mark.parametrize("path", ["/api/v1/library?offset=478025454443639059551092736",
                                  "/api/v1/requests?offset=99999999999999999999", "/api/v1/jobs/runs?offset=1e99"])
def test_offsets_past_what_a_database_holds_are_a_400(api, path):
    """Found by Schemathesis: a 27-digit offset reached the database driver and answered 500."""
    response = api.get(path)
    assert response.status_code == 400 and response.get_json()["error"]["fields"] == {"offset": response.get_json()[
        "error"]["fields"]["offset"]}, response.get_data()[:300]


def test_config_text_refuses_nul_by_name(api, runtime):
    response = api.put("/api/v1/config", data=json.dumps({"public_url": "http://x\x00y"}),
                       content_type="application/json")
    assert response.status_code == 422 and "public_url" in response.get_json()["error"]["fields"]
    assert runtime.config().public_url is None
