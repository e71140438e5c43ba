"""Fit the role classifier (models/role_classifier.json) on rendered stems whose roles are known.

The stems come from ``bench/mixing_songs.py`` and from this module's ``render``: MMA grooves split
into stems and rendered with FluidSynth; each folder's songs.json gives every stem's true role
(from its General MIDI program or drum notes, not from its name). The training folders use other
soundfonts (TimGM6mb, MuseScore General Lite) and seeds than the bench's held-out songs (FluidR3;
bench/mixing_roles.py).

Two soundfonts give two timbres of each instrument (each soundfont has one standard kick), too few
to learn a kick from rather than a sample. ``render`` adds songs in which every part keeps its role
but not its sound: each pitched part is re-voiced, half the time, with another General MIDI
program of the same role (a piano part may become an organ, a sax a trumpet; the role follows the
program's family, as in bench/mixing_songs.py), and the drums play one of the soundfont's drum
kits (Standard, Room, Power, Electronic, TR-808, Jazz, Brush, Orchestra); the grooves are the
bench's 24 and, half the time, any other 4/4 groove of MMA's library.

Each stem gives one row for the whole stem and EXCERPTS rows for excerpts of EXCERPT_SECONDS at
random places, each at a random gain in GAIN_RANGE_DB (the features are level-free; this checks
that they stay so), through a random EQ and at a random playback speed (other samples of the same
kind of instrument), which also teaches the trees that a part of a song looks like the whole.
The model is scikit-learn's GradientBoostingClassifier, exported as arrays and evaluated in the
service with numpy (:mod:`ai.mixing.role_model`). It is cross-validated by soundfont (fitted on one,
scored on the other, as the held-out songs are on a soundfont the model has not heard), which
prints the accuracy per role and the confusion table and sets the model's min_confidence (see
:func:`choose_min_confidence`).

Usage: .venv/bin/python -m training.role_classifier render --soundfont SF --seed S --out data/roles_train_X [--songs N]
       .venv/bin/python -m training.role_classifier [FOLDERS ...] [--out models/role_classifier.json]
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import logging
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pedalboard
import soxr
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from ai.analysis.level_model import LevelModel
from ai.audio.decode import decode_audio
from ai.mixing import role_model
from ai.mixing.role_model import FEATURE_NAMES, SHIPPED_MODEL, RoleModel, role_features
from bench import mixing_songs
from training.metrical_level import _tree

if TYPE_CHECKING:
    import pretty_midi

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
TRAINING_FOLDERS = (
    REPO / "data" / "mixing_train_timgm",
    REPO / "data" / "mixing_train_msgl",
    REPO / "data" / "roles_train_timgm",
    REPO / "data" / "roles_train_msgl",
)
"""The training renders: bench/mixing_songs.py --soundfont TimGM6mb --seed 101 and MuseScore General
Lite --seed 102, and this module's ``render`` with the same soundfonts (seeds 201, 202); never
the bench's FluidR3 folders."""
DRUM_KITS = (0, 8, 16, 24, 25, 32, 40, 48)
"""General MIDI 2 drum kits (bank 128): Standard, Room, Power, Electronic, TR-808, Jazz, Brush,
Orchestra; both training soundfonts have them all."""
REVOICE_SHARE = 0.5
"""Share of pitched parts re-voiced with another program of their role."""
OTHER_GROOVE_SHARE = 0.5
"""Share of rendered songs on a groove outside the bench's 24 (any 4/4 groove of MMA's library)."""
STEM_GAP_S = 8.0
"""Time between one stem's last note and the next stem laid after it in one render: FluidSynth's
release and reverb tails (up to 4.5 s in TimGM6mb's keys) have died to digital silence."""
DITHER_LSB = 2
"""FluidSynth dithers its 16-bit output: +-1 LSB goes on after the sound has died away."""
RENDER_TAIL_S = 1.7
"""A stem rendered alone ends 1.4-3.6 s (median 1.7 s, measured on the 7 stems of one 50sRock
song in TimGM6mb) after its last sample above the dither; the cut stems end as long after it."""
RENDER_BARS = 8
"""Bars per rendered song (excerpts are 8-20 s; half the bench's 16 bars halves the render time)."""
MERGED_ROLES = {"other": "fx"}
"""Roles too rare to learn, and the class they join: "other" (General MIDI's ethnic family:
sitar, banjo, bagpipe, ...) occurs once in the training stems; with "fx" (synth and sound
effects) it makes the class of what is none of the band's parts."""
EXCERPTS = 4
"""Excerpts per stem added to the whole stem's row."""
EXCERPT_SECONDS = (8.0, 20.0)
"""Range of an excerpt's length: a few bars of the 16-bar songs."""
GAIN_RANGE_DB = (-30.0, 6.0)
"""Random gain of each excerpt (float samples may exceed full scale; the features do not care)."""
EQ_RANGE_DB = 6.0
"""Each excerpt goes through a random low shelf, bell and high shelf of up to this gain (pedalboard):
soundfonts differ most in the timbre of the same instrument, and the model must not learn one
soundfont's exact spectrum (the held-out songs use a third one)."""
SPEED_RANGE = (1.0 / 1.12, 1.12)
"""Range of the playback-speed factor of each excerpt (1: none). A faster or slower playback moves
every partial and formant, as another instrument sample of the same kind would."""
SEED = 0
"""Seed of the excerpts, gains, EQ and the boosting's subsampling."""
CACHE = REPO / "data" / "cache" / "role_features"
"""Feature rows per folder, keyed by the feature code and the excerpt settings."""
TREES = 150
"""Boosting rounds (one tree per class each)."""
DEPTH = 3
"""Depth of each tree."""
LEARNING_RATE = 0.1
"""Shrinkage of each tree's values."""
SUBSAMPLE = 0.8
"""Share of the rows each tree is fitted on."""
MAX_FEATURES = 0.2
"""Share of the features each split may choose from. Trees free to use any feature learn the one
soundfont's sample they were fitted on (a kick told by one detail of one kick sample); drawing a
fifth of the features per split spreads the model over many cues. Chosen by the soundfont
cross-validation (model card: every feature 66-75 %, a fifth 84-87 % of the bench-like stems)."""
CLASS_WEIGHT_POWER = 0.5
"""Rows are weighted by (1 / class count) ** this: rare roles (lead, pad, fx) count more without
letting their handful of stems dominate (0 = unweighted, 1 = fully balanced)."""


