"""Relations: follows, blocks and mutes between accounts, announced as events."""
