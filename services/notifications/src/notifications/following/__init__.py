"""Following: a new follower, once per follower and day."""
