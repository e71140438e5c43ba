"""Tonal balance: role curves, moves fitted to known EQ faults, the shipped model."""

from __future__ import annotations

import math

import numpy as np
import pedalboard
import pytest

from ai.mixing.eq_curves import BAND_OCT, GRID_HZ, SMOOTH_OCT, eq_response_db
from ai.mixing.findings import MIX_BUS
from ai.mixing.measure import track_spectra
from ai.mixing.tonal import (
    MASTER_MAX_GAIN_DB,
    RoleCurve,
    RoleCurves,
    Thresholds,
    aligned_share,
    load_role_curves,
    move_deviation,
    tonal_curve,
    tonal_findings,
)
from tests.ai.mixing.tonal_signals import SR, eq, noise, octaves, spectrum_of


def model_from(signal: np.ndarray, *, spread_db: float = 1.5) -> RoleCurves:
    """A "test" role whose curve is ``signal``'s, with a flat spread and known thresholds."""
    spectrum, freqs = spectrum_of(signal)
    centre = tonal_curve(spectrum=spectrum, freqs=freqs)
    curve = RoleCurve("test", centre, np.full(GRID_HZ.shape, spread_db), 10, 10)
    return RoleCurves(GRID_HZ.copy(), {"test": curve}, {}, {"test": "g"}, Thresholds({"*": (2.0, 3.0, 4.5)}))


def tonal(signal: np.ndarray, curves: RoleCurves, role: str = "test", **kwargs):
    spectrum, freqs = spectrum_of(signal)
    return tonal_findings(name="Keys", role=role, spectrum=spectrum, freqs=freqs, curves=curves, **kwargs)


@pytest.fixture(scope="module")
def reference_model() -> RoleCurves:
    return model_from(noise(seed=1))


# ----------------------------------------------------------------------------------- curves


def test_a_sine_fills_its_own_band_and_white_noise_rises_3_db_per_octave() -> None:
    t = np.arange(int(4 * SR)) / SR
    sine = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    curve = tonal_curve(spectrum=track_spectra(sine, SR).spectrum, freqs=track_spectra(sine, SR).freqs)
    k = int(np.argmin(np.abs(GRID_HZ - 1000)))
    # All of the power is within the band around 1 kHz; the Gaussian window (its equivalent width
    # SMOOTH_OCT * sqrt(2 pi) = 0.42 octave against the 1/3-octave band) reads a lone sine 1 dB low.
    assert curve[k] == pytest.approx(10 * math.log10(BAND_OCT / (SMOOTH_OCT * math.sqrt(2 * math.pi))), abs=0.2)
    assert curve[k + 6] < -40  # an octave away: nothing
    white = np.random.default_rng(0).standard_normal(int(8 * SR)).astype(np.float32) * 0.1
    spectra = track_spectra(white, SR)
    curve = tonal_curve(spectrum=spectra.spectrum, freqs=spectra.freqs)
    assert curve[k + 6] - curve[k] == pytest.approx(3.0, abs=0.3)  # 1 kHz -> 2 kHz: twice the bandwidth
    assert np.isnan(curve[GRID_HZ > 0.9 * SR / 2]).all()


# ----------------------------------------------------------------------------------- tonal findings


def test_clean_track_at_its_role_curve_has_no_finding(reference_model: RoleCurves) -> None:
    assert tonal(noise(seed=2), reference_model) == []


def test_a_band_limit_is_said_once_and_no_dull_move(reference_model: RoleCurves) -> None:
    """8-kHz speech in a 44.1-kHz session was "dull: 70.0 dB less around 7127 Hz": nothing past a band limit is
    a deficit an EQ can answer. The same noise low-passed as a resampler does reads one band-limit note."""
    import soxr

    limited = soxr.resample(soxr.resample(noise(seed=2), SR, 8000), 8000, SR)[: len(noise(seed=2))]
    findings = tonal(limited.astype(np.float32), reference_model)
    (note,) = findings
    assert note.band == "band_limit" and note.info and note.action is None
    assert 3500.0 < note.evidence["band_top_hz"] < 4000.0 and "holds nothing above" in note.message


