#!/usr/bin/env python3
"""Mixing bench: the role a real stem gets from its audio, as /api/v1/mixing/suggest gives it to "Audio 1".

Each stem of data/real_stems (bench/real_stems.py: real singing, speech and instruments, none rendered) is
decoded as an upload is (api.mix_input: ai.audio.stem_file.decode_stem within the request's in-memory budget)
and goes through ai.mixing.measure.prepare_tracks as a track named "Audio 1" with the role the name gives
("other"), so the role classifier hears it exactly as the service does (measure.role_from_audio: the model's
answer where it is at least min_confidence sure, else "other"). Printed: one line per stem (file, group, true
role, voice, answered role, the service's note), then pooled figures: voice stems (singing, speech) answered
"vocals" or "speech", or as an instrument, or "other"; instrument stems answered "vocals" or "speech" (false
voice), answered their true role, or "other".

--rendered DIR...: the same path on rendered stem folders (<song>/<Stem>.wav, the true role from the stem's
name by ai.mixing.roles.infer_role: data/mixing, data/mixing_train_timgm, data/mixing_train_msgl), printing
only each folder's false-voice count and role accuracy, so one command shows both.

Usage: bench/mixing_roles_real.py [--dataset data/real_stems] [--rendered DIR ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.audio.stem_file import close_all, decode_stem  # noqa: E402
from ai.mixing.measure import TrackInput, close_made, prepare_tracks  # noqa: E402
from ai.mixing.roles import infer_role  # noqa: E402
from api.mix_input import IN_MEMORY_BYTES  # noqa: E402
from utils.settings import Settings  # noqa: E402

VOICE_ROLES = ("vocals", "speech")
TRACK_NAME = "Audio 1"
"""A name that gives no role, as a DAW's default track name."""


def role_as_service(path: Path, *, max_duration_s: float, directory: Path) -> tuple[str, str | None]:
    """(role, the service's note on it) of the stem at ``path`` uploaded as the track "Audio 1"."""
    audio = decode_stem(
        path, name=TRACK_NAME, max_duration_s=max_duration_s, directory=directory, in_memory_bytes=IN_MEMORY_BYTES
    )
    try:
        prepared = prepare_tracks([TrackInput(TRACK_NAME, audio, infer_role(TRACK_NAME))])
        close_made(prepared)
    finally:
        close_all([audio])
    notes = [n for n in prepared[0].notes if "role" in n]
    return prepared[0].role, notes[0] if notes else None


@dataclass
class Figures:
    """Pooled counts over answered stems (:func:`score`)."""

    voice: int = 0
    voice_as_voice: Counter[str] = field(default_factory=Counter)
    """Voice stems answered "vocals" or "speech", by answer."""
    voice_as_truth: int = 0
    """Voice stems answered exactly their true role (singing "vocals", speech "speech")."""
    voice_as_instrument: Counter[str] = field(default_factory=Counter)
    voice_other: int = 0
    instrument: int = 0
    false_voice: Counter[str] = field(default_factory=Counter)
    """Instrument stems answered "vocals" or "speech", by answer."""
    instrument_right: int = 0
    instrument_as_instrument: Counter[str] = field(default_factory=Counter)
    """Instrument stems answered another instrument role than their own, by answer."""
    instrument_other: int = 0


def score(rows: Iterable[tuple[str, bool, str]]) -> Figures:
    """Pooled figures of (true role, voice, answered role) rows. An answer "other" is the service's "I cannot
    tell" (below the model's min_confidence): counted apart, neither right nor wrong."""
    figures = Figures()
    for truth, voice, answered in rows:
        if voice:
            figures.voice += 1
            if answered in VOICE_ROLES:
                figures.voice_as_voice[answered] += 1
                figures.voice_as_truth += answered == truth
            elif answered == "other":
                figures.voice_other += 1
            else:
                figures.voice_as_instrument[answered] += 1
            continue
        figures.instrument += 1
        if answered in VOICE_ROLES:
            figures.false_voice[answered] += 1
        elif answered == truth:
            figures.instrument_right += 1
        elif answered == "other":
            figures.instrument_other += 1
        else:
            figures.instrument_as_instrument[answered] += 1
    return figures


def _share(count: int, total: int) -> str:
    return f"{count}/{total} ({100 * count / total:.0f} %)" if total else f"{count}/0"


def _which(counter: Counter[str]) -> str:
    return f" [{', '.join(f'{role} {n}' for role, n in counter.most_common())}]" if counter else ""


