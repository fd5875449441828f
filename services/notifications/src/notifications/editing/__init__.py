"""Editing: co-authors hear of proposed edits and their outcomes, and whoever liked, replied to
or remixed a post hears once of each edit of it."""
