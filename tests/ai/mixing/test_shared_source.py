"""Tracks that share a source: polarity between tracks, duplicates and bounces (ai.mixing.shared_source),
and what the balance and the render do with them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.signal

from ai.audio.decode import DecodedAudio
from ai.audio.stem_file import write_stem_file
from ai.mixing.auto_level import auto_level, mix_loudness
from ai.mixing.channel_strip import Move, process_track, strip_blocks
from ai.mixing.measure import TrackInput
from ai.mixing.render_plan import DEFAULT_APPLY, plan_moves
from ai.mixing.shared_source import shared_sources
from ai.mixing.targets import ROLE_BALANCE_LU

SR = 44100
SECONDS = 6.0


def drum(seed: int, freq: float, every: float = 0.5, seconds: float = SECONDS) -> np.ndarray:
    """Hits of a decaying sine with a noise attack, every ``every`` s: a close-miked drum, stereo."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(8000) / SR
    hit = np.sin(2 * np.pi * freq * t) * np.exp(-t * 20) + 0.3 * rng.standard_normal(8000) * np.exp(-t * 60)
    y = np.zeros(n)
    for start in range(int(0.05 * SR), n - 8000, int(every * SR)):
        y[start : start + 8000] += 0.5 * hit * rng.uniform(0.7, 1.0)
    return np.stack([y, y]).astype(np.float32)


def keys(seconds: float = SECONDS) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    y = 0.2 * (np.sin(2 * np.pi * 262 * t) + 0.5 * np.sin(2 * np.pi * 330 * t)) * (1 + 0.3 * np.sin(2 * np.pi * t))
    return np.stack([y, 0.9 * y]).astype(np.float32)


def second_mic(x: np.ndarray, *, gain: float, delay_ms: float) -> np.ndarray:
    """Another microphone on ``x``'s source: later by ``delay_ms``, ``gain`` (negative: inverted), a little EQ."""
    d = int(round(delay_ms * SR / 1000))
    sos = scipy.signal.butter(2, 5000, fs=SR, output="sos")
    y = np.zeros_like(x)
    y[:, d:] = scipy.signal.sosfilt(sos, x, axis=1)[:, : x.shape[1] - d]
    return (gain * y).astype(np.float32)


def test_a_microphone_in_opposite_polarity_is_found_with_its_lag() -> None:
    kick = drum(1, 60)
    names = ["Kick In", "Kick Out", "Snare", "Keys"]
    found = shared_sources(names, [kick, second_mic(kick, gain=-0.6, delay_ms=2.0), drum(2, 190), keys()], SR)
    assert len(found.polarity) == 1 and not found.left_out
    pair = found.polarity[0]
    assert (pair.kept, pair.flipped) == ("Kick In", "Kick Out")  # the quieter is flipped
    assert pair.correlation < -0.8
    assert pair.lag_ms == pytest.approx(2.0, abs=0.2)
    assert pair.shift_ms == pytest.approx(-2.0, abs=0.2)
    (finding,) = [s for s in found.findings() if s.type == "phase"]
    assert finding.priority == "high" and finding.track == "Kick Out"
    assert "Kick In" in finding.message and "2.0 ms" in finding.message and "(correlation -" in finding.message
    assert finding.action == {"kind": "polarity", "invert": True, "shift_ms": pytest.approx(-2.0, abs=0.2)}


def test_the_same_polarity_and_unrelated_tracks_are_no_finding() -> None:
    kick = drum(1, 60)
    names = ["Kick In", "Kick Out", "Snare", "Keys", "Tom"]
    tracks = [kick, second_mic(kick, gain=0.6, delay_ms=3.0), drum(2, 190), keys(), drum(3, 110, every=0.75)]
    found = shared_sources(names, tracks, SR)
    assert found.polarity == [] and found.left_out == {}


def test_a_duplicate_and_a_bounce_are_left_out_and_nothing_else() -> None:
    kick, snare, piano = drum(1, 60), drum(2, 190, every=1.0), keys()
    mix = 0.8 * kick + 0.5 * snare + 1.2 * piano
    names = ["Kick", "Snare", "Piano", "Kick copy", "Stereo Out"]
    found = shared_sources(names, [kick, snare, piano, 0.7 * kick, mix.astype(np.float32)], SR)
    assert set(found.left_out) == {"Kick copy", "Stereo Out"}
    assert found.left_out["Kick copy"].kind == "duplicate" and found.left_out["Kick copy"].of == ("Kick",)
    bounce = found.left_out["Stereo Out"]
    assert bounce.kind == "bounce" and set(bounce.of) >= {"Kick", "Piano"}
    assert found.polarity == []
    messages = {s.track: s.message for s in found.findings()}
    assert "the same audio as Kick" in messages["Kick copy"]
    assert "a mix of the other tracks" in messages["Stereo Out"]


