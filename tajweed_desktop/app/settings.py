"""QSettings with grouped keys; tests point it at a temporary INI file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 8
SCHEMA_VERSION = 1


class AppSettings:
    def __init__(self, path: str | Path | None = None):
        self.qs = QSettings(str(path), QSettings.Format.IniFormat) if path else QSettings("Tajweed", "TajweedDesktop")
        if int(self.qs.value("meta/version", 0)) < SCHEMA_VERSION:  # migration point for renamed keys
            self.qs.setValue("meta/version", SCHEMA_VERSION)

    def get(self, key: str, default=None):
        value = self.qs.value(key, default)
        return default if value is None else value

    def set(self, key: str, value) -> None:
        self.qs.setValue(key, value)

    @property
    def device(self) -> str:
        return str(self.get("analysis/device", "auto"))

    @property
    def model_path(self) -> str:
        return str(self.get("analysis/model", ""))

    @property
    def theme(self) -> str:
        return str(self.get("ui/theme", "system"))

    def recent_files(self) -> list[str]:
        value = self.get("files/recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def add_recent(self, path: str) -> None:
        files = [path] + [f for f in self.recent_files() if f != path]
        self.set("files/recent", files[:MAX_RECENT])

    def sync(self) -> None:
        self.qs.sync()
