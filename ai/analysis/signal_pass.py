"""One pass over the full-rate signal: everything the analysis reads from the original channels and
rate, gathered block by block, so the analysis never holds the decoded file (a 30-minute stereo
file is 635 MB as float32, its mono mix 318 MB) but only the mono signal at ANALYSIS_SR (80 MB).

Per block: the sample peak and the clipped-sample count; the mono mix's zero crossings (at the
original rate, as the seed measured them); the mono mix resampled by one soxr stream (the same
samples as resampling the whole mix at once); the channels' dot products (whether the mix cancels,
ai/audio/polarity.py); and the loudness meter, on the side pool so it runs beside the rest (its
numba kernels release the GIL). The meter is the slowest reader (~80 ms for a 3-minute stereo file,
against ~55 ms for the rest of the pass): it may fall up to METER_LAG_BLOCKS blocks behind and finish
while the analysis goes on with the spectral pass (``SignalSummary.loudness`` waits for it). A signal
whose channels cancel in the mix (one is polarity-inverted) is read a second time, mixed with that
channel flipped, when its blocks can be read again.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
import soxr

from ai import pools
from ai.analysis.constants import ANALYSIS_SR
from ai.audio.loudness import LoudnessStats, inaudible
from ai.audio.loudness_meter import LoudnessMeter
from ai.audio.polarity import ChannelProducts, Signs, mix_down

CLIP_LEVEL = 0.999
"""Samples at or above this magnitude count as clipped."""
METER_LAG_BLOCKS = 16
"""Blocks the loudness meter may fall behind the pass (a decoder's block of 2**18 frames is 2 MB in
stereo: at most ~32 MB held). A 3-minute stereo file is 31 blocks, and the meter falls ~10 behind:
its last ~40 ms then run beside the spectral pass (analysis 0.307 -> 0.291 s, bench/analysis_speed.py)."""


@dataclass
class SignalSummary:
    """What the analysis needs from the full-rate signal.

    ``y``: np.ndarray [shape=(m,), dtype=float32]: the mono mix at ANALYSIS_SR (empty once
    :meth:`release_signal` has run).
    """

    y: np.ndarray
    sample_rate: int
    channels: int
    n_samples: int
    peak: float
    """Largest |sample| over every channel (linear)."""
    clipped: int
    """Samples (over every channel) at or beyond +-CLIP_LEVEL."""
    zero_crossing_rate: float
    """Fraction of the full-rate mono mix's sample pairs that change sign."""
    metered: Future[LoudnessStats | None] = field(repr=False)
    """The loudness meter's answer, which may still be on its way (:attr:`loudness`)."""
    channel_signs: Signs | None = None
    """The polarity the mono mix summed the channels with (None: their plain mean; ai/audio/polarity.py)."""
    dc_offset: float = 0.0
    """The full-rate mono mix's mean (linear): a DC offset, or the whole of a constant signal."""

    @property
    def loudness(self) -> LoudnessStats:
        """The loudness measures of the signal (waits for the meter to finish them)."""
        stats = self.metered.result()
        if stats is None:
            raise RuntimeError("the loudness meter was stopped before the signal ended")
        return stats

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate

    @property
    def inaudible(self) -> bool:
        """Long enough for one 400 ms loudness block, and no block reaches BS.1770's absolute gate
        (-70 LUFS): silence, DC alone (a constant signal) or noise far under hearing. Shorter audio
        cannot be told so: False. Waits for the meter, like :attr:`loudness`."""
        return inaudible(self.duration_s, self.loudness.integrated_lufs)

    def release_signal(self) -> None:
        """Let ``y`` go (an analysis that is its last reader calls this after its STFT pass: at 30
        minutes it is 159 MB, which the pitch and onset stages would otherwise add to)."""
        self.y = np.zeros(0, dtype=np.float32)


class _MeterFeed:
    """A loudness meter fed from a bounded queue by one task on the side pool: the pass hands it each
    block and goes on, waiting only when the meter is METER_LAG_BLOCKS behind."""

    def __init__(self, meter: LoudnessMeter) -> None:
        self._meter = meter
        self._blocks: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=METER_LAG_BLOCKS)
        self._abandoned = False
        self.result: Future[LoudnessStats | None] = pools.side().submit(self._run)

    def _run(self) -> LoudnessStats | None:
        while (block := self._blocks.get()) is not None:
            if not self._abandoned:
                self._meter.feed(block)
        return None if self._abandoned else self._meter.result()

    def put(self, block: np.ndarray | None) -> None:
        """Queue the next ``block`` (None: the signal ends); raises the meter's error if it failed."""
        while True:
            try:
                self._blocks.put(block, timeout=0.05)
                return
            except queue.Full:
                if self.result.done():  # it failed: nothing takes blocks any more
                    self.result.result()
                    raise RuntimeError("the loudness meter stopped before the signal ended") from None

    def abandon(self) -> None:
        """Stop metering (the pass failed, or its summary is not wanted) and wait until the task lets go."""
        self._abandoned = True
        with contextlib.suppress(Exception):  # it already stopped: its own error is not this caller's
            self.put(None)
        self.result.exception()  # waits


