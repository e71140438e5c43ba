"""Auto-level: balance by role, headroom, independence from input gains."""

from __future__ import annotations

import numpy as np
import pytest

from ai.audio import loudness
from ai.mixing.auto_level import auto_level, pan_gains, role_targets
from ai.mixing.pans import role_pans
from ai.mixing.targets import ROLE_BALANCE_LU
from tests.ai.mixing.signals import SR, band_song, crash_hits, stereo, track


def tracks_at(gains_db: dict[str, float]):
    return [
        track(name, samples * np.float32(10 ** (gains_db.get(name, 0.0) / 20))) for name, samples in band_song().items()
    ]


def test_balance_by_role_and_headroom() -> None:
    song = band_song()
    result = auto_level(tracks_at({}))
    assert set(result.levels) == set(song)
    after = {}
    for name, samples in song.items():
        level = result.levels[name]
        left, right = pan_gains(level.pan)
        placed = samples * np.float32(10 ** (level.gain_db / 20)) * np.array([[left], [right]], dtype=np.float32)
        after[name] = loudness.integrated_loudness(y=placed, sr=SR)
    # Every track sits at its role's offset from the vocals.
    for name, role in [("Kick", "kick"), ("Bass", "bass"), ("Guitar 1", "guitar"), ("Hi-hats", "hihat")]:
        assert after[name] - after["Vocals"] == pytest.approx(ROLE_BALANCE_LU[role], abs=0.3)
    assert result.mix_true_peak_dbtp is not None and result.mix_true_peak_dbtp <= -1.0 + 1e-6
    # This song has headroom to spare: the pre-master loudness target sets its level, not the ceiling.
    assert not result.limited_by_ceiling
    assert result.mix_loudness_lufs == pytest.approx(-18.0, abs=0.01)
    assert result.levels["Kick"].pan == 0.0 and result.levels["Guitar 1"].pan != 0.0
    data = result.to_dict()
    assert data["gain_adjustments"]["Kick"] == pytest.approx(result.levels["Kick"].gain_db, abs=0.01)
    assert data["status"] == "success"


def test_independent_of_input_gains() -> None:
    rng = np.random.default_rng(5)
    perturbation = {name: float(rng.uniform(-12, 12)) for name in band_song()}
    base = auto_level(tracks_at({}))
    moved = auto_level(tracks_at(perturbation))
    for name, shift in perturbation.items():
        # Each stem's final level (input gain + auto-level gain) is the same.
        assert moved.levels[name].gain_db + shift == pytest.approx(base.levels[name].gain_db, abs=0.05)


def test_ceiling_limits_a_loud_target() -> None:
    result = auto_level(tracks_at({}), target=-6)
    assert result.limited_by_ceiling
    assert result.mix_true_peak_dbtp == pytest.approx(-1.0, abs=1e-6)
    assert result.mix_loudness_lufs is not None and result.mix_loudness_lufs < -6
    assert any("ceiling" in note for note in result.notes)


def test_shared_roles_split_and_spread() -> None:
    assert role_targets(["guitar", "guitar", "vocals"]) == pytest.approx(
        [ROLE_BALANCE_LU["guitar"] - 3.0103, ROLE_BALANCE_LU["guitar"] - 3.0103, 0.0], abs=1e-3
    )
    pans = role_pans(["guitar", "guitar", "kick", "hihat"])
    assert pans[0] == -pans[1] and pans[0] < 0
    assert pans[2] == 0.0 and pans[3] > 0
    assert pan_gains(0.0) == pytest.approx((1.0, 1.0))
    left, right = pan_gains(-1.0)
    assert left**2 + right**2 == pytest.approx(2.0) and right == pytest.approx(0.0, abs=1e-12)


def test_silent_track_is_left_alone() -> None:
    tracks = tracks_at({}) + [track("FX", stereo(np.zeros(SR * 6, dtype=np.float32)))]
    result = auto_level(tracks)
    assert result.levels["FX"].gain_db == 0.0
    assert any("FX" in note for note in result.notes)