def report(figures: Figures) -> list[str]:
    f = figures
    return [
        f"voice stems (singing, speech): {f.voice}",
        f"  answered vocals or speech: {_share(sum(f.voice_as_voice.values()), f.voice)}{_which(f.voice_as_voice)}"
        f"; their own role: {_share(f.voice_as_truth, f.voice)}",
        f"  answered as an instrument: {_share(sum(f.voice_as_instrument.values()), f.voice)}"
        f"{_which(f.voice_as_instrument)}",
        f"  answered other: {_share(f.voice_other, f.voice)}",
        f"instrument stems: {f.instrument}",
        f"  answered vocals or speech (false voice): {_share(sum(f.false_voice.values()), f.instrument)}"
        f"{_which(f.false_voice)}",
        f"  answered their true role: {_share(f.instrument_right, f.instrument)}",
        f"  answered another instrument: {_share(sum(f.instrument_as_instrument.values()), f.instrument)}"
        f"{_which(f.instrument_as_instrument)}",
        f"  answered other: {_share(f.instrument_other, f.instrument)}",
        f"other answers, all stems: {_share(f.voice_other + f.instrument_other, f.voice + f.instrument)}",
    ]


def run_real(dataset: Path, max_duration_s: float, scratch: Path) -> Figures:
    truth = json.loads((dataset / "ground_truth.json").read_text())
    rows = []
    print(f"== {dataset}: {len(truth)} stems, each uploaded as {TRACK_NAME!r}")
    print(f"{'file':44} {'group':26} {'truth':7} voice {'answer':7} note")
    for item in truth:
        answered, note = role_as_service(dataset / item["file"], max_duration_s=max_duration_s, directory=scratch)
        rows.append((item["role"], bool(item["voice"]), answered))
        voice = "yes" if item["voice"] else "no"
        print(f"{item['file']:44} {item['group']:26} {item['role']:7} {voice:5} {answered:7} {note or '-'}")
    print("== by group (stems: answered vocals/speech, their true role, other):")
    for group in dict.fromkeys(item["group"] for item in truth):
        g = score(row for row, item in zip(rows, truth, strict=True) if item["group"] == group)
        heard = sum(g.voice_as_voice.values()) + sum(g.false_voice.values())
        right = g.voice_as_truth + g.instrument_right
        print(
            f"{group:26} {g.voice + g.instrument:3} stems: voice {heard}, right {right}, other {g.voice_other + g.instrument_other}"
        )
    figures = score(rows)
    print(f"== pooled over {len(rows)} real stems:")
    lines = report(figures)
    for kind in VOICE_ROLES:  # singing and speech apart: a voice detector may hear one better than the other
        k = score(row for row in rows if row[0] == kind and row[1])
        lines.insert(
            4 + VOICE_ROLES.index(kind),
            f"  {kind} stems {k.voice}: answered vocals or speech {sum(k.voice_as_voice.values())}"
            f"{_which(k.voice_as_voice)}, an instrument {sum(k.voice_as_instrument.values())}, other {k.voice_other}",
        )
    print("\n".join(lines))
    return figures


def rendered_stems(folder: Path) -> list[tuple[Path, str]]:
    """(stem file, true role from its name) of every <song>/<Stem>.wav in ``folder``."""
    return [(path, infer_role(path.stem)) for path in sorted(folder.glob("*/*.wav"))]


def run_rendered(folders: list[Path], max_duration_s: float, scratch: Path) -> None:
    print("== rendered stems (true role from the stem's name):")
    for folder in folders:
        stems = rendered_stems(folder)
        answered = [role_as_service(path, max_duration_s=max_duration_s, directory=scratch)[0] for path, _ in stems]
        false_voice = sum(a in VOICE_ROLES for a in answered)
        right = sum(a == truth for a, (_, truth) in zip(answered, stems, strict=True))
        print(
            f"{folder}: {len(stems)} stems; false voice {_share(false_voice, len(stems))}; "
            f"role accuracy {_share(right, len(stems))}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=REPO / "data" / "real_stems")
    parser.add_argument("--rendered", type=Path, nargs="*", default=[], metavar="DIR")
    args = parser.parse_args()
    if not (args.dataset / "ground_truth.json").exists():
        sys.exit(f"no {args.dataset / 'ground_truth.json'}: run bench/real_stems.py --mirrors ... --out {args.dataset}")
    start = time.perf_counter()
    max_duration_s = Settings().max_audio_duration_s
    with tempfile.TemporaryDirectory() as scratch:
        run_real(args.dataset, max_duration_s, Path(scratch))
        if args.rendered:
            run_rendered(args.rendered, max_duration_s, Path(scratch))
    print(f"{time.perf_counter() - start:.0f} s (load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
