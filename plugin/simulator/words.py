"""The sample catalogue's raw material: the word lists that titles, names, summaries,
genres and publishers are drawn from (``curated`` holds the fixed real books)."""
from __future__ import annotations

INITIALS = "ABCDEFGHJKLMNOPRSTVW"

ADJ = (
    "Silent", "Hidden", "Last", "Broken", "Burning", "Forgotten", "Crimson", "Iron", "Glass",
    "Hollow", "Midnight", "Winter", "Golden", "Shattered", "Distant", "Wild", "Secret", "Lost",
    "Bright", "Dark", "Quiet", "Savage", "Endless", "Fallen", "Frozen", "Scarlet", "Sleeping",
    "Wandering", "Invisible", "Northern", "Ancient", "Bitter", "Cold", "Deep", "Eternal",
    "Gentle", "Grey", "Lonely", "Mortal", "Narrow", "Pale", "Restless", "Sacred", "Salt",
    "Stolen", "Sunken", "Twisted", "Velvet", "Wicked", "Wooden", "Copper", "Electric",
    "Infinite", "Luminous", "Obsidian", "Paper", "Radiant", "Starlit", "Tender", "Vanishing",
    "Drowned", "Painted", "Silver", "Black", "White", "Red", "Burnt", "Hungry", "Little",
    "Long", "Kind", "Strange",
)
NOUN = (
    "Garden", "River", "Kingdom", "Crown", "Storm", "Harbor", "Lighthouse", "Orchard",
    "Cathedral", "Empire", "Witness", "Promise", "Mirror", "Labyrinth", "Compass", "Archive",
    "Frontier", "Sky", "Tide", "Ember", "Throne", "Forest", "Island", "Bridge", "Library",
    "Station", "Circus", "Voyage", "Covenant", "Cipher", "Horizon", "Citadel", "Engine", "Gate",
    "Key", "Lantern", "Machine", "Map", "Ocean", "Path", "Prophecy", "Queen", "Road", "Shore",
    "Signal", "Song", "Star", "Sword", "Tower", "Valley", "Wall", "Wolf", "Widow", "Daughter",
    "Son", "Stranger", "Assassin", "Alchemist", "Archer", "Astronaut", "Cartographer",
    "Detective", "Diplomat", "Heir", "Hunter", "Keeper", "Magician", "Navigator", "Pilgrim",
    "Prisoner", "Spy", "Thief", "Watchman", "Apprentice", "Bookseller", "Clockmaker",
    "Ferryman", "Gardener", "Lodger", "Orphan", "Physician", "Sculptor", "Shepherd", "Sister",
    "Beekeeper", "Mapmaker", "Silence", "Winter", "House", "Letter", "Inheritance", "Harvest",
)
PLURAL = (
    "Stars", "Shadows", "Kings", "Wolves", "Ashes", "Bones", "Tides", "Storms", "Ghosts",
    "Mirrors", "Embers", "Rivers", "Thieves", "Saints", "Crowns", "Echoes", "Secrets", "Lies",
    "Dragons", "Machines", "Gods", "Angels", "Ravens", "Roses", "Swords", "Islands", "Oceans",
    "Cities", "Giants", "Strangers", "Sisters", "Brothers", "Queens", "Exiles", "Heroes",
    "Monsters", "Orphans", "Spies", "Winds", "Flames", "Lanterns", "Letters", "Wives", "Sons",
)
PLACE = (
    "Avalon", "Tarsis", "Meridian", "Kestrel Bay", "Ashford", "Blackwater", "Ravenhollow",
    "Eldmoor", "the North", "the Deep", "Mars", "Europa", "Titan", "Ceres", "Venice", "Prague",
    "Lisbon", "Marrakesh", "Havana", "Kyoto", "Saigon", "Cairo", "Istanbul", "Brooklyn",
    "Montana", "Alaska", "Cornwall", "Yorkshire", "the Outer Rim", "Galveston", "Savannah",
    "New Orleans", "the Highlands", "Barcelona", "Reykjavík", "Kraków", "São Paulo", "Zürich",
    "Oaxaca", "the Steppe", "Andalusia", "Malmö",
)
MYTH = (
    "Leviathan", "Babylon", "Prometheus", "Icarus", "Hydra", "Cerberus", "Orion", "Andromeda",
    "Phoenix", "Medusa", "Atlas", "Nemesis", "Pandora", "Chimera", "Kraken", "Minotaur",
    "Gorgon", "Sphinx", "Tiamat", "Ragnarok", "Olympus", "Valhalla", "Caliban", "Abaddon",
    "Cibola", "Persepolis", "Janus", "Hyperion", "Elysium", "Oberon",
)
VERB3 = (
    "Wakes", "Falls", "Rises", "Burns", "Returns", "Awakens", "Remembers", "Sleeps", "Dreams",
    "Descends", "Calls", "Breaks", "Sings", "Hunts", "Waits", "Bleeds", "Ascends", "Endures",
    "Whispers", "Turns",
)
GERUND = (
    "Chasing", "Finding", "Saving", "Crossing", "Hunting", "Remembering", "Becoming", "Keeping",
    "Losing", "Breaking", "Waiting for", "Following", "Leaving", "Guarding", "Mapping",
    "Stealing", "Burying", "Reading", "Drawing", "Counting",
)
ABSTRACT = (
    "Habit", "Attention", "Sleep", "Memory", "Focus", "Silence", "Fear", "Courage", "Trust",
    "Money", "Time", "Influence", "Solitude", "Grit", "Wonder", "Change", "Risk", "Luck",
    "Empathy", "Failure", "Curiosity", "Discipline", "Kindness", "Power", "Persuasion", "Rest",
    "Grief", "Ambition", "Hope", "Doubt",
)
PEOPLE = (
    "Leaders", "Scientists", "Children", "Athletes", "Strangers", "Monks", "Soldiers",
    "Investors", "Doctors", "Teachers", "Artists", "Explorers", "Immigrants", "Engineers",
)
SERIES_KIND = ("Chronicles", "Saga", "Cycle", "Trilogy", "Sequence", "Archives", "Series", "Quartet")

