from tajweed_desktop.core.quran import text, words


def test_every_site_word_is_the_word_the_site_table_names():
    table = text._sites()
    assert sum(len(v) for v in table.values()) > 13000
    for (s, a), sites in table.items():
        ws = words.verse_words(s, a)
        for site in sites:
            assert ws[site.word - 1] == site.token, (s, a, site)


def test_the_basmala_is_left_out_of_verse_1_except_in_surahs_1_and_9():
    assert words.verse_words(1, 1) == words.basmala() and len(words.basmala()) == 4
    assert words.plain(" ".join(words.verse_words(82, 1))) == "اذا السما انفطرت"
    assert len(words.verse_words(9, 1)) == 9 and not words.has_basmala(9, 1)
    for s in range(2, 115):
        if s != 9:
            raw = [t for t in text.verses()[s - 1][0].split(" ") if text.is_word(t)]
            assert len(words.verse_words(s, 1)) == len(raw) - 4, s


def test_plain_letters_match_a_transcript_written_without_marks():
    assert words.plain("ٱلرَّحۡمَـٰنِ ٱلرَّحِیمِ") == words.plain("الرحمن الرحيم") == "الرحمن الرحيم"
    assert words.plain("غَیۡرِ ٱلۡمَغۡضُوبِ 12 abc") == "غير المغضوب"
