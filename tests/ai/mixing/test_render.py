"""Rendering the engine's moves end to end: acted-on findings gone after the render, the asked
kinds applied, the stems prepared once."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai.audio import loudness
from ai.audio.decode import DecodedAudio
from ai.mixing.auto_level import auto_level
from ai.mixing.channel_strip import process_track
from ai.mixing.dynamics_processing import apply_compressor
from ai.mixing.render import render_master_report, render_mix_report
from tests.ai.mixing.signals import SR, band_song, stereo, suggestion, tone, track
from utils.errors import NoAudioFound


def dc_blocked(samples: np.ndarray) -> np.ndarray:
    """A stem as the render's DC blocker leaves it (every track goes through it first)."""
    return process_track(samples, SR, [], dc_block=True)


def balanced() -> dict[str, np.ndarray]:
    song = band_song()
    levels = auto_level([track(n, s) for n, s in song.items()]).levels
    return {n: s * np.float32(10 ** (levels[n].gain_db / 20)) for n, s in song.items()}


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
    # Nothing applied: the render is the plain sum of the stems, past the DC blocker (pans at the centre are unity).
    assert np.allclose(plain.samples, sum(dc_blocked(s) for s in song.values()), atol=1e-6)
    assert all(not entry["moves"] for entry in plain.applied)
    leveled = render_mix_report(tracks=tracks, apply=frozenset({"auto_level"}), remeasure=False)
    levels = auto_level(tracks).levels
    assert [entry["track"] for entry in plain.applied] == [entry["track"] for entry in leveled.applied] == list(song)
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
    expected = apply_compressor(samples=dc_blocked(song["Vocals"]), sr=SR, compressor=comp)
    others = sum(dc_blocked(s) for n, s in song.items() if n != "Vocals")
    assert np.allclose(result.samples, others + expected, atol=1e-5)


def test_pan_move_follows_the_pan_law() -> None:
    song = {"Lead": stereo(tone(440, amp=0.1)), "Bass": stereo(tone(80, amp=0.1))}
    tracks = [track(n, s) for n, s in song.items()]
    from ai.mixing.suggest import suggest

    report = suggest(tracks)
    report.suggestions.insert(0, suggestion("stereo", "Lead", {"kind": "pan", "pan": -1.0}))
    result = render_mix_report(tracks=tracks, report=report, apply=frozenset({"pan"}), remeasure=False)
    # Hard left: sqrt(2) on the left, nothing on the right; the bass stays centred at unity.
    lead, bass = dc_blocked(song["Lead"]), dc_blocked(song["Bass"])
    assert np.allclose(result.samples[0], math.sqrt(2) * lead[0] + bass[0], atol=1e-5)
    assert np.allclose(result.samples[1], bass[1], atol=1e-5)


def test_a_finished_mix_alone_is_mastered_and_measured_again_as_a_master() -> None:
    # A hot master with a DC offset: its true peak is over the ceiling; the render removes the offset,
    # limits it to the target, and the mastering findings it acted on are gone when measured again.
    mix = sum(balanced().values())
    mix = mix * np.float32(0.95 / np.abs(mix).max()) + np.float32(0.02)
    result = render_master_report(master=DecodedAudio(mix, SR), target="streaming")
    assert result.report_before.mode == "master" and result.report_after is not None
    assert result.report_after.mode == "master"
    before = {s.type for s in result.report_before.suggestions if not s.info}
    assert {"true_peak", "dc_offset"} <= before and "headroom" not in before
    m = result.measured_after
    assert {"true_peak", "dc_offset"} <= {g["type"] for g in m["gone"]} and m["remaining"] == []
    assert m["true_peak_dbtp"] <= -1.0 and m["integrated_lufs"] == pytest.approx(-14.0, abs=0.5)
    assert m["mix_quality_score_after"] > m["mix_quality_score_before"]
    assert {move["kind"] for entry in result.applied for move in entry["moves"]} == {"eq"}


def test_no_tracks_is_no_audio() -> None:
    with pytest.raises(NoAudioFound):
        render_mix_report(tracks=[])


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


