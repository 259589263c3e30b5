"""Benchmarks: `python -m bench` (or `make bench`) prints the README's performance table."""
