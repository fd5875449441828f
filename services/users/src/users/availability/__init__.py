"""Availability: which accounts may use a feature under a limited test."""
