"""Engagement: likes and replies on the one post all its co-authors share, and their counts."""