@dataclass
class Stem:
    """One rendered stem: where it is, its true role and its feature rows (whole stem first)."""

    path: Path
    role: str
    soundfont: str
    groove: str
    rows: np.ndarray  # (1 + excerpts, F)


def _programs_by_role() -> dict[str, list[int]]:
    """General MIDI programs per role, as bench/mixing_songs.py assigns roles."""
    out: dict[str, list[int]] = {}
    for program in range(128):
        out.setdefault(mixing_songs.program_stem(program)[1], []).append(program)
    return out


def _four_four_grooves() -> list[str]:
    """MMA library grooves that run in 4/4 (their style file sets no other time)."""
    from training.mma_corpus import MMA_LIB, list_grooves

    out = []
    for groove in list_grooves():
        text = (MMA_LIB / f"{groove.style}.mma").read_text(encoding="latin-1").lower()
        times = {
            line.split()[1] for line in text.splitlines() if line.strip().startswith("time ") and len(line.split()) > 1
        }
        if times <= {"4"}:
            out.append(groove.name)
    return out


def revoice(pm: pretty_midi.PrettyMIDI, rng: np.random.Generator) -> None:
    """Give ``pm``'s drums one random kit and, with REVOICE_SHARE, each pitched part another program of its role."""
    by_role = _programs_by_role()
    kit = int(rng.choice(DRUM_KITS))
    for inst in pm.instruments:
        if inst.is_drum:
            inst.program = kit
        elif rng.random() < REVOICE_SHARE:
            inst.program = int(rng.choice(by_role[mixing_songs.program_stem(inst.program)[1]]))


