"""Engagement: replies to one's posts, and likes grouped per post while unread."""