def test_a_stem_of_dc_alone_is_silent_and_not_gained_up() -> None:
    """Its K-weighted step at the start measured -29 LUFS: it was levelled (and panned) like a part."""
    alone = auto_level(tracks_at({}))
    with_dc = auto_level(tracks_at({}) + [track("DC", np.full((2, SR * 6), 0.5, dtype=np.float32))])
    dc = with_dc.levels["DC"]
    assert (dc.gain_db, dc.pan, dc.loudness_before_lufs) == (0.0, 0.0, None)
    assert any("DC" in note for note in with_dc.notes)
    for name, level in alone.levels.items():
        assert with_dc.levels[name].gain_db == pytest.approx(level.gain_db, abs=1e-6)


def test_a_silent_stem_takes_no_share_and_no_place_in_its_roles_spread() -> None:
    """A muted second guitar: the one that plays is levelled and panned as if it were alone."""
    alone = auto_level(tracks_at({}))
    muted = auto_level(tracks_at({}) + [track("Guitar 2", stereo(np.zeros(SR * 6, dtype=np.float32)))])
    assert muted.levels["Guitar 1"].gain_db == pytest.approx(alone.levels["Guitar 1"].gain_db, abs=1e-6)
    assert muted.levels["Guitar 1"].pan == alone.levels["Guitar 1"].pan
    assert muted.levels["Guitar 2"].pan == 0.0 and muted.levels["Guitar 2"].gain_db == 0.0
    assert muted.levels["Guitar 2"].target_relative_lu == alone.levels["Guitar 1"].target_relative_lu


def test_balance_part_of_the_gains_is_what_suggest_names() -> None:
    # Hats 15 dB too loud, bass 10 dB too quiet, and the whole song 30 dB under its first level:
    # every gain is positive, yet the hats' balance move is a cut, the same as suggest's level finding.
    from ai.mixing.suggest import suggest

    tracks = tracks_at({name: -30.0 + {"Hi-hats": 15.0, "Bass": -10.0}.get(name, 0.0) for name in band_song()})
    data = auto_level(tracks).to_dict()
    levels = data["levels"]
    assert data["makeup_db"] > 20 and all(level["gain_db"] > 0 for level in levels.values())
    for level in levels.values():
        assert level["gain_db"] == pytest.approx(level["balance_db"] + data["makeup_db"], abs=0.02)
    moves = {s.track: s.action["gain_db"] for s in suggest(tracks).suggestions if s.type == "level" and s.action}
    assert {"Hi-hats", "Bass"} <= set(moves)
    for name, gain in moves.items():
        assert levels[name]["balance_db"] == pytest.approx(gain, abs=0.05)
    assert levels["Hi-hats"]["balance_db"] < -10 < 5 < levels["Bass"]["balance_db"]


def test_a_sparse_stem_is_levelled_on_its_hits_not_called_silent() -> None:
    """A crash with three hits in 31 s (98 % of its 100 ms stretches below -60 LUFS) was 'silent': left at
    0 dB while the kick beside it was raised 19 dB, so the crash ended 19 dB lower against the kick."""
    crash = track("Crash", crash_hits(), role="overheads")
    result = auto_level([*tracks_at({}), crash])
    level = result.levels["Crash"]
    assert level.loudness_before_lufs is not None
    assert level.gain_db != 0.0
    # Levelled on its gated loudness (the hits), as if it were a steady part at that loudness.
    assert level.loudness_after_lufs == pytest.approx(
        result.levels["Vocals"].loudness_after_lufs + level.target_relative_lu, abs=0.5
    )
    assert not any("Crash" in note for note in result.notes)


def test_a_finished_backing_sits_over_a_vocal_and_a_bed_under_speech() -> None:
    """An "Instrumental" under a vocal was placed 15 LU under it (the podcast bed's offset): a karaoke track
    turned down 17.5 dB. Under a voice or a lead it is the song's backing, 2.5 LU over the vocal; under speech
    still the bed."""
    vocal_song, backing = role_targets(["vocals", "music"])
    assert (vocal_song, backing) == (0.0, pytest.approx(2.5))
    assert role_targets(["speech", "speech", "music"])[2] == pytest.approx(-15.0)
    assert role_targets(["lead", "music"])[1] == pytest.approx(2.5)
