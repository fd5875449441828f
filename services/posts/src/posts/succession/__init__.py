"""Succession: who keeps a co-authored post: a hand-over the author asks for and an accepted
co-author accepts, and what the author chose for when their account is deleted."""