class SignalPass:
    """Feed np.ndarray [shape=(channels, m), dtype=float32] blocks in order, then :meth:`finish`.
    ``signs``: the polarity to mix the channels with (None: their mean, and :meth:`summing_signs` says
    whether that cancelled)."""

    def __init__(
        self, *, channels: int, sample_rate: int, expected_samples: int = 0, signs: Signs | None = None
    ) -> None:
        self.channels = channels
        self.sample_rate = sample_rate
        self._signs = signs
        self._products = ChannelProducts(channels) if signs is None and channels > 1 else None
        self.n_samples = 0
        self._peak = 0.0
        self._clipped = 0
        self._crossings = 0
        self._sum = 0.0
        self._last_sign: bool | None = None
        self._resampler = (
            None
            if sample_rate == ANALYSIS_SR
            else soxr.ResampleStream(sample_rate, ANALYSIS_SR, 1, dtype="float32", quality="HQ")
        )
        self._y = np.empty(int(np.ceil(expected_samples * ANALYSIS_SR / sample_rate)), dtype=np.float32)
        self._filled = 0
        self._meter = _MeterFeed(LoudnessMeter(channels=channels, sr=sample_rate))

    def feed(self, block: np.ndarray) -> None:
        """Take the next ``block`` (finite samples; the decoder checks)."""
        if block.ndim != 2 or block.shape[0] != self.channels:
            raise ValueError(f"blocks must have shape ({self.channels}, m), got {block.shape}")
        if block.shape[1] == 0:
            return
        self._meter.put(block)
        self.n_samples += block.shape[1]
        self._peak = max(self._peak, float(block.max()), -float(block.min()))
        if self._peak >= CLIP_LEVEL:
            self._clipped += int(np.count_nonzero(block >= CLIP_LEVEL)) + int(np.count_nonzero(block <= -CLIP_LEVEL))
        if self._products is not None:
            self._products.feed(block)
        mono = mix_down(block, self._signs)
        self._sum += float(mono.sum(dtype=np.float64))
        signs = np.signbit(mono)
        self._crossings += int(np.count_nonzero(signs[1:] != signs[:-1]))
        if self._last_sign is not None:
            self._crossings += int(bool(signs[0]) != self._last_sign)
        self._last_sign = bool(signs[-1])
        self._append(mono if self._resampler is None else self._resampler.resample_chunk(mono))

    def _append(self, part: np.ndarray) -> None:
        if self._filled + part.size > self._y.size:  # the expected length was short (or unknown)
            grown = np.empty(max(2 * self._y.size, self._filled + part.size), dtype=np.float32)
            grown[: self._filled] = self._y[: self._filled]
            self._y = grown
        self._y[self._filled : self._filled + part.size] = part
        self._filled += part.size

    def abandon(self) -> None:
        """Stop the meter of a pass that will not finish (its blocks failed) or whose summary is not wanted."""
        self._meter.abandon()

    def summing_signs(self) -> Signs | None:
        """Of a plain mean (no ``signs`` given): the polarity its mix should have been made with,
        None when the mean did not cancel (ai/audio/polarity.py)."""
        return None if self._products is None else self._products.signs()

    def finish(self) -> SignalSummary:
        """The summary of every block fed."""
        if self._resampler is not None:
            self._append(self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
        self._meter.put(None)  # the meter finishes beside the analysis (SignalSummary.loudness waits)
        # The signal owns its buffer, cut to its length (the spare end of a doubled buffer goes back):
        # a reader that is its last may then reuse or shrink that buffer (the accompaniment's half-rate copy).
        y, self._y = self._y, np.zeros(0, dtype=np.float32)
        y.resize(self._filled, refcheck=False)  # no view of it is alive: _append's slices are gone
        return SignalSummary(
            y=y,
            sample_rate=self.sample_rate,
            channels=self.channels,
            n_samples=self.n_samples,
            peak=self._peak,
            clipped=self._clipped,
            zero_crossing_rate=self._crossings / (self.n_samples - 1) if self.n_samples >= 2 else 0.0,
            metered=self._meter.result,
            channel_signs=self._signs,
            dc_offset=self._sum / self.n_samples if self.n_samples else 0.0,
        )


def summarize(
    blocks: Iterable[np.ndarray] | Callable[[], Iterable[np.ndarray]],
    *,
    channels: int,
    sample_rate: int,
    expected_samples: int = 0,
) -> SignalSummary:
    """:class:`SignalSummary` of a signal given as consecutive blocks, or as a function that gives them
    afresh at each call: then a signal whose channels cancel in the mix is read again and mixed with the
    inverted ones flipped (ai/audio/polarity.py). Blocks that can be read only once keep the plain mix."""
    if not callable(blocks):
        return _one_pass(blocks, channels, sample_rate, expected_samples)[0]
    summary, signs = _one_pass(blocks(), channels, sample_rate, expected_samples)
    if signs is None:
        return summary
    summary.release_signal()
    summary.metered.exception()  # its meter finishes before the second pass starts one of its own
    return _one_pass(blocks(), channels, sample_rate, expected_samples, signs=signs)[0]


def _one_pass(
    blocks: Iterable[np.ndarray], channels: int, sample_rate: int, expected_samples: int, signs: Signs | None = None
) -> tuple[SignalSummary, Signs | None]:
    """The summary of ``blocks`` mixed with ``signs``, and :meth:`SignalPass.summing_signs`."""
    signal = SignalPass(channels=channels, sample_rate=sample_rate, expected_samples=expected_samples, signs=signs)
    try:
        for block in blocks:
            signal.feed(block)
    except BaseException:
        signal.abandon()  # never leave the side pool working on a signal nobody reads
        raise
    return signal.finish(), signal.summing_signs()
