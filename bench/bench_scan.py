"""Full scan of a large library from the simulator into SQLite, against its floors and
against python-plexapi's default path.

- floor: plain HTTP fetch of the album pages + streaming XML parse + batched sqlite3 upsert
- detail floors, side by side: the section's track listing (type=10, paged) fetched and
  stream-parsed, and one /children request per album (4 at a time; measured on a sample
  and scaled to the library), + one batched UPDATE per album
- plexbooks first scan: `plexbooks scan --json` on an empty mirror, every album's details
  included (peak RSS of the whole process tree); its album phase alone against the album floor
- re-scan with nothing changed: zero rows written, no details fetched
- plexapi default: section.all(libtype='album') + one ORM merge per row (run once)
"""
from __future__ import annotations

import sqlite3
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
import json
import sys

from concurrent.futures import ThreadPoolExecutor

import requests

from bench.common import TOKEN, run_child, simulator

PAGE = 1000
TRACK_PAGE = 2000
CHILDREN_SAMPLE = 3000


def floor_tracks(url: str) -> tuple[float, dict[str, list[tuple]]]:
    """The track listing, fetched and stream-parsed into (duration, file) per album."""
    t0 = time.perf_counter()
    by_album: dict[str, list[tuple]] = {}
    start, total = 0, None
    session = requests.Session()
    while total is None or start < total:
        r = session.get(f"{url}/library/sections/3/all", params={"type": 10},
                        headers={"X-Plex-Token": TOKEN, "X-Plex-Container-Start": str(start),
                                 "X-Plex-Container-Size": str(TRACK_PAGE)}, stream=True)
        parser = ET.XMLPullParser(events=("start", "end"))
        depth = 0
        track: dict | None = None
        for chunk in r.iter_content(65536):
            parser.feed(chunk)
            for ev, el in parser.read_events():
                if ev == "start":
                    depth += 1
                    if depth == 1:
                        total = int(el.attrib["totalSize"])
                    elif depth == 2:
                        track = el.attrib
                    elif el.tag == "Part" and track is not None:
                        by_album.setdefault(track.get("parentRatingKey"), []).append(
                            (track.get("duration"), el.attrib.get("file")))
                else:
                    depth -= 1
                    if depth == 1:
                        el.clear()
        start += TRACK_PAGE
    return time.perf_counter() - t0, by_album


def floor_children(url: str, keys: list[str]) -> float:
    """One /children request per album, four at a time, parsed whole (they are small)."""
    session = requests.Session()

    def one(key: str) -> int:
        r = session.get(f"{url}/library/metadata/{key}/children", headers={"X-Plex-Token": TOKEN})
        return sum(1 for el in ET.fromstring(r.content).iter("Part") if el.attrib.get("file"))

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, keys))
    return time.perf_counter() - t0


def floor_details_update(rows: list[tuple], by_album: dict[str, list[tuple]]) -> float:
    """Albums inserted as in floor_upsert, then one UPDATE per album with its details."""
    with tempfile.TemporaryDirectory() as d:
        conn = sqlite3.connect(Path(d) / "floor.db")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (guid TEXT UNIQUE, rk TEXT, title TEXT, author TEXT, year INT, added INT, "
                     "updated INT, files TEXT, duration INT)")
        conn.executemany("INSERT INTO t (guid, rk, title, author, year, added, updated) VALUES (?,?,?,?,?,?,?)",
                         rows)
        conn.execute("CREATE INDEX t_rk ON t (rk)")     # plexbooks updates details by primary key
        conn.commit()
        updates = [(json.dumps([f for _d, f in tracks]), sum(int(d or 0) for d, _f in tracks), rk)
                   for rk, tracks in by_album.items()]
        t0 = time.perf_counter()
        for i in range(0, len(updates), 500):
            conn.executemany("UPDATE t SET files = ?, duration = ? WHERE rk = ?", updates[i:i + 500])
            conn.commit()
        elapsed = time.perf_counter() - t0
        conn.close()
    return elapsed


