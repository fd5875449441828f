"""Expiry: pending invitations past their expiry are expired by a periodic sweep."""
