"""Energy below a role's useful range (rumble), at 1 Hz resolution.

The mixing STFT (:mod:`ai.mixing.measure`, about 85 ms frames) has 11 Hz bins: it cannot tell a
20 Hz rumble from a bass's 41 Hz low E, and a 30 Hz cut-off falls between its bins. Rumble is
measured here on the track's mid signal decimated to LOW_RATE (soxr, whose anti-alias filter keeps
everything below 0.9 kHz intact), in LOW_FRAME_S frames (1 Hz bins) with half-frame hops: a tone at
the cut-off's neighbour leaks nothing measurable across it, so the cut-off can sit at 30 Hz, right
under the lowest notes of a five-string bass (31 Hz) or an 808 (about 35 Hz).

Rumble is what stands above the skirt of the part's own low end. A note's spectrum does not stop
at its fundamental: a kick's 55 Hz thump that decays in 0.15 s spreads 1-2 % of its energy below
30 Hz, and hits repeated every half second comb it into lines two hertz apart. So the spectrum is
smoothed over SMOOTH_HZ (the combs of any tempo average out), and only its excess over a skirt that
never rises toward low frequencies (the running minimum from just above the cut-off down) counts:
a rumble is a bump or a plateau under the cut-off, a skirt only falls.

Powers use the mixing STFT's scale (the mean square of the signal within the bins), so shares
compare with its long-term spectrum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import soxr

from ai.audio.stem_file import Frames
from ai.mixing.mid_signal import BLOCK, mid_length, mid_span

LOW_RATE = 2000
"""Sample rate the mid signal is decimated to (Hz): rumble cut-offs are at most 200 Hz."""
LOW_FRAME_S = 1.0
"""Frame length (s): 1 Hz bins."""
LOW_FLOOR_HZ = 3.0
"""Bins below this belong to the DC offset (a Hann window leaks DC into bins 0-1), not to rumble."""
RUMBLE_FLOOR_PERCENTILE = 20.0
"""Percentile of the frame-wise power below the cut-off that measures its steady floor."""
SOUNDING_RANGE_DB = 60.0
"""A frame sounds when its power is within this of the track's loudest frame."""
FRAMES_AT_ONCE = 256
"""Frames per FFT call (4 MB of windowed frames at LOW_RATE)."""
SMOOTH_HZ = 5
"""Width (Hz, bins) of the moving average over frequency: wider than the 1.3-2.5 Hz line spacing
of hits repeated at 80-150 BPM, narrower than the 18-25 Hz band a rumble lives in."""
SKIRT_REACH_HZ = 5.0
"""The skirt starts this far above the cut-off, where the part's own low end is."""


@dataclass(frozen=True)
class LowEnd:
    """Energy of a track below ``cutoff_hz``. Shares are of the track's whole mean-square power."""

    cutoff_hz: float
    share: float
    """Share of the track's energy between LOW_FLOOR_HZ and the cut-off, above the skirt of its own
    low end (0-1)."""
    steady_share: float
    """Share of the track's energy in a steady floor below the cut-off: the RUMBLE_FLOOR_PERCENTILE
    of the frame-wise power below it, over the frames where the track sounds, times their number.
    Hum, air conditioning and traffic stay between the notes and count in full; the part's own
    low notes come and go and leave it near zero. Frames of digital silence (a part that enters
    late) do not count: a hum recorded with the part is there wherever the part is."""
    peak_hz: float | None
    """Strongest frequency below the cut-off (None when there is nothing there)."""


