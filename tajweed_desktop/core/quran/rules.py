"""What each rule is called and what it means, for the app's panel (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleInfo:
    english: str
    arabic: str
    explanation: str


RULES = {
    "idgham": RuleInfo("Idgham (merging)", "إدغام", "Noon sakinah or tanween merges into the next letter (ي ر م ل و ن)."),
    "ikhfa": RuleInfo("Ikhfa (concealment)", "إخفاء", "Noon sakinah or tanween is hidden with a nasal sound before 15 letters."),
    "iqlab": RuleInfo("Iqlab (conversion)", "إقلاب", "Noon sakinah or tanween before ب turns into a hidden meem with ghunnah."),
    "izhar": RuleInfo("Izhar (clarity)", "إظهار", "Noon sakinah or tanween is pronounced clearly before the throat letters."),
    "idgham_bighunnah": RuleInfo("Idgham with ghunnah", "إدغام بغنة", "Merging into ي ن م و with a two-beat nasal sound."),
    "idgham_bilaghunnah": RuleInfo("Idgham without ghunnah", "إدغام بلا غنة", "Merging into ل or ر with no nasal sound."),
    "idgham_mim": RuleInfo("Idgham mithlayn (meem)", "إدغام ميمي", "Meem sakinah merges into a following meem with ghunnah."),
    "idgham_musyaddadah": RuleInfo("Idgham of a doubled letter", "إدغام مشدد", "A letter with shaddah: two identical letters pronounced as one, held."),
    "ikhfa_syafawi": RuleInfo("Ikhfa shafawi", "إخفاء شفوي", "Meem sakinah before ب is hidden with ghunnah at the lips."),
    "izhar_syafawi": RuleInfo("Izhar shafawi", "إظهار شفوي", "Meem sakinah before any letter but م and ب is pronounced clearly."),
    "mad_asli": RuleInfo("Natural prolongation", "مد أصلي", "A long vowel held for two beats."),
    "mad_jaiz_munfasil": RuleInfo("Separated prolongation", "مد جائز منفصل", "A long vowel before a hamzah in the next word: two, four or five beats."),
    "mad_wajib": RuleInfo("Obligatory prolongation", "مد واجب متصل", "A long vowel before a hamzah in the same word: four or five beats."),
    "qalqalah_kubra": RuleInfo("Major echo", "قلقلة كبرى", "A stopping letter of قطب جد at the end of a verse bounces strongly."),
    "qalqalah_sughra": RuleInfo("Minor echo", "قلقلة صغرى", "A sukoon on a letter of قطب جد in mid-word bounces lightly."),
}


def rule_info(label: str) -> RuleInfo:
    """Known rules by name (any case); an unknown label gets its own name and no explanation."""
    return RULES.get(label.strip().lower(), RuleInfo(label, "", ""))
