"""Remote accounts looked up by handle: WebFinger, then the actor, for the users service."""