def test_a_stem_of_dc_alone_is_a_dc_offset_and_the_render_removes_it() -> None:
    """K-weighted loudness does not hear DC: a stem of pure DC at -6 dBFS was only "silent", and the
    rendered mix kept its DC (a mean of 0.5 in every sample)."""
    song = dict(list(band_song().items())[:3])
    frames = next(iter(song.values())).shape[1]
    song["DC"] = np.full((2, frames), 0.5, dtype=np.float32)
    result = render_mix_report(tracks=[track(n, s) for n, s in song.items()], master_target="streaming")
    found = {s.type: s for s in result.report_before.suggestions if s.track == "DC"}
    assert found["dc_offset"].evidence["dc_offset"] == pytest.approx(0.5, abs=1e-3)
    assert "apart from its DC offset" in found["silence"].message
    assert any(g["type"] == "dc_offset" and g["track"] == "DC" for g in result.measured_after["gone"])
    assert np.abs(result.samples.mean(axis=1)).max() < 1e-3
    # Silent apart from its DC: no level finding, no level move (it was raised like a quiet part).
    assert "level" not in found and found["dc_offset"].evidence["dc_offset"] == pytest.approx(0.5, abs=1e-3)
    (applied,) = [a for a in result.to_dict()["applied"] if a["track"] == "DC"]
    assert (applied["gain_db"], applied["pan"]) == (0.0, 0.0)


def test_dc_under_the_threshold_but_near_the_tracks_level_is_found_and_the_render_makes_none() -> None:
    """song09's Strings: DC at -51.6 dBFS, 14 dB under its RMS, no finding; the render raised the stem and
    its own report after said "master has a DC offset -44 dBFS" and "Strings DC -45 dBFS", counted nowhere."""
    song = balanced()
    quiet = song["Guitar 1"] * np.float32(10 ** (-14 / 20))  # 14 dB under its place: the render raises it
    rms = float(np.sqrt(np.mean(quiet**2)))
    dc = np.float32(min(rms * 10 ** (-12 / 20), 10 ** (-51 / 20)))  # under -50 dBFS, 12 dB under its RMS
    song["Guitar 1"] = quiet + dc
    result = render_mix_report(tracks=[track(n, s) for n, s in song.items()], master_target="streaming")
    before = {(s.type, s.track) for s in result.report_before.suggestions if not s.info}
    assert ("dc_offset", "Guitar 1") in before
    assert result.report_after is not None
    assert not [s for s in result.report_after.suggestions if s.type == "dc_offset"]
    assert not [n for n in result.measured_after["new"] if n["type"] == "dc_offset"]
    assert ("dc_offset", "Guitar 1") in {(g["type"], g["track"]) for g in result.measured_after["gone"]}
    assert np.abs(result.samples.mean(axis=1)).max() < 1e-5


def test_the_findings_a_render_makes_are_listed_as_new() -> None:
    from ai.mixing.render_plan import compare_findings

    rumble = suggestion("rumble", "Bass", None)
    before = [rumble, suggestion("level", "Keys", {"kind": "gain", "gain_db": 3.0})]
    after = [
        rumble,
        suggestion("dc_offset", "master", None),  # no stem had DC before: the render's
        suggestion("rumble", "master", None),  # the bass's rumble, carried by the master
        suggestion("dc_offset", "Keys", None),
        suggestion("tonal", "Keys", None, info=True),
    ]
    compared = compare_findings(before, after, before=before)
    assert [(n["type"], n["track"]) for n in compared["new"]] == [("dc_offset", "master"), ("dc_offset", "Keys")]
    assert compared["problems_after"] == 4 and "new" not in compare_findings(before, after)


def test_a_pan_the_render_applies_is_not_measured_as_space() -> None:
    # Measured again as it sits in the mix, a panned part's level difference read as width: a piano
    # panned 0.3 left came back "too dry" (session 30). The render's pan is divided out of the reverb measure.
    from ai.mixing.suggest import suggest
    from tests.ai.mixing.test_space import bursts, diffuse_reverb

    keys = diffuse_reverb(bursts(kind="tone", every=0.5, on=0.2), rt60_s=1.0, wet=0.05)
    tracks = [track("Keys", keys, sr=22050, role="keys"), track("Bass", stereo(tone(80, amp=0.05, sr=22050)), sr=22050)]
    report = suggest(tracks)
    report.suggestions.insert(0, suggestion("stereo", "Keys", {"kind": "pan", "pan": 0.6}))
    result = render_mix_report(tracks=tracks, report=report, apply=frozenset({"pan"}))
    assert result.report_after is not None
    before = report.track_details["Keys"]["space"]
    after = result.report_after.track_details["Keys"]["space"]
    assert after["tail_width_db"] == pytest.approx(before["tail_width_db"], abs=0.5)
    assert after["note_width_db"] == pytest.approx(before["note_width_db"], abs=0.5)
