"""Suggestions: injected problems are found and pinned to the right track; clean stems stay clean."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ai.audio import loudness
from ai.audio.decode import DecodedAudio
from ai.mixing.auto_level import auto_level
from ai.mixing.cross_track_findings import masking_suggestions
from ai.mixing.findings import MIX_BUS
from ai.mixing.masking import MaskingFinding, find_masking
from ai.mixing.measure import NO_AUDIO_MESSAGE, analyse_track, prepare_tracks
from ai.mixing.suggest import suggest
from ai.mixing.targets import resolve_target
from tests.ai.mixing.signals import SR, band_noise, band_song, crash_hits, kick, low_notes, stereo, tone, track
from utils.errors import InvalidParameter, NoAudioFound

FAULT_TYPES = {"clipping", "dc_offset", "rumble", "level", "masking"}


def balanced_song() -> dict[str, np.ndarray]:
    """band_song() at auto-level's gains: a clean, balanced starting point."""
    song = band_song()
    levels = auto_level([track(n, s) for n, s in song.items()]).levels
    return {n: s * np.float32(10 ** (levels[n].gain_db / 20)) for n, s in song.items()}


def findings(song: dict[str, np.ndarray], **kwargs):
    report = suggest([track(n, s) for n, s in song.items()], **kwargs)
    json.dumps(report.to_dict(), allow_nan=False)
    return report


def of_type(report, kind: str):
    return [s for s in report.suggestions if s.type == kind]


def masking_as_is(song: dict[str, np.ndarray]):
    """The masking suggestions at the stems' own levels (suggest judges at the balanced levels): for the
    tests of how masking is measured, whose maskers are loud on purpose."""
    analyses = [analyse_track(p) for p in prepare_tracks([track(n, s) for n, s in song.items()])]
    return masking_suggestions(find_masking(analyses, gains_db=[0.0] * len(analyses)), analyses)


def test_clean_balanced_song_has_no_faults() -> None:
    report = findings(balanced_song())
    assert not [s for s in report.suggestions if s.type in FAULT_TYPES], [s.message for s in report.suggestions]
    # Sine-burst kicks and steady noise hats have the crest factor of squashed parts: the only
    # problems left are the dynamics judgements of these synthetic parts.
    problems = {(s.type, s.track) for s in report.suggestions if not s.info}
    assert problems <= {("dynamics", "Kick"), ("dynamics", "Hi-hats")}, problems
    assert report.mode == "stems" and len(report.tracks) == 5


def test_rumble_is_pinned_with_a_high_pass() -> None:
    song = balanced_song()
    rms = np.sqrt(np.mean(song["Guitar 1"] ** 2))
    song["Guitar 1"] = song["Guitar 1"] + stereo(tone(40, amp=float(rms) * 0.5))
    (found,) = of_type(findings(song), "rumble")
    assert found.track == "Guitar 1"
    assert found.action == {"kind": "eq", "eq": {"type": "high_pass", "freq_hz": 80.0, "gain_db": 0.0, "q": 0.707}}
    assert found.evidence["peak_hz"] == pytest.approx(40, abs=11)


def test_a_guitars_own_low_notes_are_advice_not_rumble() -> None:
    song = balanced_song()
    rms = float(np.sqrt(np.mean(song["Guitar 1"] ** 2)))
    song["Guitar 1"] = song["Guitar 1"] + stereo(low_notes(amp=rms))
    (found,) = of_type(findings(song), "rumble")
    assert found.track == "Guitar 1" and found.info and found.priority == "low"
    assert found.evidence["steady_share"] < 0.002 <= 0.02 <= found.evidence["share_below_cutoff"]


def test_low_bursts_on_a_vocal_are_rumble() -> None:
    song = balanced_song()
    rms = float(np.sqrt(np.mean(song["Vocals"] ** 2)))
    # Plosive-like thumps: a 50 Hz burst every 2 s.
    song["Vocals"] = song["Vocals"] + stereo(kick(amp=4 * rms, freq=50.0, every=2.0))
    (found,) = of_type(findings(song), "rumble")
    assert found.track == "Vocals" and not found.info and found.priority == "high"
    assert found.evidence["steady_share"] < 0.02 <= found.evidence["share_below_cutoff"]


