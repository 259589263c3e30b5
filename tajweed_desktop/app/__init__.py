"""The PySide6 desktop app. Everything it computes comes from `tajweed_desktop.core`."""