def test_a_bounce_names_its_quieter_tracks_too() -> None:
    """A mix bus beside its stems read as "a bounce of Kick and Piano": the quieter stems in it went unnamed."""
    kick, snare, hat, piano = drum(1, 60), drum(2, 190, every=1.0), drum(3, 900, every=0.25), keys()
    mix = 0.8 * kick + 0.25 * snare + 0.15 * hat + 1.2 * piano
    names = ["Kick", "Snare", "Hat", "Piano", "Mix"]
    bounce = shared_sources(names, [kick, snare, hat, piano, mix.astype(np.float32)], SR).left_out["Mix"]
    assert set(bounce.of) == {"Kick", "Piano"} and set(bounce.quieter) == {"Snare", "Hat"}
    assert "a bounce of mostly Kick and Piano, with 2 more: " in bounce.reason, bounce.reason


def test_a_name_alone_makes_no_bounce() -> None:
    found = shared_sources(["Kick", "Master", "Piano"], [drum(1, 60), drum(2, 190), keys()], SR)
    assert found.left_out == {}


def test_auto_level_balances_the_pair_flipped() -> None:
    kick, snare, piano = drum(1, 60), drum(2, 190), keys()
    alone = auto_level(
        [TrackInput(n, DecodedAudio(y, SR)) for n, y in [("Kick In", kick), ("Snare", snare), ("Piano", piano)]]
    )
    paired = auto_level(
        [
            TrackInput(n, DecodedAudio(y, SR))
            for n, y in [
                ("Kick In", kick),
                ("Kick Out", second_mic(kick, gain=-0.8, delay_ms=0.0)),
                ("Snare", snare),
                ("Piano", piano),
            ]
        ]
    )
    assert paired.levels["Kick Out"].invert_polarity and not paired.levels["Kick In"].invert_polarity
    # Summed as they are, the pair cancels and the group was raised ~14 dB; flipped, the two kick mics
    # together sit where the one did alone (within a few dB: the even split and the sum of two).
    balance = paired.to_dict()["levels"]
    assert balance["Kick In"]["balance_db"] - alone.to_dict()["levels"]["Kick In"]["balance_db"] < 1.0
    assert "opposite polarity" in " ".join(paired.notes)


def test_auto_level_leaves_a_bounce_out() -> None:
    kick, piano = drum(1, 60), keys()
    tracks = [("Kick", kick), ("Piano", piano), ("Mix", (kick + piano).astype(np.float32))]
    result = auto_level([TrackInput(n, DecodedAudio(y, SR)) for n, y in tracks])
    assert set(result.levels) == {"Kick", "Piano"}
    assert "a mix of the other tracks" in result.left_out["Mix"]
    assert result.to_dict()["left_out"] == result.left_out


def test_the_channel_strip_flips_and_moves_a_track_the_same_whole_and_in_blocks(tmp_path: Path) -> None:
    x = np.random.default_rng(0).standard_normal((2, 3 * (1 << 16) + 123)).astype(np.float32)
    moves = [Move("polarity", {"invert": True, "shift_ms": -1.0}, {})]
    d = int(round(SR / 1000))
    expected = np.zeros_like(x)
    expected[:, :-d] = -x[:, d:]
    whole = process_track(x, SR, moves)
    np.testing.assert_array_equal(whole, expected)
    later = process_track(x, SR, [Move("polarity", {"invert": False, "shift_ms": 1.0}, {})])
    np.testing.assert_array_equal(later[:, d:], x[:, :-d])
    assert not later[:, :d].any()
    stem = write_stem_file(iter([x]), channels=2, sample_rate=SR, directory=tmp_path)
    try:
        np.testing.assert_array_equal(np.concatenate(list(strip_blocks(stem, SR, moves)), axis=1), expected)
    finally:
        stem.close()


