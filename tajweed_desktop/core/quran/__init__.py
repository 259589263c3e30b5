"""The Quran text, its noon sakinah / tanween sites, rule names and practice answers."""
