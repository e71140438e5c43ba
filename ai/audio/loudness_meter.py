"""The loudness measures of :func:`ai.audio.loudness.measure_loudness` for a signal fed block by block.

A 30-minute stereo file is 635 MB as float32; the measures need far less: BS.1770 gating works
on the K-weighted energy of 100 ms sub-blocks (the filters' memory carried from block to block),
the sample peak and RMS on per-stretch maxima and energies, and the true peak on each block with
the few samples of context the interpolator reaches into its neighbours. The meter keeps those and
a tail of a few samples, never the signal, and gives the same :class:`LoudnessStats`.
"""

from __future__ import annotations

import math

import numpy as np

from ai.audio import loudness as lo


class KWeighting:
    """:func:`ai.audio.loudness.sub_block_powers` of a signal fed in pieces: the filters' memory and an
    unfinished 100 ms sub-block carried over, the channel weights applied once at the end, as there."""

    def __init__(self, channels: int, sr: int) -> None:
        self.hop = lo._hop_samples(sr)
        self.channels = channels
        self._sos = lo.k_weighting_sos(int(round(sr)))
        self._state = np.zeros((channels, 4))
        self._energy: list[np.ndarray] = []
        self._pending = np.zeros((channels, 0), dtype=np.float32)

    def feed(self, piece: np.ndarray) -> None:
        """Weigh the next ``piece`` [shape=(channels, m), dtype=float32]."""
        x = np.concatenate([self._pending, piece], axis=1) if self._pending.shape[1] else piece
        n_sub = x.shape[1] // self.hop
        if n_sub:
            self._energy.append(lo._k_energy_kernel(x, self._sos, self.hop, n_sub, self._state))
        self._pending = x[:, n_sub * self.hop :].copy()

    def sub_energy(self) -> np.ndarray:
        """The channel-weighted energy of every complete sub-block fed so far."""
        if not self._energy:
            return np.zeros(0)
        result: np.ndarray = lo._channel_weights(self.channels) @ np.concatenate(self._energy, axis=1)
        return result

    def integrated_lufs(self) -> float | None:
        """:func:`ai.audio.loudness.integrated_loudness` of everything fed so far."""
        momentary = lo._block_loudness(self.sub_energy(), sub_per_block=4, hop=self.hop)
        return lo._gated_integrated(momentary)


class LoudnessMeter:
    """Feed np.ndarray [shape=(channels, m), dtype=float32] blocks in order, then read :meth:`result`."""

    def __init__(self, *, channels: int, sr: int) -> None:
        if channels < 1 or sr <= 0:
            raise ValueError(f"a loudness meter needs channels >= 1 and a positive rate, got {channels}, {sr}")
        self.channels = channels
        self.sr = sr
        self.n_samples = 0
        self._weighting = KWeighting(channels, sr)
        self._maxima: list[np.ndarray] = []
        self._energy = np.zeros(channels)
        self._stats_pending = np.zeros((channels, 0), dtype=np.float32)  # under one TP_BLOCK stretch
        self._factor = lo.true_peak_factor(sr)
        self._tail = np.zeros((channels, 0), dtype=np.float32)  # the true peak's context from the last block
        self._best = 0.0

    def feed(self, block: np.ndarray) -> None:
        """Measure the next ``block`` of the signal."""
        if block.ndim != 2 or block.shape[0] != self.channels:
            raise ValueError(f"blocks must have shape ({self.channels}, m), got {block.shape}")
        block = np.ascontiguousarray(block, dtype=np.float32)
        self.n_samples += block.shape[1]
        self._weighting.feed(block)
        self._stats_pending = self._stats(np.concatenate([self._stats_pending, block], axis=1), final=False)
        self._true_peak(block)

    def _stats(self, x: np.ndarray, *, final: bool) -> np.ndarray:
        """Maxima and energies of the complete stretches of ``x`` (every one when ``final``); the rest."""
        whole = x.shape[1] if final else x.shape[1] // lo.TP_BLOCK * lo.TP_BLOCK
        if whole:
            maxima, energy = lo._block_stats_kernel(np.ascontiguousarray(x[:, :whole]), lo.TP_BLOCK)
            self._maxima.append(maxima)
            self._energy += energy
        return x[:, whole:].copy()

    def _true_peak(self, block: np.ndarray | None) -> None:
        """Oversample the positions between samples whose neighbourhood is now known (all that
        are left when ``block`` is None: the signal ends, zeros follow), skipping stretches that
        cannot beat the best value so far; keep the context the next block's first positions need."""
        half = lo._TP_HALF_TAPS
        x = self._tail if block is None else np.concatenate([self._tail, block], axis=1)
        if x.shape[1] == 0:
            return
        self._best = max(self._best, float(np.abs(x).max()))  # the sample peak: the interpolator keeps samples
        start = max(0, self._tail.shape[1] - half)  # positions the last block could not finish
        stop = x.shape[1] if block is None else x.shape[1] - half
        self._tail = x[:, max(0, x.shape[1] - 2 * half) :].copy()
        if self._factor == 1 or stop <= start:
            return
        _, phases, bound_gain = lo._interpolator(self._factor)
        maxima, _ = lo._block_stats_kernel(np.ascontiguousarray(x), lo.TP_BLOCK)
        neighbourhood = maxima.copy()  # the interpolator reaches into the neighbouring stretches
        neighbourhood[:, 1:] = np.maximum(neighbourhood[:, 1:], maxima[:, :-1])
        neighbourhood[:, :-1] = np.maximum(neighbourhood[:, :-1], maxima[:, 1:])
        bounds = neighbourhood * bound_gain
        for channel in range(self.channels):
            signal = np.ascontiguousarray(x[channel])
            for stretch in np.flatnonzero(bounds[channel] > self._best):
                first = max(start, int(stretch) * lo.TP_BLOCK)
                last = min(stop, (int(stretch) + 1) * lo.TP_BLOCK)
                if first < last and bounds[channel, stretch] > self._best:
                    found = lo._interpolated_max_kernel(signal, first, last, phases)
                    self._best = max(self._best, float(found))

    def result(self) -> lo.LoudnessStats:
        """Every measure of the signal fed so far (call once, after the last block)."""
        self._stats_pending = self._stats(self._stats_pending, final=True)
        self._true_peak(None)
        hop = self._weighting.hop
        sub_energy = self._weighting.sub_energy()
        momentary = lo._block_loudness(sub_energy, sub_per_block=4, hop=hop)
        short_term = lo._block_loudness(sub_energy, sub_per_block=30, hop=hop)
        size = self.channels * self.n_samples
        maxima = np.concatenate(self._maxima, axis=1) if self._maxima else np.zeros((self.channels, 0))
        peak = lo.amplitude_to_db(float(maxima.max())) if maxima.size else None
        level = lo.amplitude_to_db(math.sqrt(float(self._energy.sum()) / size)) if size else None

        def finite_max(values: np.ndarray) -> float | None:
            return float(values.max()) if values.size and np.isfinite(values.max()) else None

        return lo.LoudnessStats(
            integrated_lufs=lo._gated_integrated(momentary),
            momentary_max_lufs=finite_max(momentary),
            short_term_max_lufs=finite_max(short_term),
            loudness_range_lu=lo._loudness_range(short_term),
            true_peak_dbtp=lo.amplitude_to_db(self._best) if size else None,
            sample_peak_dbfs=peak,
            rms_dbfs=level,
            crest_factor_db=None if peak is None or level is None else peak - level,
        )
