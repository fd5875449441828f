"""Authoring: creating a post (with co-authors and a remix link), reading it, deleting it."""
