"""Eligibility: who may invite whom to co-author and remix whose posts (asked internally)."""
