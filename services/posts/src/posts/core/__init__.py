"""The post itself, which every capability changes: its rules, storage, rendering and writes."""
