"""Co-authoring: invitations and credits on a post, kept in step with answers, blocks, deletions."""
