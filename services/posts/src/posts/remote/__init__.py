"""Remote posts: the posts of remote accounts, as the federation service reports them."""
