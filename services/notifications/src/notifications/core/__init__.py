"""The notification itself: storing each once, withdrawing, silencing, listing, marking read."""