def test_the_plan_leaves_out_a_duplicate_whatever_is_applied_and_flips_the_pair() -> None:
    kick = drum(1, 60)
    found = shared_sources(
        ["Kick In", "Kick Out", "Kick In copy"], [kick, second_mic(kick, gain=-0.5, delay_ms=0.0), kick], SR
    )
    names = ["Kick In", "Kick Out", "Kick In copy"]
    plan = plan_moves(found.findings(), track_names=names, apply=frozenset(), mastering=False)
    assert set(plan.left_out) == {"Kick In copy"} and not plan.moves["Kick Out"]
    plan = plan_moves(found.findings(), track_names=names, apply=DEFAULT_APPLY, mastering=False)
    assert [m.kind for m in plan.moves["Kick Out"]] == ["polarity"]
    assert plan.moves["Kick Out"][0].params["invert"] is True


def kick_pair(delay_ms: float, gain: float = 0.8) -> tuple[list[str], list[np.ndarray]]:
    """Kick In, Kick Out ``delay_ms`` later in the same polarity (with the snare's bleed), a snare and keys."""
    kick, snare = drum(1, 60), drum(2, 190)
    out = second_mic(kick, gain=gain, delay_ms=delay_ms) + np.float32(0.1) * snare
    return ["Kick In", "Kick Out", "Snare", "Keys"], [kick, out, snare, keys()]


@pytest.mark.parametrize("delay_ms", [0.5, 2.0, 6.0])
def test_a_microphone_later_in_the_same_polarity_is_a_comb_with_its_lag_and_first_notch(delay_ms: float) -> None:
    names, tracks = kick_pair(delay_ms)
    found = shared_sources(names, tracks, SR)
    assert found.polarity == [] and not found.left_out and len(found.comb) == 1
    comb = found.comb[0]
    assert (comb.early, comb.late) == ("Kick In", "Kick Out")  # the earlier is the one to delay
    assert comb.correlation > 0.8
    # The lag to the full rate's sample: the delay built in plus second_mic's low-pass (45 us of group delay).
    assert comb.lag_ms == pytest.approx(round(delay_ms * SR / 1000) / SR * 1000 + 0.045, abs=0.02)
    assert comb.lag_samples == round(comb.lag_ms * SR / 1000)
    assert comb.first_notch_hz == pytest.approx(500 / delay_ms, rel=0.1)
    assert found.pairs == {frozenset(("Kick In", "Kick Out"))}
    (finding,) = [s for s in found.findings() if s.type == "phase"]
    assert finding.track == "Kick In" and finding.tracks == ("Kick In", "Kick Out")
    assert finding.evidence["problem"] == "comb_filter" and finding.evidence["lag_samples"] == comb.lag_samples
    assert f"Delay Kick In by {comb.lag_ms:.2f} ms ({comb.lag_samples} samples at 44.1 kHz)" in finding.suggestion
    assert f"notches at {comb.first_notch_hz:.0f} Hz" in finding.message
    assert finding.action == {"kind": "polarity", "invert": False, "shift_ms": comb.lag_samples * 1000 / SR}


def test_the_earlier_track_is_delayed_whichever_is_listed_first() -> None:
    names, tracks = kick_pair(3.0)
    found = shared_sources(names[::-1], tracks[::-1], SR)
    assert [(c.early, c.late) for c in found.comb] == [("Kick In", "Kick Out")]
    assert found.comb[0].lag_ms == pytest.approx(3.0, abs=0.05)


def test_a_comb_is_as_deep_as_the_balance_makes_it() -> None:
    names, tracks = kick_pair(6.0, gain=0.3)  # first notch at 83 Hz, on the kick's 60 Hz body
    comb = shared_sources(names, tracks, SR).comb[0]
    equal = 20 * np.log10(1 / 0.3)  # Kick Out brought up to Kick In's level
    as_is, balanced, apart = comb.loss_db(), comb.loss_db(0.0, equal), comb.loss_db(0.0, -20.0)
    assert balanced.worst_db > as_is.worst_db > apart.worst_db >= 0.0
    assert balanced.notch_db < -20.0 and apart.notch_db > -1.0
    assert balanced.worst_db >= 6.0  # the kick's octave nearly cancels: a high finding at those levels
    gains = {"Kick In": 0.0, "Kick Out": equal}
    (high,) = [s for s in shared_sources(names, tracks, SR).findings(gains) if s.type == "phase"]
    assert high.priority == "high" and "at the balanced levels" in high.message
    assert high.evidence["levels"] == "balanced"
    (quiet,) = [s for s in shared_sources(names, tracks, SR).findings({"Kick Out": -20.0}) if s.type == "phase"]
    assert quiet.priority == "low"


