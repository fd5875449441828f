"""CoPost posts service: posts and their co-author credits."""
