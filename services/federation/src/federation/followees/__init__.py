"""Remote actors local users follow: the Follow sent, its Accept or Reject, its Undo."""
