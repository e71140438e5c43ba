"""The synthesized drum kits of the drum transcription corpus (training/drum_synth.py): each piece has its
class's shape across random kits, a kit is a function of its seed, and the corpus plan only puts them
in training and validation sessions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ai.transcription.drums import CLASS_NAMES, HIHAT_CLOSED, HIHAT_OPEN
from training import drum_transcription
from training.drum_synth import SR, SYNTH_KIT, kit_voices, synth_kit
from training.drumkit_samples import render_kit

SEEDS = range(12)


def _loud(seed: int, note: int) -> np.ndarray:
    """The loudest velocity layer of a piece, before the kit's colour (its low-pass or bit crusher)."""
    voices, _, _ = kit_voices(seed)
    return voices[note](1.0, np.random.default_rng(0))


def _share_below(y: np.ndarray, hz: float) -> float:
    power = np.abs(np.fft.rfft(y)) ** 2
    return float(power[np.fft.rfftfreq(y.size, 1.0 / SR) < hz].sum() / power.sum())


def _centroid(y: np.ndarray) -> float:
    power = np.abs(np.fft.rfft(y, 4096)) ** 2
    return float(np.sum(np.fft.rfftfreq(4096, 1.0 / SR) * power) / power.sum())


def _ring_s(y: np.ndarray, db: float = -30.0) -> float:
    """How long a sound stays within ``db`` of its peak (its last sample that loud)."""
    loud = np.flatnonzero(np.abs(y) > np.max(np.abs(y)) * 10.0 ** (db / 20.0))
    return float(loud[-1]) / SR


@pytest.mark.parametrize("seed", SEEDS)
def test_kick_pitch_falls_below_120_hz(seed: int) -> None:
    kick = _loud(seed, 36)
    tail = kick[int(0.05 * SR) :]
    assert _share_below(tail, 120.0) > 0.5  # after 50 ms the thump is down at 35-60 Hz (and its harmonics)
    assert _centroid(kick[: int(0.01 * SR)]) > _centroid(tail)  # the attack is higher: the pitch falls


@pytest.mark.parametrize("seed", SEEDS)
def test_closed_hat_is_shorter_than_open_and_both_are_bright(seed: int) -> None:
    closed, opened = _loud(seed, 42), _loud(seed, 46)
    assert _ring_s(closed) < 0.08 < 0.1 < _ring_s(opened)
    assert _share_below(closed, 3000.0) < 0.1 and _share_below(opened, 3000.0) < 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_snare_is_noise_over_a_body_and_toms_sit_above_the_kick(seed: int) -> None:
    snare = _loud(seed, 38)
    assert _share_below(snare, 1000.0) < 0.9  # noise, not only its 150-250 Hz tone
    kick_tail, low_tom, high_tom = (_loud(seed, note)[int(0.1 * SR) :] for note in (36, 41, 50))
    assert _centroid(kick_tail) < _centroid(low_tom) < _centroid(high_tom)
    assert _ring_s(high_tom) > 0.05


def test_a_kit_is_a_function_of_its_seed(tmp_path: Path) -> None:
    one, again, other = (synth_kit(seed, tmp_path / name) for seed, name in ((7, "a"), (7, "b"), (8, "c")))
    assert set(one.pieces) == set(other.pieces) and {36, 38, 42, 46, 49, 51, 39, 70} <= set(one.pieces)

    def samples(kit: object, note: int) -> np.ndarray:
        layer = kit.pieces[note][0].layers[2]  # type: ignore[attr-defined]
        return np.asarray(sf.read(layer.path)[0])

    for note in (36, 38, 42):
        assert np.array_equal(samples(one, note), samples(again, note))
        a, b = samples(one, note), samples(other, note)
        assert a.shape != b.shape or not np.allclose(a, b)


def test_soft_layers_are_darker(tmp_path: Path) -> None:
    kit = synth_kit(3, tmp_path)
    soft, loud = (sf.read(kit.pieces[38][0].layers[i].path)[0] for i in (0, 2))
    assert _centroid(soft) < _centroid(loud)


def test_kit_plays_gm_notes_through_render_kit(tmp_path: Path) -> None:
    kit = synth_kit(11, tmp_path)
    notes = [(36, 0.25, 0.35, 110), (40, 0.75, 0.85, 100), (81, 1.0, 1.1, 90), (31, 1.2, 1.3, 90)]
    y, rest = render_kit(notes, kit, n=2 * SR, sr=SR, rng=np.random.default_rng(0))
    assert rest == [(31, 1.2, 1.3, 90)]  # 40 plays the snare, 81 the triangle; 31 goes to the soundfont
    assert np.flatnonzero(np.abs(y) > 1e-4)[0] == pytest.approx(int(0.25 * SR), abs=2)
    assert 0.05 < float(np.max(np.abs(y))) <= 0.5


