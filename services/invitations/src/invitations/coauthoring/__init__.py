"""Co-authoring: invitations open and close as the posts service's co-author entries do."""
