"""Dynamics measures, norms and self-checking advice on synthetic signals with known answers."""

from __future__ import annotations

import math

import numpy as np
import pedalboard
import pytest

from ai.audio import loudness
from ai.mixing import dynamics, dynamics_advice, dynamics_norms
from ai.mixing.dynamics import dynamics_findings
from ai.mixing.dynamics_advice import find_sections, suggest_compressor, timing
from ai.mixing.dynamics_measure import measure_dynamics
from ai.mixing.dynamics_norms import MeasureNorm, RoleDynamics, RoleNorm, default_role_dynamics
from ai.mixing.dynamics_processing import apply_automation, apply_compressor

SR = 22050


def sine(freq: float, seconds: float, amp: float = 0.5, sr: int = SR) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


def stereo(mono: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.stack([mono, mono]), dtype=np.float32)


def hits(*, seconds: float = 12.0, every: float = 0.4, tau: float = 0.05, seed: int = 0) -> np.ndarray:
    """Noise bursts decaying with time constant ``tau`` every ``every`` seconds (a drum part)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(int(every * SR)) / SR
    out = np.zeros(n, dtype=np.float64)
    for start in range(0, n - t.size + 1, t.size):
        out[start : start + t.size] = rng.standard_normal(t.size) * np.exp(-t / tau)
    return (0.3 * out / np.abs(out).max()).astype(np.float32)


def squash(samples: np.ndarray, *, threshold_below_peak_db: float = 35.0) -> np.ndarray:
    """A fast 15:1 compressor far below the peak, made up to the original peak (over-compression)."""
    peak = float(np.abs(samples).max())
    threshold = 20 * math.log10(peak) - threshold_below_peak_db
    board = pedalboard.Pedalboard(
        [pedalboard.Compressor(threshold_db=threshold, ratio=15, attack_ms=0.5, release_ms=60)]
    )
    out = board(samples, SR)
    return (out * (peak / np.abs(out).max())).astype(np.float32)


def sectioned(mono: np.ndarray, gains_db: list[float], section_s: float) -> np.ndarray:
    """``mono`` with a constant gain per ``section_s`` section (abrupt steps)."""
    per = int(section_s * SR)
    curve = np.concatenate([np.full(per, 10 ** (g / 20)) for g in gains_db])[: mono.size]
    return (mono[: curve.size] * curve).astype(np.float32)


def norms_from(tracks: dict[str, list[np.ndarray]], *, over_z: float = 2.0, swing_z: float = 2.0) -> RoleDynamics:
    """Norms fitted on clean synthetic tracks per role (the family norms are the pooled tracks)."""

    def fit(name: str, group: list[np.ndarray]) -> RoleNorm:
        measured = [measure_dynamics(samples=stereo(x), sr=SR) for x in group]
        norms = {}
        for m in dynamics_norms.MEASURES:
            values = np.array([getattr(d, m) for d in measured], dtype=float)
            norms[m] = MeasureNorm({p: float(np.percentile(values, p)) for p in (10, 50, 90)})
        return RoleNorm(name, len(group), norms)

    roles = {role: fit(role, group) for role, group in tracks.items()}
    pooled = fit("tonal", [x for group in tracks.values() for x in group])
    families = {"percussive": roles.get("drums", pooled), "tonal": roles.get("bass", pooled), "music": pooled}
    return RoleDynamics(roles, families, over_z, over_z * 2, swing_z, swing_z * 2)


# ------------------------------------------------------------------------------------ measures


def test_steady_sine_measures() -> None:
    m = measure_dynamics(samples=stereo(sine(997.0, 8.0)), sr=SR)
    assert m.crest_db == pytest.approx(3.01, abs=0.05)
    # BS.1770: a 997 Hz sine in one channel reads 3.01 dB below its peak; in both, at its peak.
    assert m.plr_db == pytest.approx(0.0, abs=0.1)
    assert m.lra_lu == pytest.approx(0.0, abs=0.1)
    assert m.transient_db == pytest.approx(0.0, abs=0.3)
    assert m.block_crest_db == pytest.approx(3.01, abs=0.1)
    assert m.onsets == 1  # the tone's start, and nothing after it


def test_envelope_depth_of_decaying_hits() -> None:
    # One hit per 400 ms block, decaying with tau = 50 ms: the block's median 5 ms frame lies
    # 200 ms after the hit, 8.686 * 0.2 / 0.05 = 34.7 dB down, and the first frame's mean is
    # 0.43 dB below the hit's start: a depth of about 34.3 dB.
    t = np.arange(int(0.4 * SR)) / SR
    burst = np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.05)
    track = np.tile(burst, 20).astype(np.float32) * 0.5
    m = measure_dynamics(samples=stereo(track), sr=SR)
    assert m.transient_db == pytest.approx(34.3, abs=1.0)
    assert m.onsets == 20
    assert m.onset_interval_s == pytest.approx(0.4, abs=0.01)


def test_squashing_lowers_every_squash_measure() -> None:
    clean = stereo(hits())
    before = measure_dynamics(samples=clean, sr=SR)
    after = measure_dynamics(samples=squash(clean), sr=SR)
    for name in dynamics.SQUASH_MEASURES:
        assert after.value(name) < before.value(name) - 3.0, name


def test_silence_and_short_tracks() -> None:
    m = measure_dynamics(samples=np.zeros((2, SR * 4), dtype=np.float32), sr=SR)
    assert m.integrated_lufs is None and m.crest_db is None and m.transient_db is None
    norms = norms_from({"bass": [sine(110.0, 6.0)]})
    found = dynamics_findings(
        name="Bass",
        role="bass",
        measure=m,
        samples=np.zeros((2, SR * 4), dtype=np.float32),
        sr=SR,
        tempo_bpm=120.0,
        norms=norms,
    )
    assert found == []
    with pytest.raises(ValueError):
        measure_dynamics(samples=np.zeros(100, dtype=np.float32), sr=SR)


# ---------------------------------------------------------------------------------- processing


def test_apply_compressor_static_curve_and_makeup() -> None:
    x = stereo(sine(1000.0, 2.0, amp=10 ** (-6 / 20)))
    settings = {"threshold_db": -20.0, "ratio": 4.0, "attack_ms": 1.0, "release_ms": 100.0, "makeup_db": 0.0}
    out = apply_compressor(samples=x, sr=SR, compressor=settings)
    # Above the threshold, 14 dB over it comes out 14 / 4 = 3.5 dB over it: -16.5 dBFS peak.
    steady = 20 * math.log10(float(np.abs(out[:, SR:]).max()))
    assert steady == pytest.approx(-16.5, abs=1.0)
    made_up = apply_compressor(samples=x, sr=SR, compressor={**settings, "makeup_db": 6.0})
    assert 20 * math.log10(float(np.abs(made_up[:, SR:]).max())) == pytest.approx(steady + 6.0, abs=0.05)
    staged = apply_compressor(samples=x, sr=SR, compressor={"stages": [settings, settings]})
    assert 20 * math.log10(float(np.abs(staged[:, SR:]).max())) < steady - 2.0


def test_find_sections_and_automation() -> None:
    tone = sine(220.0, 15.0, amp=0.3)
    x = stereo(sectioned(tone, [0.0, -12.0, 0.0], 5.0))
    sections = find_sections(samples=x, sr=SR)
    assert [round(s["start_s"]) for s in sections] == [0, 5, 10]
    gains = dynamics_advice.section_automation(samples=x, sr=SR)
    assert [g["gain_db"] for g in gains] == pytest.approx([0.0, 12.0, 0.0], abs=0.3)
    levelled = apply_automation(samples=x, sr=SR, sections=gains)
    assert loudness.loudness_range(y=levelled, sr=SR) == pytest.approx(0.0, abs=0.5)


def test_timing_from_tempo_and_transients() -> None:
    norms = norms_from({"bass": [sine(110.0, 6.0)], "drums": [hits(seconds=6.0)]})
    sustained = measure_dynamics(samples=stereo(sine(110.0, 6.0)), sr=SR)
    percussive = measure_dynamics(samples=stereo(hits(seconds=6.0)), sr=SR)
    # Sustained: fast attack, a quarter note; percussive: slow attack, an eighth note.
    assert timing(measure=sustained, tempo_bpm=120.0, norms=norms) == (dynamics_advice.ATTACK_MS[0], 500.0)
    assert timing(measure=percussive, tempo_bpm=150.0, norms=norms) == (dynamics_advice.ATTACK_MS[1], 200.0)
    assert timing(measure=sustained, tempo_bpm=40.0, norms=norms)[1] == dynamics_advice.RELEASE_MS[1]
    # Without a tempo, the hits' 0.4 s spacing is the beat (150 BPM).
    assert timing(measure=percussive, tempo_bpm=None, norms=norms)[1] == 200.0


# ------------------------------------------------------------------------------------ findings


def test_over_compressed_drums_found_and_clean_not() -> None:
    clean = [hits(every=every, tau=tau, seed=k) for k, (every, tau) in enumerate(
        [(0.4, 0.05), (0.3, 0.04), (0.5, 0.06), (0.25, 0.05), (0.4, 0.07), (0.35, 0.045)]
    )]  # fmt: skip
    norms = norms_from({"drums": clean, "bass": [sine(110.0, 6.0)]})
    probe = hits(every=0.45, tau=0.055, seed=11)
    measure = measure_dynamics(samples=stereo(probe), sr=SR)
    assert (
        dynamics_findings(
            name="Drums", role="drums", measure=measure, samples=stereo(probe), sr=SR, tempo_bpm=120.0, norms=norms
        )
        == []
    )
    squashed = squash(stereo(probe))
    measure = measure_dynamics(samples=squashed, sr=SR)
    (found,) = dynamics_findings(
        name="Drums", role="drums", measure=measure, samples=squashed, sr=SR, tempo_bpm=120.0, norms=norms
    )
    assert found.type == "dynamics" and found.track == "Drums"
    assert found.evidence["problem"] == "over_compressed"
    assert found.priority in ("medium", "high")
    assert found.action["kind"] == "back_off"
    crest_gap = norms.norm("drums").measures["crest_db"].median - measure.crest_db
    assert found.action["back_off_db"] >= round(crest_gap, 1)
    # A tonal role is not judged for over-compression.
    as_keys = dynamics_findings(
        name="Keys", role="keys", measure=measure, samples=squashed, sr=SR, tempo_bpm=120.0, norms=norms
    )
    assert all(f.evidence["problem"] != "over_compressed" for f in as_keys)


def test_dc_and_rumble_under_hits_do_not_read_as_over_compression() -> None:
    """A kit with a DC offset and 18 Hz rumble: its unweighted crest and envelope depth fall (the offset and the rumble
    fill them), its peak-to-loudness, which K-weighting reads without them, stays above the norm: not squashed (it
    was "over-compressed", QA pass 5b). A squashed kit still is."""
    clean = [hits(every=every, tau=tau, seed=k) for k, (every, tau) in enumerate(
        [(0.4, 0.05), (0.3, 0.04), (0.5, 0.06), (0.25, 0.05), (0.4, 0.07), (0.35, 0.045)]
    )]  # fmt: skip
    norms = norms_from({"drums": clean, "bass": [sine(110.0, 6.0)]})
    probe = hits(every=0.45, tau=0.055, seed=11)
    t = np.arange(probe.size) / SR
    fouled = stereo((probe + 0.15 + 0.15 * np.sin(2 * np.pi * 18.0 * t)).astype(np.float32))
    measure = measure_dynamics(samples=fouled, sr=SR)
    norm = norms.norm("drums")
    z, _ = dynamics.over_compression_z(measure=measure, norm=norm)
    assert z is not None and z >= norms.over_compressed_z  # the mean of the four reads squashed ...
    assert measure.plr_db is not None and measure.plr_db >= norm.measures["plr_db"].median  # ... the PLR does not
    found = dynamics_findings(
        name="Drums", role="drums", measure=measure, samples=fouled, sr=SR, tempo_bpm=120.0, norms=norms
    )
    assert all(f.evidence["problem"] != "over_compressed" for f in found)


def bass_line(seconds: float) -> np.ndarray:
    """Plucked 110/147 Hz notes, one every 0.5 s."""
    t = np.arange(int(0.5 * SR)) / SR
    notes = [np.sin(2 * np.pi * f * t) * np.exp(-t / 0.3) for f in (110.0, 147.0)]
    return (0.4 * np.concatenate([notes[k % 2] for k in range(int(seconds / 0.5))])).astype(np.float32)


def test_slow_swing_gets_automation_that_checks_out() -> None:
    clean = [bass_line(24.0)]
    norms = norms_from({"bass": clean * 3, "drums": [hits(seconds=6.0)]})
    swung = stereo(sectioned(bass_line(24.0), [9.0, -9.0, 9.0, -9.0, 9.0, -9.0], 4.0))
    measure = measure_dynamics(samples=swung, sr=SR)
    assert measure.lra_lu > 15.0
    (found,) = dynamics_findings(
        name="Bass", role="bass", measure=measure, samples=swung, sr=SR, tempo_bpm=120.0, norms=norms
    )
    assert found.evidence["problem"] == "uncontrolled"
    action = found.action
    assert action["kind"] == "automation"
    starts = [s["start_s"] for s in action["sections"]]
    assert starts == pytest.approx([0, 4, 8, 12, 16, 20], abs=0.5)
    gains = [s["gain_db"] for s in action["sections"]]
    assert max(gains) - min(gains) == pytest.approx(18.0, abs=1.0)
    check = action["check"]
    assert check["passes"] and check["moved"] >= dynamics_advice.CHECK_FRACTION
    # The check is what applying the automation gives.
    again = loudness.loudness_range(y=apply_automation(samples=swung, sr=SR, sections=action["sections"]), sr=SR)
    assert again == pytest.approx(check["after"], abs=0.01)


def test_compressor_from_the_signal_moves_the_range_and_checks_out() -> None:
    # A crescendo and decrescendo every 8 s (+-9 dB): no steps for automation to follow.
    line = bass_line(24.0)
    lfo = 10 ** (9 * np.sin(2 * np.pi * np.arange(line.size) / SR / 8.0) / 20)
    swung = stereo((line * lfo).astype(np.float32))
    measure = measure_dynamics(samples=swung, sr=SR)
    norms = norms_from({"bass": [line] * 3, "drums": [hits(seconds=6.0)]})
    target = 3.0
    advice = suggest_compressor(
        samples=swung, sr=SR, measure=measure, target_lra_lu=target, tempo_bpm=120.0, norms=norms
    )
    c = advice.compressor
    assert dynamics_advice.RATIO_RANGE[0] <= c["ratio"] <= dynamics_advice.RATIO_RANGE[1]
    assert c["release_ms"] == 500.0  # a quarter note at 120 BPM on sustained material
    assert advice.check["before"] == pytest.approx(measure.lra_lu)
    assert advice.check["moved"] >= dynamics_advice.CHECK_FRACTION
    out = apply_compressor(samples=swung, sr=SR, compressor=c)
    assert loudness.loudness_range(y=out, sr=SR) == pytest.approx(advice.check["after"], abs=0.01)
    # Makeup keeps the integrated loudness.
    assert loudness.integrated_loudness(y=out, sr=SR) == pytest.approx(measure.integrated_lufs, abs=0.3)


# --------------------------------------------------------------------------------------- norms


def test_shipped_norms_load_and_round_trip() -> None:
    norms = default_role_dynamics()
    assert default_role_dynamics() is norms
    for role in ("kick", "snare", "bass", "music", "drums"):
        assert norms.norm(role).name == role and norms.norm(role).n >= dynamics_norms.MIN_ROLE_STEMS
    assert norms.norm("vocals").name == "tonal"
    assert norms.norm("overheads").name == "percussive"
    assert norms.norm("kick").measures["crest_db"].median > norms.norm("music").measures["transient_db"].median
    assert 0 < norms.over_compressed_z < norms.over_compressed_high_z
    assert 0 < norms.uncontrolled_z < norms.uncontrolled_high_z
    again = RoleDynamics.from_dict(norms.to_dict())
    assert again.norm("snare").measures["plr_db"].median == pytest.approx(
        norms.norm("snare").measures["plr_db"].median, abs=1e-3
    )
    with pytest.raises(ValueError):
        RoleDynamics.from_dict({"thresholds": {}, "roles": {}, "families": {}})
