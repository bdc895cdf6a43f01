"""Plex webhook ingestion."""