def floor_fetch_parse(url: str) -> tuple[float, list[tuple]]:
    t0 = time.perf_counter()
    rows: list[tuple] = []
    start, total = 0, None
    session = requests.Session()
    while total is None or start < total:
        r = session.get(f"{url}/library/sections/3/all", params={"type": 9, "includeGuids": 1},
                        headers={"X-Plex-Token": TOKEN, "X-Plex-Container-Start": str(start),
                                 "X-Plex-Container-Size": str(PAGE)}, stream=True)
        parser = ET.XMLPullParser(events=("start", "end"))
        depth = 0
        for chunk in r.iter_content(65536):
            parser.feed(chunk)
            for ev, el in parser.read_events():
                if ev == "start":
                    depth += 1
                    if depth == 1:
                        total = int(el.attrib["totalSize"])
                else:
                    depth -= 1
                    if depth == 1:
                        a = el.attrib
                        rows.append((a.get("guid"), a.get("ratingKey"), a.get("title"), a.get("parentTitle"),
                                     a.get("year"), a.get("addedAt"), a.get("updatedAt")))
                        el.clear()
        start += PAGE
    return time.perf_counter() - t0, rows


def floor_upsert(rows: list[tuple]) -> float:
    with tempfile.TemporaryDirectory() as d:
        conn = sqlite3.connect(Path(d) / "floor.db")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (guid TEXT UNIQUE, rk TEXT, title TEXT, author TEXT, year INT, added INT, "
                     "updated INT)")
        t0 = time.perf_counter()
        for i in range(0, len(rows), PAGE):
            conn.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?) ON CONFLICT(guid) DO UPDATE SET title=excluded.title",
                             rows[i:i + PAGE])
        conn.commit()
        elapsed = time.perf_counter() - t0
        conn.close()
    return elapsed


def plexapi_default(url: str, data_dir: str) -> tuple[float, int]:
    code = f"""
import os
os.environ['PLEXAPI_PLEXAPI_AUTORELOAD'] = 'false'
from plexapi.server import PlexServer
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from plugin.models import Base, LibraryItem
engine = create_engine('sqlite:///{data_dir}/naive.db')
Base.metadata.create_all(engine)
albums = PlexServer({url!r}, {TOKEN!r}).library.sectionByID(3).all(libtype='album')
with Session(engine) as s:
    for a in albums:
        s.merge(LibraryItem(guid=a.guid, rating_key=str(a.ratingKey), section_key='3', title=a.title,
                            author=a.parentTitle, year=a.year, content_hash='', added_at=0))
    s.commit()
print(len(albums))
"""
    elapsed, rss, _ = run_child([sys.executable, "-c", code], {})
    return elapsed, rss


def _scan(url: str, d: str, at_peak: list[tuple[int, str]] | None = None, **settings: str
          ) -> tuple[dict, float, int]:
    env = {"PLEXBOOKS_DATA_DIR": d, "PLEXBOOKS_PLEX_URL": url, "PLEXBOOKS_PLEX_TOKEN": TOKEN,
           "PLEXBOOKS_PLEX_LIBRARY": "3", "PLEXBOOKS_LOG_LEVEL": "WARNING", **settings}
    wall, rss, out = run_child([sys.executable, "-m", "plugin", "scan", "--json"], env, at_peak)
    return json.loads(out), wall, rss


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _album_floor(url: str, rows: list[tuple]) -> tuple[float, float]:
    return floor_fetch_parse(url)[0], floor_upsert(rows)


