"""Remote accounts: the fediverse actors this instance knows, kept as accounts with a domain."""
