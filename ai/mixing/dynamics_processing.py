"""Dynamics processing the advice suggests and the renderer applies: compressors (one or more stages, pedalboard)
and per-section volume automation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pedalboard

from ai.mixing.board_blocks import run_board
from ai.mixing.dynamics_measure import _validated

RAMP_S = 0.05
"""Length of the gain ramps between sections (short enough to sit between notes, long enough not to click)."""


def apply_compressor(
    *, samples: np.ndarray, sr: int, compressor: dict[str, Any], out: np.ndarray | None = None
) -> np.ndarray:
    """``samples`` (np.ndarray [shape=(channels, n)]) through a compressor; returns float32, same shape
    (written into ``out`` when given, which may be ``samples`` itself).

    ``compressor``: {"threshold_db", "ratio", "attack_ms", "release_ms", "makeup_db"} (dBFS, x:1,
    ms, ms, dB), optionally "stages": a list of such dicts applied in order (then the outer keys
    are ignored). pedalboard's compressor (JUCE's) is peak-sensing with a hard knee; ``knee_db``
    is not applied (the advice says 0 for that reason).
    """
    return run_board(compressor_board(compressor), _validated(samples), sr, out=out)


def compressor_board(compressor: dict[str, Any]) -> pedalboard.Plugin:
    """The pedalboard chain of :func:`apply_compressor`."""
    stages = compressor.get("stages") or [compressor]
    plugins: list[pedalboard.Plugin] = []
    for stage in stages:
        plugins.append(
            pedalboard.Compressor(
                threshold_db=float(stage["threshold_db"]),
                ratio=float(stage["ratio"]),
                attack_ms=float(stage["attack_ms"]),
                release_ms=float(stage["release_ms"]),
            )
        )
        if stage.get("makeup_db"):
            plugins.append(pedalboard.Gain(gain_db=float(stage["makeup_db"])))
    board: pedalboard.Plugin = pedalboard.Pedalboard(plugins)
    return board


def apply_automation(
    *, samples: np.ndarray, sr: int, sections: list[dict[str, float]], out: np.ndarray | None = None
) -> np.ndarray:
    """``samples`` (np.ndarray [shape=(channels, n)]) with per-section volume automation; float32
    (written into ``out`` when given, which may be ``samples`` itself).

    ``sections``: [{"start_s", "end_s", "gain_db"}]; gains change over RAMP_S ramps centred on the
    boundaries (linear in dB); outside every section the nearest section's gain holds.
    """
    samples = _validated(samples)
    n = samples.shape[1]
    if not sections:
        if out is None:
            return samples.copy()
        out[...] = samples
        return out
    result: np.ndarray = np.multiply(samples, automation_gains(sections, sr, n, 0, n), out=out)
    return result


def automation_gains(sections: list[dict[str, float]], sr: int, n: int, start: int, stop: int) -> np.ndarray:
    """The linear gains of :func:`apply_automation` (non-empty ``sections``) on samples ``start:stop``
    of an ``n``-sample track, np.ndarray [shape=(stop - start,), dtype=float32]: each sample's gain
    is computed on its own, so a block's are the whole curve's."""
    ordered = sorted(sections, key=lambda s: s["start_s"])
    times = [0.0]
    gains = [float(ordered[0]["gain_db"])]
    for previous, section in zip(ordered, ordered[1:], strict=False):
        boundary = float(section["start_s"])
        times += [max(times[-1], boundary - RAMP_S / 2), boundary + RAMP_S / 2]
        gains += [float(previous["gain_db"]), float(section["gain_db"])]
    times.append(n / sr)
    gains.append(float(ordered[-1]["gain_db"]))
    curve_db = np.interp(np.arange(start, stop) / sr, times, gains)
    result: np.ndarray = (10 ** (curve_db / 20)).astype(np.float32)
    return result
