"""The CoPost users service: accounts, tokens, follows, blocks and who may invite whom."""
