"""Refresh with a path: files placed in a folder (``POST /_simulator/folders``) are unknown
to Plex until ``/library/sections/{id}/refresh?path=<folder>`` (Plex's partial scan) makes
them an album, announced by a ``library.new`` webhook and timeline events like any new
album; a refresh without a path scans the whole section. All over HTTP."""
from __future__ import annotations

import email.parser
import email.policy
import json
import os
import queue
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
import requests

os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")  # before plexapi builds objects

from plexapi.server import PlexServer  # noqa: E402

from plugin.simulator.server import SimulatedPlex  # noqa: E402

BOOK = {"path": "/audiobooks/Martha Wells/All Systems Red [B06XKTRRBH]",
        "title": "All Systems Red", "author": "Martha Wells", "narrator": "Kevin R. Free",
        "asin": "B06XKTRRBH", "tracks": 2}


class Receiver:
    """A local HTTP endpoint that keeps the webhook payloads posted to it."""

    def __init__(self) -> None:
        self.payloads: queue.Queue = queue.Queue()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body)
                fields = {p.get_param("name", header="content-disposition"): p
                          for p in message.iter_parts()}
                outer.payloads.put(json.loads(fields["payload"].get_content()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    try:
        yield rec
    finally:
        rec.close()


@pytest.fixture
def sim(receiver) -> Iterator[SimulatedPlex]:
    with SimulatedPlex(books=30, seed=2, timeline_delay=0.0, webhook_urls=[receiver.url]) as s:
        yield s


def place(sim: SimulatedPlex, body: dict) -> requests.Response:
    return requests.post(f"{sim.url}/_simulator/folders", json=body, timeout=10)


def refresh(sim: SimulatedPlex, path: str | None = None, section: int = 3) -> None:
    params = {} if path is None else {"path": path}
    response = requests.get(f"{sim.url}/library/sections/{section}/refresh", params=params,
                            headers={"X-Plex-Token": sim.token}, timeout=10)
    assert response.status_code == 200 and response.content == b""


def titles_in_plex(sim: SimulatedPlex) -> set[str]:
    response = requests.get(f"{sim.url}/library/sections/3/all", params={"type": 9},
                            headers={"X-Plex-Token": sim.token}, timeout=10)
    return {e.get("title") for e in ET.fromstring(response.content).iter("Directory")}


def test_placed_files_appear_only_after_a_refresh_of_their_folder(sim, receiver):
    placed = place(sim, BOOK)
    assert placed.status_code == 201
    assert placed.json()["path"] == BOOK["path"] and placed.json()["asin_source"] == "folder"
    assert "All Systems Red" not in titles_in_plex(sim)
    assert [f["path"] for f in requests.get(f"{sim.url}/_simulator/folders", timeout=5)
            .json()["folders"]] == [BOOK["path"]]
    assert sim.wait_idle() and receiver.payloads.empty()

    refresh(sim, "/audiobooks/Someone Else/Other Book")  # nothing placed there: nothing
    assert "All Systems Red" not in titles_in_plex(sim)

    refresh(sim, BOOK["path"] + "/")
    assert "All Systems Red" in titles_in_plex(sim)
    album = next(a for a in sim.catalogue if a.title == "All Systems Red")
    assert album.folder == BOOK["path"] + "/" and album.exposed_asin == "B06XKTRRBH"
    assert [t.file for t in album.tracks] == [
        f"{BOOK['path']}/01 - All Systems Red.mp3", f"{BOOK['path']}/02 - All Systems Red.mp3"]
    payload = receiver.payloads.get(timeout=5)
    assert payload["event"] == "library.new"
    assert payload["Metadata"]["ratingKey"] == album.rating_key
    assert payload["Metadata"]["parentTitle"] == "Martha Wells"
    assert sim.refreshes[-1]["path"] == BOOK["path"] + "/"
    assert sim.refreshes[-1]["added"] == [album.rating_key]
    assert requests.get(f"{sim.url}/_simulator/folders", timeout=5).json() == {"folders": []}

    refresh(sim, BOOK["path"])  # scanned already: a second refresh adds nothing
    assert sum(1 for a in sim.catalogue if a.title == "All Systems Red") == 1
    assert sim.wait_idle() and receiver.payloads.empty()


def test_a_refresh_announces_on_the_websocket_like_a_new_album(sim):
    seen: queue.Queue = queue.Queue()
    with requests.Session() as session:
        plex = PlexServer(sim.url, sim.token, session=session)
        listener = plex.startAlertListener(seen.put)
        try:
            for _ in range(250):  # bounded wait for the listener to connect
                if sim.websocket_clients:
                    break
                threading.Event().wait(0.02)
            assert place(sim, BOOK).status_code == 201
            refresh(sim, BOOK["path"])
            album = next(a for a in sim.catalogue if a.title == "All Systems Red")
            states = []
            for _ in range(100):  # bounded: until the album is reported processed
                message = seen.get(timeout=5)
                entries = [e for e in message.get("TimelineEntry", [])
                           if e["itemID"] == album.rating_key and e["type"] == 9]
                states += [e["state"] for e in entries]
                if any(e["state"] == 5 and "mediaState" not in e for e in entries):
                    break
            assert states[0] == 0 and states[-1] == 5
        finally:
            sim.stop()
            listener.join(5)


def test_a_refresh_of_a_parent_folder_or_the_section_picks_up_every_book_below(sim, receiver):
    second = {**BOOK, "path": "/audiobooks/Martha Wells/Artificial Condition",
              "title": "Artificial Condition", "asin": None}
    other = {**BOOK, "path": "/audiobooks/Ann Leckie/Ancillary Justice",
             "title": "Ancillary Justice", "author": "Ann Leckie", "asin": None}
    for body in (BOOK, second, other):
        assert place(sim, body).status_code == 201
    refresh(sim, "/audiobooks/Martha Wells")
    titles = titles_in_plex(sim)
    assert {"All Systems Red", "Artificial Condition"} <= titles
    assert "Ancillary Justice" not in titles
    assert next(a for a in sim.catalogue if a.title == "Artificial Condition").exposed_asin is None
    refresh(sim, "/audiobooks/Martha")  # a name prefix is not a parent folder
    refresh(sim, section=4)  # another section's scan does not touch the audiobooks
    assert "Ancillary Justice" not in titles_in_plex(sim)
    refresh(sim)  # the whole section
    assert "Ancillary Justice" in titles_in_plex(sim)
    got = {receiver.payloads.get(timeout=5)["Metadata"]["title"] for _ in range(3)}
    assert got == {"All Systems Red", "Artificial Condition", "Ancillary Justice"}


def test_refresh_with_nothing_placed_does_nothing(sim, receiver):
    before = len(sim.catalogue)
    refresh(sim, "/audiobooks/Nobody/Nothing")
    refresh(sim)
    assert len(sim.catalogue) == before
    assert sim.wait_idle() and receiver.payloads.empty()


@pytest.mark.parametrize("body,status,code", [
    ({**BOOK, "path": "/music/Someone/Album"}, 400, "invalid_folder"),
    ({**BOOK, "path": "/audiobooks"}, 400, "invalid_folder"),
    ({**BOOK, "path": "/audiobooks/../etc/passwd"}, 400, "invalid_folder"),
    ({**BOOK, "path": "/audiobooks/A/./B"}, 400, "invalid_folder"),
    ({**BOOK, "path": "audiobooks/A/B"}, 400, "invalid_folder"),
    ({**BOOK, "path": "/audiobooks/A\x00/B"}, 400, "invalid_folder"),
    ({**BOOK, "path": "/audiobooks/" + "x" * 1100}, 400, "invalid_folder"),
    ({**BOOK, "path": 7}, 400, "invalid_folder"),
    ({k: v for k, v in BOOK.items() if k != "title"}, 400, "invalid_folder"),
    ({**BOOK, "author": ""}, 400, "invalid_folder"),
    ({**BOOK, "tracks": 0}, 400, "invalid_folder"),
    ({**BOOK, "tracks": "many"}, 400, "invalid_folder"),
    ({**BOOK, "tracks": [["Part 1", "long"]]}, 400, "invalid_folder"),
    ({**BOOK, "asin_source": "somewhere"}, 400, "invalid_folder"),
    ({**BOOK, "year": 2017}, 400, "invalid_folder"),
])
def test_bad_folders_are_refused_and_nothing_is_placed(sim, body, status, code):
    answer = place(sim, body)
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert sim.disk.pending() == []


def test_a_folder_placed_twice_or_already_in_plex_is_a_conflict(sim):
    assert place(sim, BOOK).status_code == 201
    twice = place(sim, BOOK)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "folder_exists"
    nested = place(sim, {**BOOK, "path": BOOK["path"] + "/CD1"})
    assert nested.status_code == 409
    known = sim.catalogue.ordered()[0].folder
    again = place(sim, {**BOOK, "path": known})
    assert again.status_code == 409
    assert [f.path for f in sim.disk.pending()] == [BOOK["path"]]
