"""Accounts: registering, signing in (passwords, tokens, back-off), one's account and profiles."""
