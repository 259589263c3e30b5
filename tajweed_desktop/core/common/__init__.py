"""Helpers every room uses: typed errors, atomic writes, hashing, plain threads, memory."""
