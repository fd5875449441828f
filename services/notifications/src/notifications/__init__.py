"""CoPost notifications service: per-user notifications from other services' events, live."""
