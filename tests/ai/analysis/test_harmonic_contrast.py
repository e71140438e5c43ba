"""The compiled segment fit of harmonic_contrast equals the plain numpy computation bit for bit (the
level and meter choices compare these numbers, so a last-bit change could flip a tie)."""

from __future__ import annotations

import numpy as np
import pytest

from ai.analysis.rhythm.meter import ChromaSums, harmonic_contrast


def numpy_contrast(sums: ChromaSums, beats: np.ndarray, span: float) -> float:
    """harmonic_contrast as numpy computes it, cut by cut."""
    a, b = int(max(0, np.floor(beats[0]))), int(min(sums.n, np.ceil(beats[-1])))
    n = b - a
    whole = sums.csum[:, b] - sums.csum[:, a]
    total = float(sums.csq[b] - sums.csq[a] - (whole * whole).sum() / n)
    csum, csq = sums.csum[:, a : b + 1], sums.csq[a : b + 1]
    index = np.arange(beats.shape[0], dtype=np.float64)

    def explained(phase: float) -> float | None:
        pos = np.arange(phase, beats.shape[0] - 1, span)
        if pos.shape[0] < 2:
            return None
        cuts = np.clip(np.round(np.interp(pos, index, beats)).astype(np.int64) - a, 0, n)
        edges = np.concatenate([[0], cuts, [n]])
        edges = edges[np.concatenate([[True], edges[1:] != edges[:-1]])]
        seg = csum[:, edges[1:]] - csum[:, edges[:-1]]
        within = (csq[edges[1:]] - csq[edges[:-1]]) - (seg * seg).sum(axis=0) / np.diff(edges).astype(np.float64)
        return 1.0 - float(within.sum()) / total

    fits = {ph: explained(ph) for ph in np.arange(0.0, span, min(0.5, span / 4.0))}
    scored = {ph: v for ph, v in fits.items() if v is not None}
    best = max(scored, key=scored.__getitem__)
    moved = explained(best + span / 2.0)
    return 0.0 if moved is None else max(0.0, scored[best] - moved)


@pytest.mark.parametrize("seed", range(6))
def test_the_compiled_fit_is_numpy_s_to_the_last_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(600, 3000))
    period = float(rng.uniform(9, 35))
    beats = np.cumsum(np.r_[rng.uniform(0, period), rng.normal(period, 0.05 * period, int(n / period) - 2)])
    beats = beats[beats < n - 1]
    sums = ChromaSums.of(rng.random((12, n)) ** 3)
    for span in (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0):
        assert harmonic_contrast(sums, beats, span) == numpy_contrast(sums, beats, span), span
