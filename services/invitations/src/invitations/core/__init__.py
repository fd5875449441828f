"""The invitation itself, which every capability builds on: its state machine, storage, reading."""
