"""Where the theory backend's bass lines sit against MMA's human-written ones.

MMA: the bass tracks (GM programs 32-39) of the MIDI files ``training.tempo_corpus`` renders
(random keys), each groove's median pitch, then the median over grooves; jazz, swing, blues, reggae
and ska grooves ("walking") apart from the others. Theory backend: every drum style's bass feel in
12 keys (major and minor alternating) with 2 seeds each, 4 bars over the mode's default chords,
each clip's median pitch, then the median over clips; jazz, blues and reggae apart.

Usage: .venv/bin/python bench/bass_register.py [--mma data/tempo_train/songs]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

import pretty_midi

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ai.generation.base import GenerationRequest  # noqa: E402
from ai.generation.drum_patterns import DRUM_STYLES  # noqa: E402
from ai.generation.theory import TheoryGenerator  # noqa: E402
from ai.music_theory import Key, default_progression  # noqa: E402

WALKING_GROOVES = re.compile("jazz|swing|blues|reggae|ska|walk", re.IGNORECASE)
WALKING_STYLES = ("jazz", "blues", "reggae")


def mma_medians(folder: Path) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"walking": [], "other": []}
    for item in json.loads((folder / "ground_truth.json").read_text()):
        midi = folder / item["file"].replace(".wav", ".mid")
        if not midi.exists():
            continue
        pm = pretty_midi.PrettyMIDI(str(midi))
        bass = [n.pitch for inst in pm.instruments if not inst.is_drum and 32 <= inst.program <= 39 for n in inst.notes]
        if bass:
            out["walking" if WALKING_GROOVES.search(item["groove"]) else "other"].append(statistics.median(bass))
    return out


def theory_medians() -> dict[str, list[float]]:
    generator = TheoryGenerator()
    out: dict[str, list[float]] = {"walking": [], "other": []}
    for tonic in range(12):
        key = Key(tonic, "major" if tonic % 2 else "minor")
        for style in DRUM_STYLES:
            for seed in (tonic, tonic + 50):
                request = GenerationRequest(
                    part="bass",
                    key=key,
                    chords=default_progression(key),
                    tempo=120.0,
                    bars=4,
                    beats_per_bar=4,
                    beat_unit=4,
                    temperature=1.0,
                    seed=seed,
                    density=0.5,
                    swing=0.0,
                    humanize=0.0,
                    style=style,
                    chromatic=False,
                )
                pitches = [n.pitch for n in generator.generate(request).notes]
                out["walking" if style in WALKING_STYLES else "other"].append(statistics.median(pitches))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mma", type=Path, default=Path("data/tempo_train/songs"))
    args = parser.parse_args()
    for name, medians in (("MMA", mma_medians(args.mma)), ("theory", theory_medians())):
        print(
            f"{name:<7}"
            + "  ".join(f"{kind}: median pitch {statistics.median(v):.2f} over {len(v)}" for kind, v in medians.items())
        )


if __name__ == "__main__":
    main()