def test_a_pair_closer_than_the_minimum_lag_is_no_comb() -> None:
    names, tracks = kick_pair(0.1)  # first notch at 5 kHz
    found = shared_sources(names, tracks, SR)
    assert found.comb == [] and found.polarity == []


def test_the_render_plan_delays_the_earlier_microphone_and_the_comb_is_gone() -> None:
    names, tracks = kick_pair(2.0)
    found = shared_sources(names, tracks, SR)
    plan = plan_moves(found.findings(), track_names=names, apply=DEFAULT_APPLY, mastering=False)
    assert [m.kind for m in plan.moves["Kick In"]] == ["polarity"] and not plan.moves["Kick Out"]
    move = plan.moves["Kick In"][0]
    assert move.params == {"invert": False, "shift_ms": found.comb[0].lag_samples * 1000 / SR}
    aligned = [process_track(t, SR, plan.moves[n]) for n, t in zip(names, tracks, strict=True)]
    assert shared_sources(names, aligned, SR).comb == []
    assert (
        plan_moves(found.findings(), track_names=names, apply=frozenset({"eq"}), mastering=False).moves["Kick In"] == []
    )


def test_auto_level_says_which_microphone_to_delay() -> None:
    names, tracks = kick_pair(2.0)
    result = auto_level([TrackInput(n, DecodedAudio(y, SR)) for n, y in zip(names, tracks, strict=True)])
    assert any(note.startswith("Kick In plays 2.0") and "Kick Out" in note for note in result.notes)


@pytest.mark.parametrize("delay_ms", [6.0, 8.0])
def test_a_tonal_kick_far_apart_without_bleed_is_a_comb(delay_ms: float) -> None:
    # A 60 Hz kick's low band swings to -0.9 half a period from its peak when the two mics are 6-8 ms apart
    # and nothing else fills the blocks where they play: the positive peak still outweighs it.
    kick = drum(1, 60)
    names = ["Kick In", "Kick Out", "Snare"]
    found = shared_sources(names, [kick, second_mic(kick, gain=0.7, delay_ms=delay_ms), drum(2, 190)], SR)
    assert [(c.early, c.late) for c in found.comb] == [("Kick In", "Kick Out")] and found.polarity == []
    assert found.comb[0].lag_ms == pytest.approx(delay_ms + 0.045, abs=0.05)


@pytest.mark.parametrize("delay_ms", [3.0, 6.0])
def test_auto_level_balances_a_comb_pair_lined_up_as_the_render_plays_it(delay_ms: float) -> None:
    # Summed as they are, Kick In and Kick Out 3-6 ms apart notch the kick's body, and the balance made up
    # for the loss; the render then lines them up and the kick came out louder than the balance meant.
    names, tracks = kick_pair(delay_ms, gain=1.0)
    result = auto_level([TrackInput(n, DecodedAudio(y, SR)) for n, y in zip(names, tracks, strict=True)])
    lag = shared_sources(names, tracks, SR).comb[0].lag_samples
    levels = [result.levels[n] for n in names]
    kicks = mix_loudness(
        tracks[:2], [lv.gain_db for lv in levels[:2]], [lv.pan for lv in levels[:2]], SR, shifts=[lag, 0]
    )
    snare = mix_loudness(tracks[2:3], [levels[2].gain_db], [levels[2].pan], SR)
    assert kicks.integrated_lufs is not None and snare.integrated_lufs is not None
    expected = ROLE_BALANCE_LU["kick"] - ROLE_BALANCE_LU["snare"]
    assert kicks.integrated_lufs - snare.integrated_lufs == pytest.approx(expected, abs=0.3)


@pytest.mark.parametrize("frames", [3, (1 << 18) + 3])
def test_a_stem_whose_last_block_is_under_four_frames_is_read(frames: int) -> None:
    # The reduction sums frames in fours, block by block: a stem of 1-3 frames, or one whose last block held
    # 1-3 (2^18 + 3 frames, 5.9 s), gave sosfilt an empty signal, and every mixing route answered 500.
    kick = drum(1, 60, seconds=((1 << 18) + 8) / SR)[:, :frames]
    found = shared_sources(["Kick", "Snare"], [np.ascontiguousarray(kick), drum(2, 190)], SR)
    assert found.polarity == [] and found.left_out == {}
