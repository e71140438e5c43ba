"""bench/real_stems.py's pure parts: the ground-truth record, the dataset's channel split, what is skipped."""

from __future__ import annotations

import numpy as np
import pytest

from bench.real_stems import Item, all_items, record, select_channel, skip_reason

SR = 22050


def _item(**changes: object) -> Item:
    fields: dict[str, object] = {
        "group": "ikala",
        "name": "10161_chorus_voice",
        "role": "vocals",
        "voice": True,
        "repo": "mir-dataset-loaders/mirdata",
        "commit": "b95bf389",
        "paths": ("tests/resources/mir_datasets/ikala/Wavfile/10161_chorus.wav",),
        "licence": "custom",
        "note": "karaoke singer",
        "channel": 1,
    }
    return Item(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_record_names_file_source_with_its_channel_and_licence() -> None:
    assert record(_item()) == {
        "file": "ikala/10161_chorus_voice.wav",
        "group": "ikala",
        "role": "vocals",
        "voice": True,
        "source": "mir-dataset-loaders/mirdata@b95bf389:tests/resources/mir_datasets/ikala/Wavfile/10161_chorus.wav"
        " (channel 1, 0 = left)",
        "licence": "custom",
        "note": "karaoke singer",
    }
    joined = record(_item(paths=("a.wav", "b.wav"), channel=None))["source"]
    assert joined == "mir-dataset-loaders/mirdata@b95bf389:a.wav, b.wav"  # parts laid end to end, no channel


def test_a_role_the_engine_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="'violin' is not one of"):
        record(_item(role="violin"))


def test_every_listed_item_has_a_known_role_and_a_unique_file() -> None:
    items = all_items()
    records = [record(item) for item in items]  # raises on an unknown role
    assert len({r["file"] for r in records}) == len(records)
    assert all(r["licence"] and r["source"] for r in records)
    assert {r["role"] for r in records if r["voice"]} == {"vocals", "speech"}
    assert not {r["role"] for r in records if not r["voice"]} & {"vocals", "speech"}


def test_ikala_right_channel_is_the_voice() -> None:
    stereo = np.stack([np.full(4, 0.1), np.full(4, 0.7)], axis=1)  # (n, channels): left accompaniment, right voice
    assert np.array_equal(select_channel(stereo, 1), np.full((4, 1), 0.7))
    assert np.array_equal(select_channel(stereo, 0), np.full((4, 1), 0.1))
    assert select_channel(stereo, None) is stereo
    with pytest.raises(ValueError, match="channel 2 of a 2-channel file"):
        select_channel(stereo, 2)


def _tone(seconds: float, level: float = 0.5, decay_db_per_s: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (level * 10 ** (-decay_db_per_s * t / 20) * np.sin(2 * np.pi * 440 * t))[:, np.newaxis]


def test_short_silent_and_placeholder_tones_are_skipped_real_sounds_kept() -> None:
    rng = np.random.default_rng(0)
    assert skip_reason(_tone(0.96), SR) == "0.96 s, under 1 s"
    assert skip_reason(_tone(2.0, level=10 ** (-72 / 20)), SR) == "silent (peak -72.0 dBFS)"
    reason = skip_reason(_tone(2.0), SR)  # multivox's fixtures: a steady 440 Hz sine
    assert reason is not None and reason.startswith("a steady pure tone at 440 Hz")
    assert skip_reason(_tone(1.0), SR) is not None  # exactly 1 s is long enough: skipped as a tone, not as short
    assert skip_reason(_tone(2.0, decay_db_per_s=6.0), SR) is None  # a decaying note is a recording
    assert skip_reason(0.1 * rng.standard_normal((2 * SR, 2)), SR) is None
    swell = 1 + 0.15 * np.sin(2 * np.pi * 2 * np.arange(SR) / SR)[:, np.newaxis]  # a player's held note moves 1-2 dB
    assert skip_reason(_tone(1.0) * swell, SR) is None
