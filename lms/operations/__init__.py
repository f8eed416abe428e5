"""Writes: one use case per function, one commit each."""
