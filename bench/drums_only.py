"""How often the analysis answers a key for drums alone, and whether pitched music keeps its key
(the drums-only model, models/drums_only.md), on material the model was not fitted on.

Groups (each line: items called drums alone / items; for the drum groups also how many got a key before the
model and how many still do):
- held-out songs (bench/mixing_songs.py renders through FluidR3 and csound's GM bank; the model was fitted on
  TimGM6mb and MuseScore General Lite): drum buses and drum stems (drums); mixes, pitched stems, the drums with
  the bass at 0, -6 and -12 dB and with another part at -10 dB (pitched);
- the drum transcription test renders (kits no training session plays, training/drum_transcription.py) and its
  electronic check: each clip's drum stem (drums) and its mix with the band (pitched);
- data/eval songs and chorales (pitched);
- the real development set's held-out split (pitched, but BRID's percussion), its clips under 6 s apart;
- synthetic lines (sine, triangle, whistle) of seeds the model never saw, alone and under held-out drum buses;
- the engine's own drum grooves (every style of the theory backend) of seeds the model never saw, through FluidR3
  and csound's GM bank (the fitting set's grooves are rendered through TimGM6mb and MuseScore General Lite): alone
  (drums) and under the engine's bass line at 0 and -6 dB (pitched);
- the same seeds through kits no fitting item plays (session 33, HELD_OUT_KITS: FluidR3's and csound's other drum
  sets, the AVL Red Zeppelin kit, hydrogen-drumkits' kits outside its TRAIN_KITS), three kits a groove;
- the same seeds through the fitting soundfonts TimGM6mb and MuseScore General Lite (kits the model was fitted on,
  grooves it was not: QA pass 32's TimGM6mb renders kept a key).

Usage: .venv/bin/python bench/drums_only.py [--data data] [--synthetic 40] [--grooves 2] [-v]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from ai.analysis.constants import ANALYSIS_SR  # noqa: E402
from ai.analysis.drums_only import load_model, only_drums  # noqa: E402
from ai.analysis.features import finish_features, spectral_pass  # noqa: E402
from ai.analysis.pipeline import summarize_audio  # noqa: E402
from ai.analysis.tonal import estimate_key  # noqa: E402
from ai.audio.decode import decode_audio  # noqa: E402
from training.drumkit_samples import KITS_DIR, TRAIN_KITS  # noqa: E402
from training.drums_only import (  # noqa: E402
    GROOVE_SOUNDFONTS,
    Item,
    groove_items,
    kit_groove_items,
    real_items,
    song_items,
    synthetic_items,
)

HELD_OUT_GROOVE_SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/sf_GMbank.sf2"))
HELD_OUT_KITS = (
    *(f"FluidR3_GM@{program}" for program in (8, 16, 24, 25, 32, 40)),
    "sf_GMbank@24",
    "sf_GMbank@25",
    "AVL_Red_Zeppelin",
)
"""Drum kits no fitting item plays (training.drums_only.FIT_KIT_SOUNDS), besides hydrogen-drumkits' kits outside
training/drumkit_samples.py's TRAIN_KITS (:func:`held_out_kits`); their missing pieces and the bass through FluidR3 or
csound's GM bank."""
HELD_OUT_KIT_FALLBACKS = ("FluidR3_GM", "sf_GMbank")
KITS_PER_HELD_OUT_GROOVE = 3


def held_out_kits() -> tuple[str, ...]:
    """HELD_OUT_KITS and the installed hydrogen kits that fitting does not play (electronic, hand percussion, effects)."""
    installed = sorted(k.name for k in KITS_DIR.glob("*") if (k / "drumkit.xml").is_file()) if KITS_DIR.is_dir() else []
    return HELD_OUT_KITS + tuple(f"h2:{name}" for name in installed if name not in TRAIN_KITS)


def render_items(folder: Path, label: str) -> Iterator[Item]:
    """A drum transcription test folder's clips: ``*_stem`` (drums) and ``*_mix`` (the band over them)."""
    for path in sorted((folder / "audio").glob("*.flac")):
        drums = path.stem.endswith("_stem")
        group = f"{label}: {'drum stem' if drums else 'mix with the band'}"
        yield Item(f"{label}/{path.name}", drums, group, decode_audio(path.read_bytes(), name=path.name))


