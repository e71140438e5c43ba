"""The drum model's electronic check on a real recording: a techno loop whose kick plays on every beat.

A model that only heard acoustic kits hears an electronic kick as a low tom and its clap as a snare
(issue 16's QA: essentia's techno loop gave 1 kick against 24 low toms). The loop has no hit
annotation, but its kick is four on the floor, so the beats the analysis finds are where the kicks
are: the check counts the beats with a kick within 50 ms and every class's hits (bench/drum_transcription.py
--electronic prints it beside sf_GMbank's electronic drum sets, rendered with --test-drum-sets).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from pathlib import Path

import mir_eval
import numpy as np

from ai.analysis.pipeline import analyze_summary, summarize_audio
from ai.audio.decode import decode_audio
from ai.transcription.drums import CLASSES, DrumNet, drum_hits

REPO = Path(__file__).resolve().parent.parent
TECHNO_LOOP = REPO / "data" / "real" / "audio" / "essentia_techno_loop.mp3"
"""essentia-audio's recorded/techno_loop.mp3 (30.7 s, 125 BPM; data/real/ground_truth.json)."""
WINDOW_S = 0.05
KICK = dict(CLASSES)["kick"]


def beats_with_hit(beats: np.ndarray, hits: np.ndarray, window: float = WINDOW_S) -> int:
    """How many beats have a hit within ``window`` (one-to-one, mir_eval's onset matching)."""
    if beats.size == 0 or hits.size == 0:
        return 0
    return len(mir_eval.util.match_events(np.sort(beats), np.sort(hits), window))


@dataclass(frozen=True)
class LoopCheck:
    """What the model found in a four-on-the-floor loop: hits per class name, the beats, and the
    beats with a kick on them."""

    hits: dict[str, int]
    beats: int
    kicks_on_beats: int

    def line(self) -> str:
        counts = " ".join(f"{name} {self.hits.get(name, 0)}" for name, _ in CLASSES)
        return f"kicks on beats {self.kicks_on_beats}/{self.beats}; hits: {counts}"


def loop_check(path: Path = TECHNO_LOOP, *, net: DrumNet | None = None) -> LoopCheck:
    """:class:`LoopCheck` of a recording, as the service transcribes it (the analysis's one-pass
    signal for the hits, its beat tracker for the beats)."""
    summary = summarize_audio(decode_audio(path))
    hits = drum_hits(summary.y, net=net)
    beats = np.asarray(analyze_summary(summary).beat_times, dtype=np.float64)
    names = {pitch: name for name, pitch in CLASSES}
    kicks = np.asarray([h.time for h in hits if h.pitch == KICK], dtype=np.float64)
    return LoopCheck(
        dict(collections.Counter(names[h.pitch] for h in hits)), int(beats.size), beats_with_hit(beats, kicks)
    )
