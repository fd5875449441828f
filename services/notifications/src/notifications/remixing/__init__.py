"""Remixing: requests to remix one's posts, remixes made at once, and the answers."""