def test_clipping_dc_and_level_faults() -> None:
    song = balanced_song()
    song["Vocals"] = np.clip(song["Vocals"] * 30, -1, 1)
    song["Bass"] = song["Bass"] + np.float32(0.02)
    song["Hi-hats"] = song["Hi-hats"] * np.float32(10 ** (15 / 20))
    report = findings(song)
    assert [s.track for s in of_type(report, "clipping")] == ["Vocals"]
    assert [s.track for s in of_type(report, "dc_offset")] == ["Bass"]
    levels = {s.track: s for s in of_type(report, "level")}
    assert "Hi-hats" in levels
    assert levels["Hi-hats"].action["gain_db"] == pytest.approx(-15, abs=1.5)
    assert levels["Hi-hats"].priority == "high"
    assert report.mix_quality_score < 85


def test_kick_and_bass_masking() -> None:
    song = balanced_song()
    # A bass that sits right on the kick's 55 Hz fundamental, all the time.
    song["Bass"] = stereo(tone(55, amp=0.05) + band_noise(90, 220, amp=0.02, seed=3))
    report = findings(song)
    masking = [s for s in of_type(report, "masking") if set(s.tracks) == {"Kick", "Bass"}]
    assert masking, [s.message for s in report.suggestions]
    (found,) = masking
    assert found.track == "Bass" and found.band == "sub"
    assert found.action["kind"] == "eq" and found.action["eq"]["type"] == "cut"
    assert found.action["eq"]["freq_hz"] == pytest.approx(55, abs=11)
    assert found.action["eq"]["gain_db"] < 0


def test_master_only_gives_mastering_advice() -> None:
    loud = np.clip(band_noise(60, 8000, amp=0.5, seed=2) * 1.8, -1.2, 1.2)  # peaks over full scale
    # The right channel 6 dB under the left: both channels must count, each as BS.1770 weighs it.
    master = np.stack([loud, loud * np.float32(0.5)])
    master_lufs = loudness.integrated_loudness(y=master, sr=SR)
    report = suggest([], master=DecodedAudio(master, SR), target="streaming")
    assert report.mode == "master"
    kinds = {s.type for s in report.suggestions}
    assert {"loudness", "true_peak"} <= kinds
    loudness_move = next(s for s in report.suggestions if s.type == "loudness")
    # The master comes down to the streaming target: -14 LUFS minus what it measures now.
    assert report.mix["integrated_lufs"] == pytest.approx(master_lufs, abs=0.01)
    assert loudness_move.action["gain_db"] == pytest.approx(-14.0 - master_lufs, abs=0.05)
    apple = suggest([], master=DecodedAudio(master, SR), target="apple")
    assert next(s for s in apple.suggestions if s.type == "loudness").action["gain_db"] == pytest.approx(
        -16.0 - master_lufs, abs=0.05
    )
    true_peak = next(s for s in report.suggestions if s.type == "true_peak")
    assert true_peak.action == {"kind": "limiter", "limiter": {"ceiling_dbtp": -1.0, "gain_db": 0.0}}


def test_reference_comparison_names_the_band() -> None:
    reference = band_noise(40, 10000, amp=0.1, seed=4)
    boomy = reference + band_noise(60, 200, amp=0.2, seed=5)
    report = suggest([], master=DecodedAudio(stereo(boomy), SR), reference=DecodedAudio(stereo(reference), SR))
    bands = {s.band: s for s in report.suggestions if s.type == "reference"}
    assert "low" in bands
    # Relative to the whole spectrum, the reference holds (250 - 60) / (10000 - 40) of its power in
    # the low band (-17.2 dB); the boomy mix adds four times the reference's power at 60-200 Hz
    # (-1.0 dB): 16.3 dB more low, less what the filters' skirts put outside the band.
    assert report.reference is not None
    assert report.reference["bands"]["low"]["difference_db"] == pytest.approx(16.3, abs=1.0)
    # The third-octave match cuts the boost first, inside 60-250 Hz, and boosts nothing there by much.
    cuts = [s.action["eq"] for s in report.suggestions if s.type == "reference" and s.band == "low"]
    assert cuts[0]["gain_db"] <= -10 and 60 <= cuts[0]["freq_hz"] <= 250
    assert max(eq["gain_db"] for eq in cuts) < 3


