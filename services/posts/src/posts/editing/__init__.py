"""Editing: proposals to change a post's text, their approval by every other credited author,
and the post's public history of versions."""
