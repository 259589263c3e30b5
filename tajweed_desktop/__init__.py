"""Tajweed recitation checker: per-rule feedback on recorded recitation."""

__version__ = "0.1.0"