FIRST = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Margaret",
    "Mark", "Sandra", "Steven", "Ashley", "Andrew", "Emily", "Joshua", "Michelle", "Kevin",
    "Amanda", "Brian", "Melissa", "George", "Rebecca", "Edward", "Laura", "Ronald", "Helen",
    "Timothy", "Anna", "Jason", "Ruth", "Jeffrey", "Olivia", "Ryan", "Chloe", "Gary", "Grace",
    "Nicholas", "Hannah", "Eric", "Julia", "Stephen", "Claire", "Jonathan", "Alice", "Larry",
    "Diana", "Justin", "Naomi", "Scott", "Harriet", "Brandon", "Iris", "Benjamin", "Freya",
    "Samuel", "Ingrid", "Gregory", "Leila", "Alexander", "Maya", "Frank", "Nadia", "Patrick",
    "Yuki", "Raymond", "Priya", "Jack", "Amara", "Dennis", "Elena", "Jerry", "Sofia", "Tyler",
    "Ayesha", "Aaron", "Chiara", "José", "Zoë", "Henry", "Renée", "Adam", "Siobhán", "Douglas",
    "Ines", "Nathan", "Agnès", "Peter", "Björn", "Zachary", "Søren", "Kyle", "Amélie",
    "Walter", "Hélène", "Ethan", "Noor", "Jeremy", "Tomás", "Harold", "Mikael", "Keith",
    "Kenji", "Roger", "Ngozi", "Carlos", "Oona", "Lincoln", "Rafael",
)
LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gómez", "Phillips", "Evans",
    "Turner", "Díaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward",
    "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza",
    "Ruiz Zafón", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long",
    "Ross", "Foster", "Jiménez", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell",
    "Coleman", "Butler", "Henderson", "Barnes", "Fischer", "Müller", "Schäfer", "Nesbø",
    "Lindqvist", "Sørensen", "Åberg", "Ishiguro", "Murakami", "Okafor", "Adeyemi", "Brontë",
    "Dubois", "Lefèvre", "Moreau", "Rossi", "Esposito", "Kowalski", "Nowak", "Dvořák",
    "Novák", "O'Brien", "McCarthy", "Fitzgerald", "Byrne", "Ó Súilleabháin", "Hartmann",
    "Castellanos", "Ferreira", "Gonçalves", "Yılmaz", "Papadopoulos", "Ivanova", "Haddad",
    "Mahfouz", "Tanaka", "Sato", "Child", "Preston", "Corey", "Blackwood", "Ashdown",
    "Whitlock", "Holloway", "Pennington", "Thornbury", "Vance", "Marlowe",
)
PUBLISHERS = (
    "Audible Studios", "Penguin Audio", "Random House Audio", "HarperAudio", "Macmillan Audio",
    "Brilliance Audio", "Tantor Audio", "Blackstone Publishing", "Recorded Books",
    "Hachette Audio", "Simon & Schuster Audio", "Podium Audio", "Dreamscape Media",
    "W. F. Howes Ltd", "Naxos AudioBooks", "Orion Publishing Group", "Bolinda Publishing",
)
GENRES_FICTION = (
    "Science Fiction", "Fantasy", "Mystery", "Thriller", "Literary Fiction", "Historical Fiction",
    "Horror", "Romance", "Suspense", "Young Adult",
)
GENRES_NONFICTION = (
    "Biography & Memoir", "History", "Self Development", "Business & Careers",
    "Science & Engineering", "Health & Wellness", "Politics & Social Sciences",
)
EDITIONS = (
    (" (Unabridged)", 0.10), (" (Dramatized Adaptation)", 0.015), (" (Full Cast)", 0.015),
    (": A Novel", 0.05), (": A Thriller", 0.02), (" (Abridged)", 0.01),
)
SUMMARY_OPENERS = (
    "A gripping story of {x} and {y}.",
    "From the bestselling author comes an unforgettable tale of {x}.",
    "In this sweeping novel, {x} collides with {y}.",
    "An extraordinary account of {x}, told with wit and warmth.",
    "When {x} threatens everything, only {y} remains.",
)
