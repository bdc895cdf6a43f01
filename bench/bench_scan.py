"""Full scan of a large library from the simulator into SQLite, against its floor and
against python-plexapi's default path.

- floor: plain HTTP fetch of the pages + streaming XML parse + batched sqlite3 upsert
- plexbooks: `plexbooks scan --json` end to end in its own process (peak RSS measured)
- re-scan with nothing changed: zero rows written
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

import requests

from bench.common import TOKEN, run_child, simulator

PAGE = 1000


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


def run(report, quick: bool = False) -> None:
    books = 20_000 if quick else 100_000
    with simulator(books) as url:
        fetch = [floor_fetch_parse(url)[0] for _ in range(3)]
        _, rows = floor_fetch_parse(url)
        upsert = [floor_upsert(rows) for _ in range(3)]
        floor = sorted(fetch)[1] + sorted(upsert)[1]
        report(f"floor fetch+parse {books} albums", fetch)
        report(f"floor batched upsert {books} albums", upsert)
        report(f"floor total {books} albums", [floor])

        scans, rescans, peaks, walls, rewalls = [], [], [], [], []
        for _ in range(3):
            with tempfile.TemporaryDirectory() as d:
                env = {"PLEXBOOKS_DATA_DIR": d, "PLEXBOOKS_PLEX_URL": url, "PLEXBOOKS_PLEX_TOKEN": TOKEN,
                       "PLEXBOOKS_PLEX_LIBRARY": "3", "PLEXBOOKS_SCAN_DETAILS_LIMIT": "0",
                       "PLEXBOOKS_LOG_LEVEL": "WARNING"}
                cmd = [sys.executable, "-m", "plugin", "scan", "--json"]
                wall, rss, out = run_child(cmd, env)
                summary = json.loads(out)
                assert summary["status"] == "ok" and summary["new"] == books, summary
                scans.append(summary["duration_s"])
                walls.append(wall)
                peaks.append(rss)
                wall, _, out = run_child(cmd, env)
                summary = json.loads(out)
                assert summary["unchanged"] == books and summary["new"] == summary["updated"] == 0, summary
                rescans.append(summary["duration_s"])
                rewalls.append(wall)
        fetch_floor = sorted(fetch)[1]
        report(f"plexbooks full scan {books} albums (new)", scans, peak_rss_mb_all_processes=max(peaks),
               ratio_to_floor=round(sorted(scans)[1] / floor, 2),
               command_wall_s=round(sorted(walls)[1], 3))
        report(f"plexbooks re-scan {books} albums (unchanged, 0 writes)", rescans,
               ratio_to_fetch_parse_floor=round(sorted(rescans)[1] / fetch_floor, 2),
               command_wall_s=round(sorted(rewalls)[1], 3))
        with tempfile.TemporaryDirectory() as d:
            naive_s, naive_rss = plexapi_default(url, d)
        report(f"plexapi section.all() + ORM merge per row {books}", [naive_s], peak_rss_mb_all_processes=naive_rss,
               ratio_to_plexbooks=round(naive_s / sorted(scans)[1], 1))