def _decimate(mid: Frames, sr: int, span: int) -> tuple[np.ndarray, np.ndarray]:
    """(the mid signal at LOW_RATE as float64, the mean square of each whole ``span`` of it at ``sr``),
    in one pass over the mid signal a stretch at a time (one soxr stream: the same samples as
    resampling it whole). A signal shorter than one span has one block: all of it."""
    n = mid_length(mid)
    stretch = max(1, BLOCK // span) * span
    if n <= stretch:  # one stretch: resampled at once
        part = mid_span(mid, 0, n)
        whole = max(1, n // span) * span
        powers = np.square(part[:whole].astype(np.float64)).reshape(-1, min(span, n)).mean(axis=1)
        if sr != LOW_RATE:
            part = soxr.resample(part, sr, LOW_RATE, quality="HQ")
        return part.astype(np.float64), powers
    stream = soxr.ResampleStream(sr, LOW_RATE, 1, dtype="float32", quality="HQ") if sr != LOW_RATE else None
    low = np.empty(math.ceil(n * LOW_RATE / sr) + 1)  # float64, filled as the stream gives it
    filled = 0

    def put(chunk: np.ndarray) -> None:
        nonlocal low, filled
        if filled + chunk.size > low.size:  # soxr gave more than the rate ratio says: grow
            low = np.concatenate([low[:filled], np.empty(chunk.size)])
        low[filled : filled + chunk.size] = chunk
        filled += chunk.size

    block_powers: list[np.ndarray] = []
    for start in range(0, n, stretch):
        part = mid_span(mid, start, min(n, start + stretch))
        put(part if stream is None else stream.resample_chunk(part))
        whole = part.size // span * span
        if whole:
            block_powers.append(np.square(part[:whole].astype(np.float64)).reshape(-1, span).mean(axis=1))
    if stream is not None:
        put(stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
    return low[:filled], np.concatenate(block_powers)


def low_end(*, mid: Frames, sr: int, cutoff_hz: float, total_power: float) -> LowEnd:
    """Rumble measures of the mid signal at ``sr`` below ``cutoff_hz``.

    ``mid``: np.ndarray [shape=(n,), dtype=float32] (the mid signal) or [shape=(2, n)] (a stereo
    track, whose mid is made a stretch at a time: see :mod:`ai.mixing.mid_signal`).
    ``total_power``: the track's mean-square power (the sum of the mixing STFT's long-term spectrum).
    """
    if total_power <= 0 or mid_length(mid) == 0:
        return LowEnd(cutoff_hz, 0.0, 0.0, None)
    n_fft = int(LOW_FRAME_S * LOW_RATE)
    hop = n_fft // 2
    span = int(round(hop * sr / LOW_RATE))  # a hop at ``sr``
    low, blocks = _decimate(mid, sr, span)
    if low.size < n_fft:
        low = np.pad(low, (0, n_fft - low.size))
    frames = np.lib.stride_tricks.sliding_window_view(low, n_fft)[::hop]
    window = np.hanning(n_fft + 1)[:-1]
    freqs = np.fft.rfftfreq(n_fft, 1.0 / LOW_RATE)
    below = (freqs >= LOW_FLOOR_HZ) & (freqs < cutoff_hz)
    if not below.any():
        return LowEnd(cutoff_hz, 0.0, 0.0, None)
    top = int(np.searchsorted(freqs, cutoff_hz + SKIRT_REACH_HZ)) + SMOOTH_HZ
    # A batch of frames at a time, keeping the bins up to ``top`` (each frame's transform is its own:
    # the same values as one call; a 30-minute track's windowed frames and whole spectrum are 115 MB).
    spec = np.concatenate(
        [
            np.fft.rfft(frames[first : first + FRAMES_AT_ONCE] * window, axis=-1)[:, :top]
            for first in range(0, frames.shape[0], FRAMES_AT_ONCE)
        ]
    )
    # Parseval, as in ai.mixing.measure.track_spectra: one-sided, doubled, per the window's energy.
    power = (spec.real**2 + spec.imag**2) * (2.0 / (n_fft * float(np.sum(window**2))))
    power[:, freqs[:top] < LOW_FLOOR_HZ] = 0.0  # the DC offset's, kept out of the smoothing too
    kernel = np.ones(SMOOTH_HZ) / SMOOTH_HZ
    smooth = np.apply_along_axis(np.convolve, 1, power, kernel, mode="same")
    long_term = smooth.mean(axis=0)
    reach = int(np.searchsorted(freqs, cutoff_hz + SKIRT_REACH_HZ))
    skirt = np.minimum.accumulate(long_term[: reach + 1][::-1])[::-1]
    cols = np.flatnonzero(below[:top])
    excess = np.maximum(smooth[:, cols] - skirt[cols], 0.0)
    per_frame = excess.sum(axis=1)
    share = float(min(1.0, per_frame.mean() / total_power))
    if share <= 0:
        return LowEnd(cutoff_hz, 0.0, 0.0, None)
    peak = float(freqs[cols][int(np.argmax(power[:, cols].mean(axis=0)))])
    # Which frames sound: the full-band mean square of the original signal over each frame's span.
    if blocks.size < frames.shape[0] + 1:
        blocks = np.pad(blocks, (0, frames.shape[0] + 1 - blocks.size))
    frame_power = 0.5 * (blocks[: frames.shape[0]] + blocks[1 : frames.shape[0] + 1])
    sounding = frame_power >= frame_power.max() * 10 ** (-SOUNDING_RANGE_DB / 10)
    if not sounding.any():
        return LowEnd(cutoff_hz, share, 0.0, peak)
    floor = float(np.percentile(per_frame[sounding], RUMBLE_FLOOR_PERCENTILE))
    steady = float(min(1.0, floor * sounding.sum() / max(frame_power.sum(), 1e-30)))
    return LowEnd(cutoff_hz, share, steady, peak)