def render_stems(
    parts: list[tuple[str, str, pretty_midi.PrettyMIDI]], folder: Path, *, soundfont: str, tmp: Path
) -> list[dict[str, str]]:
    """Render the stems ``parts`` ((name, role, PrettyMIDI) from bench.mixing_songs.split_midi) into
    ``folder``/<name>.wav with one FluidSynth run: the stems are laid one after the other in one
    MIDI file, STEM_GAP_S apart, and the render is cut back into stems, each from its start to
    RENDER_TAIL_S after its last sample above FluidSynth's dither. A soundfont is then loaded once per
    song, not once per stem (an SF3 file decompresses all its samples on every load).
    Returns [{"name", "file", "role"}] (file relative to ``folder``)."""
    import copy

    import pretty_midi
    import soundfile

    span = max(midi.get_end_time() for _, _, midi in parts) + STEM_GAP_S
    combined = pretty_midi.PrettyMIDI(resolution=960)
    for k, (_, _, midi) in enumerate(parts):
        for inst in midi.instruments:
            moved = copy.deepcopy(inst)
            for event in [*moved.notes]:
                event.start += k * span
                event.end += k * span
            for event in [*moved.control_changes, *moved.pitch_bends]:
                event.time += k * span
            combined.instruments.append(moved)
    mid = tmp / "stems.mid"
    wav = tmp / "stems.wav"
    combined.write(str(mid))
    mixing_songs.render(mid, wav, soundfont)
    audio, sr = soundfile.read(str(wav), dtype="int16", always_2d=True)
    out: list[dict[str, str]] = []
    for k, (name, role, _) in enumerate(parts):
        start = round(k * span * sr)
        loud = np.flatnonzero(np.abs(audio[start : round((k + 1) * span * sr)]).max(axis=1) >= DITHER_LSB)
        stop = min(start + (int(loud[-1]) if loud.size else 0) + round(RENDER_TAIL_S * sr), audio.shape[0])
        soundfile.write(str(folder / f"{name}.wav"), audio[start:stop], sr, subtype="PCM_16")
        out.append({"name": name, "file": f"{name}.wav", "role": role})
    return out


def render_songs(out: Path, *, soundfont: str, seed: int, songs: int, first: int = 0) -> None:
    """Render ``songs`` re-voiced songs (see the module docstring) into ``out`` with songs.json as
    bench/mixing_songs.py writes it (songs ``first``.. are added to an existing index)."""
    import subprocess
    import tempfile

    import pretty_midi

    rng = np.random.default_rng([seed, first])
    others = sorted(set(_four_four_grooves()) - {g.lower() for g in mixing_songs.GROOVES})
    out.mkdir(parents=True, exist_ok=True)
    index_file = out / "songs.json"
    index = json.loads(index_file.read_text()) if index_file.exists() and first else []
    for number in range(first, first + songs):
        groove = str(rng.choice(others if rng.random() < OTHER_GROOVE_SHARE else mixing_songs.GROOVES))
        bpm = int(rng.integers(80, 151))
        tonic = int(rng.integers(12))
        progression = mixing_songs.PROGRESSIONS[int(rng.integers(len(mixing_songs.PROGRESSIONS)))]
        chords = [mixing_songs.NAMES[(tonic + step) % 12] + quality for step, quality in progression] * (
            RENDER_BARS // 4
        )
        song = f"song{number:03d}"
        with tempfile.TemporaryDirectory() as tmp:
            mma_file = Path(tmp) / f"{song}.mma"
            lines = [f"RndSeed {seed * 1000 + number}", f"Tempo {bpm}", "Time 4", f"Groove {groove}"]
            mma_file.write_text("\n".join(lines + [f"{k + 1} {c}" for k, c in enumerate(chords)]) + "\n")
            done = subprocess.run(["mma", str(mma_file)], capture_output=True, text=True)
            mid = mma_file.with_suffix(".mid")
            if done.returncode or not mid.exists():
                logger.warning("mma failed for %s: %s", groove, done.stdout[-200:])
                continue
            pm = pretty_midi.PrettyMIDI(str(mid))
            revoice(pm, rng)
            (out / song).mkdir(exist_ok=True)
            stems = render_stems(mixing_songs.split_midi(pm), out / song, soundfont=soundfont, tmp=Path(tmp))
            for stem in stems:
                stem["file"] = f"{song}/{stem['file']}"
        index.append(
            {
                "song": song,
                "groove": groove,
                "bpm": bpm,
                "bars": RENDER_BARS,
                "chords": chords,
                "soundfont": Path(soundfont).name,
                "programs": [int(inst.program) for inst in pm.instruments],
                "stems": stems,
            }
        )
        logger.info("%s %s %d bpm: %s", song, groove, bpm, [(s["name"], s["role"]) for s in stems])
        index_file.write_text(json.dumps(index, indent=1))


