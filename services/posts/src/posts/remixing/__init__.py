"""Remixing: a post built on another, showing it only while its authors approve."""
