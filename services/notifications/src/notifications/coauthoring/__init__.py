"""Co-authoring: invitations, answers, co-authors leaving or removed, posts published or deleted."""
