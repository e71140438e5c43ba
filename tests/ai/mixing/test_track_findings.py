"""Findings on one track: clipping advice scaled to the damage, a flipped or over-wide stereo part."""

from __future__ import annotations

import numpy as np
import pytest

from ai.audio.decode import DecodedAudio
from tests.ai.mixing.signals import SR, band_noise, stereo, tone


def clip_finding(samples: np.ndarray):
    from ai.mixing.measure import measure_track
    from ai.mixing.track_findings import clipping_finding

    return clipping_finding(measure_track(DecodedAudio(stereo(samples), SR), name="Keys", role="keys"))


def test_clipping_advice_scales_with_the_damage() -> None:
    sine = tone(220, amp=1.0)
    heavy = clip_finding(np.clip(sine * 1.5, -1, 1))  # flat wherever |sin| >= 2/3: 53 % of the samples
    assert heavy.priority == "high" and heavy.evidence["clipped_share"] > 0.5
    assert heavy.action == {"kind": "gain", "gain_db": -9.0}
    assert "Re-record or re-render" in heavy.suggestion and "at full scale" in heavy.message
    # Two short flat runs in six seconds: a few peaks.
    few = sine * 0.5
    for start in (SR, 3 * SR):
        few[start : start + 3] = 1.0
    light = clip_finding(few)
    assert light.priority == "low" and light.evidence["clipped_runs"] == 4  # two runs on each channel
    assert light.action == {"kind": "gain", "gain_db": -3.0}
    # 12 of 264,600 channel samples: the share is said, not rounded to "0.000%" (QA pass 5b)
    assert "12 samples in 4 runs (0.0045% of the track)" in light.message, light.message
    assert "(53.5% of the track)" in heavy.message, heavy.message  # not 53.515%


def test_a_rounded_measure_is_never_minus_zero() -> None:
    """A sample peak of -0.00004 dBFS was written "-0.0" in the evidence (QA pass 5b)."""
    from ai.mixing.findings import rounded

    assert str(rounded(-0.00004)) == "0.0" and rounded({"peak": -0.0004})["peak"] == 0.0
    assert str(rounded({"peak": -0.0004})["peak"]) == "0.0" and rounded(-0.0015) == -0.002


def test_a_clipped_stem_turned_down_is_not_called_clipped_at_full_scale() -> None:
    lowered = clip_finding(np.clip(tone(220, amp=1.0) * 4, -1, 1) * np.float32(10 ** (-24 / 20)))
    assert "at full scale" not in lowered.message
    assert "flat-topped at -24.0 dBFS" in lowered.message
    assert lowered.evidence["at_full_scale"] is False


def stereo_finding(samples: np.ndarray):
    from ai.mixing.measure import measure_track
    from ai.mixing.track_findings import track_findings

    found = [
        s
        for s in track_findings(measure_track(DecodedAudio(samples, SR), name="Guitar", role="guitar"))
        if s.type == "stereo"
    ]
    return found[0] if found else None


def test_a_flipped_channel_is_flipped_back_and_a_wide_chorus_is_narrowed() -> None:
    left = tone(220) + band_noise(200, 4000, amp=0.05, seed=3)
    flipped = stereo_finding(np.stack([left, -left]))
    assert flipped is not None and flipped.priority == "high" and flipped.evidence["mono_loss_db"] > 40
    assert "Flip the polarity" in flipped.suggestion and "disappears" in flipped.message
    # Half opposed, half unrelated: correlation about -0.4, a 5 dB loss in mono; narrowing is the move.
    rng = np.random.default_rng(7)
    own = [(0.3 * rng.standard_normal(left.size)).astype(np.float32) for _ in range(2)]
    chorus = np.stack([left + own[0], -0.5 * left + own[1]])
    wide = stereo_finding(chorus)
    assert wide is not None and wide.priority == "medium", wide.message
    assert -0.7 < wide.evidence["correlation"] < -0.2 and 3.0 < wide.evidence["mono_loss_db"] < 6.0
    assert "Narrow Guitar" in wide.suggestion and "Flip" not in wide.suggestion
    assert flipped.action == {"kind": "stereo", "stereo": {"flip_right": True, "side_gain_db": 0.0}}
    # The narrowing the move asks for brings the mono fold's loss to 1.5 dB.
    from ai.mixing.channel_strip import apply_stereo

    narrowed = chorus.copy()
    apply_stereo(narrowed, side_gain_db=wide.action["stereo"]["side_gain_db"])
    mid = float(np.mean(((narrowed[0] + narrowed[1]) / 2) ** 2))
    side = float(np.mean(((narrowed[0] - narrowed[1]) / 2) ** 2))
    assert -10 * np.log10(mid / (mid + side)) == pytest.approx(1.5, abs=0.1)
    assert stereo_finding(stereo(left, width_noise=0.05)) is None  # a normal stereo part
