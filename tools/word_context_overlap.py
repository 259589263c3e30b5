"""How many clips a `--split words` run scores whose words its models were trained on, with word
contexts grouped by place (surah:ayah:word, as before issue 18) and by the words recited (as
now): `python tools/word_context_overlap.py [DATA...]` (default: tajweed4 and reciters5, the
clips the voice detector keeps, seed 42, 5 folds as in `make bundles`). Reads listings only."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from trainer.data import list_items
from trainer.folds import make_folds

REFUSED = {"husary_109004_w03_idgham_ghunnah.wav", "shuraim_111002_w03_izhar.wav"}  # by the voice detector


def places(roots: list[Path]) -> dict[str, str]:
    out = {}
    for root in roots:
        with open(root / "train.csv", encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                if all(row.get(k) for k in ("surah", "ayah", "word")):
                    out[f"{row['id']}.wav"] = f"{row['surah']}:{row['ayah']}:{row['word']}"
    return out


def main() -> None:
    roots = [Path(a) for a in sys.argv[1:]] or [Path("../shared/data/tajweed4"), Path("../shared/data/reciters5")]
    items = [it for it in list_items(roots) if it.path.name not in REFUSED]
    where = places(roots)
    labels = sorted({it.label for it in items})
    y, groups = [labels.index(it.label) for it in items], [it.group for it in items]
    text = [it.context for it in items]
    position = [where.get(it.path.name) if it.context else None for it in items]
    for name, contexts in (("by place", position), ("by the words recited", text)):
        clips, at = 0, set()
        for tr, va in make_folds(y, groups, 5, "words", 42, contexts):
            heard = {text[i] for i in tr if text[i]}
            hits = [i for i in va if text[i] in heard]
            clips += len(hits)
            at |= {position[i] for i in hits}
        print(f"contexts {name}: {len({c for c in contexts if c})}; scored clips whose words were trained on: "
              f"{clips}, at {len(at)} place(s){': ' + ', '.join(sorted(at)) if at else ''}")


if __name__ == "__main__":
    main()
