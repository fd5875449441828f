"""Remote co-authors: who a remote Note credits besides its author, each only on a consent
stamp served by their own server."""
