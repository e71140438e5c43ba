"""The polarity a mono mixdown sums the channels with: one decision per file.

A stereo file whose right channel is the left one inverted (a miswired cable, a bad export) mixes
to silence, and the analysis would read its rounding noise (a tempo of 45.5 BPM with 4 beats, no
notes). Such a mix is made with the inverted channels flipped instead; every other file keeps the
plain mean of its channels, bit for bit. The decision reads the channels' running dot products
(:class:`ChannelProducts`), gathered in the pass that makes the mix or in a pass before it, so it
holds for the whole file and never flips from block to block.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

Signs = tuple[int, ...]
"""+1 or -1 per channel (the first always +1): the polarity each channel is summed with."""

CANCEL_RATIO = 0.1
"""A mean of the channels keeping under this share (-10 dB) of the channels' mean power cancels. Two
equal channels at correlation r keep (1 + r) / 2 of it: r = -0.8 gives 0.1, an inverted copy 0;
wide reverbs (r near 0) keep half, FluidSynth's chorus (r = -0.4) 0.3 (-5 dB): those are mixed as they are."""
MIN_CHANNEL_POWER = 1e-8
"""Mean power per sample (-80 dBFS RMS) under which the channels are silence, whose mix is no fault."""
BLOCK = 1 << 18
"""Frames per block of a pass over samples held in memory (a few MB of float64 products at a time)."""


def summing_signs(products: np.ndarray, frames: int) -> Signs | None:
    """The polarity to sum the channels with, or None for the plain mean: not None only when the
    mean keeps under CANCEL_RATIO of the channels' power (while they are not silent) and summing each
    channel with the sign of its correlation with the first keeps more.

    ``products``: np.ndarray [shape=(channels, channels)], the channels' dot products over ``frames``."""
    channels = products.shape[0]
    if channels < 2 or frames <= 0:
        return None
    channel_power = float(np.trace(products)) / channels
    mean_power = float(products.sum()) / channels**2
    if channel_power <= MIN_CHANNEL_POWER * frames or mean_power >= CANCEL_RATIO * channel_power:
        return None
    signs = np.where(products[0] < 0, -1.0, 1.0)
    signs[0] = 1.0
    if float(signs @ products @ signs) / channels**2 <= mean_power:
        return None
    return tuple(int(s) for s in signs)


class ChannelProducts:
    """The channels' dot products, summed block by block (float64 across blocks)."""

    def __init__(self, channels: int) -> None:
        self.products = np.zeros((channels, channels), dtype=np.float64)
        self.frames = 0

    def feed(self, block: np.ndarray) -> None:
        """Add np.ndarray [shape=(channels, m)] ``block``."""
        self.products += (block @ block.T).astype(np.float64)
        self.frames += block.shape[1]

    def signs(self) -> Signs | None:
        """:func:`summing_signs` of every block fed."""
        return summing_signs(self.products, self.frames)


def signs_of(blocks: Iterable[np.ndarray], channels: int) -> Signs | None:
    """:func:`summing_signs` of a signal given as np.ndarray [shape=(channels, m)] blocks (a pass
    over them before the mix is made)."""
    if channels < 2:
        return None
    found = ChannelProducts(channels)
    for block in blocks:
        found.feed(block)
    return found.signs()


def mix_down(block: np.ndarray, signs: Signs | None) -> np.ndarray:
    """The mono mix of np.ndarray [shape=(channels, m), float32] ``block`` -> [shape=(m,), float32]:
    the mean of the channels, each summed with its sign from ``signs`` (None: the plain mean)."""
    if block.shape[0] == 1:
        only: np.ndarray = block[0]
        return only
    if signs is None:
        mean: np.ndarray = block.mean(axis=0, dtype=np.float32)
        return mean
    out = np.zeros(block.shape[1], dtype=np.float32)
    for row, sign in zip(block, signs, strict=True):
        if sign > 0:
            out += row
        else:
            out -= row
    out /= np.float32(len(signs))
    return out


def flipped_note(signs: Signs) -> str:
    """What an analysis says of a mix made with ``signs``."""
    flipped = [str(i + 1) for i, sign in enumerate(signs) if sign < 0]
    which = f"channel {flipped[0]} is" if len(flipped) == 1 else f"channels {', '.join(flipped)} are"
    them = "it" if len(flipped) == 1 else "them"
    return f"the channels cancel when summed ({which} polarity-inverted): analysed with {them} flipped"
