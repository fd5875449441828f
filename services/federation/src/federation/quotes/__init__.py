"""Remixes across servers as FEP-044f quotes: requests, authorizations and their revocation."""
