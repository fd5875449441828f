"""Engagement: posts' like and reply counts on their cards, and who likes which post."""