def run(report, quick: bool = False) -> None:
    """Rounds of floor and plexbooks back to back: each ratio compares samples taken moments
    apart, so a machine whose load changes during the run moves both sides of it. The album
    floor is taken just before a first scan, whose album phase comes first, and just after
    it, and averaged: this machine's speed drifts within seconds. Album-only rounds (a scan
    whose details are limited to one album) sample the album phase more often, each between
    two floors of its own, at a sixth of a full round's time."""
    books = 20_000 if quick else 100_000
    rounds, album_rounds = 5, 5
    with simulator(books) as url:
        _, rows = floor_fetch_parse(url)
        keys = [r[1] for r in rows]
        sample = keys[::max(1, len(keys) // CHILDREN_SAMPLE)][:CHILDREN_SAMPLE]
        children_s = [floor_children(url, sample) * len(keys) / len(sample) for _ in range(2)]

        fetch, upsert, tracks_s, details_update, floors, first_floors = [], [], [], [], [], []
        scans, albums_phase, rescans, peaks, walls, rewalls = [], [], [], [], [], []
        first_ratio, album_ratio, rescan_ratio = [], [], []
        n_tracks = 0
        peak_tree: list[tuple[int, str]] = []
        for _ in range(rounds):
            tracks_time, by_album = floor_tracks(url)
            tracks_s.append(tracks_time)
            n_tracks = sum(len(v) for v in by_album.values())
            details_update.append(floor_details_update(rows, by_album))
            with tempfile.TemporaryDirectory() as d:
                fetch_before, upsert_before = _album_floor(url, rows)
                at_peak: list[tuple[int, str]] = []
                summary, wall, rss = _scan(url, d, at_peak)
                fetch_after, upsert_after = _album_floor(url, rows)
                assert summary["status"] == "ok" and summary["new"] == books, summary
                assert summary["details"]["fetched"] == books and summary["details"]["pending"] == 0, summary
                scans.append(summary["duration_s"])
                albums_phase.append(summary["phases_s"]["albums"])
                walls.append(wall)
                if not peaks or rss > max(peaks):
                    peak_tree = at_peak
                peaks.append(rss)
                summary, wall, _ = _scan(url, d)
                assert summary["unchanged"] == books and summary["new"] == summary["updated"] == 0, summary
                assert summary["details"]["fetched"] == 0, summary
                rescans.append(summary["duration_s"])
                rewalls.append(wall)
            fetch.append((fetch_before + fetch_after) / 2)
            upsert.append((upsert_before + upsert_after) / 2)
            floors.append(fetch[-1] + upsert[-1])
            first_floors.append(floors[-1] + min(tracks_s[-1], min(children_s)) + details_update[-1])
            first_ratio.append(scans[-1] / first_floors[-1])
            album_ratio.append(albums_phase[-1] / floors[-1])
            rescan_ratio.append(rescans[-1] / fetch[-1])

        album_only, album_only_ratio = [], []
        for _ in range(album_rounds):
            with tempfile.TemporaryDirectory() as d:
                before = sum(_album_floor(url, rows))
                summary, _wall, _rss = _scan(url, d, PLEXBOOKS_SCAN_DETAILS_LIMIT="1")
                after = sum(_album_floor(url, rows))
            assert summary["status"] == "ok" and summary["new"] == books, summary
            album_only.append(summary["phases_s"]["albums"])
            album_only_ratio.append(album_only[-1] / ((before + after) / 2))

        report(f"floor fetch+parse {books} albums", fetch)
        report(f"floor batched upsert {books} albums", upsert)
        report(f"floor total {books} albums", floors)
        report(f"floor track listing fetch+parse {books} albums ({n_tracks} tracks)", tracks_s,
               tracks_per_album=round(n_tracks / books, 2))
        report(f"floor per-album /children x{books} (scaled from {len(sample)})", children_s,
               ratio_to_track_listing=round(min(children_s) / _median(tracks_s), 1))
        report(f"floor details update {books} albums", details_update)
        report(f"floor first scan with details {books} albums", first_floors)
        report(f"plexbooks first full scan {books} albums with every detail", scans,
               peak_rss_mb_all_processes=max(peaks), peaks_per_round=peaks,
               processes_at_peak=[f"{mb} MB {command.split(' -m ')[-1]}" for mb, command in peak_tree],
               ratio_to_floor=round(_median(first_ratio), 2),
               ratios_per_round=[round(r, 2) for r in first_ratio], command_wall_s=round(_median(walls), 3))
        report(f"plexbooks album phase of that scan {books} albums", albums_phase,
               ratio_to_floor=round(_median(album_ratio), 2), ratios_per_round=[round(r, 2) for r in album_ratio])
        report(f"plexbooks album-only full scan {books} albums (details of one album): album phase", album_only,
               ratio_to_floor=round(_median(album_only_ratio), 2),
               ratios_per_round=[round(r, 2) for r in album_only_ratio],
               ratio_all_album_phases=round(_median(album_ratio + album_only_ratio), 2))
        report(f"plexbooks re-scan {books} albums (unchanged, 0 writes)", rescans,
               ratio_to_fetch_parse_floor=round(_median(rescan_ratio), 2),
               ratios_per_round=[round(r, 2) for r in rescan_ratio], command_wall_s=round(_median(rewalls), 3))
        if quick:
            return
        with tempfile.TemporaryDirectory() as d:
            naive_s, naive_rss = plexapi_default(url, d)
        report(f"plexapi section.all() + ORM merge per row {books}", [naive_s], peak_rss_mb_all_processes=naive_rss,
               ratio_to_plexbooks=round(naive_s / _median(albums_phase), 1))