@pytest.mark.parametrize(
    ("plugin", "band", "kind", "freq", "gain"),
    [
        (pedalboard.PeakFilter(cutoff_frequency_hz=280, gain_db=8, q=1.0), "mud", "bell", 280.0, -8.0),
        (pedalboard.PeakFilter(cutoff_frequency_hz=3500, gain_db=8, q=1.0), "harsh", "bell", 3500.0, -8.0),
        (
            pedalboard.HighShelfFilter(cutoff_frequency_hz=6000, gain_db=-10, q=0.707),
            "dull",
            "high_shelf",
            6000.0,
            10.0,
        ),
    ],
)
def test_an_injected_eq_fault_comes_back_as_the_move_that_undoes_it(
    reference_model: RoleCurves, plugin: pedalboard.Plugin, band: str, kind: str, freq: float, gain: float
) -> None:
    found = tonal(eq(noise(seed=3), plugin), reference_model)
    assert found, "the fault was not found"
    first = found[0]
    move = first.action["eq"]
    assert (first.type, first.band, first.track, move["type"]) == ("tonal", band, "Keys", kind)
    assert octaves(move["freq_hz"], freq) <= 1 / 3
    assert move["gain_db"] == pytest.approx(gain, abs=1.5)
    # Reported as advice: a distance from a role's curve is not proof of a fault (see the model card).
    assert (first.priority, first.info) == ("low", True)
    assert first.evidence["z"] > 4
    assert first.evidence["deviation_db"] == pytest.approx(-gain, abs=1.5)
    assert {"freq_hz", "deviation_db", "spread_db", "z"} <= set(first.evidence)


def test_move_deviation_measures_one_given_move(reference_model: RoleCurves) -> None:
    role_curve = reference_model.curves["test"]
    for gain in (8.0, -6.0):
        faulted = eq(noise(seed=3), pedalboard.PeakFilter(cutoff_frequency_hz=280, gain_db=gain, q=1.0))
        spectrum, freqs = spectrum_of(faulted)
        curve = tonal_curve(spectrum=spectrum, freqs=freqs)
        size = move_deviation(curve=curve, role_curve=role_curve, kind="bell", freq_hz=280.0, q=1.0)
        assert size == pytest.approx(gain, abs=1.0)


def test_a_small_deviation_within_the_spread_is_not_a_problem(reference_model: RoleCurves) -> None:
    wide = model_from(noise(seed=1), spread_db=4.0)  # z of a 8 dB bell: 2 -> "low" at most
    found = tonal(eq(noise(seed=3), pedalboard.PeakFilter(cutoff_frequency_hz=280, gain_db=8, q=1.0)), wide)
    assert found and all(s.priority == "low" for s in found)


def test_silence_and_roles_without_a_curve(reference_model: RoleCurves) -> None:
    assert tonal(np.zeros(int(2 * SR), dtype=np.float32), reference_model) == []
    assert tonal(noise(seed=2), reference_model, role="vocals") == []  # no curve, no fallback, no resonance limit


def test_the_mix_bus_is_filed_under_mix_bus(reference_model: RoleCurves) -> None:
    muddy = eq(noise(seed=4), pedalboard.PeakFilter(cutoff_frequency_hz=300, gain_db=9, q=1.0))
    (first, *_) = tonal(muddy, reference_model, track=MIX_BUS)
    assert first.track == MIX_BUS and first.message.startswith("The mix")


# ----------------------------------------------------------------------------------- the shipped model


