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
        self._rate = int(round(sr))
        self._sos = lo.k_weighting_sos(self._rate)
        self._state: np.ndarray | None = None
        """The filters' memory: set from the first sample (:func:`ai.audio.loudness.k_weighting_start`)."""
        self._energy: list[np.ndarray] = []
        self._pending = np.zeros((channels, 0), dtype=np.float32)

    def feed(self, piece: np.ndarray) -> None:
        """Weigh the next ``piece`` [shape=(channels, m), dtype=float32]. Only the carried samples and the
        head that completes their sub-block are copied; the rest is read where it lies."""
        piece = np.ascontiguousarray(piece)
        if self._state is None:
            if not piece.shape[1]:
                return
            self._state = lo.k_weighting_start(piece[:, 0], self._rate)
        offset = 0
        if self._pending.shape[1]:
            offset = min(piece.shape[1], self.hop - self._pending.shape[1])
            head = np.concatenate([self._pending, piece[:, :offset]], axis=1)
            if head.shape[1] < self.hop:
                self._pending = head
                return
            self._energy.append(lo._k_energy_kernel(head, self._sos, self.hop, 1, self._state))
        n_sub = (piece.shape[1] - offset) // self.hop
        if n_sub:
            self._energy.append(lo._k_energy_from(piece, offset, self._sos, self.hop, n_sub, self._state))
        self._pending = piece[:, offset + n_sub * self.hop :].copy()

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
    """Feed np.ndarray [shape=(channels, m), dtype=float32] blocks in order, then read :meth:`result`.

    The sample peak, the energy and the true peak work on the stretches of TP_BLOCK samples that the
    whole-signal functions use (counted from the signal's start): each block is measured once, its
    stretches' maxima bound the true peak as :func:`ai.audio.loudness.true_peak_search` bounds them, and
    only a few thousand samples are carried to the next block (an unfinished stretch and the
    interpolator's context)."""

    def __init__(self, *, channels: int, sr: int) -> None:
        if channels < 1 or sr <= 0:
            raise ValueError(f"a loudness meter needs channels >= 1 and a positive rate, got {channels}, {sr}")
        self.channels = channels
        self.sr = sr
        self.n_samples = 0
        self._weighting = KWeighting(channels, sr)
        self._energy = np.zeros(channels)
        self._carry = np.zeros((channels, 0), dtype=np.float32)
        self._carry_start = 0
        """The signal from sample ``_carry_start`` on, as far as it has been fed, less what is done with."""
        self._measured = 0
        """Samples whose stretches' maxima and energy are taken (a multiple of TP_BLOCK until the end)."""
        self._searched = 0
        """Stretches whose inter-sample positions the true peak has searched (or ruled out)."""
        self._maxima = np.zeros((channels, 0), dtype=np.float32)
        """Maxima of the stretches from ``_maxima_first`` to the last measured."""
        self._maxima_first = 0
        self._factor = lo.true_peak_factor(sr)
        self._peak = 0.0
        self._best = 0.0

    def feed(self, block: np.ndarray) -> None:
        """Measure the next ``block`` of the signal."""
        if block.ndim != 2 or block.shape[0] != self.channels:
            raise ValueError(f"blocks must have shape ({self.channels}, m), got {block.shape}")
        block = np.ascontiguousarray(block, dtype=np.float32)
        self.n_samples += block.shape[1]
        self._weighting.feed(block)
        self._peaks(block)

    def _peaks(self, block: np.ndarray) -> None:
        """The sample peak, the energy and the true peak of ``block``, the last one fed."""
        x = np.concatenate([self._carry, block], axis=1) if self._carry.shape[1] else block
        self._measure(x, self.n_samples // lo.TP_BLOCK * lo.TP_BLOCK)
        self._search(x, final=False)
        keep = max(0, min(self._measured, self._searched * lo.TP_BLOCK - lo._TP_HALF_TAPS))
        self._carry = x[:, keep - self._carry_start :].copy()
        self._carry_start = keep

    def _measure(self, x: np.ndarray, stop: int) -> None:
        """Maxima and energy of the stretches from ``_measured`` to ``stop`` (x holds the signal from
        ``_carry_start``)."""
        if stop <= self._measured:
            return
        offset = self._carry_start
        maxima = lo._block_stats_from(x, self._measured - offset, stop - offset, lo.TP_BLOCK, self._energy)
        self._peak = max(self._peak, float(maxima.max()))
        self._maxima = np.concatenate([self._maxima, maxima], axis=1)
        self._measured = stop

    def _search(self, x: np.ndarray, *, final: bool) -> None:
        """The true peak over the stretches whose neighbours' maxima are known (all of them when ``final``):
        as :func:`ai.audio.loudness.true_peak_search`, the few most promising first, then every stretch
        whose bound can still beat the best value, in runs of neighbouring stretches."""
        known = -(-self._measured // lo.TP_BLOCK)  # stretches measured (the last may be short at the end)
        last = known if final else known - 1  # a stretch's bound reads its right neighbour
        self._best = max(self._best, self._peak)
        if last <= self._searched:
            return
        if self._factor == 1 or self._peak == 0.0:
            self._searched = last
            return
        _, phases, bound_gain = lo._interpolator(self._factor)
        first = self._maxima_first
        maxima = self._maxima
        neighbourhood = maxima.copy()
        neighbourhood[:, 1:] = np.maximum(neighbourhood[:, 1:], maxima[:, :-1])
        neighbourhood[:, :-1] = np.maximum(neighbourhood[:, :-1], maxima[:, 1:])
        lo_index, hi_index = self._searched - first, last - first
        bounds = neighbourhood[:, lo_index:hi_index] * bound_gain
        offset = self._carry_start

        def stretch_max(channel: int, begin: int, end: int) -> float:
            start, stop = (
                (self._searched + begin) * lo.TP_BLOCK,
                min((self._searched + end) * lo.TP_BLOCK, self.n_samples),
            )
            return float(lo._interpolated_max_kernel(x[channel], start - offset, stop - offset, phases))

        order = np.argsort(bounds, axis=None)[::-1]
        width = bounds.shape[1]
        for flat in order[: lo._TP_FIRST]:
            if bounds.flat[flat] <= self._best:
                break
            channel, stretch = divmod(int(flat), width)
            self._best = max(self._best, stretch_max(channel, stretch, stretch + 1))
        for channel in range(self.channels):
            candidates = np.flatnonzero(bounds[channel] > self._best)
            if candidates.size:
                for run in np.split(candidates, np.flatnonzero(np.diff(candidates) > 1) + 1):
                    self._best = max(self._best, stretch_max(channel, int(run[0]), int(run[-1]) + 1))
        self._searched = last
        # keep the maxima of the last searched stretch (the next one's left neighbour) and after
        drop = max(0, last - 1 - first)
        self._maxima = self._maxima[:, drop:]
        self._maxima_first = first + drop

    def result(self) -> lo.LoudnessStats:
        """Every measure of the signal fed so far (call once, after the last block)."""
        self._measure(self._carry, self.n_samples)
        self._search(self._carry, final=True)
        hop = self._weighting.hop
        sub_energy = self._weighting.sub_energy()
        momentary = lo._block_loudness(sub_energy, sub_per_block=4, hop=hop)
        short_term = lo._block_loudness(sub_energy, sub_per_block=30, hop=hop)
        size = self.channels * self.n_samples
        peak = lo.amplitude_to_db(self._peak) if size else None
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