def test_only_training_and_validation_sessions_play_synthesized_kits() -> None:
    without = drum_transcription.plan(16, 12, 2, 4, 3)
    with_kits = drum_transcription.plan(16, 12, 2, 4, 3, synth_kit_share=1.0)
    assert [task["seed"] for task in without] == [task["seed"] for task in with_kits]  # the same sessions
    assert all(not task.get("synth_kits") for task in without)
    for task in with_kits:
        synthesized = str(task["kit"] or "").startswith(SYNTH_KIT)
        assert synthesized == (task["split"] != "test")
        if task["split"] == "test":
            assert "synth_kits" not in task


@dataclass(frozen=True)
class _FixedNet:
    """A network stand-in whose activations are given."""

    act: np.ndarray
    thresholds: np.ndarray
    hihat_threshold: float | None = None

    def activations(self, x: np.ndarray) -> np.ndarray:
        return self.act


def test_validation_f1_counts_a_closed_and_open_hat_at_once_as_one_hit() -> None:
    act = np.zeros((200, len(CLASS_NAMES)), dtype=np.float32)
    y = np.zeros_like(act)
    kick, snare = CLASS_NAMES.index("kick"), CLASS_NAMES.index("snare")
    y[[50, 150], kick] = 1.0
    y[40, [HIHAT_CLOSED, HIHAT_OPEN]] = 1.0
    act[[50, 150], kick] = 0.9
    act[40, [HIHAT_CLOSED, HIHAT_OPEN]] = 0.9
    act[100, snare] = 0.9  # a snare that is not there
    net = _FixedNet(act, np.full(len(CLASS_NAMES), 0.5, dtype=np.float32))
    scores = drum_transcription.validation_f1(net, [(act, y)])  # type: ignore[arg-type]
    assert scores == {"kick": 1.0, "snare": 0.0, "hihat": 1.0}


def _attack_s(y: np.ndarray) -> float:
    """When a sound's 1 ms RMS envelope first reaches half its maximum (the start of that frame)."""
    frames = np.sqrt(np.mean(np.square(y[: y.size // 22 * 22]).reshape(-1, 22), axis=1))  # 22 samples: 1 ms
    return float(np.flatnonzero(frames >= 0.5 * frames.max())[0]) / 1000.0


@pytest.mark.parametrize("seed", SEEDS)
def test_shakers_and_tambourine_start_sharp_in_the_hats_band(seed: int) -> None:
    for note in (54, 69, 70, 82):
        y = _loud(seed, note)
        assert _attack_s(y) < 0.003, note
        assert _share_below(y, 1500.0) < 0.1 and 2000.0 < _centroid(y) < 12000.0, note


def test_shakers_come_short_and_long() -> None:
    lengths = [_ring_s(_loud(seed, note)) for seed in SEEDS for note in (69, 70, 82)]
    assert min(lengths) < 0.04 and max(lengths) > 0.08


@pytest.mark.parametrize("seed", SEEDS)
def test_claves_and_blocks_are_a_noisy_click_on_a_resonant_body(seed: int) -> None:
    for note in (75, 76, 77):
        y = _loud(seed, note)
        assert _attack_s(y) < 0.003, note
        click, body = y[: int(0.003 * SR)], y[int(0.015 * SR) :]
        assert _share_below(click, 3000.0) < _share_below(body, 3000.0), note  # a bright click, a low ring
        spectrum = np.abs(np.fft.rfft(body, 8192))
        assert float(spectrum.max()) > 8.0 * float(np.median(spectrum)), note  # the body is tonal


@pytest.mark.parametrize("seed", SEEDS)
def test_triangles_ring_with_inharmonic_partials(seed: int) -> None:
    short, long = _loud(seed, 80), _loud(seed, 81)
    assert _ring_s(short) < _ring_s(long)
    spectrum = np.abs(np.fft.rfft(long, 1 << 16)) ** 2
    freqs = np.fft.rfftfreq(1 << 16, 1.0 / SR)
    fundamental = freqs[np.argmax(spectrum)]
    near = np.abs(freqs - fundamental) < 0.05 * fundamental
    assert float(spectrum[~near].sum() / spectrum.sum()) > 0.05  # more than one sine


def test_percussion_lines_are_no_class_and_stay_in_their_clips() -> None:
    from ai.transcription.drums import GM_TO_CLASS
    from training.drum_distractors import PERCUSSION, percussion_lines

    drums = [(42, 0.5 + 0.125 * i, 0.6 + 0.125 * i, 90) for i in range(40)]
    clips = [(0.5, 5.5), (7.0, 9.0)]
    assert percussion_lines(drums, clips, np.random.default_rng(0), 0.0) == []
    lines = percussion_lines(drums, clips, np.random.default_rng(0), 1.0)
    assert lines and all(pitch in PERCUSSION and pitch not in GM_TO_CLASS for pitch, _, _, _ in lines)
    assert all(any(a <= t < b for a, b in clips) for _, t, _, _ in lines)
    beats = np.asarray([t for _, t, _, _ in lines if t < 5.5]) / 0.125
    assert np.all(np.abs(beats - np.round(beats)) < 0.2)  # on the groove's 125 ms grid
