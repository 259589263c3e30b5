"""The menu bar and the settings it changes: File (open, recent, export), Settings (device,
model, theme; the choice in use is checked) and Help (About)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QMessageBox

from .. import __version__
from tajweed_desktop.core.audio.formats import AUDIO_EXTENSIONS
from tajweed_desktop.core.model.paths import bundled_bundles
from tajweed_desktop.core.quran.practice import short_name
from .model_loader import path_for, setting_for
from .settings import AppSettings
from .themes import apply_theme

OPEN_FILTER = "Audio (" + " ".join(f"*{e}" for e in sorted(AUDIO_EXTENSIONS)) + ");;All files (*)"


def unheard_voices_text(measured: dict | None) -> str:
    """The card's nested measure (`python -m trainer nested`) in plain words: each voice judged by
    models trained without it, with the temperature and threshold fitted without it too."""
    m = (measured or {}).get("cross_fitted") or {}
    voices = m.get("per_voice") or {}
    if not voices or m.get("accuracy") is None or m.get("accuracy_when_sure") is None:
        return ""
    clips = sum(v["clips"] for v in voices.values())
    text = (f"<p>On {len(voices)} voices it never heard (each judged by models trained without that voice), "
            f"it was right on {m['accuracy']:.0%} of {clips} clips, and on {m['accuracy_when_sure']:.0%} of the "
            "answers it did not mark uncertain")
    sure = {k: v["accuracy_when_sure"] for k, v in voices.items() if v.get("sure")}
    if sure:
        text += f"; for the voice it did worst on, {min(sure.values()):.0%}"
    return text + ".</p>"


def about_text(ensemble) -> str:
    """The version and, in plain words, what the loaded model knows and how far to trust it."""
    text = f"<b>Tajweed Checker {__version__}</b>"
    if ensemble is None:
        return text + "<p>No model is loaded.</p>"
    card = ensemble.bundle.card
    cv = card.cross_validation
    clips = card.training_data.get("clips")
    rules = ", ".join(short_name(x) for x in card.labels)
    text += f"<p>Model: {card.name}, which tells apart {len(card.labels)} rules: {rules}.</p>"
    if clips:
        text += f"<p>Trained on {clips} clips.</p>"
    f1, base = cv.get("macro_f1_mean"), cv.get("voice_only_baseline_macro_f1_mean")
    if f1 is not None:
        text += (f"<p>On clips held back from its training it scored {f1:.2f} on a 0–1 scale (the average, over "
                 "rules, of how well it finds each rule)")
        if base is not None:
            text += (f"; a model that hears only the voice's pitch and loudness scored {base:.2f}, so part of that "
                     "score may come from the voice rather than the rule")
        text += ". Treat its answers as a second opinion, not a teacher's.</p>"
    text += unheard_voices_text(card.calibration.measured)
    # tools/junction_probe.py (docs/trainer.md): judged from the part before the word junction alone, the
    # four-rule models are right little more often than always answering the commonest rule
    text += ("<p>What a ✓ can promise: that the word sounds like recitations of the expected rule. The model "
             "learnt from correct recitations only, and much of what it hears is the letter after the noon, "
             "which the text already decides; so a ✓ may not catch a noon said the wrong way. It cannot "
             "promise that until it has heard recordings with mistakes.</p>")
    return text + f"<p>Running on {ensemble.device.upper()} in {ensemble.precision}.</p>"


class Menus(QObject):
    open_file = Signal(str)
    open_folder = Signal(str)
    export = Signal()
    model_chosen = Signal()  # the device or model setting changed: load again
    cancel = Signal()

    def __init__(self, window: QMainWindow, settings: AppSettings):
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.ensemble = None
        if settings.model_path:  # earlier versions stored a bundled model as a path into the install folder
            settings.set("analysis/model", setting_for(settings.model_path))
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        self.act_open = file_menu.addAction("&Open…", QKeySequence.StandardKey.Open, self.choose_file)
        self.act_open_folder = file_menu.addAction("Open &Folder…", QKeySequence("Ctrl+Shift+O"), self.choose_folder)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.fill_recent()
        file_menu.addSeparator()
        self.act_export = file_menu.addAction("&Export Batch CSV…", QKeySequence("Ctrl+E"), lambda: self.export.emit())
        file_menu.addSeparator()
        file_menu.addAction("&Quit", QKeySequence.StandardKey.Quit, window.close)
        self.act_cancel = QAction("Cancel", window, shortcut=QKeySequence(Qt.Key.Key_Escape), triggered=lambda: self.cancel.emit())
        window.addAction(self.act_cancel)

        settings_menu = bar.addMenu("&Settings")
        self.device_group = self._choices(settings_menu.addMenu("&Device"), {"auto": "Auto", "cpu": "CPU", "cuda": "CUDA"},
                                          settings.device)
        self.device_group.triggered.connect(lambda act: self._set_and_reload("analysis/device", act.data()))
        self.model_menu = settings_menu.addMenu("&Model")
        self.model_group = QActionGroup(self)
        for path in bundled_bundles():
            act = self.model_menu.addAction(path.name)
            act.setCheckable(True)
            act.setData(path.name)
            self.model_group.addAction(act)
        self.model_group.triggered.connect(lambda act: self._set_and_reload("analysis/model", act.data()))
        self.model_menu.addSeparator()
        self.model_menu.addAction("Choose Folder…", self.choose_model)
        self.mark_model()
        self.theme_group = self._choices(settings_menu.addMenu("&Theme"),
                                         {"system": "System", "light": "Light", "dark": "Dark"}, settings.theme)
        self.theme_group.triggered.connect(self._set_theme)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&About", self.show_about)

    def _choices(self, menu, names: dict[str, str], current: str) -> QActionGroup:
        group = QActionGroup(self)
        for name, text in names.items():
            act = menu.addAction(text)
            act.setCheckable(True)
            act.setChecked(current == name)
            act.setData(name)
            group.addAction(act)
        return group

    def model_path(self) -> Path:
        return path_for(self.settings.model_path)

    def mark_model(self) -> None:
        """Check the bundled model in use (none when a folder of the user's is in use)."""
        name = setting_for(self.model_path())
        for act in self.model_group.actions():
            act.setChecked(act.data() == name)

    def fill_recent(self) -> None:
        self.recent_menu.clear()
        for f in self.settings.recent_files():
            self.recent_menu.addAction(f, lambda p=f: self.open_file.emit(p))
        self.recent_menu.setEnabled(bool(self.settings.recent_files()))

    def _set_and_reload(self, key: str, value: str) -> None:
        self.settings.set(key, setting_for(value) if key == "analysis/model" else value)
        self.mark_model()
        self.model_chosen.emit()

    def _set_theme(self, act: QAction) -> None:
        self.settings.set("ui/theme", act.data())
        apply_theme(QApplication.instance(), act.data())

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open recitation", self.settings.get("files/last_dir", ""),
                                              OPEN_FILTER)
        if path:
            self.open_file.emit(path)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self.window, "Open folder of recordings",
                                                self.settings.get("files/last_dir", ""))
        if path:
            self.open_folder.emit(path)

    def choose_model(self) -> None:
        path = QFileDialog.getExistingDirectory(self.window, "Choose a model bundle folder")
        if path:
            self._set_and_reload("analysis/model", path)

    def show_about(self) -> None:
        QMessageBox.about(self.window, "About Tajweed Checker", about_text(self.ensemble))
