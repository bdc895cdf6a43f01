"""The fixed real books every default catalogue starts with (``build_catalogue(curated=True)``)."""
from __future__ import annotations

from .items import (
    ASIN_IN_AGENT_GUID,
    ASIN_IN_FOLDER,
    ASIN_IN_GUID_CHILD,
    ASIN_NOWHERE,
    GUID_AUDIBLE,
    GUID_AUDNEXUS,
    GUID_LOCAL,
    GUID_PLEX,
)

# A few real, well-known books (with invented ASINs) that exercise the matching traps the
# spec lists: Foundation vs Foundation and Empire, Dune, an Expanse series, "The Tenant
# (Unabridged)", a narrator tagged as author, several authors, accents, full-cast editions.
# Fields: title, parentTitle, author, narrator, asin, asin_source, guid_kind, series, idx, year, genre
CURATED: tuple[tuple, ...] = (
    ("Leviathan Wakes", "James S. A. Corey", "James S. A. Corey", "Jefferson Mays",
     "B0073JYKUC", ASIN_IN_AGENT_GUID, GUID_AUDNEXUS, "The Expanse", 1, 2011, "Science Fiction"),
    ("Caliban's War: The Expanse, Book 2", "James S. A. Corey", "James S. A. Corey",
     "Jefferson Mays", "B00836N1MU", ASIN_IN_FOLDER, GUID_PLEX, "The Expanse", 2, 2012,
     "Science Fiction"),
    ("Abaddon's Gate (The Expanse, Book 3)", "James S. A. Corey", "James S. A. Corey",
     "Jefferson Mays", "B00DJUOA9E", ASIN_IN_GUID_CHILD, GUID_PLEX, "The Expanse", 3, 2013,
     "Science Fiction"),
    ("Foundation", "Isaac Asimov", "Isaac Asimov", "Scott Brick", "B0029LZ2D8",
     ASIN_IN_AGENT_GUID, GUID_AUDIBLE, "Foundation", 1, 1951, "Science Fiction"),
    ("Foundation and Empire", "Isaac Asimov", "Isaac Asimov", "Scott Brick", "B002ANFTQI",
     ASIN_IN_FOLDER, GUID_PLEX, "Foundation", 2, 1952, "Science Fiction"),
    ("Dune", "Frank Herbert", "Frank Herbert", "Scott Brick, Orlagh Cassidy, Simon Vance",
     "B002V1OF70", ASIN_NOWHERE, GUID_PLEX, "Dune", 1, 1965, "Science Fiction"),
    ("The Shadow of the Wind", "Carlos Ruiz Zafón", "Carlos Ruiz Zafón", "Jonathan Davis",
     "B0011Z9V4S", ASIN_NOWHERE, GUID_PLEX, None, None, 2004, "Literary Fiction"),
    ("The Tenant (Unabridged)", "Freida McFadden", "Freida McFadden", "Erin Mallon",
     "B0DHKLN4QX", ASIN_NOWHERE, GUID_PLEX, None, None, 2025, "Thriller"),
    ("Relic", "Douglas Preston, Lincoln Child", "Douglas Preston, Lincoln Child", "David Colacci",
     "B00AKDUG9S", ASIN_IN_FOLDER, GUID_LOCAL, "Pendergast", 1, 1995, "Thriller"),
    ("Project Hail Mary", "Ray Porter", "Andy Weir", "Ray Porter", "B08G9PRS1K",
     ASIN_NOWHERE, GUID_PLEX, None, None, 2021, "Science Fiction"),
    ("The Hobbit (Dramatized Adaptation)", "J. R. R. Tolkien", "J. R. R. Tolkien", "Full Cast",
     "B0099SMVQK", ASIN_IN_AGENT_GUID, GUID_AUDNEXUS, None, None, 1937, "Fantasy"),
    ("Good Omens (Full Cast)", "Neil Gaiman, Terry Pratchett", "Neil Gaiman, Terry Pratchett",
     "Full Cast", "B00HDLV1R6", ASIN_NOWHERE, GUID_PLEX, None, None, 1990, "Fantasy"),
    ("Where the Crawdads Sing: A Novel", "Delia Owens", "Delia Owens", "Cassandra Campbell",
     "B07D4CJ7KT", ASIN_IN_FOLDER, GUID_PLEX, None, None, 2018, "Literary Fiction"),
    ("One Hundred Years of Solitude", "Gabriel García Márquez", "Gabriel García Márquez",
     "John Lee", "0060883286", ASIN_IN_FOLDER, GUID_PLEX, None, None, 1967, "Literary Fiction"),
    ("The Girl with the Dragon Tattoo", "Stieg Larsson", "Stieg Larsson", "Simon Vance",
     "B001BKVNE8", ASIN_IN_AGENT_GUID, GUID_AUDNEXUS, "Millennium", 1, 2005, "Thriller"),
)