def random_eq(rng: np.random.Generator) -> pedalboard.Pedalboard:
    """A low shelf (80-400 Hz), a bell (200-5000 Hz, Q 0.7-2) and a high shelf (2-8 kHz), each of a
    gain drawn in +-EQ_RANGE_DB."""

    def gain() -> float:
        return float(rng.uniform(-EQ_RANGE_DB, EQ_RANGE_DB))

    return pedalboard.Pedalboard(
        [
            pedalboard.LowShelfFilter(cutoff_frequency_hz=float(rng.uniform(80, 400)), gain_db=gain()),
            pedalboard.PeakFilter(
                cutoff_frequency_hz=float(np.exp(rng.uniform(np.log(200), np.log(5000)))),
                gain_db=gain(),
                q=float(rng.uniform(0.7, 2.0)),
            ),
            pedalboard.HighShelfFilter(cutoff_frequency_hz=float(rng.uniform(2000, 8000)), gain_db=gain()),
        ]
    )


def stem_rows(path: Path, *, rng: np.random.Generator, excerpts: int) -> np.ndarray | None:
    """Feature rows of the whole stem and of ``excerpts`` random excerpts at random gains through a
    random EQ; None when the stem is silent."""
    audio = decode_audio(path, name=path.name)
    whole = role_features(samples=audio.samples, sr=audio.sample_rate)
    if whole is None:
        return None
    rows = [whole]
    n = audio.samples.shape[1]
    for _ in range(excerpts):
        length = int(rng.uniform(*EXCERPT_SECONDS) * audio.sample_rate)
        start = int(rng.integers(0, max(1, n - length)))
        gain = np.float32(10.0 ** (rng.uniform(*GAIN_RANGE_DB) / 20.0))
        excerpt = audio.samples[:, start : start + length] * gain
        if EQ_RANGE_DB > 0:
            excerpt = random_eq(rng)(excerpt, audio.sample_rate)
        speed = rng.uniform(*SPEED_RANGE)
        if speed != 1.0:  # played back ``speed`` times faster: resampled to fewer samples at the same rate
            excerpt = soxr.resample(excerpt.T, audio.sample_rate * speed, audio.sample_rate, quality="HQ").T
        row = role_features(samples=excerpt, sr=audio.sample_rate)
        if row is not None:
            rows.append(row)
    return np.stack(rows)


def _cache_key(folder: Path, excerpts: int, seed: int) -> str:
    """What the rows of ``folder`` depend on: the feature code, the excerpt code and settings, the stems."""
    digest = hashlib.sha1(Path(role_model.__file__).read_bytes())
    digest.update((inspect.getsource(stem_rows) + inspect.getsource(random_eq)).encode())
    digest.update((folder / "songs.json").read_bytes())
    digest.update(repr((excerpts, seed, EXCERPT_SECONDS, GAIN_RANGE_DB, EQ_RANGE_DB, SPEED_RANGE)).encode())
    return f"{folder.name}-{digest.hexdigest()[:16]}"