def test_no_audio_and_bad_target() -> None:
    with pytest.raises(NoAudioFound) as info:
        suggest([])
    assert info.value.detail == NO_AUDIO_MESSAGE
    with pytest.raises(InvalidParameter, match="target"):
        suggest([track("Kick", stereo(kick()))], target="loud")
    assert resolve_target("club").lufs == -9
    assert resolve_target("-12.5").lufs == -12.5
    assert resolve_target(-16).name == "-16 LUFS"
    for bad in (0, -80, "nan", True):
        with pytest.raises(InvalidParameter):
            resolve_target(bad)
    with pytest.raises(InvalidParameter, match="^target: 0 LUFS is outside"):  # not "-0 LUFS"
        resolve_target("-0")


def test_a_target_is_read_as_callers_write_it() -> None:
    """A typographic minus ("\u221214") and a platform's own name ("Apple Music") were 'unknown target'."""
    assert resolve_target("\u221214").lufs == -14
    assert resolve_target("\u221212.5 LUFS").name == "-12.5 LUFS"
    assert resolve_target("Apple Music") == resolve_target("apple_music") == resolve_target("apple")
    assert resolve_target("Tidal").name == "streaming"
    assert resolve_target("EBU R128").lufs == -23
    with pytest.raises(InvalidParameter, match=r"\(also 'apple music', 'itunes', 'tidal'"):  # the 422 lists them
        resolve_target("deezer")


