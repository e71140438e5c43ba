"""A stem file (ai/audio/stem_file.py) measured block by block gives what the whole array gives:
the measures, the advice's inputs, the sum of the stems. Block sizes are shrunk so that a few
seconds of signal cross many block boundaries (odd sizes: sub-blocks and 250 ms means straddle them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ai.analysis import features, pipeline
from ai.analysis.pipeline import estimate_tempo
from ai.audio import loudness
from ai.audio.decode import DecodedAudio
from ai.audio.stem_file import StemFile, whole, write_stem_file
from ai.mixing import auto_level, dynamics_measure, dynamics_processing, low_end, stem_measures
from ai.mixing.measure import PreparedTrack, analyse_track
from ai.mixing.space_measure import measure_space
from tests.ai.mixing.signals import SR, kick, stereo

SECONDS = 8.0


def _song(seed: int = 3) -> np.ndarray:
    """A stereo part with hits, a bass line, noise, a clipped stretch and a DC offset: [shape=(2, n)]."""
    rng = np.random.default_rng(seed)
    n = int(SECONDS * SR)
    t = np.arange(n) / SR
    mono = (0.4 * np.sin(2 * np.pi * 55.0 * t) * (1 + np.sin(2 * np.pi * 0.5 * t))).astype(np.float32)
    for start in range(0, n - kick().size, int(0.5 * SR)):
        mono[start : start + kick().size] += kick()[: n - start]
    mono += (0.05 * rng.standard_normal(n)).astype(np.float32) + np.float32(0.01)
    samples = stereo(mono, width_noise=0.2)
    samples[:, n // 3 : n // 3 + 50] = 1.0  # clipped runs at full scale, in the middle of a block
    samples[:, 86_006:86_036] = 1.0  # and across a block's end (86,016 = 12 x 7,168 = 28 x 3,072: small_blocks)
    samples[0, 2 * n // 3 : 2 * n // 3 + 9] = -1.0
    return np.ascontiguousarray(samples.clip(-1.0, 1.0), dtype=np.float32)


@pytest.fixture
def stem(tmp_path: Path) -> Iterator[tuple[np.ndarray, StemFile]]:
    samples = _song()
    with write_stem_file(
        iter([samples[:, :5000], samples[:, 5000:]]), channels=2, sample_rate=SR, directory=tmp_path
    ) as file:
        yield samples, file


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stem_measures, "READ_FRAMES", 7 * loudness.TP_BLOCK)
    monkeypatch.setattr(stem_measures, "SCAN_FRAMES", 3 * loudness.TP_BLOCK)
    monkeypatch.setattr(stem_measures, "PEAK_FRAMES", 2 * 2048)
    monkeypatch.setattr(auto_level, "MIX_BLOCK", 5003)
    monkeypatch.setattr(dynamics_measure, "FRAMES_AT_ONCE_SAMPLES", 4000)
    monkeypatch.setattr(low_end, "FRAMES_AT_ONCE", 3)
    monkeypatch.setattr(pipeline, "_BLOCK_FRAMES", 30_001)  # the tempo's signal at the analysis rate: a file
    monkeypatch.setattr(features, "_BLOCK_FRAMES", 37)


def test_a_stem_file_measures_as_its_array(stem: tuple[np.ndarray, StemFile], small_blocks: None) -> None:
    samples, file = stem
    in_memory = analyse_track(PreparedTrack("Bass", "bass", samples, SR, 2))
    on_disk = analyse_track(PreparedTrack("Bass", "bass", file, SR, 2))
    before, after = dataclasses.asdict(in_memory.measurement), dataclasses.asdict(on_disk.measurement)
    assert before["clipped_runs"] > 0 and abs(before["dc_offset"]) > 0.005  # the scans have something to find
    # numpy's float32 dot over a whole channel cannot be split: the stereo image may move in its last bits.
    for key in ("stereo_width", "correlation"):
        assert after.pop(key) == pytest.approx(before.pop(key), rel=1e-5, abs=1e-7)
    assert after == before
    assert in_memory.loudness_stats == on_disk.loudness_stats
    assert in_memory.sub_energy is not None and on_disk.sub_energy is not None
    assert np.array_equal(in_memory.sub_energy, on_disk.sub_energy)
    assert np.array_equal(in_memory.spectra.fine_power, on_disk.spectra.fine_power)
    assert np.array_equal(in_memory.spectra.spectrum, on_disk.spectra.spectrum)


def test_a_mono_stem_file_counts_its_clipping_as_its_array(tmp_path: Path, small_blocks: None) -> None:
    """Clipping is counted over the channels the stem came with, a held value (DC) not at all, on a file too."""
    n = int(SECONDS * SR)
    clipped = np.clip(4 * np.sin(2 * np.pi * 220.0 * np.arange(n) / SR), -1, 1).astype(np.float32)
    for mono in (clipped, np.full(n, 0.5, dtype=np.float32)):
        samples = np.ascontiguousarray(np.stack([mono, mono]))
        with write_stem_file(iter([samples]), channels=2, sample_rate=SR, directory=tmp_path) as file:
            on_disk = analyse_track(PreparedTrack("Keys", "keys", file, SR, 1)).measurement
        in_memory = analyse_track(PreparedTrack("Keys", "keys", samples, SR, 1)).measurement
        both = analyse_track(PreparedTrack("Keys", "keys", samples, SR, 2)).measurement
        assert (on_disk.clipped_samples, on_disk.clipped_runs) == (in_memory.clipped_samples, in_memory.clipped_runs)
        assert both.clipped_samples == 2 * in_memory.clipped_samples
        assert on_disk.clipped_share == in_memory.clipped_share == pytest.approx(in_memory.clipped_samples / n)
        assert (in_memory.clipped_samples > 0) == (mono is clipped)


def test_a_stem_file_in_one_read_measures_exactly_as_its_array(stem: tuple[np.ndarray, StemFile]) -> None:
    samples, file = stem
    in_memory = analyse_track(PreparedTrack("Bass", "bass", samples, SR, 2)).measurement
    assert analyse_track(PreparedTrack("Bass", "bass", file, SR, 2)).measurement == in_memory


def test_the_advice_reads_a_stem_file_as_its_array(stem: tuple[np.ndarray, StemFile], small_blocks: None) -> None:
    samples, file = stem
    sub_energy = loudness.sub_block_powers(y=samples, sr=SR)
    stats = loudness.measure_loudness(y=samples, sr=SR, sub_energy=sub_energy)
    assert np.array_equal(stem_measures.sub_block_powers(file, SR), sub_energy)
    assert stem_measures.integrated_loudness(file, SR) == loudness.integrated_loudness(y=samples, sr=SR)
    assert dynamics_measure.measure_dynamics(
        samples=file, sr=SR, stats=stats, sub_energy=sub_energy
    ) == dynamics_measure.measure_dynamics(samples=samples, sr=SR, stats=stats, sub_energy=sub_energy)
    assert measure_space(samples=file, sr=SR) == measure_space(samples=samples, sr=SR)
    tempo = estimate_tempo(DecodedAudio(samples, SR))
    assert tempo is not None and estimate_tempo(file) == tempo
    mid = (samples[0] + samples[1]) * np.float32(0.5)
    total = float(np.mean(mid.astype(np.float64) ** 2))
    assert low_end.low_end(mid=file, sr=SR, cutoff_hz=80.0, total_power=total) == low_end.low_end(
        mid=mid, sr=SR, cutoff_hz=80.0, total_power=total
    )
    automation = [{"start_s": 0.0, "end_s": 3.0, "gain_db": -4.0}, {"start_s": 3.0, "end_s": 8.0, "gain_db": 2.5}]
    n = samples.shape[1]
    pieces = [dynamics_processing.automation_gains(automation, SR, n, a, min(n, a + 7001)) for a in range(0, n, 7001)]
    assert np.array_equal(np.concatenate(pieces), dynamics_processing.automation_gains(automation, SR, n, 0, n))


def test_the_tempo_signal_file_is_read_as_the_array(tmp_path: Path, small_blocks: None) -> None:
    signal = _song()[0]
    with write_stem_file(iter([signal[np.newaxis, :]]), channels=1, sample_rate=SR, directory=tmp_path) as file:
        on_disk = features.spectral_pass(file, SR)
    in_memory = features.spectral_pass(signal, SR)
    for name in ("mel", "low", "power", "centroid", "rolloff"):
        assert np.array_equal(getattr(on_disk, name), getattr(in_memory, name)), name
    assert on_disk.n_samples == in_memory.n_samples and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("shifts", [None, [37, 0], [-200, 5]])
def test_the_sum_written_block_by_block_is_the_sum(
    stem: tuple[np.ndarray, StemFile], small_blocks: None, shifts: list[int] | None
) -> None:
    samples, file = stem
    other = np.ascontiguousarray(samples[::-1, : samples.shape[1] // 2] * np.float32(0.3))
    gains, pans = [0.0, -3.0], [-0.5, 0.25]
    expected = auto_level.render_mix([samples, other], gains, pans, shifts=shifts)
    blocks = auto_level.mix_blocks([file, other], gains, pans, shifts=shifts)
    with write_stem_file(blocks, channels=2, sample_rate=SR) as summed:
        assert np.array_equal(whole(summed), expected)
    assert auto_level.mix_loudness([file, other], gains, pans, SR, shifts=shifts) == auto_level.mix_loudness(
        [samples, other], gains, pans, SR, shifts=shifts
    )
    if shifts is not None:  # each track moved as the render's alignment moves it, keeping its length
        first = auto_level.render_mix([samples], [0.0], [0.0], shifts=shifts[:1])
        s = shifts[0]
        moved = samples[:, : samples.shape[1] - s] if s > 0 else samples[:, -s:]
        kept = first[:, s:] if s > 0 else first[:, : samples.shape[1] + s]
        assert np.array_equal(kept, moved) and not np.any(first[:, :s] if s > 0 else first[:, samples.shape[1] + s :])