def collect(
    folders: list[Path], *, excerpts: int = EXCERPTS, seed: int = SEED, cache: Path | None = CACHE
) -> list[Stem]:
    """Every stem of ``folders`` (songs.json of bench/mixing_songs.py) with its rows; silent stems
    left out. Rows are cached per folder under ``cache`` (None: no cache)."""
    stems = []
    for index, folder in enumerate(folders):
        rng = np.random.default_rng([seed, index])
        cached = cache / f"{_cache_key(folder, excerpts, seed)}.npz" if cache is not None else None
        stored = dict(np.load(cached)) if cached is not None and cached.exists() else {}
        for song in json.loads((folder / "songs.json").read_text()):
            for stem in song["stems"]:
                path = folder / stem["file"]
                rows = stored[stem["file"]] if stem["file"] in stored else stem_rows(path, rng=rng, excerpts=excerpts)
                if rows is None or rows.size == 0:
                    logger.warning("%s is silent; left out", path)
                    stored[stem["file"]] = np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
                    continue
                stored[stem["file"]] = rows
                role = MERGED_ROLES.get(stem["role"], stem["role"])
                stems.append(Stem(path, role, song["soundfont"], song["groove"], rows))
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cached, **stored)
    return stems


def fit(stems: list[Stem], *, classes: tuple[str, ...], seed: int = SEED, min_confidence: float = 0.0) -> RoleModel:
    """Gradient boosting on every row of ``stems``; a row weighs (1 / its class's stems) ** CLASS_WEIGHT_POWER
    divided by its stem's row count (each stem weighs the same)."""
    x = np.vstack([s.rows for s in stems])
    y = np.concatenate([np.full(len(s.rows), classes.index(s.role)) for s in stems])
    count = Counter(s.role for s in stems)
    w = np.concatenate([np.full(len(s.rows), count[s.role] ** -CLASS_WEIGHT_POWER / len(s.rows)) for s in stems])
    clf = GradientBoostingClassifier(
        n_estimators=TREES,
        max_depth=DEPTH,
        learning_rate=LEARNING_RATE,
        subsample=SUBSAMPLE,
        max_features=MAX_FEATURES,
        random_state=seed,
    ).fit(x, y, sample_weight=w / w.mean())
    if list(clf.classes_) != list(range(len(classes))):
        raise ValueError(f"every class needs stems to fit on; present: {sorted(count)}")
    forests = tuple(
        LevelModel(FEATURE_NAMES, LEARNING_RATE, tuple(_tree(stage[k].tree_) for stage in clf.estimators_))
        for k in range(len(classes))
    )
    # The boosting's initial scores (log class priors) are the same for every row: what its decision
    # function adds to the trees' sum.
    row = x[:1]
    prior = clf.decision_function(row)[0] - np.array([forest.scores(row)[0] for forest in forests])
    model = RoleModel(FEATURE_NAMES, classes, prior, forests, min_confidence)
    check = x[:: max(1, len(x) // 200)]
    if not np.allclose(model.probabilities(check), clf.predict_proba(check), atol=1e-6):
        raise RuntimeError("the exported trees do not reproduce scikit-learn's probabilities")
    return model


def cross_validate(stems: list[Stem], *, classes: tuple[str, ...], by: str) -> np.ndarray:
    """Probabilities [shape=(stems, classes)] of each whole stem from a model fitted without its
    soundfont (``by="soundfont"``: one fold per soundfont) or its groove (``by="groove"``: 6 folds)."""
    groups = np.array([getattr(s, by) for s in stems])
    folds = len(set(groups)) if by == "soundfont" else 6
    out = np.zeros((len(stems), len(classes)))
    for train, test in GroupKFold(n_splits=folds).split(np.zeros(len(stems)), groups=groups):
        model = fit([stems[i] for i in train], classes=classes)
        out[test] = model.probabilities(np.stack([stems[i].rows[0] for i in test]))
    return out


def choose_min_confidence(confidence: np.ndarray, right: np.ndarray) -> float:
    """The confidence (a multiple of 0.05) from which the predictions are used: the one that makes
    (right - wrong) predictions used largest, a wrong role costing what a right one gains (the
    lowest such threshold on a tie)."""
    thresholds = np.round(np.arange(0.0, 1.0, 0.05), 2)
    gain = [int(np.sum(right & (confidence >= t)) - np.sum(~right & (confidence >= t))) for t in thresholds]
    return float(thresholds[int(np.argmax(gain))])


def report(truth: list[str], predicted: list[str], classes: tuple[str, ...]) -> str:
    """Overall and per-role accuracy and the confusion table (rows: true role, columns: predicted)."""
    truth_a, pred_a = np.array(truth), np.array(predicted)
    lines = [f"{100 * np.mean(truth_a == pred_a):.1f}% of {len(truth)} stems right"]
    lines.append(
        "per role: "
        + ", ".join(
            f"{c} {100 * np.mean(pred_a[truth_a == c] == c):.0f}% ({np.sum(truth_a == c)})"
            for c in classes
            if np.any(truth_a == c)
        )
    )
    width = max(len(c) for c in classes) + 1
    lines.append("true \\ predicted".ljust(width + 6) + "".join(c[:6].rjust(7) for c in classes))
    for c in classes:
        if not np.any(truth_a == c):
            continue
        counts = [int(np.sum((truth_a == c) & (pred_a == p))) for p in classes]
        lines.append(c.ljust(width + 6) + "".join(str(v).rjust(7) for v in counts))
    return "\n".join(lines)


def soundfont_cross_validation(stems: list[Stem], classes: tuple[str, ...]) -> float:
    """Print the soundfont cross-validation (each fold scored on a soundfont the model has not
    heard, like the held-out songs) and return the min_confidence it gives."""
    truth = np.array([s.role for s in stems])
    probabilities = cross_validate(stems, classes=classes, by="soundfont")
    predicted = np.array([classes[k] for k in probabilities.argmax(axis=1)])
    bench_like = np.array([s.path.parent.parent.name.startswith("mixing_train") for s in stems])
    print("cross-validated by soundfont (fitted on one, scored on the other), all stems:")
    print(report(list(truth), list(predicted), classes))
    print("... of which the stems of bench/mixing_songs.py's songs (MMA's own instruments, as the bench's):")
    print(report(list(truth[bench_like]), list(predicted[bench_like]), classes))
    confidence = probabilities.max(axis=1)
    right = truth == predicted
    min_confidence = choose_min_confidence(confidence, right)
    below = confidence < min_confidence
    print(
        f"min_confidence {min_confidence:.2f}: {below.sum()} stems below it "
        f"({100 * right[below].mean() if below.any() else 0:.0f}% right), "
        f"{100 * right[~below].mean():.1f}% right above it"
    )
    return min_confidence


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if argv[:1] == ["render"]:
        parser = argparse.ArgumentParser(description="render re-voiced training songs")
        parser.add_argument("--soundfont", required=True)
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--songs", type=int, default=24)
        parser.add_argument("--first", type=int, default=0)
        args = parser.parse_args(argv[1:])
        render_songs(args.out, soundfont=args.soundfont, seed=args.seed, songs=args.songs, first=args.first)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="*", default=list(TRAINING_FOLDERS))
    parser.add_argument("--out", type=Path, default=SHIPPED_MODEL)
    parser.add_argument("--no-cache", action="store_true", help="compute every feature row again")
    args = parser.parse_args(argv)

    stems = collect(args.folders, cache=None if args.no_cache else CACHE)
    count = Counter(s.role for s in stems)
    classes = tuple(sorted(count, key=lambda c: (-count[c], c)))
    rows = sum(len(s.rows) for s in stems)
    print(f"{len(stems)} stems ({rows} rows) from {len(args.folders)} folders: {dict(count)}")
    min_confidence = 0.0
    if len({s.soundfont for s in stems}) > 1:
        min_confidence = soundfont_cross_validation(stems, classes)
    else:
        print("one soundfont: no cross-validation; min_confidence 0")
    model = fit(stems, classes=classes, min_confidence=min_confidence)
    args.out.write_text(json.dumps(model.to_dict(), separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {TREES} rounds x {len(classes)} classes)")


if __name__ == "__main__":
    main()
