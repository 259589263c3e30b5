"""Checking recordings: many files in a batch, one long recording in chunks, one result row per file."""
