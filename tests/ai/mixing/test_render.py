"""Rendering the engine's moves: filters with known responses, the plan of moves, mastering to a
loudness target under the true-peak ceiling, and acted-on findings gone after the render."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import soundfile as sf

from ai.audio import loudness
from ai.mixing.audio_export import encode_audio
from ai.mixing.auto_level import auto_level
from ai.mixing.channel_strip import eq_plugins, process_track
from ai.mixing.dynamics_processing import apply_compressor
from ai.mixing.findings import MIX_BUS, Suggestion
from ai.mixing.mastering import master_to_target
from ai.mixing.render import render_mix_report
from ai.mixing.render_plan import DEFAULT_APPLY, parse_apply, plan_moves
from ai.mixing.targets import resolve_target
from tests.ai.mixing.signals import SR, band_song, kick, stereo, tone, track
from utils.errors import InvalidParameter, NoAudioFound


def gain_at(plugins_for: dict, freq: float, sr: int = SR) -> float:
    """Gain (dB) of an EQ move at ``freq``, from the RMS of a steady sine through it."""
    x = stereo(tone(freq, amp=0.1, seconds=2.0, sr=sr))
    y = process_track(x, sr, [_move(plugins_for)])
    steady = slice(sr // 2, None)
    return 20 * math.log10(np.sqrt(np.mean(y[0, steady] ** 2)) / np.sqrt(np.mean(x[0, steady] ** 2)))


def _move(eq: dict):
    from ai.mixing.channel_strip import Move

    return Move("eq", eq, {"type": "test"})


def suggestion(kind: str, track_name: str | None, action: dict | None, **kw) -> Suggestion:
    return Suggestion(kind, "m", kw.pop("priority", "medium"), track_name, "s", 0.8, {}, action, **kw)


def balanced() -> dict[str, np.ndarray]:
    song = band_song()
    levels = auto_level([track(n, s) for n, s in song.items()]).levels
    return {n: s * np.float32(10 ** (levels[n].gain_db / 20)) for n, s in song.items()}


# ----------------------------------------------------------------------------------- filters


def test_high_pass_is_a_fourth_order_butterworth() -> None:
    hp = {"type": "high_pass", "freq_hz": 200.0, "gain_db": 0.0, "q": 0.707}
    # |H|^2 = 1 / (1 + (fc / f)^8): -3.01 dB at fc, -14.3 dB at 2/3 fc, -24.1 dB an octave down.
    assert gain_at(hp, 200.0) == pytest.approx(-3.01, abs=0.3)
    assert gain_at(hp, 200.0 * 2 / 3) == pytest.approx(-14.3, abs=0.6)
    assert gain_at(hp, 100.0) == pytest.approx(-24.1, abs=0.8)
    assert gain_at(hp, 1000.0) == pytest.approx(0.0, abs=0.1)


def test_bell_and_shelves_give_their_gain() -> None:
    assert gain_at({"type": "cut", "freq_hz": 280.0, "gain_db": -7.0, "q": 1.4}, 280.0) == pytest.approx(-7.0, abs=0.2)
    assert gain_at({"type": "bell", "freq_hz": 3500.0, "gain_db": 4.0, "q": 2.0}, 3500.0) == pytest.approx(4.0, abs=0.2)
    # A shelf's corner is its half-gain point; far past it the whole gain applies.
    assert gain_at({"type": "high_shelf", "freq_hz": 2000.0, "gain_db": -6.0, "q": 0.707}, 8000.0) == pytest.approx(
        -6.0, abs=0.4
    )
    assert gain_at({"type": "low_shelf", "freq_hz": 200.0, "gain_db": 6.0, "q": 0.707}, 200.0) == pytest.approx(
        3.0, abs=0.3
    )
    with pytest.raises(ValueError):
        eq_plugins({"type": "notch", "freq_hz": 100.0}, SR)


# ----------------------------------------------------------------------------------- plan


def test_plan_skips_advice_and_what_a_render_cannot_fix() -> None:
    hp = {"kind": "eq", "eq": {"type": "high_pass", "freq_hz": 80.0, "gain_db": 0.0, "q": 0.707}}
    cut = {"kind": "eq", "eq": {"type": "cut", "freq_hz": 100.0, "gain_db": -4.0, "q": 2.0}}
    deeper = {"kind": "eq", "eq": {"type": "cut", "freq_hz": 110.0, "gain_db": -6.0, "q": 2.0}}
    found = [
        suggestion("rumble", "Gtr", hp),
        suggestion("dc_offset", "Gtr", {"kind": "eq", "eq": {"type": "high_pass", "freq_hz": 20.0}}),
        suggestion("masking", "Bass", cut),
        suggestion("masking", "Bass", deeper),
        suggestion("masking", "Gtr", cut, info=True),
        suggestion("level", "Bass", {"kind": "gain", "gain_db": 5.0}),
        suggestion("clipping", "Gtr", {"kind": "gain", "gain_db": -3.0}),
        suggestion("headroom", None, {"kind": "gain", "gain_db": -2.0}, tracks=(MIX_BUS,)),
        suggestion("space", "Gtr", {"kind": "reverb", "reverb": {}}),
        suggestion("level", "Nobody", {"kind": "gain", "gain_db": 1.0}),
    ]
    plan = plan_moves(found, track_names=["Gtr", "Bass"], apply=DEFAULT_APPLY, mastering=False)
    # One high-pass per track, the higher one; two cuts a 1/6 octave apart are one move, the deeper.
    assert [m.params for m in plan.moves["Gtr"]] == [hp["eq"]]
    assert [m.params["gain_db"] for m in plan.moves["Bass"]] == [-6.0]
    assert plan.moves[MIX_BUS] == []
    reasons = {(s["type"], s["track"]): s["reason"] for s in plan.skipped}
    assert reasons[("masking", "Gtr")].startswith("advice")
    assert reasons[("level", "Bass")] == "covered by auto-level"
    assert reasons[("headroom", MIX_BUS)] == "covered by auto-level"
    assert "re-export" in reasons[("clipping", "Gtr")]
    assert "reverb" in reasons[("space", "Gtr")]
    assert "Nobody" in reasons[("level", "Nobody")]
    # Without auto-level the level and headroom gains are applied as they are.
    plan = plan_moves(found, track_names=["Gtr", "Bass"], apply=frozenset({"gain"}), mastering=False)
    assert [m.params for m in plan.moves["Bass"]] == [{"gain_db": 5.0}]
    assert [m.params for m in plan.moves[MIX_BUS]] == [{"gain_db": -2.0}]
    assert plan.moves["Gtr"] == []


def test_apply_kinds_are_parsed_and_checked() -> None:
    assert parse_apply("eq, compressor") == {"eq", "compressor"}
    assert parse_apply(None) == DEFAULT_APPLY == parse_apply("all")
    assert parse_apply("none") == frozenset()
    with pytest.raises(InvalidParameter) as info:
        parse_apply(["eq", "reverb"])
    assert info.value.parameter == "apply"


# ----------------------------------------------------------------------------------- mastering


def drums(seconds: float = 8.0) -> np.ndarray:
    """Kick thumps plus noise clicks: a peaky signal (true peak far above its loudness)."""
    rng = np.random.default_rng(3)
    y = kick(amp=0.6, every=0.5, seconds=seconds)
    clicks = np.zeros_like(y)
    for start in range(SR // 4, y.size - 400, SR // 2):
        clicks[start : start + 400] += rng.normal(0, 0.5, 400) * np.exp(-np.arange(400) / 40)
    return stereo((0.25 * (y + clicks)).astype(np.float32))


@pytest.mark.parametrize("name", ["streaming", "club"])
def test_master_reaches_the_target_under_the_ceiling(name: str) -> None:
    mix = drums()
    target = resolve_target(name)
    out, info = master_to_target(mix, SR, target=target)
    lufs = loudness.integrated_loudness(y=out, sr=SR)
    tp = loudness.true_peak_dbtp(y=out, sr=SR)
    assert lufs == pytest.approx(target.lufs, abs=0.5)
    assert tp <= target.ceiling_dbtp
    assert info["within_tolerance"] and info["limiter"] is not None and info["drive_db"] > 0
    assert info["loudness_lufs"] == pytest.approx(lufs, abs=0.01)


def test_a_quiet_steady_mix_gets_a_gain_only() -> None:
    mix = stereo(tone(440, amp=0.05))
    out, info = master_to_target(mix, SR, target=resolve_target("streaming"))
    assert info["limiter"] is None and info["passes"] == 0
    gain = info["gain_db"]
    assert np.allclose(out, mix * np.float32(10 ** (gain / 20)), atol=1e-6)
    assert loudness.integrated_loudness(y=out, sr=SR) == pytest.approx(-14.0, abs=0.01)


# ----------------------------------------------------------------------------------- render


def test_rumble_render_removes_it_and_levels_the_mix() -> None:
    song = balanced()
    rms = float(np.sqrt(np.mean(song["Guitar 1"] ** 2)))
    song["Guitar 1"] = song["Guitar 1"] + stereo(tone(40, amp=rms * 0.5))
    song["Hi-hats"] = song["Hi-hats"] * np.float32(10 ** (15 / 20))
    tracks = [track(n, s) for n, s in song.items()]
    result = render_mix_report(tracks=tracks, master_target="streaming")
    before = {(s.type, s.track) for s in result.report_before.suggestions if not s.info}
    assert {("rumble", "Guitar 1"), ("level", "Hi-hats")} <= before
    gone = {(g["type"], g["track"]) for g in result.measured_after["gone"]}
    assert {("rumble", "Guitar 1"), ("level", "Hi-hats")} <= gone
    guitar = next(entry for entry in result.applied if entry["track"] == "Guitar 1")
    assert {k: guitar["moves"][0][k] for k in ("kind", "type", "freq_hz")} == {
        "kind": "eq",
        "type": "high_pass",
        "freq_hz": 80.0,
    }
    hat = next(entry for entry in result.applied if entry["track"] == "Hi-hats")
    assert hat["gain_db"] < guitar["gain_db"] - 10  # the hats were 15 dB too loud
    # The input is kept (the render works on copies).
    assert np.array_equal(tracks[1].audio.samples, song["Bass"])
    m = result.measured_after
    assert m["integrated_lufs"] == pytest.approx(-14.0, abs=0.5) and m["true_peak_dbtp"] <= -1.0
    assert result.samples.shape == (2, song["Kick"].shape[1]) and result.samples.dtype == np.float32


def test_only_the_asked_kinds_are_applied() -> None:
    song = balanced()
    tracks = [track(n, s) for n, s in song.items()]
    plain = render_mix_report(tracks=tracks, apply=frozenset(), remeasure=False)
    # Nothing applied: the render is the plain sum of the stems (pans at the centre are unity).
    assert np.allclose(plain.samples, sum(song.values()), atol=1e-6)
    assert all(not entry["moves"] for entry in plain.applied)
    leveled = render_mix_report(tracks=tracks, apply=frozenset({"auto_level"}), remeasure=False)
    levels = auto_level(tracks).levels
    for entry in leveled.applied:
        assert entry["pan"] == pytest.approx(levels[entry["track"]].pan, abs=0.01)
    # Auto-level holds the sum 0.1 dB under the ceiling (or at -18 LUFS).
    assert loudness.true_peak_dbtp(y=leveled.samples, sr=SR) <= -1.0


def test_a_compressor_move_is_the_dynamics_compressor() -> None:
    song = balanced()
    comp = {"threshold_db": -30.0, "ratio": 4.0, "attack_ms": 5.0, "release_ms": 80.0, "makeup_db": 2.0}
    move = suggestion("dynamics", "Vocals", {"kind": "compressor", "compressor": comp})
    tracks = [track(n, s) for n, s in song.items()]
    from ai.mixing.suggest import suggest

    report = suggest(tracks)
    report.suggestions.insert(0, move)
    result = render_mix_report(
        tracks=tracks, report=report, apply=frozenset({"compressor"}), remeasure=False, workers=1
    )
    expected = apply_compressor(samples=song["Vocals"], sr=SR, compressor=comp)
    others = sum(s for n, s in song.items() if n != "Vocals")
    assert np.allclose(result.samples, others + expected, atol=1e-5)


def test_pan_move_follows_the_pan_law() -> None:
    song = {"Lead": stereo(tone(440, amp=0.1)), "Bass": stereo(tone(80, amp=0.1))}
    tracks = [track(n, s) for n, s in song.items()]
    from ai.mixing.suggest import suggest

    report = suggest(tracks)
    report.suggestions.insert(0, suggestion("stereo", "Lead", {"kind": "pan", "pan": -1.0}))
    result = render_mix_report(tracks=tracks, report=report, apply=frozenset({"pan"}), remeasure=False)
    # Hard left: sqrt(2) on the left, nothing on the right; the bass stays centred at unity.
    assert np.allclose(result.samples[0], math.sqrt(2) * song["Lead"][0] + song["Bass"][0], atol=1e-5)
    assert np.allclose(result.samples[1], song["Bass"][1], atol=1e-5)


def test_no_tracks_is_no_audio() -> None:
    with pytest.raises(NoAudioFound):
        render_mix_report(tracks=[])


# ----------------------------------------------------------------------------------- export


def test_encode_round_trip_and_determinism() -> None:
    y = drums(seconds=2.0) * np.float32(0.5)
    for fmt, depth, subtype, tolerance in (("wav", 24, "PCM_24", 2e-7), ("flac", 16, "PCM_16", 2.5 / 32768)):
        data = encode_audio(y, SR, fmt=fmt, bit_depth=depth)
        decoded, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        assert sr == SR and sf.info(io.BytesIO(data)).subtype == subtype
        assert np.max(np.abs(decoded.T - y)) <= tolerance
        assert encode_audio(y, SR, fmt=fmt, bit_depth=depth) == data
    with pytest.raises(InvalidParameter):
        encode_audio(y, SR, fmt="mp3")


def test_a_stem_working_against_itself_is_narrowed_and_the_phase_finding_is_gone() -> None:
    song = balanced()
    guitar = song["Guitar 1"]
    rng = np.random.default_rng(8)
    own = (0.5 * float(np.sqrt(np.mean(guitar**2))) * rng.standard_normal(guitar.shape)).astype(np.float32)
    song["Guitar 1"] = np.stack([guitar[0] + own[0], -0.5 * guitar[1] + own[1]])  # a widener gone wrong
    tracks = [track(n, s) for n, s in song.items()]
    result = render_mix_report(tracks=tracks, master_target="streaming")
    (phase,) = [s for s in result.report_before.suggestions if s.type == "stereo" and s.track == "Guitar 1"]
    assert phase.action is not None and phase.action["kind"] == "stereo"
    assert phase.action["stereo"]["flip_right"] is False and phase.action["stereo"]["side_gain_db"] < -3
    assert ("stereo", "Guitar 1") in {(g["type"], g["track"]) for g in result.measured_after["gone"]}
    moves = next(entry for entry in result.applied if entry["track"] == "Guitar 1")["moves"]
    assert any(move["kind"] == "stereo" for move in moves)


def test_apply_stereo_flips_and_narrows() -> None:
    from ai.mixing.channel_strip import apply_stereo

    x = stereo(tone(220, amp=0.3))
    flipped = np.stack([x[0], -x[1]])
    apply_stereo(flipped, flip_right=True)
    assert np.array_equal(flipped, x)
    wide = np.stack([x[0], np.zeros_like(x[1])])  # all in the left: mid and side equal
    apply_stereo(wide, side_gain_db=-6.0)
    mid, side = (wide[0] + wide[1]) / 2, (wide[0] - wide[1]) / 2
    assert np.allclose(mid, x[0] / 2, atol=1e-6)
    assert np.allclose(side, x[0] / 2 * 10 ** (-6 / 20), atol=1e-6)


def test_stems_are_prepared_once_per_render(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stem at another rate is resampled (a stem file of its own when it came in one): the
    # render's advice and its processing share one preparation instead of doing it twice.
    import ai.mixing.measure as measure

    calls: list[str] = []
    prepare_array = measure._prepare_array

    def counted(name: str, *args: object, **kwargs: object) -> object:
        calls.append(name)
        return prepare_array(name, *args, **kwargs)  # type: ignore[arg-type]

    song = balanced()
    tracks = [track(n, s) for n, s in song.items()]
    monkeypatch.setattr(measure, "_prepare_array", counted)
    render_mix_report(tracks=tracks, remeasure=False)
    assert sorted(calls) == sorted(song)
