"""Practice mode: a rule, or a word in a verse whose rule the shipped site table gives."""

from __future__ import annotations

import pytest

from tajweed_desktop.app.practice_bar import PracticeBar
from tajweed_desktop.core.quran import text as quran
from tests.app.conftest import write_voice
from tests.conftest import LABELS4


@pytest.fixture
def bar(qtbot):
    b = PracticeBar()
    qtbot.addWidget(b)
    b.set_labels(LABELS4)
    return b


def test_choosing_a_rule_or_a_verse_word_gives_the_expected_rule(bar, qtbot):
    got = []
    bar.expected_changed.connect(got.append)
    bar.choose_rule("Ikhfa")
    assert got[-1] == "Ikhfa" and not bar.surah.isVisibleTo(bar)
    bar.choose_site(112, 4, 2)  # لَمۡ یَكُن لَّهُۥ: noon before lam
    assert got[-1] == "Idgham" and bar.surah.isVisibleTo(bar)
    assert "<u>" in bar.verse.text() and "یَكُن" in bar.verse.text()
    bar.choose_site(112, 4, 4)  # كُفُوًا أَحَدُۢ: tanween before hamzah
    assert got[-1] == "Izhar"
    bar.choose_rule(None)
    assert got[-1] is None


def test_the_14_rule_bundle_gets_its_own_labels(qtbot):
    b = PracticeBar()
    qtbot.addWidget(b)
    labels = ["idgham_bighunnah", "idgham_bilaghunnah", "ikhfa", "iqlab", "izhar", "mad_asli"]
    b.set_labels(labels)
    b.choose_site(112, 4, 2)
    assert b.expected() == "idgham_bilaghunnah"


def test_practice_in_the_window_answers_for_the_chosen_verse(window, qtbot, tmp_path):
    from tajweed_desktop.core.quran.practice import practice_answer

    window.practice.choose_site(2, 2, 6)  # هُدࣰى لِّلۡمُتَّقِینَ: Idgham
    window.open_file(str(write_voice(tmp_path / "clip.wav", 2.0)))
    qtbot.waitUntil(lambda: window.last_analysis is not None and not window.workers.busy, timeout=30000)
    text = window.panel.practice.text()
    assert practice_answer(window.last_analysis.clip, "Idgham")[1:] in text
    assert quran.ATTRIBUTION in window.practice.source.text()


def test_without_the_quran_data_the_bar_offers_rules_only(qtbot, monkeypatch, tmp_path):
    monkeypatch.setattr(quran, "DATA", tmp_path)
    b = PracticeBar()
    qtbot.addWidget(b)
    b.set_labels(LABELS4)
    assert [b.mode.itemData(i) for i in range(b.mode.count())] == [None, *LABELS4]
    b.choose_rule("Iqlab")
    assert b.expected() == "Iqlab"


def test_verse_1_is_shown_without_the_basmala_and_the_chosen_word_is_the_word_of_that_number(bar):
    """82:1 read "بِسۡمِ ٱللَّهِ … إِذَا ٱلسَّمَاۤءُ ٱنفَطَرَتۡ" and "word 3" marked the 7th word shown."""
    bar.choose_site(82, 1, 3)  # إِذَا ٱلسَّمَاۤءُ ٱنفَطَرَتۡ: the third word holds the noon
    shown = bar.verse.text()
    assert "ٱللَّهِ" not in shown and "بِسۡمِ" not in shown
    words = [w for w in shown.replace("<div dir='rtl'>", "").replace("</div>", "").split(" ")]
    assert len(words) == 3 and words[2].startswith("<b><u>") and "ٱنفَطَرَتۡ" in words[2]
    bar.choose_site(97, 1, 1)  # إِنَّاۤ أَنزَلۡنَـٰهُ: the Basmala is written بِّسۡمِ here
    assert "ٱلرَّحِیمِ" not in bar.verse.text()
    bar.choose_site(2, 26, 5)  # ۞ إِنَّ ٱللَّهَ لَا یَسۡتَحۡیِۦۤ أَن: the hizb mark is no word
    assert "<b><u>أَن</u></b>" in bar.verse.text()


def test_the_surah_1_basmala_is_its_first_verse_and_every_site_is_the_word_of_its_number():
    assert quran.verse_text(1, 1) == quran.BASMALA
    for surah in range(1, quran.surah_count() + 1):
        for ayah in range(1, quran.verse_count(surah) + 1):
            words = quran.words(surah, ayah)
            assert all(words[s.word - 1] == s.token for s in quran.sites(surah, ayah)), (surah, ayah)


def test_the_word_picker_writes_latin_in_the_window_font_and_only_the_word_in_a_quran_font(bar, qtbot):
    """The whole box was set in Amiri, so "word 3: … → Ikhfa" came out with serifs."""
    from PySide6.QtWidgets import QApplication

    from tajweed_desktop.app.practice_bar import QURAN_FONTS

    bar.choose_site(82, 1, 3)
    ui = QApplication.font().family()
    assert bar.site.font().family() == ui and not set(bar.site.font().families()) & set(QURAN_FONTS)
    assert bar.site.currentText() == "word 3: ٱنفَطَرَتۡ → Ikhfa"
    html = bar.site.current_html()
    assert html.startswith("word 3: <span style=") and html.endswith("</span> → Ikhfa") and QURAN_FONTS[0] in html
    bar.show()
    qtbot.waitExposed(bar)
    assert not bar.site.grab().isNull()  # drawn by its own painter, closed and open
    bar.site.showPopup()
    assert not bar.site.view().grab().isNull()
    bar.site.hidePopup()
