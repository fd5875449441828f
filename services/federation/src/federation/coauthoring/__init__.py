"""Co-authoring across servers: remote accounts invited to co-author local posts."""
