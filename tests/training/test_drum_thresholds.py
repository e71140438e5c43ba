"""Choosing the drum network's hi-hat threshold (training/drum_transcription.py): the closed + open
activation's threshold with the best onset F1 of the hi-hat as one class."""

from __future__ import annotations

import numpy as np

from ai.transcription.drums import CLASS_NAMES, HIHAT_CLOSED, HIHAT_OPEN
from training.drum_transcription import choose_hihat_threshold, one_per_gap


def test_one_per_gap_keeps_the_first_of_close_times() -> None:
    times = np.asarray([1.0, 0.5, 0.52, 0.6, 1.029, 1.031])
    assert one_per_gap(times).tolist() == [0.5, 0.6, 1.0, 1.031]


def _clip() -> tuple[np.ndarray, np.ndarray]:
    """(activations, targets) of a clip: hats labelled closed and open at once (frame 20), a hit the
    network splits 0.45 / 0.40 (60), a sure closed hat (100), and no hat where both read 0.25 (140)."""
    act = np.zeros((200, len(CLASS_NAMES)), dtype=np.float32)
    y = np.zeros_like(act)
    for frame, closed, opened in ((20, 0.9, 0.6), (60, 0.45, 0.40), (100, 0.95, 0.0), (140, 0.25, 0.25)):
        act[frame, [HIHAT_CLOSED, HIHAT_OPEN]] = [closed, opened]
    y[[20, 60, 100], HIHAT_CLOSED] = 1.0
    y[20, HIHAT_OPEN] = 1.0
    return act, y


def test_the_hihat_threshold_keeps_split_hits_and_drops_weak_ones() -> None:
    act, y = _clip()
    chosen = choose_hihat_threshold([act], [(np.zeros((200, 1), dtype=np.float32), y)])
    assert 0.5 < chosen <= 0.85
    y[140, HIHAT_OPEN] = 1.0  # where the 0.25 + 0.25 is a hat after all
    assert choose_hihat_threshold([act], [(np.zeros((200, 1), dtype=np.float32), y)]) <= 0.5
