"""bench/accompaniment.py's tempo-map spread: how far a grid's beat-by-beat tempo strays from the true tempo."""

from __future__ import annotations

import numpy as np

from bench.accompaniment import tempo_map_spread

TRUTH = 0.5 + np.arange(32) * 0.5  # 120 BPM


def test_a_grid_on_the_true_beats_does_not_stray() -> None:
    p95, most = tempo_map_spread(TRUTH + 0.01, TRUTH)
    assert most < 1e-9 and p95 < 1e-9


def test_a_grid_at_another_metrical_level_is_scaled_to_it() -> None:
    p95, most = tempo_map_spread(0.5 + np.arange(64) * 0.25, TRUTH)  # double time
    assert most < 1e-9 and p95 < 1e-9


def test_one_long_interval_is_the_maximum() -> None:
    grid = TRUTH.copy()
    grid[16:] += 0.1  # one interval of 0.6 s in 0.5 s beats: 120 -> 100 BPM there
    p95, most = tempo_map_spread(grid, TRUTH)
    assert abs(most - 100.0 * (1 - 0.5 / 0.6)) < 1e-6
    assert p95 < most
