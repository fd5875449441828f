"""Remote posts: Notes created, updated and deleted by remote accounts local users follow."""
