"""How the simulated server tells the world about library changes: ``library.new``
webhooks (multipart POSTs, as Plex sends them) and timeline notifications on the
websocket, each posted by a background worker so HTTP answers are never delayed."""
from __future__ import annotations

import collections
import json
import logging
import queue
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable

import requests

from .catalogue import Album, Track
from .render import PLEX_VERSION, TINY_JPEG
from .websocket import WebSocketHub, timeline_entry, timeline_message

if TYPE_CHECKING:
    from .server import SimulatedPlex

log = logging.getLogger(__name__)


class Worker:
    """A daemon thread running submitted jobs in order (webhook posts, notifications),
    so HTTP answers are never delayed by them."""

    def __init__(self, name: str) -> None:
        self._queue: "queue.Queue[tuple | None]" = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable, *args: Any) -> None:
        self._queue.put((fn, args))

    def _run(self) -> None:
        while True:  # ends on the None sentinel put by stop()
            job = self._queue.get()
            try:
                if job is None:
                    return
                fn, args = job
                fn(*args)
            except Exception:  # a failing job must not kill the worker
                log.exception("simulator background job failed")
            finally:
                self._queue.task_done()

    @property
    def pending(self) -> int:
        return self._queue.unfinished_tasks

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)



class Announcer:
    """Webhook targets, the websocket hub and the two workers that post to them.

    Reads the server's identity, sections and timing from ``sim``; ``start``/``stop``
    follow the server's.
    """

    def __init__(self, sim: "SimulatedPlex", urls: Iterable[str] = ()) -> None:
        self._sim = sim
        self.urls: list[str] = list(urls)
        self.hub = WebSocketHub()
        self.deliveries: collections.deque = collections.deque(maxlen=1000)
        self._timeline: Worker | None = None
        self._webhooks: Worker | None = None
        self._http: requests.Session | None = None

    def start(self) -> None:
        self._http = requests.Session()
        self._timeline = Worker("simulated-plex-timeline")
        self._webhooks = Worker("simulated-plex-webhooks")

    def stop(self) -> None:
        """Stop the workers and cut every websocket (as when a real server goes away)."""
        for worker in (self._timeline, self._webhooks):
            if worker is not None:
                worker.stop()
        self.hub.close_all(graceful=False)
        if self._http is not None:
            self._http.close()
        self._timeline = self._webhooks = None
        self._http = None

    @property
    def idle(self) -> bool:
        return all(w is None or w.pending == 0 for w in (self._timeline, self._webhooks))

    def updated(self, album: Album) -> None:
        if self._timeline is not None:
            self._timeline.submit(self._broadcast, [timeline_entry(
                section_id=album.section_id, item_id=album.rating_key, item_type=9,
                title=album.title, state=5, updated_at=album.updated_at)])

    def new(self, album: Album, per_track: bool) -> None:
        if self._timeline is not None:
            self._timeline.submit(self._timeline_new, album)
        if self._webhooks is not None and self.urls:
            items: list[Album | Track] = list(album.tracks) if per_track else [album]
            for item in items:
                self._webhooks.submit(self._post_webhook, list(self.urls),
                                            self._webhook_payload(album, item))

    def deleted(self, album: Album) -> None:
        if self._timeline is None:
            return
        now = int(time.time())
        entries = [timeline_entry(section_id=album.section_id, item_id=album.rating_key,
                                  item_type=9, title=album.title, state=9, updated_at=now,
                                  metadata_state="deleted")]
        entries += [timeline_entry(section_id=album.section_id, item_id=t.rating_key,
                                   item_type=10, title=t.title, state=9, updated_at=now,
                                   metadata_state="deleted") for t in album.tracks]
        self._timeline.submit(self._broadcast, entries)

    def _broadcast(self, entries: list[dict]) -> None:
        self.hub.broadcast(timeline_message(entries))

    def _timeline_new(self, album: Album) -> None:
        """The processing sequence Plex reports for a newly scanned album and its tracks."""
        sid, ts = album.section_id, album.updated_at

        def album_entry(state: int, **extra: Any) -> dict:
            return timeline_entry(section_id=sid, item_id=album.rating_key, item_type=9,
                                  title=album.title, state=state, updated_at=ts, **extra)

        def track_entries(state: int, **extra: Any) -> list[dict]:
            return [timeline_entry(section_id=sid, item_id=t.rating_key, item_type=10,
                                   title=t.title, state=state, updated_at=ts, **extra)
                    for t in album.tracks]

        steps = [
            [album_entry(0, metadata_state="created"), *track_entries(0, metadata_state="created")],
            [album_entry(1, metadata_state="queued")],
            [album_entry(2, metadata_state="processing")],
            [album_entry(3, metadata_state="processing")],
            [album_entry(4, metadata_state="processing")],
            [album_entry(5, media_state="analyzing")],
            [album_entry(5), *track_entries(5)],
        ]
        for entries in steps:
            if self._sim.stopping.wait(self._sim.timeline_delay):
                return
            self._broadcast(entries)

    def _webhook_payload(self, album: Album, item: Album | Track) -> dict:
        section = self._sim.sections[album.section_id]
        common = {"librarySectionType": "artist", "librarySectionTitle": section.title,
                  "librarySectionID": section.key,
                  "librarySectionKey": f"/library/sections/{section.key}"}
        artist = self._sim.catalogue.artists.get(album.artist_rating_key)
        if isinstance(item, Track):
            metadata = {
                **common, "ratingKey": item.rating_key, "key": f"/library/metadata/{item.rating_key}",
                "parentRatingKey": album.rating_key, "grandparentRatingKey": album.artist_rating_key,
                "guid": item.guid, "parentGuid": album.guid, "grandparentGuid": album.parent_guid,
                "type": "track", "title": item.title,
                "grandparentKey": f"/library/metadata/{album.artist_rating_key}",
                "parentKey": f"/library/metadata/{album.rating_key}",
                "grandparentTitle": album.parent_title, "parentTitle": album.title,
                "summary": "", "index": item.index, "parentIndex": 1, "thumb": album.thumb,
                "parentThumb": album.thumb,
                "grandparentThumb": artist.thumb if artist else album.thumb,
                "duration": item.duration, "addedAt": item.added_at, "updatedAt": item.updated_at}
        else:
            metadata = {
                **common, "ratingKey": album.rating_key,
                "key": f"/library/metadata/{album.rating_key}/children",
                "parentRatingKey": album.artist_rating_key, "guid": album.guid,
                "parentGuid": album.parent_guid, "type": "album", "title": album.title,
                "parentKey": f"/library/metadata/{album.artist_rating_key}",
                "parentTitle": album.parent_title, "summary": album.details.summary, "index": 1,
                "thumb": album.thumb, "parentThumb": artist.thumb if artist else album.thumb,
                "addedAt": album.added_at, "updatedAt": album.updated_at}
            if album.year:
                metadata["year"] = album.year
            if album.details.external_guids:
                metadata["Guid"] = [{"id": g} for g in album.details.external_guids]
        return {
            "event": "library.new", "user": True, "owner": True,
            "Account": {"id": 1, "title": "simulated-admin",
                        "thumb": f"https://plex.tv/users/{self._sim.machine_identifier[:16]}/avatar"},
            "Server": {"title": self._sim.friendly_name, "uuid": self._sim.machine_identifier},
            "Metadata": metadata,
        }

    def _post_webhook(self, urls: list[str], payload: dict) -> None:
        session = self._http
        if session is None:
            return
        body = json.dumps(payload, ensure_ascii=False)
        for url in urls:
            record = {"url": url, "event": payload["event"], "type": payload["Metadata"]["type"],
                      "rating_key": payload["Metadata"]["ratingKey"], "at": time.time()}
            try:
                response = session.post(
                    url, data={"payload": body},
                    files={"thumb": ("thumb.jpg", TINY_JPEG, "image/jpeg")},
                    headers={"User-Agent": f"PlexMediaServer/{PLEX_VERSION}"}, timeout=5)
                response.close()
                record["status"] = response.status_code
            except requests.RequestException as exc:
                record["error"] = f"{type(exc).__name__}: {exc}"
            self.deliveries.append(record)

