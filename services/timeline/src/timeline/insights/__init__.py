"""Insights: what a post did for each of its credited authors (reach, likes, new followers)."""