def test_shipped_role_curves_load_once_and_cover_the_roles() -> None:
    curves = load_role_curves()
    assert curves is load_role_curves()
    for role in ("kick", "snare", "hihat", "bass", "guitar", "keys", "lead", "music"):
        rc = curves.for_role(role)
        assert rc is not None and rc.stems >= 4 and rc.active.sum() >= 10
        assert np.all(rc.spread_db[rc.active] >= curves.source["spread_floor_db"] - 1e-6)
    assert curves.for_role("vocals").role == "lead"
    assert RoleCurves.from_json(curves.to_json()).thresholds == curves.thresholds


def test_shipped_model_flags_a_gross_excess_on_a_track_at_its_role_curve() -> None:
    """A spectrum whose curve is the keys curve has no problem; 30 dB more at 280 Hz is "mud".

    The keys' spread at 280 Hz is about 5 dB and the pitched parts' thresholds were set where 15 %
    (low) and 1.5 % (medium) of clean training stems reach: only a gross excess stands out.
    """
    curves = load_role_curves()
    keys = curves.curves["keys"]
    freqs = np.fft.rfftfreq(4096, 1 / SR)
    level = np.interp(np.log2(np.maximum(freqs, 1)), np.log2(GRID_HZ), np.nan_to_num(keys.centre_db, nan=-120))
    spectrum = 10 ** (level / 10) / np.maximum(freqs, 1)  # a band's power spread over its bins
    spectrum[0] = 0
    assert tonal_findings(name="Piano", role="keys", spectrum=spectrum, freqs=freqs, curves=curves) == []
    boomy = spectrum * 10 ** (eq_response_db(kind="bell", freq_hz=280, gain_db=30, q=1.0, freqs=freqs) / 10)
    found = tonal_findings(name="Piano", role="keys", spectrum=boomy, freqs=freqs, curves=curves)
    assert found and found[0].band == "mud"
    assert octaves(found[0].evidence["freq_hz"], 280) <= 1 / 3
    assert found[0].evidence["deviation_db"] == pytest.approx(30, abs=5)
    assert found[0].action["eq"]["gain_db"] == -15.0  # clipped to MAX_GAIN_DB


def _at_music_curve(curves: RoleCurves) -> tuple[np.ndarray, np.ndarray]:
    """A power spectrum (and its bins' frequencies) whose tonal curve is the learned music curve."""
    freqs = np.fft.rfftfreq(4096, 1 / SR)
    centre = curves.curves["music"].centre_db
    level = np.interp(np.log2(np.maximum(freqs, 1)), np.log2(GRID_HZ), np.nan_to_num(centre, nan=-120))
    spectrum = 10 ** (level / 10) / np.maximum(freqs, 1)  # a band's power spread over its bins
    spectrum[0] = 0
    return spectrum, freqs


def test_a_range_the_part_hardly_plays_gets_no_boost() -> None:
    """The music curve with 40 dB less below 150 Hz (a waltz without a bass line): no 15 dB shelf boost
    (EQ cannot add what is not played), advice without an action; a 14 dB dip is still an EQ move."""
    curves = load_role_curves()
    spectrum, freqs = _at_music_curve(curves)
    no_bass = spectrum * 10 ** (eq_response_db(kind="low_shelf", freq_hz=150, gain_db=-40, q=0.707, freqs=freqs) / 10)
    found = tonal_findings(name="Mix", role="music", spectrum=no_bass, freqs=freqs, curves=curves)
    low = [s for s in found if s.evidence["freq_hz"] < 300 and s.evidence["deviation_db"] < -15]
    assert low, found
    assert all(s.action is None and s.suggestion.startswith("No EQ: Mix hardly sounds") for s in low)
    dip = spectrum * 10 ** (eq_response_db(kind="low_shelf", freq_hz=150, gain_db=-14, q=0.707, freqs=freqs) / 10)
    moves = tonal_findings(name="Mix", role="music", spectrum=dip, freqs=freqs, curves=curves)
    assert any(s.action and s.action["eq"]["gain_db"] > 5 and s.evidence["freq_hz"] < 300 for s in moves), moves


