"""CoPost API gateway."""
