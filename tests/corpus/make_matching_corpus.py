"""Write tests/corpus/matching.jsonl: labelled (request, item) pairs for the matcher.

Run from the repository root: ``python tests/corpus/make_matching_corpus.py``.

Titles, authors, series and narrators are real, well-known audiobooks. ASINs are
*synthetic* (valid format, derived from a hash), except where a note says otherwise:
the corpus tests the ASIN rules, not the catalogue. Labels are the truth ("is this the
requested book?"), not what the matcher happens to say; a few true pairs are knowingly
beyond the matcher (pseudonyms, "1984" vs "Nineteen Eighty-Four") and count against
recall.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

OUT = Path(__file__).with_name("matching.jsonl")


def asin(name: str) -> str:
    """A stable, valid-looking Audible ASIN for *name* (not a real product)."""
    digest = hashlib.sha1(name.encode()).hexdigest().upper()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    n = int(digest, 16)
    chars = []
    for _ in range(8):
        n, r = divmod(n, 36)
        chars.append(alphabet[r])
    return "B0" + "".join(chars)


PAIRS: list[dict] = []


def pair(request: dict, item: dict, expected: bool, note: str) -> None:
    PAIRS.append({"request": request, "item": item, "expected": expected, "note": note})


def req(title, author=None, narrator=None, asin_=None):
    return {"title": title, "author": author, "narrator": narrator, "asin": asin_}


def itm(title, author=None, guid=None, asin_=None, file_path=None):
    out = {"title": title, "author": author}
    if guid is not None:
        out["guid"] = guid
    if asin_ is not None:
        out["asin"] = asin_
    if file_path is not None:
        out["file_path"] = file_path
    return out


# (title, author, narrator, series, number). Series None for standalones.
BOOKS = [
    ("Project Hail Mary", "Andy Weir", "Ray Porter", None, None),
    ("The Martian", "Andy Weir", "R.C. Bray", None, None),
    ("Artemis", "Andy Weir", "Rosario Dawson", None, None),
    ("Dune", "Frank Herbert", "Scott Brick", "Dune Chronicles", 1),
    ("Dune Messiah", "Frank Herbert", "Scott Brick", "Dune Chronicles", 2),
    ("Children of Dune", "Frank Herbert", "Scott Brick", "Dune Chronicles", 3),
    ("Foundation", "Isaac Asimov", "Scott Brick", "Foundation", 1),
    ("Foundation and Empire", "Isaac Asimov", "Scott Brick", "Foundation", 2),
    ("Second Foundation", "Isaac Asimov", "Scott Brick", "Foundation", 3),
    ("Leviathan Wakes", "James S. A. Corey", "Jefferson Mays", "The Expanse", 1),
    ("Caliban's War", "James S. A. Corey", "Jefferson Mays", "The Expanse", 2),
    ("Abaddon's Gate", "James S. A. Corey", "Jefferson Mays", "The Expanse", 3),
    ("The Way of Kings", "Brandon Sanderson", "Michael Kramer, Kate Reading", "The Stormlight Archive", 1),
    ("Words of Radiance", "Brandon Sanderson", "Michael Kramer, Kate Reading", "The Stormlight Archive", 2),
    ("Oathbringer", "Brandon Sanderson", "Michael Kramer, Kate Reading", "The Stormlight Archive", 3),
    ("The Final Empire", "Brandon Sanderson", "Michael Kramer", "Mistborn", 1),
    ("The Well of Ascension", "Brandon Sanderson", "Michael Kramer", "Mistborn", 2),
    ("The Hero of Ages", "Brandon Sanderson", "Michael Kramer", "Mistborn", 3),
    ("Harry Potter and the Sorcerer's Stone", "J.K. Rowling", "Jim Dale", "Harry Potter", 1),
    ("Harry Potter and the Chamber of Secrets", "J.K. Rowling", "Jim Dale", "Harry Potter", 2),
    ("Harry Potter and the Prisoner of Azkaban", "J.K. Rowling", "Jim Dale", "Harry Potter", 3),
    ("Harry Potter and the Goblet of Fire", "J.K. Rowling", "Jim Dale", "Harry Potter", 4),
    ("The Fellowship of the Ring", "J.R.R. Tolkien", "Rob Inglis", "The Lord of the Rings", 1),
    ("The Two Towers", "J.R.R. Tolkien", "Rob Inglis", "The Lord of the Rings", 2),
    ("The Return of the King", "J.R.R. Tolkien", "Rob Inglis", "The Lord of the Rings", 3),
    ("A Game of Thrones", "George R. R. Martin", "Roy Dotrice", "A Song of Ice and Fire", 1),
    ("A Clash of Kings", "George R. R. Martin", "Roy Dotrice", "A Song of Ice and Fire", 2),
    ("A Storm of Swords", "George R. R. Martin", "Roy Dotrice", "A Song of Ice and Fire", 3),
    ("The Eye of the World", "Robert Jordan", "Michael Kramer, Kate Reading", "The Wheel of Time", 1),
    ("The Great Hunt", "Robert Jordan", "Michael Kramer, Kate Reading", "The Wheel of Time", 2),
    ("Red Rising", "Pierce Brown", "Tim Gerard Reynolds", "Red Rising Saga", 1),
    ("Golden Son", "Pierce Brown", "Tim Gerard Reynolds", "Red Rising Saga", 2),
    ("Morning Star", "Pierce Brown", "Tim Gerard Reynolds", "Red Rising Saga", 3),
    ("The Name of the Wind", "Patrick Rothfuss", "Nick Podehl", "The Kingkiller Chronicle", 1),
    ("The Wise Man's Fear", "Patrick Rothfuss", "Nick Podehl", "The Kingkiller Chronicle", 2),
    ("The Hunger Games", "Suzanne Collins", "Carolyn McCormick", "The Hunger Games", 1),
    ("Catching Fire", "Suzanne Collins", "Carolyn McCormick", "The Hunger Games", 2),
    ("Mockingjay", "Suzanne Collins", "Carolyn McCormick", "The Hunger Games", 3),
    ("The Girl with the Dragon Tattoo", "Stieg Larsson", "Simon Vance", "Millennium", 1),
    ("The Girl Who Played with Fire", "Stieg Larsson", "Simon Vance", "Millennium", 2),
    ("Ender's Game", "Orson Scott Card", "Stefan Rudnicki", "The Ender Quintet", 1),
    ("Speaker for the Dead", "Orson Scott Card", "Stefan Rudnicki", "The Ender Quintet", 2),
    ("Fourth Wing", "Rebecca Yarros", "Rebecca Soler", "The Empyrean", 1),
    ("Iron Flame", "Rebecca Yarros", "Rebecca Soler", "The Empyrean", 2),
    ("Dungeon Crawler Carl", "Matt Dinniman", "Jeff Hays", "Dungeon Crawler Carl", 1),
    ("Carl's Doomsday Scenario", "Matt Dinniman", "Jeff Hays", "Dungeon Crawler Carl", 2),
    ("The Hitchhiker's Guide to the Galaxy", "Douglas Adams", "Stephen Fry", "Hitchhiker's Guide to the Galaxy", 1),
    ("The Restaurant at the End of the Universe", "Douglas Adams", "Martin Freeman", "Hitchhiker's Guide to the Galaxy", 2),
    ("The Color of Magic", "Terry Pratchett", "Nigel Planer", "Discworld", 1),
    ("The Light Fantastic", "Terry Pratchett", "Nigel Planer", "Discworld", 2),
    ("A Wizard of Earthsea", "Ursula K. Le Guin", "Kobna Holdbrook-Smith", "The Earthsea Cycle", 1),
    ("The Tombs of Atuan", "Ursula K. Le Guin", "Kobna Holdbrook-Smith", "The Earthsea Cycle", 2),
    ("The Shining", "Stephen King", "Campbell Scott", None, None),
    ("Doctor Sleep", "Stephen King", "Will Patton", None, None),
    ("It", "Stephen King", "Steven Weber", None, None),
    ("11/22/63", "Stephen King", "Craig Wasson", None, None),
    ("The Outsider", "Stephen King", "Will Patton", None, None),
    ("Ready Player One", "Ernest Cline", "Wil Wheaton", None, None),
    ("Ready Player Two", "Ernest Cline", "Wil Wheaton", None, None),
    ("Good Omens", "Terry Pratchett, Neil Gaiman", "Martin Jarvis", None, None),
    ("American Gods", "Neil Gaiman", "George Guidall", None, None),
    ("Where the Crawdads Sing", "Delia Owens", "Cassandra Campbell", None, None),
    ("Circe", "Madeline Miller", "Perdita Weeks", None, None),
    ("Lessons in Chemistry", "Bonnie Garmus", "Miranda Raison", None, None),
    ("Fahrenheit 451", "Ray Bradbury", "Tim Robbins", None, None),
    ("Catch-22", "Joseph Heller", "Jay O. Sanders", None, None),
    ("The Alchemist", "Paulo Coelho", "Jeremy Irons", None, None),
    ("Gone Girl", "Gillian Flynn", "Julia Whelan, Kirby Heyborne", None, None),
    ("The Silent Patient", "Alex Michaelides", "Jack Hawkins, Louise Brealey", None, None),
    ("It Ends with Us", "Colleen Hoover", "Olivia Song", None, None),
]
BY_TITLE = {b[0]: b for b in BOOKS}

# Non-fiction / literary titles with real subtitles: (title, subtitle, author, narrator).
SUBTITLED = [
    ("Sapiens", "A Brief History of Humankind", "Yuval Noah Harari", "Derek Perkins"),
    ("Educated", "A Memoir", "Tara Westover", "Julia Whelan"),
    ("Born a Crime", "Stories from a South African Childhood", "Trevor Noah", "Trevor Noah"),
    ("Atomic Habits", "An Easy & Proven Way to Build Good Habits & Break Bad Ones", "James Clear", "James Clear"),
    ("Thinking, Fast and Slow", None, "Daniel Kahneman", "Patrick Egan"),
    ("Freakonomics", "A Rogue Economist Explores the Hidden Side of Everything", "Steven D. Levitt, Stephen J. Dubner", "Stephen J. Dubner"),
    ("Outliers", "The Story of Success", "Malcolm Gladwell", "Malcolm Gladwell"),
    ("The Body Keeps the Score", "Brain, Mind, and Body in the Healing of Trauma", "Bessel van der Kolk", "Sean Pratt"),
    ("Quiet", "The Power of Introverts in a World That Can't Stop Talking", "Susan Cain", "Kathe Mazur"),
    ("Becoming", None, "Michelle Obama", "Michelle Obama"),
    ("Shoe Dog", "A Memoir by the Creator of Nike", "Phil Knight", "Norbert Leo Butz"),
    ("Unbroken", "A World War II Story of Survival, Resilience, and Redemption", "Laura Hillenbrand", "Edward Herrmann"),
]

# Accents and transliteration: (request title, request author, item title, item author).
ACCENTED = [
    ("Les Misérables", "Victor Hugo", "Les Miserables", "Victor Hugo"),
    ("One Hundred Years of Solitude", "Gabriel García Márquez", "One Hundred Years of Solitude", "Gabriel Garcia Marquez"),
    ("Love in the Time of Cholera", "Gabriel García Márquez", "Love in the Time of Cholera (Unabridged)", "García Márquez, Gabriel"),
    ("Jane Eyre", "Charlotte Brontë", "Jane Eyre", "Charlotte Bronte"),
    ("Wuthering Heights", "Emily Brontë", "Wuthering Heights [Unabridged]", "Bronte, Emily"),
    ("The Snowman", "Jo Nesbø", "The Snowman: Harry Hole, Book 7", "Jo Nesbo"),
    ("Crime and Punishment", "Fyodor Dostoevsky", "Crime and Punishment", "Fyodor Dostoyevsky"),
    ("Anna Karenina", "Leo Tolstoy", "Anna Karenina", "Tolstoy, Leo"),
    ("Shōgun", "James Clavell", "Shogun", "James Clavell"),
    ("The Count of Monte Cristo", "Alexandre Dumas", "The Count of Monte Cristo (Unabridged)", "Alexandre Dumas père"),
    ("Pedro Páramo", "Juan Rulfo", "Pedro Paramo", "Juan Rulfo"),
    ("Der Process", "Franz Kafka", "Der Prozess", "Franz Kafka"),
    ("A Man Called Ove", "Fredrik Backman", "A Man Called Ove: A Novel", "Fredrik Backman"),
    ("Anxious People", "Fredrik Backman", "Anxious People: A Novel", "Backman, Fredrik"),
    ("The Little Prince", "Antoine de Saint-Exupéry", "The Little Prince", "Antoine de Saint-Exupery"),
    ("Perfume: The Story of a Murderer", "Patrick Süskind", "Perfume", "Patrick Suskind"),
    ("Smilla's Sense of Snow", "Peter Høeg", "Smilla's Sense of Snow", "Peter Hoeg"),
]


def path_for(author: str, title: str, suffix: str = "") -> str:
    return f"/data/audiobooks/{author}/{title}{suffix}/{title}.m4b"


def last_first(author: str) -> str:
    parts = author.split()
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def build() -> None:
    # ------------------------------------------------------------ positives: editions
    markers = ["(Unabridged)", "[Unabridged]", "(Full Cast)", "(Dramatized Adaptation)", "(Abridged)",
               "(Unabridged Audiobook)", "(Dramatized)", "(Audible Original)"]
    for i, (title, author, narrator, _s, _n) in enumerate(BOOKS[:40]):
        marker = markers[i % len(markers)]
        pair(req(title, author, narrator), itm(f"{title} {marker}", author),
             True, f"edition marker {marker} on the Plex title")
    for title, author, narrator, _s, _n in BOOKS[40:52]:
        pair(req(title, author, narrator), itm(f"{title} (Narrated by {narrator.split(',')[0]})", author),
             True, "(Narrated by ...) on the Plex title")
    pair(req("The Tenant", "Freida McFadden", "Brittany Pressley"), itm("The Tenant (Unabridged)", "Freida McFadden"),
         True, "spec trap: The Tenant vs The Tenant (Unabridged)")
    pair(req("The Tenant", "Freida McFadden"), itm("The Tenant (Unabridged)", None),
         True, "The Tenant (Unabridged) with no Plex author: exact after normalization")

    # ------------------------------------------------------------ positives: series naming
    styles = [
        ("{t}: {s}, Book {n}", "Audible-style subtitle with series"),
        ("{t} ({s}, Book {n})", "series in parentheses"),
        ("{t} ({s} #{n})", "Goodreads-style (Series #n)"),
        ("{s} {n} - {t}", "folder style 'Series N - Title'"),
        ("{s}, Book {n} - {t}", "'Series, Book N - Title'"),
        ("{t}: Book {w} of {s}", "'Book Three of the Series'"),
        ("{s} Book {n}: {t}", "'Series Book N: Title'"),
        ("{t}, Book {n}", "title with ', Book N' suffix"),
        ("{s} {n:02d} - {t}", "zero-padded series number prefix"),
        ("{t} [{s} {n}]", "series in square brackets"),
    ]
    words = {1: "One", 2: "Two", 3: "Three", 4: "Four"}
    series_books = [b for b in BOOKS if b[3]]
    for i, (title, author, narrator, series, number) in enumerate(series_books):
        fmt, note = styles[i % len(styles)]
        item_title = fmt.format(t=title, s=series, n=number, w=words[number])
        pair(req(title, author, narrator), itm(item_title, author), True, f"series naming: {note}")
        # and the other way round: the request carries the series, Plex the bare title
        fmt2, note2 = styles[(i + 3) % len(styles)]
        req_title = fmt2.format(t=title, s=series, n=number, w=words[number])
        pair(req(req_title, author, narrator), itm(title, author), True, f"series naming on the request: {note2}")

    # ------------------------------------------------------------ positives: subtitles
    for title, subtitle, author, narrator in SUBTITLED:
        full = f"{title}: {subtitle}" if subtitle else title
        pair(req(full, author, narrator), itm(title, author), True, "subtitle present on the request only")
        pair(req(title, author, narrator), itm(full + " (Unabridged)", author), True, "subtitle present on the Plex title only")
    pair(req("Project Hail Mary", "Andy Weir"), itm("Project Hail Mary: A Novel", "Andy Weir"), True, "trailing ': A Novel'")
    pair(req("Gone Girl: A Novel", "Gillian Flynn"), itm("Gone Girl", "Gillian Flynn"), True, "': A Novel' on the request")
    pair(req("The Silent Patient", "Alex Michaelides"), itm("The Silent Patient: A Thriller", "Alex Michaelides"), True, "trailing ': A Thriller'")
    pair(req("Educated", "Tara Westover"), itm("Educated - A Memoir", "Westover, Tara"), True, "' - A Memoir' with a dash")
    pair(req("The Hobbit", "J.R.R. Tolkien", "Andy Serkis"), itm("The Hobbit, or There and Back Again", "J. R. R. Tolkien"), True, "alternative title ', or ...'")
    pair(req("Thinking, Fast and Slow", "Daniel Kahneman"), itm("Thinking Fast and Slow", "Daniel Kahneman"), True, "comma dropped inside a title")

    # ------------------------------------------------------------ positives: people
    for title, author, narrator, _s, _n in BOOKS[:24]:
        if "," in author or len(author.split()) < 2:
            continue
        pair(req(title, author, narrator), itm(title, last_first(author)), True, "Plex author as 'Last, First'")
    initials = [
        ("The Fellowship of the Ring", "J.R.R. Tolkien", "Tolkien, J. R. R."),
        ("The Two Towers", "J. R. R. Tolkien", "JRR Tolkien"),
        ("The Return of the King", "Tolkien, J.R.R.", "J.R.R. Tolkien"),
        ("A Game of Thrones", "George R. R. Martin", "George R.R. Martin"),
        ("A Clash of Kings", "George R.R. Martin", "George RR Martin"),
        ("Leviathan Wakes", "James S. A. Corey", "James S.A. Corey"),
        ("Caliban's War", "James S.A. Corey", "Corey, James S. A."),
        ("Harry Potter and the Goblet of Fire", "J.K. Rowling", "J. K. Rowling"),
        ("Harry Potter and the Sorcerer's Stone", "J. K. Rowling", "Rowling, J.K."),
        ("The Lion, the Witch and the Wardrobe", "C. S. Lewis", "C.S. Lewis"),
        ("A Wizard of Earthsea", "Ursula K. Le Guin", "Le Guin, Ursula K."),
        ("The Left Hand of Darkness", "Ursula K. Le Guin", "Ursula Le Guin"),
        ("The Catcher in the Rye", "J. D. Salinger", "JD Salinger"),
        ("The Time Machine", "H. G. Wells", "H.G. Wells"),
        ("Of Human Bondage", "W. Somerset Maugham", "W. Somerset Maugham"),
        ("The Fifth Season", "N. K. Jemisin", "N.K. Jemisin"),
        ("Letter from Birmingham Jail", "Martin Luther King Jr.", "Martin Luther King, Jr."),
        ("Daring Greatly", "Brené Brown PhD LMSW", "Brene Brown"),
        ("The Tipping Point", "Malcolm Gladwell", "Gladwell, Malcolm"),
        ("The Hound of the Baskervilles", "Sir Arthur Conan Doyle", "Arthur Conan Doyle"),
    ]
    for title, a_req, a_item in initials:
        pair(req(title, a_req), itm(title, a_item), True, f"author spelling: {a_req!r} vs {a_item!r}")
    several = [
        ("Good Omens", "Terry Pratchett, Neil Gaiman", "Neil Gaiman & Terry Pratchett"),
        ("Good Omens", "Neil Gaiman; Terry Pratchett", "Terry Pratchett"),
        ("The Talisman", "Stephen King, Peter Straub", "Peter Straub"),
        ("The Talisman", "Stephen King and Peter Straub", "King, Stephen; Straub, Peter"),
        ("Freakonomics", "Steven D. Levitt, Stephen J. Dubner", "Levitt, Steven D.; Dubner, Stephen J."),
        ("Freakonomics", "Steven D. Levitt & Stephen J. Dubner", "Stephen J. Dubner"),
        ("Leviathan Wakes", "Daniel Abraham, Ty Franck", "James S. A. Corey, Daniel Abraham, Ty Franck"),
        ("The Rise and Fall of D.O.D.O.", "Neal Stephenson, Nicole Galland", "Nicole Galland/Neal Stephenson"),
        ("Beautiful Creatures", "Kami Garcia, Margaret Stohl", "Margaret Stohl, Kami Garcia"),
        ("The Odyssey", "Homer", "Homer, translated by Robert Fagles"),
        ("Dune: The Graphic Novel, Book 1", "Frank Herbert, Brian Herbert, Kevin J. Anderson", "Brian Herbert & Kevin J. Anderson"),
    ]
    for title, a_req, a_item in several:
        pair(req(title, a_req), itm(title, a_item), True, f"several authors: {a_req!r} vs {a_item!r}")
    for title, author, narrator, _s, _n in BOOKS[:30]:
        pair(req(title, author, narrator), itm(title, narrator), True, "Plex author is really the narrator")
    for title, _subtitle, author, narrator in SUBTITLED[:6]:
        if narrator != author:
            pair(req(title, author, narrator), itm(f"{title} (Unabridged)", narrator), True,
                 "narrator as Plex author, plus an edition marker")
    for rt, ra, it_, ia in ACCENTED:
        pair(req(rt, ra), itm(it_, ia), True, f"accents/transliteration: {rt!r}/{ra!r} vs {it_!r}/{ia!r}")

    # ------------------------------------------------------------ positives: case & punctuation
    punct = [
        ("Ender's Game", "Orson Scott Card", "Enders Game", "ORSON SCOTT CARD"),
        ("The Hitchhiker's Guide to the Galaxy", "Douglas Adams", "The Hitch-Hiker's Guide to the Galaxy", "Douglas Adams"),
        ("THE MARTIAN", "andy weir", "The Martian", "Andy Weir"),
        ("Carl's Doomsday Scenario", "Matt Dinniman", "Carls Doomsday Scenario", "Matt Dinniman"),
        ("Guards! Guards!", "Terry Pratchett", "Guards Guards", "Terry Pratchett"),
        ("Catch-22", "Joseph Heller", "Catch 22", "Joseph Heller"),
        ("11/22/63", "Stephen King", "11-22-63: A Novel", "Stephen King"),
        ("Fahrenheit 451", "Ray Bradbury", "Fahrenheit 451 (Unabridged)", "Bradbury, Ray"),
        ("Pride & Prejudice", "Jane Austen", "Pride and Prejudice", "Jane Austen"),
        ("Eats, Shoots & Leaves", "Lynne Truss", "Eats Shoots and Leaves", "Lynne Truss"),
        ("The Color of Magic", "Terry Pratchett", "The Colour of Magic", "Terry Pratchett"),
        ("Where the Crawdads Sing", "Delia Owens", "where the crawdads sing", "delia owens"),
        ("The Curious Incident of the Dog in the Night-Time", "Mark Haddon", "The Curious Incident of the Dog in the Night Time", "Mark Haddon"),
        ("Spider-Man: Forever Young", "Stefan Petrucha", "Spiderman: Forever Young", "Stefan Petrucha"),
        ("Mr. Mercedes", "Stephen King", "Mr Mercedes", "Stephen King"),
        ("Ready Player One", "Ernest Cline", "Ready Player One.", "Ernest Cline"),
        ("Dr. No", "Ian Fleming", "Dr No", "Ian Fleming"),
        ("The Handmaid's Tale", "Margaret Atwood", "The Handmaid’s Tale", "Margaret Atwood"),
        ("Harry Potter and the Sorcerer's Stone", "J.K. Rowling", "Harry Potter and the Sorceror's Stone", "J.K. Rowling"),
    ]
    for rt, ra, it_, ia in punct:
        pair(req(rt, ra), itm(it_, ia), True, f"case/punctuation: {rt!r} vs {it_!r}")

    # ------------------------------------------------------------ positives: ASIN
    for i, (title, author, narrator, _s, _n) in enumerate(BOOKS[:36]):
        a = asin(title)
        kind = i % 6
        if kind == 0:
            item = itm(title, author, guid=f"com.plexapp.agents.audnexus://{a}_us?lang=en")
            note = "ASIN in audnexus guid"
        elif kind == 1:
            item = itm("Unknown Album", "Unknown Artist", guid=f"com.plexapp.agents.audnexus://{a.lower()}_uk?lang=en")
            note = "ASIN in audnexus guid (lower case) beats a useless title"
        elif kind == 2:
            item = itm(f"{title} - Track 01", narrator, guid=f"com.plexapp.agents.audible://{a}?lang=en")
            note = "ASIN in legacy audible guid, messy title"
        elif kind == 3:
            item = itm(title, author, file_path=path_for(author, title, f" [{a}]"))
            note = "bracketed [ASIN] in folder name"
        elif kind == 4:
            item = itm(title.upper(), None, asin_=a.lower())
            note = "ASIN field, different case"
        else:
            item = itm("Disc 1", None, file_path=f"/mnt/books/{author}/{title} {{{narrator}}} [{a}]/Disc 1.mp3")
            note = "bracketed ASIN in a path, no usable title"
        pair(req(title, author, narrator, a.lower() if i % 2 else a), item, True, note)
    pair(req("Dune", "Frank Herbert", None, "0441172717"),
         itm("Dune (Dune Chronicles 1)", "Frank Herbert", file_path="/books/Frank Herbert/Dune [0441172717]/dune.m4b"),
         True, "ISBN-10 in brackets counts as an ASIN")

    # ------------------------------------------------------------ positives: not-ASINs in paths
    not_asin = [
        ("Project Hail Mary", "Andy Weir", "/audiobooks/Andy Weir/Project Hail Mary [Unabridged]/Project Hail Mary.m4b", "[Unabridged] in the path is not an ASIN"),
        ("The Martian", "Andy Weir", "/audiobooks/Andy Weir/The Martian [9780553418026]/The Martian.m4b", "ISBN-13 in the path is not an ASIN"),
        ("Circe", "Madeline Miller", "/audiobooks/Madeline Miller/Circe (2018) [Retail]/Circe.m4b", "[Retail] and a year are not ASINs"),
        ("Red Rising", "Pierce Brown", "/audiobooks/Pierce Brown/Red Rising B00I2VWW5U/01.mp3", "an unbracketed ten-character token is not an ASIN"),
    ]
    for title, author, path, note in not_asin:
        pair(req(title, author, None, asin(title + "/request")), itm(title, author, file_path=path), True,
             note + "; request ASIN, item without one: fuzzy")
    for title, author, _n, _s, _k in BOOKS[40:46]:
        pair(req(title, author, None, asin(title)),
             itm(title, author, guid="plex://album/5d07bbfc403c6402904a5ec9"),
             True, "plex:// guid carries no ASIN: fuzzy decides")

    # ------------------------------------------------------------ positives: missing authors
    for title, author, narrator, _s, _n in BOOKS[52:64]:
        pair(req(title, author, narrator), itm(title, None), True, "Plex item without author, exact title")
    for title, author, _narrator, _s, _n in BOOKS[64:70]:
        pair(req(title, None), itm(title + " (Unabridged)", author), True, "request without author, exact title")
    pair(req("Sapiens", "Yuval Noah Harari"), itm("Sapiens", "Various Authors"), True, "'Various Authors' is no author")

    # ------------------------------------------------------------ true pairs beyond the matcher
    pair(req("Nineteen Eighty-Four", "George Orwell"), itm("1984", "George Orwell"), True,
         "HARD: same book, number written in words vs digits")
    pair(req("Atomic Habits: An Easy & Proven Way to Build Good Habits & Break Bad Ones", "James Clear"),
         itm("Atomic Habits: Tiny Changes, Remarkable Results", "James Clear"), True,
         "HARD: same book, audiobook subtitle vs hardcover subtitle")
    pair(req("The Cuckoo's Calling", "Robert Galbraith"), itm("The Cuckoo's Calling", "J.K. Rowling"), True,
         "HARD: pseudonym vs real name")
    pair(req("Project Hail Mary", "Andy Weir"), itm("Project Hail Mary", "Ray Porter"), True,
         "HARD: Plex author is the narrator but the request names no narrator")
    pair(req("Sapiens: A Brief History of Humankind", "Yuval Noah Harari"), itm("Sapiens", None), True,
         "HARD: subtitle difference and no Plex author")
    pair(req("Harry Potter and the Philosopher's Stone", "J.K. Rowling"),
         itm("Harry Potter and the Sorcerer's Stone", "J.K. Rowling"), True,
         "HARD: UK vs US title of the same book")

    # ============================================================ negatives
    # sequels and neighbours in a series, in several naming styles
    neighbour_styles = [
        ("{t}", "{t}", "plain titles"),
        ("{t}", "{t} (Unabridged)", "edition marker on the neighbour"),
        ("{t}: {s}, Book {n}", "{t}: {s}, Book {n}", "both with series suffix"),
        ("{t}", "{s} {n} - {t}", "folder-style neighbour"),
    ]
    k = 0
    for a, b in zip(series_books, series_books[1:]):
        if a[3] != b[3]:
            continue
        ra_fmt, ib_fmt, note = neighbour_styles[k % len(neighbour_styles)]
        k += 1
        pair(req(ra_fmt.format(t=a[0], s=a[3], n=a[4]), a[1], a[2]),
             itm(ib_fmt.format(t=b[0], s=b[3], n=b[4]), b[1]), False,
             f"next book in the series ({note}): {a[0]!r} vs {b[0]!r}")
        pair(req(ib_fmt.format(t=b[0], s=b[3], n=b[4]), b[1], b[2]),
             itm(ra_fmt.format(t=a[0], s=a[3], n=a[4]), a[1]), False,
             f"previous book in the series ({note}): {b[0]!r} vs {a[0]!r}")
    traps = [
        ("Foundation", "Isaac Asimov", "Foundation and Empire", "Isaac Asimov", "spec trap: Foundation vs Foundation and Empire"),
        ("Foundation", "Isaac Asimov", "Second Foundation", "Isaac Asimov", "Foundation vs Second Foundation"),
        ("Foundation", "Isaac Asimov", "Foundation's Edge", "Isaac Asimov", "Foundation vs Foundation's Edge"),
        ("Foundation", "Isaac Asimov", "Prelude to Foundation", "Isaac Asimov", "Foundation vs Prelude to Foundation"),
        ("Dune", "Frank Herbert", "Dune Messiah", "Frank Herbert", "spec trap: Dune vs Dune Messiah"),
        ("Dune", "Frank Herbert", "Children of Dune", "Frank Herbert", "Dune vs Children of Dune"),
        ("Dune", "Frank Herbert", "God Emperor of Dune (Unabridged)", "Frank Herbert", "Dune vs God Emperor of Dune"),
        ("Dune", "Frank Herbert", "Dune: House Atreides", "Brian Herbert, Kevin J. Anderson", "Dune vs a prequel by other authors"),
        ("Dune", "Frank Herbert", "Hunters of Dune", "Brian Herbert & Kevin J. Anderson", "Dune vs Hunters of Dune"),
        ("The Shining", "Stephen King", "Doctor Sleep", "Stephen King", "sequel with a different title"),
        ("Ready Player One", "Ernest Cline", "Ready Player Two", "Ernest Cline", "One vs Two"),
        ("The Hunger Games", "Suzanne Collins", "The Ballad of Songbirds and Snakes (A Hunger Games Novel)", "Suzanne Collins", "prequel naming the series"),
        ("Harry Potter and the Goblet of Fire", "J.K. Rowling", "Harry Potter and the Order of the Phoenix", "J.K. Rowling", "Harry Potter 4 vs 5"),
        ("Harry Potter and the Half-Blood Prince", "J.K. Rowling", "Harry Potter and the Deathly Hallows", "J.K. Rowling", "Harry Potter 6 vs 7"),
        ("Harry Potter and the Cursed Child", "J.K. Rowling, Jack Thorne, John Tiffany", "Harry Potter and the Chamber of Secrets", "J.K. Rowling", "Harry Potter spin-off vs book 2"),
        ("The Expanse, Book 2", "James S. A. Corey", "The Expanse, Book 3", "James S. A. Corey", "spec trap: Book 2 vs Book 3 with nothing else"),
        ("The Expanse Book 5", "James S. A. Corey", "The Expanse Book 6", "James S. A. Corey", "Book 5 vs Book 6"),
        ("The Stormlight Archive, Vol. 1", "Brandon Sanderson", "The Stormlight Archive, Vol. 2", "Brandon Sanderson", "Vol. 1 vs Vol. 2"),
        ("Sapiens: A Graphic History, Volume 1", "Yuval Noah Harari", "Sapiens: A Graphic History, Volume 2", "Yuval Noah Harari", "Volume 1 vs Volume 2"),
        ("Sapiens: A Brief History of Humankind", "Yuval Noah Harari", "Sapiens: A Graphic History, Volume 1", "Yuval Noah Harari, David Vandermeulen", "graphic adaptation vs the book"),
        ("Dungeon Crawler Carl, Book 1", "Matt Dinniman", "Dungeon Crawler Carl, Book 2", "Matt Dinniman", "DCC Book 1 vs Book 2 titled by series"),
        ("Wheel of Time #1", "Robert Jordan", "Wheel of Time #2", "Robert Jordan", "#1 vs #2"),
        ("Discworld Book 1", "Terry Pratchett", "Discworld Book II", "Terry Pratchett", "Book 1 vs Book II"),
        ("The Sandman: Act II", "Neil Gaiman, Dirk Maggs", "The Sandman: Act III", "Neil Gaiman", "Act II vs Act III"),
        ("Mistborn: The Final Empire", "Brandon Sanderson", "Mistborn: Secret History", "Brandon Sanderson", "two Mistborn books with different subtitles"),
        ("Percy Jackson and the Olympians: The Lightning Thief", "Rick Riordan", "Percy Jackson and the Olympians: The Sea of Monsters", "Rick Riordan", "series as title prefix, different books"),
        ("The Dark Tower", "Stephen King", "The Dark Half", "Stephen King", "same author, one word differs"),
        ("The Dark Tower I: The Gunslinger", "Stephen King", "The Dark Tower II: The Drawing of the Three", "Stephen King", "Dark Tower I vs II"),
        ("Fire & Blood", "George R. R. Martin", "A Feast for Crows", "George R. R. Martin", "same author, unrelated titles"),
        ("The Name of the Wind", "Patrick Rothfuss", "The Slow Regard of Silent Things", "Patrick Rothfuss", "novella of the same series"),
        ("American Gods", "Neil Gaiman", "Anansi Boys", "Neil Gaiman", "companion novel"),
        ("Red Rising", "Pierce Brown", "Iron Gold", "Pierce Brown", "same series, later book"),
        ("Fourth Wing", "Rebecca Yarros", "Onyx Storm", "Rebecca Yarros", "Empyrean 1 vs 3"),
        ("Caliban's War", "James S. A. Corey", "The Expanse 3 - Abaddon's Gate", "James S. A. Corey", "Expanse 2 vs folder-style 3"),
        ("Words of Radiance (The Stormlight Archive #2)", "Brandon Sanderson", "Oathbringer (The Stormlight Archive #3)", "Brandon Sanderson", "#2 vs #3 in parentheses"),
        ("Oathbringer", "Brandon Sanderson", "Rhythm of War: Book Four of the Stormlight Archive", "Brandon Sanderson", "Stormlight 3 vs 4"),
        ("The Two Towers", "J.R.R. Tolkien", "The Return of the King: Being the Third Part of The Lord of the Rings", "J.R.R. Tolkien", "LotR 2 vs 3"),
        ("Artemis", "Andy Weir", "Artemis Fowl", "Eoin Colfer", "title is a prefix of another author's title"),
        ("Artemis Fowl", "Eoin Colfer", "Artemis Fowl and the Arctic Incident", "Eoin Colfer", "Artemis Fowl 1 vs 2"),
        ("Good Omens", "Terry Pratchett, Neil Gaiman", "Good Omens: The Quite Nice and Fairly Accurate Good Omens Script Book", "Neil Gaiman", "novel vs script book"),
    ]
    for rt, ra, it_, ia, note in traps:
        pair(req(rt, ra), itm(it_, ia), False, note)

    # short titles
    short = [
        ("It", "Stephen King", "It Ends with Us", "Colleen Hoover", "spec: It vs It Ends with Us"),
        ("It", "Stephen King", "It Starts with Us", "Colleen Hoover", "It vs It Starts with Us"),
        ("It", None, "It Ends with Us", None, "It vs It Ends with Us with no authors"),
        ("Night", "Elie Wiesel", "Night Shift", "Stephen King", "Night vs Night Shift"),
        ("Carrie", "Stephen King", "Carrie Soto Is Back", "Taylor Jenkins Reid", "Carrie vs Carrie Soto Is Back"),
        ("Room", "Emma Donoghue", "A Room of One's Own", "Virginia Woolf", "Room vs A Room of One's Own"),
        ("Emma", "Jane Austen", "Emma in the Night", "Wendy Walker", "Emma vs Emma in the Night"),
        ("Us", "David Nicholls", "It Ends with Us", "Colleen Hoover", "Us vs ... with Us"),
        ("The Power", "Naomi Alderman", "The Power of Now", "Eckhart Tolle", "The Power vs The Power of Now"),
        ("Hamnet", "Maggie O'Farrell", "Hamlet", "William Shakespeare", "one letter apart"),
        ("Wool", "Hugh Howey", "Wool Omnibus", "Hugh Howey", "Wool vs Wool Omnibus"),
        ("Dracula", "Bram Stoker", "Dracula's Guest", "Bram Stoker", "Dracula vs Dracula's Guest"),
        ("Misery", "Stephen King", "Misery Loves Company", "Rene Denfeld", "Misery vs Misery Loves Company"),
        ("Blink", "Malcolm Gladwell", "Blink of an Eye", "Unknown", "Blink vs Blink of an Eye"),
        ("Rebecca", "Daphne du Maurier", "Rebecca's Tale", "Sally Beauman", "Rebecca vs Rebecca's Tale"),
    ]
    for rt, ra, it_, ia, note in short:
        pair(req(rt, ra), itm(it_, ia), False, note)

    # same title, another author
    same_title = [
        ("The Outsider", "Stephen King", "The Outsider", "Albert Camus"),
        ("The Road", "Cormac McCarthy", "The Road", "Jack London"),
        ("The Alchemist", "Paulo Coelho", "The Alchemist", "Ben Jonson"),
        ("Twilight", "Stephenie Meyer", "Twilight", "Elie Wiesel"),
        ("Origin", "Dan Brown", "Origin", "Jessica Khoury"),
        ("The Stranger", "Albert Camus", "The Stranger", "Harlan Coben"),
        ("Cosmos", "Carl Sagan", "Cosmos", "Witold Gombrowicz"),
        ("The Secret", "Rhonda Byrne", "The Secret", "Lee Child, Andrew Child"),
        ("The Witches", "Roald Dahl", "The Witches: Salem, 1692", "Stacy Schiff"),
        ("It", "Stephen King", "It", "Alexa Chung"),
        ("Joyland", "Stephen King", "Joyland", "Emily Schultz"),
        ("Fairy Tale", "Stephen King", "Fairytale", "Danielle Steel"),
        ("The Martian", "Andy Weir", "The Martian", "George du Maurier"),
        ("Circe", "Madeline Miller", "Circe (Unabridged)", "Eudora Welty"),
    ]
    for rt, ra, it_, ia in same_title:
        pair(req(rt, ra), itm(it_, ia), False, f"same title, another author: {ra} vs {ia}")
    # same title, author missing on the request, but the Plex author is someone else entirely:
    # still a different book -- yet without an author the matcher cannot know; not included.

    # editions with different ASINs
    editions = [
        ("Dune", "Frank Herbert", "Dune (Dramatized Adaptation)", "asin field vs asin field"),
        ("The Hobbit", "J.R.R. Tolkien", "The Hobbit", "Serkis vs Inglis recording"),
        ("Harry Potter and the Sorcerer's Stone", "J.K. Rowling", "Harry Potter and the Sorcerer's Stone", "Jim Dale vs another edition"),
        ("Pride and Prejudice", "Jane Austen", "Pride and Prejudice (Unabridged)", "two classic recordings"),
        ("The Fellowship of the Ring", "J.R.R. Tolkien", "The Fellowship of the Ring (BBC Radio Dramatization)", "radio drama vs unabridged"),
        ("A Game of Thrones", "George R. R. Martin", "A Game of Thrones (Abridged)", "abridged vs unabridged"),
        ("1984", "George Orwell", "1984", "two narrators"),
        ("The Great Gatsby", "F. Scott Fitzgerald", "The Great Gatsby", "many public-domain editions"),
    ]
    for i, (rt, ra, it_, note) in enumerate(editions):
        a_req, a_item = asin(rt + "/ed1"), asin(rt + "/ed2")
        where = i % 4
        if where == 0:
            item = itm(it_, ra, asin_=a_item)
        elif where == 1:
            item = itm(it_, ra, guid=f"com.plexapp.agents.audnexus://{a_item}_us?lang=en")
        elif where == 2:
            item = itm(it_, ra, file_path=path_for(ra, it_, f" [{a_item}]"))
        else:
            item = itm(it_, ra, guid=f"com.plexapp.agents.audible://{a_item.lower()}?lang=en")
        pair(req(rt, ra, None, a_req), item, False, f"spec trap: another edition, different ASIN ({note})")

    # omnibus vs single
    omnibus = [
        ("The Fellowship of the Ring", "J.R.R. Tolkien", "The Lord of the Rings Box Set (Books 1-3)", "J.R.R. Tolkien"),
        ("The Two Towers", "J.R.R. Tolkien", "The Lord of the Rings: The Fellowship of the Ring, The Two Towers, The Return of the King", "J.R.R. Tolkien"),
        ("The Hunger Games", "Suzanne Collins", "The Hunger Games Trilogy", "Suzanne Collins"),
        ("Foundation", "Isaac Asimov", "The Foundation Trilogy", "Isaac Asimov"),
        ("The Final Empire", "Brandon Sanderson", "Mistborn Trilogy Boxed Set", "Brandon Sanderson"),
        ("Harry Potter and the Sorcerer's Stone", "J.K. Rowling", "Harry Potter: The Complete Collection (1-7)", "J.K. Rowling"),
        ("The Hitchhiker's Guide to the Galaxy", "Douglas Adams", "The Hitchhiker's Guide to the Galaxy: The Trilogy of Five", "Douglas Adams"),
        ("The Eye of the World", "Robert Jordan", "The Wheel of Time: Books 1-3", "Robert Jordan"),
        ("Red Rising", "Pierce Brown", "Red Rising Trilogy (Books 1-3)", "Pierce Brown"),
        ("The Hound of the Baskervilles", "Arthur Conan Doyle", "Sherlock Holmes: The Complete Novels and Stories", "Arthur Conan Doyle"),
        ("The Girl with the Dragon Tattoo", "Stieg Larsson", "The Millennium Trilogy", "Stieg Larsson"),
        ("Leviathan Wakes", "James S. A. Corey", "The Expanse Books 1 - 3", "James S. A. Corey"),
        ("Dungeon Crawler Carl", "Matt Dinniman", "Dungeon Crawler Carl: Books 1-3 Omnibus", "Matt Dinniman"),
        ("A Study in Scarlet", "Arthur Conan Doyle", "Sherlock Holmes: The Definitive Collection", "Arthur Conan Doyle"),
        ("The Lion, the Witch and the Wardrobe", "C. S. Lewis", "The Chronicles of Narnia Box Set", "C. S. Lewis"),
    ]
    for rt, ra, it_, ia in omnibus:
        pair(req(rt, ra), itm(it_, ia), False, f"single volume vs omnibus: {it_!r}")
        pair(req(it_, ia), itm(rt, ra), False, f"omnibus request vs single volume: {it_!r}")

    # "Series: Title" -- the series name is also book one's title
    prefix_neg = [
        ("The Hunger Games", "Suzanne Collins", "The Hunger Games: Catching Fire"),
        ("Artemis Fowl", "Eoin Colfer", "Artemis Fowl: The Arctic Incident"),
        ("Red Rising", "Pierce Brown", "Red Rising: Golden Son"),
        ("The Sandman", "Neil Gaiman, Dirk Maggs", "The Sandman: Act II"),
        ("Outlander", "Diana Gabaldon", "Outlander: Dragonfly in Amber"),
        ("A Court of Thorns and Roses", "Sarah J. Maas", "A Court of Thorns and Roses: A Court of Mist and Fury"),
        ("Throne of Glass", "Sarah J. Maas", "Throne of Glass: Crown of Midnight"),
        ("Shadow and Bone", "Leigh Bardugo", "Shadow and Bone: Siege and Storm"),
        ("Divergent", "Veronica Roth", "Divergent: Insurgent"),
        ("The Maze Runner", "James Dashner", "The Maze Runner: The Scorch Trials"),
        ("Twilight", "Stephenie Meyer", "Twilight: New Moon"),
        ("Mistborn", "Brandon Sanderson", "Mistborn: The Well of Ascension"),
        ("Star Wars: Thrawn", "Timothy Zahn", "Star Wars: Thrawn: Alliances"),
    ]
    for rt, ra, it_ in prefix_neg:
        pair(req(rt, ra), itm(it_, ra), False, f"series name that is also book one's title vs a later book: {it_!r}")
        pair(req(it_, ra), itm(rt, ra), False, f"later book written 'Series: Title' vs book one: {it_!r}")
    more_neg = [
        ("Discworld: Mort", "Terry Pratchett", "Discworld: Guards! Guards!", "Terry Pratchett", "same series prefix, different books"),
        ("The Lord of the Rings: The Two Towers", "J.R.R. Tolkien", "The Lord of the Rings: The Return of the King", "J.R.R. Tolkien", "same series prefix, different books"),
        ("Star Wars: Heir to the Empire", "Timothy Zahn", "Star Wars: Dark Force Rising", "Timothy Zahn", "same series prefix, different books"),
        ("Sherlock Holmes: A Study in Scarlet", "Arthur Conan Doyle", "Sherlock Holmes: The Sign of Four", "Arthur Conan Doyle", "same series prefix, different books"),
        ("Jack Reacher: Killing Floor", "Lee Child", "Jack Reacher: Die Trying", "Lee Child", "same series prefix, different books"),
        ("2001: A Space Odyssey", "Arthur C. Clarke", "2010: Odyssey Two", "Arthur C. Clarke", "2001 vs 2010"),
        ("2001: A Space Odyssey", "Arthur C. Clarke", "3001: The Final Odyssey", "Arthur C. Clarke", "2001 vs 3001"),
        ("The 7 Habits of Highly Effective People", "Stephen R. Covey", "The 8th Habit", "Stephen R. Covey", "7 vs 8th"),
        ("The Martian", "Andy Weir", "The Martian Chronicles", "Ray Bradbury", "extra word and another author"),
        ("Neuromancer", "William Gibson", "Necromancer", "Gordon R. Dickson", "near-identical spelling, another author"),
        ("Becoming", "Michelle Obama", "Becoming Supernatural", "Joe Dispenza", "prefix title"),
        ("Thrawn", "Timothy Zahn", "Thrawn: Treason", "Timothy Zahn", "Thrawn vs Thrawn: Treason"),
    ]
    more_neg += [
        ("Words of Radiance", "Brandon Sanderson", "Words of Radiance (Part 1 of 2)", "Brandon Sanderson", "whole book vs one part of a split edition"),
        ("Words of Radiance (Part 1 of 2)", "Brandon Sanderson", "Words of Radiance, Part 2 of 2", "Brandon Sanderson", "part 1 vs part 2 of a split edition"),
        ("A Storm of Swords", "George R. R. Martin", "A Storm of Swords: Steel and Snow", "George R. R. Martin", "whole book vs its first UK half"),
        ("A Storm of Swords: Steel and Snow", "George R. R. Martin", "A Storm of Swords: Blood and Gold", "George R. R. Martin", "the two UK halves of one book"),
        ("The Way of Kings", "Brandon Sanderson", "The Way of Kings Prime", "Brandon Sanderson", "the book vs its early draft"),
        ("Men Without Women", "Ernest Hemingway", "Men Without Women", "Haruki Murakami", "same title, another author (both real)"),
        ("Oathbringer", "Brandon Sanderson", "Oathbringer (1 of 3) [Dramatized Adaptation]", "Brandon Sanderson", "whole book vs part 1 of 3"),
    ]
    for rt, ra, it_, ia, note in more_neg:
        pair(req(rt, ra), itm(it_, ia), False, note)
    prefix_pos = [
        ("Catching Fire", "Suzanne Collins", "The Hunger Games: Catching Fire", "series name as a prefix"),
        ("The Well of Ascension", "Brandon Sanderson", "Mistborn: The Well of Ascension", "series name as a prefix"),
        ("Leviathan Wakes", "James S. A. Corey", "The Expanse: Leviathan Wakes", "series name as a prefix"),
        ("Killing Floor", "Lee Child", "Jack Reacher: Killing Floor", "series name as a prefix"),
        ("Thrawn", "Timothy Zahn", "Star Wars: Thrawn", "franchise name as a prefix"),
        ("The Arctic Incident", "Eoin Colfer", "Artemis Fowl: The Arctic Incident", "series name as a prefix"),
        ("A Court of Mist and Fury", "Sarah J. Maas", "A Court of Thorns and Roses 2 - A Court of Mist and Fury", "numbered series prefix"),
        ("Mort", "Terry Pratchett", "Discworld 04 - Mort", "numbered series prefix"),
        ("The Hobbit", "J.R.R. Tolkien", "The Hobbit: Or There and Back Again", "alternative title after ': Or'"),
        ("2001: A Space Odyssey", "Arthur C. Clarke", "2001 - A Space Odyssey (Unabridged)", "a number that is the title"),
        ("The 7 Habits of Highly Effective People", "Stephen R. Covey", "The 7 Habits of Highly Effective People: 30th Anniversary Edition", "anniversary edition marker"),
        ("Outliers", "Malcolm Gladwell", "Outliers - The Story of Success", "subtitle after ' - '"),
    ]
    prefix_pos += [
        ("Leviathan Wakes: The Expanse", "James S. A. Corey", "The Expanse: Leviathan Wakes", "title and series in either order"),
        ("Words of Radiance (2 of 2)", "Brandon Sanderson", "Words of Radiance, Part 2 of 2", "the same part of a split edition"),
        ("The Stand", "Stephen King", "The Stand: The Complete and Uncut Edition", "edition subtitle"),
    ]
    for rt, ra, it_, note in prefix_pos:
        pair(req(rt, ra), itm(it_, ra), True, f"{note} (on the Plex title): {it_!r}")
        pair(req(it_, ra), itm(rt, ra), True, f"{note} (on the request): {it_!r}")

    # things that look like ASINs and are not
    pair(req("Project Hail Mary", "Andy Weir", None, "B0ABCDEFGH"),
         itm("The Martian", "Andy Weir", guid="plex://album/B0ABCDEFGH"), False,
         "plex:// hash equal to the request ASIN is not an ASIN; titles differ")
    pair(req("Artemis", "Andy Weir", None, "B08G9PRS1K"),
         itm("The Martian", "Andy Weir", file_path="/audiobooks/Andy Weir/B08G9PRS1K - The Martian/01.mp3"), False,
         "unbracketed ASIN-like token in a path does not count")
    pair(req("Dune", "Frank Herbert", None, "0441172719"),
         itm("Dune Messiah", "Frank Herbert", file_path="/audiobooks/Frank Herbert/Dune Messiah [9780441172719]/x.m4b"), False,
         "ISBN-13 in brackets is not an ISBN-10 ASIN")
    pair(req("Circe", "Madeline Miller", None, "UNABRIDGED"),
         itm("Galatea", "Madeline Miller", file_path="/audiobooks/Madeline Miller/Galatea [Unabridged]/g.m4b"), False,
         "'UNABRIDGED' is not an ASIN on either side")
    pair(req("The Martian", "Andy Weir", None, asin("The Martian/x")),
         itm("Project Hail Mary", "Andy Weir", guid=f"com.plexapp.agents.none://{asin('The Martian/x')}"), False,
         "guid of a non-Audible agent does not carry an ASIN")


def main() -> None:
    PAIRS.clear()
    build()
    with OUT.open("w", encoding="utf-8") as fh:
        for p in PAIRS:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    pos = sum(p["expected"] for p in PAIRS)
    print(f"wrote {len(PAIRS)} pairs ({pos} positive, {len(PAIRS) - pos} negative) to {OUT}")


if __name__ == "__main__":
    main()
