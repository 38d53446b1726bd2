"""Feeds: fetching, parsing, polling, OPML and the demo data."""
