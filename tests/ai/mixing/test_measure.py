"""Per-track measurements on synthetic stems with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai.audio.decode import DecodedAudio
from ai.mixing.measure import NO_AUDIO_MESSAGE, TrackInput, analyse_track, measure_track, prepare_tracks
from tests.ai.mixing.signals import SR, band_noise, low_notes, n_samples, stereo, tone, track
from utils.errors import InvalidParameter, NoAudioFound


def measure(name: str, samples: np.ndarray, sr: int = SR, role: str | None = None):
    if samples.ndim == 1:
        samples = samples[np.newaxis, :]
    return measure_track(DecodedAudio(samples.astype(np.float32), sr), name=name, role=role)


def test_sine_lands_in_its_band_at_its_level() -> None:
    m = measure("Bass", stereo(tone(100, amp=1.0)))
    assert m.role == "bass"
    assert m.band_relative_db["low"] == pytest.approx(0.0, abs=0.1)
    assert m.band_levels_db["low"] == pytest.approx(-3.01, abs=0.2)  # full-scale sine: -3 dB RMS
    for band in ("mid", "high-mid", "presence", "air"):
        assert m.band_relative_db[band] is None or m.band_relative_db[band] < -40
    assert m.low_peak_hz == pytest.approx(100, abs=11)
    assert m.crest_factor_db == pytest.approx(3.01, abs=0.05)
    assert m.stereo_width == pytest.approx(0.0, abs=1e-6)
    assert m.correlation == pytest.approx(1.0)


def test_noise_band_energy() -> None:
    m = measure("Synth", stereo(band_noise(2300, 3700, amp=0.1)))
    assert max(m.band_relative_db, key=lambda b: m.band_relative_db[b] or -999) == "high-mid"
    assert m.band_relative_db["high-mid"] > -0.5
    assert m.band_relative_db["low"] < -30


def test_rumble_below_role_range() -> None:
    clean = band_noise(300, 3000, amp=0.1)
    rumble = tone(40, amp=0.1 * 10 ** (-10 / 20) * math.sqrt(2))  # 10 dB under the guitar's RMS
    m_clean = measure("Guitar", stereo(clean))
    m = measure("Guitar", stereo(clean + rumble))
    assert m.rumble_cutoff_hz == 80
    assert m_clean.rumble_share < 0.001
    assert m.rumble_share == pytest.approx(1 / 11, abs=0.015)  # 0.1 of the guitar's power out of 1.1
    assert m.rumble_peak_hz == pytest.approx(40, abs=11)
    # A steady hum is all floor: there between the notes too.
    assert m.rumble_steady_share == pytest.approx(m.rumble_share, rel=0.1)
    assert m_clean.rumble_steady_share < 0.001
    # A kick's 40 Hz is inside its range: not rumble.
    assert measure("Kick", stereo(rumble)).rumble_share < 0.01


def test_a_parts_own_low_notes_are_not_a_steady_floor() -> None:
    m = measure("Guitar", stereo(band_noise(300, 3000, amp=0.05) + low_notes()))
    assert m.rumble_share > 0.02  # the notes' fundamentals lie under the guitar's 80 Hz
    assert m.rumble_peak_hz == pytest.approx(65, abs=11)
    assert m.rumble_steady_share < 0.002  # ... but only while they sound


def test_clipping_dc_and_silence() -> None:
    sine = tone(220, amp=1.0)
    clipped = np.clip(sine * 4, -1, 1)
    assert measure("Keys", stereo(sine * 0.9)).clipped_runs == 0
    m = measure("Keys", stereo(clipped))
    # Two flat tops per cycle: 220 Hz x 6 s x 2, on each of the two channels; the sine is at or
    # beyond full scale wherever |sin| >= 1/4, i.e. 1 - (2/pi) asin(1/4) of the time.
    assert m.clipped_runs == pytest.approx(2 * 2 * 220 * 6, abs=4)
    assert m.clipped_samples == pytest.approx(2 * len(sine) * (1 - 2 / np.pi * np.arcsin(0.25)), rel=0.01)
    # A flat top below full scale (clipped, then turned down) is found the same way.
    lowered = measure("Keys", stereo(clipped * 0.5))
    assert (lowered.clipped_runs, lowered.clipped_samples) == (m.clipped_runs, m.clipped_samples)
    # A 16-bit low sine at 0.9 has a few equal samples at its peaks but no flat tops.
    quantised = np.round(tone(30, amp=0.9) * 32767) / 32767
    assert measure("Bass", stereo(quantised)).clipped_runs == 0
    # Clipped noise (a cymbal driven into the clipper) leaves single samples pinned at full scale.
    noisy = np.clip(band_noise(3000, 9000, amp=0.4), -1, 1)
    assert np.sum(np.abs(noisy) == 1.0) >= 8
    assert measure("Drums", stereo(noisy)).clipped_runs > 0
    assert measure("Drums", stereo(band_noise(3000, 9000, amp=0.2))).clipped_runs == 0
    # Floating-point headroom above 0 dBFS is not clipping (even with quantisation's equal neighbours).
    assert measure("Bass", stereo(quantised * 1.5)).clipped_runs == 0
    m = measure("Keys", stereo(sine * 0.5 + 0.05))
    assert m.dc_offset == pytest.approx(0.05, abs=1e-3)
    assert m.dc_offset_dbfs == pytest.approx(20 * math.log10(0.05), abs=0.2)
    half = np.concatenate([tone(440, amp=0.5, seconds=3), np.zeros(n_samples(3))])
    assert measure("Keys", stereo(half)).silent_share == pytest.approx(0.5, abs=0.05)


def test_a_stem_of_dc_alone_is_no_clipping_and_silent() -> None:
    """A mono 8 s stem of pure DC at -6 dBFS (352,800 samples) reported clipped_samples 705,600 and
    clipped_share 1.0: its one held value was a "flat top", counted on both of its prepared channels."""
    for level in (0.5, 1.0):  # at -6 dBFS, and stuck at full scale
        m = measure("DC", np.full(8 * 44100, level, dtype=np.float32), sr=44100)
        assert (m.clipped_samples, m.clipped_runs, m.clipped_share) == (0, 0, 0.0)
        assert m.dc_offset == pytest.approx(level)
        assert m.integrated_lufs is None  # no step into it: the K-weighting starts settled on its first sample
        assert m.silent and m.level_lufs is None


def test_a_mono_stem_counts_its_clipped_samples_once() -> None:
    """clipped_samples is per channel sample over the channels the stem has: a mono stem (brought to two
    identical channels) counts its samples once, and clipped_share is over its own samples."""
    clipped = np.clip(tone(220, amp=4.0), -1, 1)
    mono, both = measure("Keys", clipped), measure("Keys", stereo(clipped))
    assert mono.clipped_samples > 0 and both.clipped_samples == 2 * mono.clipped_samples
    assert both.clipped_runs == 2 * mono.clipped_runs
    assert mono.clipped_share == pytest.approx(mono.clipped_samples / clipped.size)
    assert mono.clipped_share == pytest.approx(both.clipped_share)
    assert mono.clipped_share == pytest.approx(1 - 2 / np.pi * np.arcsin(0.25), rel=0.01)


def test_stereo_width_and_correlation() -> None:
    noise = band_noise(200, 5000, amp=0.1)
    other = band_noise(200, 5000, amp=0.1, seed=9)
    inverted = measure("Pad", np.stack([noise, -noise]))
    assert inverted.correlation == pytest.approx(-1.0, abs=1e-4)
    assert inverted.stereo_width == pytest.approx(1.0, abs=1e-4)
    unrelated = measure("Pad", np.stack([noise, other]))
    assert abs(unrelated.correlation) < 0.05
    assert unrelated.stereo_width == pytest.approx(0.5, abs=0.05)


def test_mono_stem_is_measured_as_centred_in_stereo() -> None:
    mono = tone(997, amp=10 ** (-20 / 20), seconds=4, sr=48000)
    m = measure("Vocals", mono, sr=48000)
    assert m.channels == 1
    # One channel would read -23.01 LUFS; centred on both sides it reads -20.0.
    assert m.integrated_lufs == pytest.approx(-20.0, abs=0.1)
    assert m.correlation == 1.0 and m.stereo_width == 0.0


@pytest.mark.parametrize("channel", [2, 4])  # the centre alone, the left surround alone
def test_a_5_1_stem_is_measured_as_a_daw_plays_it_in_stereo(channel: int) -> None:
    """A 5.1 stem was folded to the mean of its six channels: a part in the centre alone read C / 6 (-15.6 dB),
    where a stereo mix plays it at -3 dB on both sides (ITU-R BS.775), and the level advice raised it by the
    difference. Its loudness is now the downmix's: the same as the stereo stem a DAW's downmix gives."""
    part = tone(300, amp=0.3)
    surround = np.zeros((6, part.size))
    surround[channel] = part
    side = part * math.sqrt(0.5)
    downmixed = np.stack([side, side]) if channel == 2 else np.stack([side, np.zeros_like(side)])
    m6 = measure_track(DecodedAudio(surround.astype(np.float32), SR), name="Dialogue", role="speech")
    m2 = measure_track(DecodedAudio(downmixed.astype(np.float32), SR), name="Dialogue", role="speech")
    assert m6.channels == 6
    assert m6.integrated_lufs == pytest.approx(m2.integrated_lufs, abs=0.05)
    (prepared,) = prepare_tracks([TrackInput("Dialogue", DecodedAudio(surround.astype(np.float32), SR), "speech")])
    assert "5.1 downmixed to stereo (ITU-R BS.775: centre and surrounds at -3 dB, LFE left out)" in prepared.notes


def test_a_stem_of_another_count_above_two_is_still_folded_to_mono() -> None:
    four = np.tile(tone(300, amp=0.3), (4, 1)).astype(np.float32)
    (prepared,) = prepare_tracks([TrackInput("Quad", DecodedAudio(four, SR), "keys")])
    assert "4 channels folded to mono" in prepared.notes
    assert isinstance(prepared.samples, np.ndarray) and np.allclose(prepared.samples[0], prepared.samples[1])


def test_prepare_handles_rates_and_lengths() -> None:
    a = track("Bass", stereo(tone(100, seconds=2, sr=44100)), sr=44100)
    b = track("Vocals", stereo(tone(1000, seconds=4, sr=48000)), sr=48000)
    c = track("Keys", tone(500, seconds=4, sr=48000)[np.newaxis, :], sr=48000)
    prepared = prepare_tracks([a, b, c])
    assert {p.sample_rate for p in prepared} == {48000}
    bass = prepared[0]
    assert any("resampled from 44100 Hz to 48000 Hz" in note for note in bass.notes)
    assert any("shorter than the longest stem" in note for note in bass.notes)
    assert bass.samples.shape == (2, 96000)
    assert prepared[2].samples.shape == (2, 192000)
    # The resampled tone keeps its frequency and level.
    m = analyse_track(bass).measurement
    assert m.low_peak_hz == pytest.approx(100, abs=12)
    assert m.band_levels_db["low"] == pytest.approx(20 * math.log10(0.5) - 3.01, abs=0.3)


def test_prepare_refuses_bad_sets() -> None:
    with pytest.raises(NoAudioFound) as info:
        prepare_tracks([])
    assert info.value.detail == NO_AUDIO_MESSAGE
    one = track("Bass", stereo(tone(100)))
    with pytest.raises(InvalidParameter, match="share the name"):
        prepare_tracks([one, one])
    with pytest.raises(InvalidParameter, match="unknown role"):
        prepare_tracks([TrackInput("Bass", one.audio, "cowbell")])
    assert prepare_tracks([one], roles={"Bass": "keys"})[0].role == "keys"


def test_measurement_to_dict_is_plain_json() -> None:
    import json

    m = measure("Hi-hats", stereo(band_noise(7000, 10000, amp=0.05)))
    data = m.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["role"] == "hihat" and set(data["bands"]) == {
        "sub", "low", "low-mid", "mid", "high-mid", "presence", "air"
    }  # fmt: skip
