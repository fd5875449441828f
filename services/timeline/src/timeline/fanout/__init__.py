"""Fan-out: posts on their authors' profiles and their followers' home timelines (hybrid)."""
