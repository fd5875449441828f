"""The account itself, which every capability builds on: its rules, storage and public User."""