def test_a_master_is_moved_a_few_db_at_most_and_told_whose_curve_it_is() -> None:
    """A techno master (the music curve plus 18 dB of low shelf) was told to shelf 120 Hz down 15 dB."""
    curves = load_role_curves()
    spectrum, freqs = _at_music_curve(curves)
    boom = spectrum * 10 ** (eq_response_db(kind="low_shelf", freq_hz=120, gain_db=18, q=0.707, freqs=freqs) / 10)
    found = [s for s in tonal_findings(name="Mix", role="music", spectrum=boom, freqs=freqs, curves=curves) if s.action]
    low = [s for s in found if s.evidence["freq_hz"] < 300]
    assert low and all(abs(s.action["eq"]["gain_db"]) <= MASTER_MAX_GAIN_DB for s in found), found
    assert low[0].evidence["deviation_db"] > MASTER_MAX_GAIN_DB  # the measure says how far; the move stays small
    assert "electronic and hip-hop mixes carry more low end" in low[0].message


def test_a_tone_is_not_judged_against_a_parts_curve() -> None:
    """A sine bass read "76.1 dB more around 200 Hz than bass parts usually have" and the mix of it and a sine kick
    "57.7 dB more": a tone spans 2-3 of the bass curve's 6.5 octaves, so its alignment to the role came from bands
    it does not sound in (QA pass 4). Tones get no broad move; the bass curve itself still does."""
    curves = load_role_curves()
    t = np.arange(4 * SR) / SR
    for signal in (0.3 * np.sin(2 * np.pi * 110 * t), np.sin(2 * np.pi * 45 * t) + 0.3 * np.sin(2 * np.pi * 90 * t)):
        spectrum, freqs = spectrum_of(signal.astype(np.float32))
        found = tonal_findings(name="Bass", role="bass", spectrum=spectrum, freqs=freqs, curves=curves)
        assert not [s for s in found if "usually have" in s.message], [s.message for s in found]
    freqs = np.fft.rfftfreq(4096, 1 / SR)
    level = np.interp(
        np.log2(np.maximum(freqs, 1)), np.log2(GRID_HZ), np.nan_to_num(curves.curves["bass"].centre_db, nan=-120)
    )
    at_curve = 10 ** (level / 10) / np.maximum(freqs, 1)
    at_curve[0] = 0
    boomy = at_curve * 10 ** (eq_response_db(kind="bell", freq_hz=250, gain_db=30, q=1.0, freqs=freqs) / 10)
    assert tonal_findings(name="Bass", role="bass", spectrum=boomy, freqs=freqs, curves=curves)


def test_a_sine_drone_as_a_pad_gets_no_broad_move() -> None:
    """Three sines (110, 165, 220 Hz) as a pad read "127.5 dB more around 157 Hz than pad parts usually have" (QA pass
    7): their span with the smoothing's skirts (2.8 octaves) passed the tone rule, but they sound in a fifth of the pad
    range's weight, so the alignment was read off the curve's floor. A pure tone has no spectrum to judge."""
    curves = load_role_curves()
    t = np.arange(8 * SR) / SR
    drone = sum(0.2 * np.sin(2 * np.pi * f * t) for f in (110.0, 165.0, 220.0))
    spectrum, freqs = spectrum_of(np.asarray(drone, dtype=np.float32))
    found = tonal_findings(name="Drone", role="pad", spectrum=spectrum, freqs=freqs, curves=curves)
    assert not [s for s in found if "usually have" in s.message], [s.message for s in found]
    # A part that sounds across the pad range is still judged: the drone, 20 dB down, in a broad noise.
    pad = 0.1 * np.asarray(drone, dtype=np.float32) + noise(seed=3, seconds=8.0)
    spectrum, freqs = spectrum_of(pad.astype(np.float32))
    assert aligned_share(tonal_curve(spectrum=spectrum, freqs=freqs), curves.curves["pad"]) > 0.9
