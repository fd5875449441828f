"""Local engagement with remote posts: likes, their undoing, replies and their deletion, sent
to the remote post's authors' servers."""