def eval_items(folder: Path, label: str) -> Iterator[Item]:
    for path in sorted(folder.glob("*.wav")):
        yield Item(f"{label}/{path.name}", False, label, decode_audio(path.read_bytes(), name=path.name))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--synthetic", type=int, default=40, help="synthetic lines (seeds 500..500+N-1)")
    parser.add_argument(
        "--grooves", type=int, default=2, help="engine groove seeds (1..N; the fitting set's are 11, 12)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every item called wrongly")
    args = parser.parse_args(argv)
    model = load_model()
    if model is None:
        raise SystemExit("models/drums_only.json is missing or malformed")
    data: Path = args.data
    sources: list[tuple[str, Iterator[Item]]] = []
    songs = [data / "mixing_csound_nochorus", data / "mixing_nochorus"]
    for folder in songs:
        if (folder / "songs.json").exists():
            sources.append((folder.name, song_items(folder)))
    for sub, label in (("test", "drum test kits"), ("electronic/test", "drum electronic check")):
        if (data / "drum_transcription" / sub / "audio").exists():
            sources.append((label, render_items(data / "drum_transcription" / sub, label)))
    for sub in ("songs", "chorales"):
        if (data / "eval" / sub).exists():
            sources.append((f"eval {sub}", eval_items(data / "eval" / sub, f"eval {sub}")))
    if (data / "real" / "audio").exists():
        sources.append(("real held out", real_items(data / "real", "heldout", tiny=True)))
    existing = [f for f in songs if (f / "songs.json").exists()]
    if args.synthetic and existing:
        sources.append(("synthetic", synthetic_items(range(500, 500 + args.synthetic), existing[:1])))

    fonts = [f for f in HELD_OUT_GROOVE_SOUNDFONTS if f.is_file()]
    if args.grooves and fonts:
        sources.append(("engine grooves", groove_items(range(1, 1 + args.grooves), fonts)))
        kits = held_out_kits()
        sources.append(
            (
                "engine grooves, held-out kits",
                kit_groove_items(range(1, 1 + args.grooves), kits, HELD_OUT_KIT_FALLBACKS, KITS_PER_HELD_OUT_GROOVE),
            )
        )
    if args.grooves and all(f.is_file() for f in GROOVE_SOUNDFONTS):
        sources.append(
            ("engine grooves, fitting soundfonts", groove_items(range(1, 1 + args.grooves), GROOVE_SOUNDFONTS))
        )

    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # called drums, items, key before, key after
    drum_groups: set[str] = set()
    seconds: dict[bool, list[float]] = {False: [], True: []}  # per minute of audio, pitched / drums
    for source, items in sources:
        for item in items:
            group = f"{source}: {item.group}" if not item.group.startswith(source) else item.group
            if item.name.startswith("real/tiny_"):
                group += " (under 6 s)"
            features = finish_features(spectral_pass(summarize_audio(item.audio).y, ANALYSIS_SR))
            start = time.perf_counter()
            called = only_drums(features.semitone_spec, model)  # as the analysis calls it
            minutes = max(features.semitone_spec.shape[1] / features.frame_rate / 60, 1e-9)
            seconds[item.drums].append((time.perf_counter() - start) / minutes)
            keyed = estimate_key(features).key is not None
            if item.drums:
                drum_groups.add(group)
            row = tally[group]
            row[0] += called
            row[1] += 1
            row[2] += keyed
            row[3] += keyed and not called
            if args.verbose and called != item.drums:
                print(f"  {'missed drums' if item.drums else 'PITCHED CALLED DRUMS'}: {item.name}")
    print(
        f"model: threshold {model.threshold:.3f}; items called drums alone / items (drum groups: with a key before -> after)"
    )
    for group in sorted(tally):
        n_called, total, before, after = tally[group]
        extra = f"   key before {before:3d} -> after {after:3d}" if group in drum_groups else ""
        print(f"  {group:62s} {n_called:4d} / {total:<4d}{extra}")
    print(
        f"the gate (only_drums): {1000 * float(np.median(seconds[False])):.2f} ms per minute of audio on pitched items, "
        f"{1000 * float(np.median(seconds[True])):.2f} on drum items (medians; the harmonic shares only where the "
        "peaks leave it open)"
    )


if __name__ == "__main__":
    main()
