"""Answers: the invitee accepts or declines, re-checked with the users service on accept."""
