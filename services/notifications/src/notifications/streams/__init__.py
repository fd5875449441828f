"""Streams: one's new notifications live over Server-Sent Events, from any replica."""
