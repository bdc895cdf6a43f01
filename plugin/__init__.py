"""plexbooks: the Plex side of an audiobook request manager."""
__version__ = "0.1.0"
PRODUCT = "plexbooks"