def test_short_and_silent_stems_are_named() -> None:
    short = track("Kick", kick()[: SR // 5])
    silent = track("Vocals", np.zeros((2, SR * 2), dtype=np.float32))
    report = suggest([short, silent])
    messages = {s.track: s.message for s in report.suggestions if s.type == "silence"}
    assert "too short" in messages["Kick"]
    assert "silent" in messages["Vocals"]
    levels = auto_level([short, silent]).levels
    assert levels["Kick"].gain_db == 0.0 and levels["Vocals"].gain_db == 0.0


def test_boosted_bass_that_also_reads_too_loud_still_masks_the_kick() -> None:
    song = balanced_song()
    # The bass's extra energy sits on the kick's 55 Hz: it reads as a louder bass AND covers the kick.
    song["Bass"] = song["Bass"] + stereo(tone(55, amp=0.4))
    report = findings(song)
    assert any(s.track == "Bass" and s.evidence["deviation_db"] > 0 for s in of_type(report, "level"))
    kick_bass = [s for s in of_type(report, "masking") if set(s.tracks) == {"Kick", "Bass"}]
    assert kick_bass, [s.message for s in report.suggestions]
    assert kick_bass[0].band in ("sub", "low") and not kick_bass[0].info
    assert "level finding" in kick_bass[0].suggestion


@pytest.mark.parametrize(("amp", "priority"), [(0.12, "medium"), (0.2, "high")])
def test_a_bass_louder_than_its_balance_where_it_covers_the_kick_is_judged_where_it_is(
    amp: float, priority: str
) -> None:
    """Its excess (4.6 or 7.9 dB) sits at the kick's 55 Hz: the cut leaves it within 6 dB of its balance, so the
    cut is the move and the masking is judged with the bass where its fader is. Balanced as a whole, it was
    lowered until the kick was clear and stayed boomy (the bench's bass boosted 12 dB at the kick, 4 of 10)."""
    song = balanced_song()
    report = findings(dict(song, Bass=song["Bass"] + stereo(tone(55, amp=amp))))
    (kick_bass,) = [s for s in of_type(report, "masking") if set(s.tracks) == {"Kick", "Bass"}]
    assert kick_bass.message.startswith("With Bass at its own level") and kick_bass.evidence["levels"] == "own"
    assert kick_bass.priority == priority and kick_bass.evidence["own_level_excess_db"] > 4


def test_a_track_too_quiet_is_a_level_finding_not_masking() -> None:
    song = balanced_song()
    song["Vocals"] = song["Vocals"] * np.float32(10 ** (-20 / 20))
    report = findings(song)
    (vocals,) = [s for s in of_type(report, "level") if s.track == "Vocals"]
    assert vocals.evidence["deviation_db"] == pytest.approx(-20.0, abs=0.5)
    assert not [s for s in of_type(report, "masking") if "Vocals" in s.tracks], [s.message for s in report.suggestions]


def test_overlap_between_parts_of_equal_rank_is_info() -> None:
    song = balanced_song()
    # A second guitar on the same range (the first played backwards; [::-1] swapped its channels: the same
    # audio, now left out as a duplicate), louder: an arrangement overlap, not a problem.
    song["Guitar 2"] = song["Guitar 1"][:, ::-1].copy() * np.float32(1.2)
    clean = findings(balanced_song())
    report = findings(song)
    overlap = [s for s in of_type(report, "masking") if set(s.tracks) == {"Guitar 1", "Guitar 2"}]
    assert overlap and all(s.info for s in overlap)
    assert overlap[0].to_dict()["info"] is True
    problems = [s for s in of_type(report, "masking") if not s.info]
    assert not [s for s in problems if "Guitar 2" in s.tracks], [s.message for s in problems]
    info_penalty = sum(s.confidence for s in of_type(report, "masking") if s.info)
    assert info_penalty > 0 and report.mix_quality_score >= clean.mix_quality_score - 10


def test_a_broad_overlap_gets_a_broad_cut_where_the_masker_is_strongest() -> None:
    song = balanced_song()
    # A guitar over 1-2.5 kHz, 6 dB over the vocals' level there: it covers several fine bands.
    vocal_rms = float(np.sqrt(np.mean(song["Vocals"] ** 2)))
    song["Guitar 1"] = stereo(band_noise(1000, 2500, amp=2 * vocal_rms, seed=9))
    # Judged at the gains passed, here the stems as they are (suggest judges at the balanced levels, where
    # this guitar is lowered 12.7 dB and covers nothing: the next test).
    (found,) = [s for s in masking_as_is(song) if set(s.tracks) == {"Vocals", "Guitar 1"}]
    assert found.track == "Guitar 1" and not found.info
    low, high = found.evidence["region_hz"]
    assert low >= 630 and high <= 3150 and high / low >= 2  # more than one third-octave band
    eq = found.action["eq"]
    assert low <= eq["freq_hz"] < high and 1000 <= eq["freq_hz"] <= 2500
    assert eq["q"] < 2.0


def test_a_track_too_loud_is_a_level_move_not_also_masking_cuts() -> None:
    """A piano 12 dB too loud read as a level finding and three masking cuts on it, which its balanced level
    made unnecessary (the render applied them, then raised the piano 3.3 dB more than /auto_level to make up
    for them): masking is judged at the balanced levels."""
    song = balanced_song()
    vocal_rms = float(np.sqrt(np.mean(song["Vocals"] ** 2)))
    song["Guitar 1"] = stereo(band_noise(150, 6000, amp=2 * vocal_rms, seed=9))  # too loud everywhere
    assert [s for s in masking_as_is(song) if set(s.tracks) == {"Vocals", "Guitar 1"}]  # as it is, it covers
    report = findings(song)
    (level,) = [s for s in of_type(report, "level") if s.track == "Guitar 1"]
    assert level.evidence["deviation_db"] > 10
    assert not [s for s in of_type(report, "masking") if "Guitar 1" in s.tracks], [
        s.message for s in report.suggestions
    ]
    assert report.mix["balanced_gains_db"]["Guitar 1"] == pytest.approx(-level.evidence["deviation_db"], abs=0.1)


def test_a_mix_bus_judged_at_the_balanced_levels_says_so() -> None:
    """The mix bus's tone and dynamics come from the sum at auto-level's gains (a snare 13.5 dB low read as
    an over-compressed mix bus): its findings and its measures say so, and do not move with a fader."""
    song = balanced_song()
    quiet = dict(song, Kick=song["Kick"] * np.float32(10 ** (-14 / 20)))
    report, moved = findings(song), findings(quiet)
    bus = [s for s in report.suggestions if s.track == MIX_BUS and s.type in ("tonal", "dynamics")]
    assert all("at the balanced levels" in s.message.lower() and s.evidence["levels"] == "balanced" for s in bus)
    assert moved.mix["bands_relative_db"]["sub"] == pytest.approx(report.mix["bands_relative_db"]["sub"], abs=0.3)
    assert moved.mix["integrated_lufs"] < report.mix["integrated_lufs"]  # the headroom's sum is the faders' own
    for s in of_type(report, "masking"):
        assert s.message.startswith("At the balanced levels") and s.evidence["levels"] == "balanced"


def _second_bass(amp: float, last: float) -> np.ndarray:
    """A 55 Hz bass that plays only in the last ``last`` share of the song."""
    line = tone(55, amp=amp)
    line[: int(line.size * (1 - last))] = 0
    return stereo(line)


def test_a_bass_that_covers_the_kick_in_some_bars_is_judged_where_it_plays() -> None:
    song = balanced_song()
    # Over a third of the kick's hits it is louder than the kick at 55 Hz; averaged over all the
    # hits it would still be under it.
    song["Bass 2"] = _second_bass(0.2, 0.34)
    (found,) = [s for s in masking_as_is(song) if set(s.tracks) == {"Kick", "Bass 2"}]
    assert found.track == "Bass 2" and found.band == "sub" and not found.info
    assert found.evidence["smr_db"] < -2
    assert 0.25 < found.evidence["coverage"] < 0.45
    assert "where Bass 2 plays too (35% of them)" in found.message


def test_a_bass_under_one_kick_hit_in_twenty_is_not_a_masking_finding() -> None:
    song = balanced_song()
    song["Bass 2"] = _second_bass(0.2, 0.05)
    assert not [s for s in of_type(findings(song), "masking") if "Bass 2" in s.tracks]


def test_a_drum_bus_is_protected_from_the_bass_when_it_carries_the_kick() -> None:
    song = balanced_song()
    # No kick track: the kick lives in the drum bus with the hats.
    song["Drums"] = song.pop("Kick") + song.pop("Hi-hats")
    assert not [s for s in masking_as_is(song) if set(s.tracks) == {"Drums", "Bass"}]
    song["Bass"] = song["Bass"] + stereo(tone(55, amp=0.4))
    (drums_bass,) = [s for s in masking_as_is(song) if set(s.tracks) == {"Drums", "Bass"}]
    assert drums_bass.track == "Bass" and drums_bass.band in ("sub", "low") and not drums_bass.info
    assert 45 <= drums_bass.action["eq"]["freq_hz"] <= 65
    assert "sidechain" in drums_bass.suggestion


def test_the_tempo_is_measured_from_the_mix_unless_given() -> None:
    from ai.analysis.pipeline import estimate_tempo

    song = balanced_song()
    measured = findings(song)
    mix = DecodedAudio(np.sum([s for s in song.values()], axis=0, dtype=np.float32), SR)
    # The analysis' beat tracker on the sum of the stems (its accuracy has its own benches).
    assert measured.tempo_source == "analysis" and measured.tempo_bpm == estimate_tempo(mix) > 0
    given = findings(song, tempo_bpm=96.0)
    assert given.to_dict()["tempo_bpm"] == 96.0 and given.to_dict()["tempo_source"] == "given"


def test_a_sum_at_the_ceiling_is_not_called_clipping() -> None:
    from ai.mixing.mix_bus_findings import mix_findings

    target = resolve_target("streaming")
    at_ceiling = mix_findings({"integrated_lufs": -18.0, "true_peak_dbtp": -0.95}, target)
    assert not [s for s in at_ceiling if s.type == "headroom"]
    (over,) = [
        s for s in mix_findings({"integrated_lufs": -16.0, "true_peak_dbtp": -0.5}, target) if s.type == "headroom"
    ]
    assert over.priority == "medium" and "the mix bus clips" not in over.message
    (clipped,) = [
        s for s in mix_findings({"integrated_lufs": -12.0, "true_peak_dbtp": 1.2}, target) if s.type == "headroom"
    ]
    assert clipped.priority == "high" and "the mix bus clips" in clipped.message


def test_a_masking_message_names_the_region_where_its_cut_goes() -> None:
    """The worst band (60-80 Hz) sits inside a wider masked region (60-125 Hz) whose cut is at 108 Hz:
    the message names the region, so its cut does not fall outside the range it quotes."""
    finding = MaskingFinding(
        signal="Kick",
        masker="Bass",
        roles=("kick", "bass"),
        band="low",
        low_hz=60.0,
        high_hz=80.0,
        centre_hz=107.7,
        smr_db=-2.0,
        shares=(0.14, 0.22),
        region_hz=(60.0, 125.0),
    )
    (advice,) = masking_suggestions([finding], [])
    assert "mask each other at 60-125 Hz (low), most at 60-80 Hz:" in advice.message
    assert "at 108 Hz" in advice.suggestion
    narrow = MaskingFinding(
        "Vocals", "Guitar", ("vocals", "guitar"), "presence", 4000.0, 5000.0, 4500.0, -4.0, (0.1, 0.1)
    )
    assert "mask each other at 4000-5000 Hz (presence): during" in masking_suggestions([narrow], [])[0].message


def test_a_finished_backing_is_cut_gently_and_keyed_from_the_voice() -> None:
    """A vocal over a 2-track instrumental ("Beat", role music) was answered "cut Beat by 8 dB at 161 Hz": that
    thins the whole backing. A finished mix is cut 3 dB at most, as a dynamic band keyed from the voice; a
    guitar covering the same vocal as deep still gets its 8 dB."""

    def covered(masker: str, role: str) -> MaskingFinding:
        return MaskingFinding("Vocals", masker, ("vocals", role), "low", 160.0, 200.0, 161.0, -6.0, (0.3, 0.2))

    (beat,) = masking_suggestions([covered("Beat", "music")], [])
    (guitar,) = masking_suggestions([covered("Guitar", "guitar")], [])
    assert beat.action["eq"]["gain_db"] == -3.0 and "dynamic EQ band on Beat keyed from Vocals" in beat.suggestion
    assert guitar.action["eq"]["gain_db"] == -8.0


def test_a_percussion_bus_without_low_end_is_not_judged_as_a_kick() -> None:
    """A drum part of shakers with no kick track has no kick in it: the bass cannot "cover" it."""
    song = balanced_song()
    shaker = band_noise(3000, 9000, amp=0.03, seed=11) + band_noise(60, 160, amp=0.0015, seed=12)
    del song["Kick"]
    song["Drums"] = stereo(shaker)
    # The bass plays loud where the shaker's faint low tail is: judged as a kick, that tail would be covered.
    song["Bass"] = song["Bass"] + stereo(tone(90, amp=0.3))
    assert not [s for s in of_type(findings(song), "masking") if "Drums" in s.tracks]


def test_a_shared_home_the_kick_still_pokes_out_of_is_advice() -> None:
    def shared(smr_db: float) -> MaskingFinding:
        return MaskingFinding(
            "Kick", "Bass", ("kick", "bass"), "low", 60.0, 80.0, 70.0, smr_db, (0.45, 0.33), kind="shared"
        )

    # The kick 5 dB over the bass on its hits is heard; at 1 dB it is not clearly, and covered it is high.
    assert masking_suggestions([shared(5.1)], [])[0].priority == "low"
    assert masking_suggestions([shared(1.0)], [])[0].priority == "medium"
    covered = MaskingFinding("Kick", "Bass", ("kick", "bass"), "low", 60.0, 80.0, 70.0, -6.0, (0.45, 0.5))
    assert masking_suggestions([covered], [])[0].priority == "high"


@pytest.mark.parametrize(("amp", "priority"), [(1.0, "low"), (4.0, "medium")])
def test_a_vocal_covered_in_one_band_that_holds_little_of_it_is_one_step_down(amp: float, priority: str) -> None:
    """A guitar at 1.1-1.3 kHz covers the vocal only there (a fifth of its energy): the rest stands clear,
    so a mild cover is advice and a deep one (13 dB) medium, not high."""
    song = balanced_song()
    vocal_rms = float(np.sqrt(np.mean(song["Vocals"] ** 2)))
    song["Guitar 1"] = stereo(band_noise(1100, 1300, amp=amp * vocal_rms, seed=9))
    (found,) = [s for s in masking_as_is(song) if set(s.tracks) == {"Vocals", "Guitar 1"}]
    assert found.evidence["masked_share"] < 0.3
    assert found.priority == priority and "stands clear" in found.message


def test_a_partly_covered_signal_is_one_step_down_only_when_little_of_it_is_covered() -> None:
    def covered(smr_db: float, masked_share: float) -> str:
        finding = MaskingFinding(
            "Kick", "Bass", ("kick", "bass"), "low", 60.0, 80.0, 70.0, smr_db, (0.45, 0.5), masked_share=masked_share
        )
        return masking_suggestions([finding], [])[0].priority

    assert [covered(-1.0, 0.8), covered(-6.0, 0.8)] == ["medium", "high"]
    assert [covered(-1.0, 0.2), covered(-6.0, 0.2)] == ["low", "medium"]


@pytest.mark.parametrize(("plays", "priority"), [(1.0, "high"), (0.25, "medium")])
def test_a_masker_on_a_few_of_the_signals_notes_leaves_only_those_unclear(plays: float, priority: str) -> None:
    """A guitar twice as loud as the vocal over all of the vocal's range covers it wherever both play: all the
    way through, it is a high problem; loud in the first quarter of the song only (30 dB down after it), it
    leaves the rest of the vocal clear, so it is one step down."""
    song = balanced_song()
    vocal_rms = float(np.sqrt(np.mean(song["Vocals"] ** 2)))
    guitar = band_noise(700, 3500, amp=2 * vocal_rms, seed=9)
    guitar[int(plays * guitar.size) :] *= np.float32(10 ** (-30 / 20))
    song["Guitar 1"] = stereo(guitar)
    (found,) = [s for s in masking_as_is(song) if set(s.tracks) == {"Vocals", "Guitar 1"}]
    # What is unclear is the vocal's energy where the guitar plays: the coverage, as the guitar spans all of it.
    assert found.evidence["masked_share"] == pytest.approx(found.evidence["coverage"], abs=0.05)
    assert found.evidence["masked_share"] == pytest.approx(plays, abs=0.1)
    assert found.priority == priority


def test_a_sparse_stem_is_no_silence_and_its_level_finding_says_it_plays_rarely() -> None:
    song = balanced_song()
    quiet = crash_hits(seconds=6.0, hits=(1.0,)) * np.float32(10 ** (-20 / 20))  # one hit, 20 dB under its place
    report = suggest([*(track(n, s) for n, s in song.items()), track("Crash", quiet, role="overheads")])
    assert not [s for s in report.suggestions if s.type == "silence"], [s.message for s in report.suggestions]
    (crash,) = [t for t in report.tracks if t.name == "Crash"]
    assert crash.silent_share >= 0.9 and not crash.silent
    (level,) = [s for s in report.suggestions if s.type == "level" and s.track == "Crash"]
    assert level.evidence["deviation_db"] < -6 and "plays rarely" in level.message


def test_a_silent_stem_gets_no_loudness_move_for_the_mix_or_the_master() -> None:
    """A -70 dBFS hiss was "silent or nearly so" and the same answer asked for +49.9 LU to reach the streaming
    target, and raised all faders by 50 dB (QA pass 7): a mix of silent stems, or a silent master, has its silence
    finding and no loudness move."""
    hiss = stereo((10 ** (-70 / 20) * np.random.default_rng(5).standard_normal(10 * SR)).astype(np.float32))
    report = findings({"Hiss": hiss})
    assert [s.type for s in report.suggestions] == ["silence"], [s.message for s in report.suggestions]
    mastered = suggest([], master=DecodedAudio(hiss, SR), target="streaming")
    assert "silence" in {s.type for s in mastered.suggestions}
    assert not [s for s in mastered.suggestions if s.type in ("loudness", "headroom")], mastered.suggestions


def test_the_session_target_follows_who_leads_unless_one_is_given() -> None:
    from ai.mixing.targets import session_target, speech_led

    assert speech_led(["speech", "speech", "music"]) and not speech_led(["speech", "vocals", "bass"])
    assert session_target(None, ["speech", "music"]).lufs == -16.0
    assert session_target(None, ["speech", "vocals"]).name == "streaming"
    assert session_target("club", ["speech"]).lufs == -9.0
    assert session_target(None, []).name == "streaming"
