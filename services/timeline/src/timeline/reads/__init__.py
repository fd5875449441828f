"""Reads: home and profile timelines, a page at a time, merged from entries and profiles."""
