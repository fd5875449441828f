"""What every CoPost service shares: one way to configure, log, store, publish and fail."""
