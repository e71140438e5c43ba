"""Fit the drums-only model (models/drums_only.json): drums and percussion alone get no key or chords.

Items (each a clip of audio the engine analyses, labelled drums alone or pitched):

- from songs rendered by ``bench/mixing_songs.py`` (MMA grooves split into stems; songs.json gives each
  stem's role from its General MIDI program or drum notes): the drum bus (every drum-role stem summed)
  and each drum stem alone are drums; the whole mix, each pitched stem (not the ``fx`` role: a sound
  effect may have no pitch), the drums with the first bass, with that bass 6 and 12 dB lower and with
  another part 10 dB under them are pitched;
- synthetic lines with few or no harmonics (sine, triangle, a whistle-like sine with a faint 2nd
  harmonic; melodies and bass lines in a random key, some with vibrato or a decay), alone and under
  a song's drum bus at 0 or -6 dB: pitched. Rendered soundfont instruments all have harmonics; a
  whistle or an 808 bass has almost none, and the harmonic comb alone would call it drums;
- optionally, the real development set's tune split (``--real DIR``, ../shared/eval/real): pitched;
- the engine's own drum grooves (``groove_items``: every style of the theory backend, seeds 11 and 12, through
  TimGM6mb and MuseScore General Lite): drums; the same under the engine's bass line at 0 and -6 dB: pitched;
- the same grooves through other kits (``kit_groove_items``, FIT_KIT_SOUNDS: the fitting soundfonts' other drum sets,
  the AVL Black Pearl kit, hydrogen-drumkits' sampled acoustic kits), 4 a groove: drums, and under the bass: pitched.

The model is a logistic regression (scikit-learn; the service evaluates it with numpy,
:mod:`ai.analysis.drums_only`) over the standardised terms (``TERM_NAMES``: the peak features, their squares and
products, the two shares), pitched items weighing PITCHED_WEIGHT, and the
threshold is the highest score of any pitched item plus MARGIN: no pitched training item is called
drums. bench/drums_only.py scores the model on songs, kits and recordings it was not fitted on.

Usage: .venv/bin/python -m training.drums_only [SONG_FOLDERS ...] [--real data/real] [--synthetic 60]
       [--grooves 11,12] [--out models/drums_only.json]
(defaults: data/mixing_train_timgm_nc data/mixing_train_msgl_nc, rendered as in models/drums_only.md)
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pretty_midi
import soundfile as sf
from sklearn.linear_model import LogisticRegression

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.drums_only import FEATURE_NAMES, SHIPPED_MODEL, DrumsOnlyModel, drum_features, model_terms
from ai.analysis.features import finish_features, spectral_pass
from ai.analysis.pipeline import summarize_audio
from ai.audio.decode import DecodedAudio, decode_audio
from ai.generation.base import GenerationRequest
from ai.generation.drum_styles import DRUM_STYLES
from ai.generation.preview import render_midi
from ai.generation.theory import TheoryGenerator
from ai.music_theory import Key, default_progression
from training.drum_transcription import DRUM_SET_MARK, SAMPLE_KIT, TRAIN_KIT, render_drum_sound
from training.drumkit_samples import KITS_DIR, TRAIN_KITS, Note
from training.real_corpus import DRUM_KITS, SOUNDFONTS, fluidsynth
from training.real_corpus import SR as KIT_SR

DRUM_ROLES = frozenset({"kick", "snare", "hihat", "drums"})
PITCHED_WEIGHT = 20.0
"""A pitched item weighs this many drum items in the fit (session 33: 5 before; the boundary is drawn by pitched items,
which cost more when called drums)."""
C = 3.0
"""The regression's inverse regularisation (session 33: 1 before)."""
MARGIN = 1.0
"""Added to the highest pitched training score to make the threshold (session 33: 0.5 before; at 0.5 a FluidR3 song's
drums with its bass 12 dB under them, held out, scored above the threshold: models/drums_only.md)."""
SR = 44100
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")


@dataclass(frozen=True)
class Item:
    name: str
    drums: bool
    group: str  # what kind of item, for the reports
    audio: DecodedAudio


def _read(path: Path, gain_db: float = 0.0) -> np.ndarray:
    samples, _ = sf.read(path, dtype="float32", always_2d=True)
    return np.asarray(samples.T * np.float32(10 ** (gain_db / 20)), dtype=np.float32)


def _stereo(mono_or_stereo: np.ndarray) -> np.ndarray:
    return mono_or_stereo if mono_or_stereo.shape[0] == 2 else np.repeat(mono_or_stereo[:1], 2, axis=0)


def _sum(parts: list[np.ndarray]) -> np.ndarray:
    out = np.zeros((2, max(p.shape[1] for p in parts)), dtype=np.float32)
    for part in parts:
        out[:, : part.shape[1]] += _stereo(part)
    return out


def song_items(folder: Path, *, variants: bool = True) -> Iterator[Item]:
    """The items of every song in ``folder``/songs.json (see the module's docstring). ``variants``: also the
    quieter-bass and drums-under-another-part mixes."""
    for song in json.loads((folder / "songs.json").read_text()):
        stems = [(folder / s["file"], s["role"]) for s in song["stems"]]
        drums = [_read(p) for p, role in stems if role in DRUM_ROLES]
        tag = f"{folder.name}/{song['song']}"
        if drums:
            yield Item(f"{tag}/drum bus", True, "drum bus", DecodedAudio(_sum(drums), SR))
            for (path, role), audio in zip([s for s in stems if s[1] in DRUM_ROLES], drums, strict=True):
                yield Item(f"{tag}/{path.stem}", True, f"drum stem ({role})", DecodedAudio(_stereo(audio), SR))
        pitched = [(p, role) for p, role in stems if role not in DRUM_ROLES]
        yield Item(f"{tag}/mix", False, "mix", DecodedAudio(_sum(drums + [_read(p) for p, _ in pitched]), SR))
        for path, role in pitched:
            if role != "fx":
                yield Item(
                    f"{tag}/{path.stem}", False, f"pitched stem ({role})", DecodedAudio(_stereo(_read(path)), SR)
                )
        basses = [p for p, role in pitched if role == "bass"]
        if drums and basses:
            for gain in (0.0, -6.0) + ((-12.0,) if variants else ()):
                mix = _sum(drums + [_read(basses[0], gain)])
                yield Item(
                    f"{tag}/drums + bass {gain:+g} dB", False, f"drums + bass {gain:+g} dB", DecodedAudio(mix, SR)
                )
        others = [p for p, role in pitched if role not in ("bass", "fx")]
        if variants and drums and others:
            mix = _sum(drums + [_read(others[0], -10.0)])
            yield Item(f"{tag}/drums + {others[0].stem} -10 dB", False, "drums + a part -10 dB", DecodedAudio(mix, SR))


def synthetic_line(seed: int) -> tuple[str, np.ndarray]:
    """(description, mono float32 at SR): a melody or bass line of 16-60 notes in a random key, as sines,
    triangles or a whistle-like tone, some with vibrato or a decay, over a faint hiss."""
    rng = np.random.default_rng(seed)
    scale = (0, 2, 3, 5, 7, 8, 10) if rng.random() < 0.5 else (0, 2, 4, 5, 7, 9, 11)
    bass = bool(rng.random() < 0.4)
    base = (36 if bass else 60) + int(rng.integers(0, 12))
    count = int(rng.integers(16, 60))
    pitches = [base + scale[int(i) % 7] + 12 * (int(i) // 7) for i in rng.integers(0, 10, count)]
    beat = 60 / rng.uniform(70, 160)
    lengths = rng.choice([0.25, 0.5, 1.0, 1.5, 2.0], count) * beat
    wave = str(rng.choice(["sine", "triangle", "whistle"]))
    vibrato = float(rng.choice([0.0, 0.005, 0.01]))
    notes = []
    for pitch, length in zip(pitches, lengths, strict=True):
        t = np.arange(int(length * SR)) / SR
        f0 = 440.0 * 2 ** ((pitch - 69) / 12) * (1 + vibrato * np.sin(2 * np.pi * 5.5 * t))
        phase = 2 * np.pi * np.cumsum(f0) / SR
        if wave == "sine":
            tone = np.sin(phase)
        elif wave == "triangle":
            tone = 2 / np.pi * np.arcsin(np.sin(phase))
        else:
            tone = np.sin(phase) + 0.03 * np.sin(2 * phase)
        envelope = np.minimum(1, t / rng.uniform(0.005, 0.05)) * np.clip((length - t) / rng.uniform(0.02, 0.2), 0, 1)
        if rng.random() < 0.5:
            envelope = envelope * np.exp(-t * rng.uniform(0, 4))
        notes.append(0.3 * tone * envelope)
    line = np.concatenate(notes)
    line = line + 10 ** (rng.uniform(-70, -45) / 20) * rng.standard_normal(line.size)
    return f"{wave} {'bass' if bass else 'melody'}", line.astype(np.float32)


def synthetic_items(seeds: range, drum_folders: list[Path]) -> Iterator[Item]:
    """Each seed's line alone and under a drum bus of ``drum_folders``' songs at 0 or -6 dB (by RMS)."""
    buses = []
    for folder in drum_folders:
        for song in json.loads((folder / "songs.json").read_text()):
            parts = [folder / s["file"] for s in song["stems"] if s["role"] in DRUM_ROLES]
            if parts:
                buses.append(parts)
    for seed in seeds:
        what, line = synthetic_line(seed)
        yield Item(f"synthetic {seed} {what}", False, "synthetic line", DecodedAudio(np.stack([line, line]), SR))
        rng = np.random.default_rng(seed + 1000)
        drums = _sum([_read(p) for p in buses[int(rng.integers(0, len(buses)))]]).mean(axis=0)
        n = min(drums.size, line.size)
        gain_db = float(rng.choice([0.0, -6.0]))
        gain = 10 ** (gain_db / 20) * np.sqrt(np.mean(drums[:n] ** 2) / max(float(np.mean(line[:n] ** 2)), 1e-12))
        mix = (drums[:n] + gain * line[:n]).astype(np.float32)
        yield Item(
            f"synthetic {seed} {what} under drums {gain_db:+g} dB",
            False,
            "synthetic line under drums",
            DecodedAudio(np.stack([mix, mix]), SR),
        )


GROOVE_SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
    Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),
)
"""The soundfonts the engine's own grooves are rendered through for fitting (the MMA songs' two); bench/drums_only.py
renders other seeds through FluidR3 and csound's GM bank."""
GROOVE_BARS = 8
KIT_TAIL_S = 2.0
"""Seconds a kit render runs past the groove's last note (its ring and reverb)."""


def groove_midis(seed: int, style: str) -> tuple[bytes, bytes]:
    """The engine's own drum groove of ``style`` (a DRUM_STYLES name) and its bass line, as MIDI files: the theory
    backend, GROOVE_BARS bars in a key, at a tempo, density and looseness drawn from ``seed`` and the style."""
    rng = np.random.default_rng(1000 * seed + DRUM_STYLES.index(style))
    key = Key(int(rng.integers(0, 12)), "minor" if rng.random() < 0.5 else "major")
    request = GenerationRequest(
        part="drums",
        key=key,
        chords=default_progression(key),
        tempo=float(rng.uniform(80.0, 150.0)),
        bars=GROOVE_BARS,
        beats_per_bar=3 if style == "waltz" else 4,
        seed=seed,
        density=float(rng.uniform(0.3, 0.8)),
        humanize=float(rng.uniform(0.0, 0.5)),
        style=style,
    )
    generator = TheoryGenerator()
    return generator.generate(request).to_midi_bytes(), generator.generate(
        replace(request, part="bass")
    ).to_midi_bytes()


def groove_items(seeds: Sequence[int], soundfonts: Sequence[Path]) -> Iterator[Item]:
    """The engine's own drum grooves (the theory backend, every style of DRUM_STYLES, GROOVE_BARS bars at a tempo
    and density drawn by seed), each rendered by FluidSynth (with its reverb, as a preview) through each soundfont:
    drums alone; and under the engine's bass line on the key's progression at 0 and -6 dB (by RMS): pitched.
    A user's loop from ``/generate/midi`` is what the MMA grooves did not cover: the full kits of its styles (rides,
    open hi-hats, toms in the fills); session 24's model called 14 of 30 held-out grooves through FluidR3 and 1 of 30
    through csound's GM bank drums alone (bench/drums_only.py's seeds 1 and 2)."""
    for seed in seeds:
        for style in DRUM_STYLES:
            drums_midi, bass_midi = groove_midis(seed, style)
            for soundfont in soundfonts:
                tag = f"groove/{style} seed {seed} {soundfont.stem}"
                drums = render_midi([drums_midi], SR, soundfont)
                yield Item(tag, True, f"engine groove ({soundfont.stem})", DecodedAudio(drums, SR))
                bass = render_midi([bass_midi], SR, soundfont)
                n = min(drums.shape[1], bass.shape[1])
                level = np.sqrt(np.mean(drums[:, :n] ** 2) / max(float(np.mean(bass[:, :n] ** 2)), 1e-12))
                for gain_db in (0.0, -6.0):
                    mix = drums[:, :n] + np.float32(level * 10 ** (gain_db / 20)) * bass[:, :n]
                    yield Item(
                        f"{tag} + bass {gain_db:+g} dB",
                        False,
                        f"engine groove + bass {gain_db:+g} dB",
                        DecodedAudio(mix, SR),
                    )


FIT_KIT_SOUNDS = (
    *(f"TimGM6mb@{program}" for program in (8, 16)),
    *(f"MuseScore_General_Lite@{program}" for program in (8, 16, 24, 25, 32, 40)),
    TRAIN_KIT,
    *(SAMPLE_KIT + kit for kit in TRAIN_KITS),
)
"""Other kits the engine's grooves are rendered through for fitting (session 33; training/drum_transcription.py's
drum sounds): the fitting soundfonts' other bank-128 drum sets (Room 8, Power 16, Electronic 24, TR-808 25, Jazz 32,
Brush 40; TimGM6mb's last four are its Standard kit or sf_GMbank's samples), the AVL Black Pearl kit and the
hydrogen-drumkits package's sampled acoustic kits. bench/drums_only.py holds out FluidR3's and csound's sets, the
AVL Red Zeppelin kit and the package's other kits."""
FIT_KIT_FALLBACKS = ("TimGM6mb", "MuseScore_General_Lite")
KITS_PER_GROOVE = 4


def kit_installed(sound: str) -> bool:
    """Whether a drum sound of FIT_KIT_SOUNDS (a soundfont's set, an AVL kit, a Hydrogen kit) is on this machine."""
    if sound.startswith(SAMPLE_KIT):
        return (KITS_DIR / sound.removeprefix(SAMPLE_KIT) / "drumkit.xml").is_file()
    if sound in DRUM_KITS:
        return Path(DRUM_KITS[sound]).is_file()
    return Path(SOUNDFONTS[sound.partition(DRUM_SET_MARK)[0]]).is_file()


def _groove_notes(midi: bytes) -> list[Note]:
    """A drum groove's notes (pitch, start s, end s, velocity)."""
    score = pretty_midi.PrettyMIDI(io.BytesIO(midi))
    return [(n.pitch, n.start, n.end, n.velocity) for inst in score.instruments for n in inst.notes]


def kit_groove_items(
    seeds: Sequence[int], sounds: Sequence[str], fallbacks: Sequence[str], per_groove: int = KITS_PER_GROOVE
) -> Iterator[Item]:
    """The engine's grooves (as :func:`groove_items`) through other kits: each seed's groove of each style through
    ``per_groove`` of ``sounds`` (training/drum_transcription.py's drum sounds: "font@program", an AVL kit, "h2:kit"),
    drawn by seed and style, with FluidSynth's reverb and chorus; a kit's missing pieces and the bass line through one
    of the soundfonts ``fallbacks``. Drums alone, and under the bass at 0 and -6 dB (by RMS): pitched."""
    for seed in seeds:
        for style in DRUM_STYLES:
            drums_midi, bass_midi = groove_midis(seed, style)
            notes = _groove_notes(drums_midi)
            rng = np.random.default_rng(1000 * seed + DRUM_STYLES.index(style) + 500)
            chosen = [sounds[int(i)] for i in rng.choice(len(sounds), size=per_groove, replace=False)]
            for sound in chosen:
                fallback = str(rng.choice(list(fallbacks)))
                font = sound.partition(DRUM_SET_MARK)[0] if DRUM_SET_MARK in sound else fallback
                with tempfile.TemporaryDirectory(prefix="drums_only_") as tmp:
                    work = Path(tmp)
                    bass = fluidsynth(
                        pretty_midi.PrettyMIDI(io.BytesIO(bass_midi)), SOUNDFONTS[font], work, "b", fx=True
                    )
                    n = int(max(bass.size, KIT_TAIL_S * KIT_SR + max(end for _, _, end, _ in notes) * KIT_SR))
                    drums = render_drum_sound(notes, sound, fallback=font, work=work, name="d", n=n, fx=True, rng=rng)
                tag = f"groove/{style} seed {seed} {sound}"
                yield Item(tag, True, f"engine groove, {sound}", DecodedAudio(np.stack([drums, drums]), KIT_SR))
                m = min(drums.size, bass.size)
                level = np.sqrt(np.mean(drums[:m] ** 2) / max(float(np.mean(bass[:m] ** 2)), 1e-12))
                for gain_db in (0.0, -6.0):
                    mix = drums[:m] + np.float32(level * 10 ** (gain_db / 20)) * bass[:m]
                    yield Item(
                        f"{tag} + bass {gain_db:+g} dB",
                        False,
                        f"engine groove, other kits + bass {gain_db:+g} dB",
                        DecodedAudio(np.stack([mix, mix]), KIT_SR),
                    )


def real_items(folder: Path, split: str, *, tiny: bool = False) -> Iterator[Item]:
    """The real development set's items of ``split`` ("tune" or "heldout", bench/real_split.py's rule), all pitched
    (but BRID's percussion ensemble, which is drums alone). ``tiny``: also the clips under 6 s (named tiny_*), which
    the set's README reports apart (a 2-s cut of a song may hold one chord, or nothing but its drums)."""
    for path in sorted((folder / "audio").iterdir()):
        if path.suffix not in AUDIO_SUFFIXES or (path.name.startswith("tiny_") and not tiny):
            continue
        held = zlib.crc32(path.name.encode()) % 3 == 0
        if held != (split == "heldout"):
            continue
        drums = "brid_" in path.name
        yield Item(
            f"real/{path.name}",
            drums,
            "real percussion" if drums else "real recording",
            decode_audio(path.read_bytes(), name=path.name),
        )


def features_of(audio: DecodedAudio) -> np.ndarray:
    """:func:`ai.analysis.drums_only.drum_features` of ``audio`` as the analysis computes its spectrum."""
    summary = summarize_audio(audio)
    return drum_features(finish_features(spectral_pass(summary.y, ANALYSIS_SR)).semitone_spec)


def fit(rows: np.ndarray, drums: np.ndarray) -> DrumsOnlyModel:
    """The standardised logistic regression and its threshold (the highest pitched score + MARGIN)."""
    terms = np.array([model_terms(r) for r in rows])
    mean, scale = terms.mean(axis=0), terms.std(axis=0)
    scale[scale <= 0] = 1.0
    clf = LogisticRegression(C=C, class_weight={0: PITCHED_WEIGHT, 1: 1.0}, max_iter=5000)
    clf.fit((terms - mean) / scale, drums.astype(int))
    model = DrumsOnlyModel(mean, scale, clf.coef_[0].astype(np.float64), float(clf.intercept_[0]), 0.0)
    highest = max(model.score(r) for r in rows[~drums])
    return DrumsOnlyModel(mean, scale, model.weights, model.bias, highest + MARGIN)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folders", nargs="*", type=Path, default=[Path("data/mixing_train_timgm_nc"), Path("data/mixing_train_msgl_nc")]
    )
    parser.add_argument("--real", type=Path, help="the real development set (its tune split joins the pitched items)")
    parser.add_argument("--synthetic", type=int, default=60, help="synthetic lines (seeds 0..N-1)")
    parser.add_argument(
        "--grooves", default="11,12", help="seeds of the engine's own grooves (comma-separated; '' for none)"
    )
    parser.add_argument("--out", type=Path, default=SHIPPED_MODEL)
    args = parser.parse_args(argv)

    items: list[Item] = []
    for folder in args.folders:
        items.extend(song_items(folder))
    items.extend(synthetic_items(range(args.synthetic), args.folders[:1]))
    if args.real:
        items.extend(real_items(args.real, "tune"))
    seeds = [int(seed) for seed in args.grooves.split(",") if seed.strip()]
    if seeds:
        missing = [str(f) for f in GROOVE_SOUNDFONTS if not f.is_file()]
        if missing:
            raise SystemExit(f"the grooves' soundfonts are missing: {', '.join(missing)}")
        items.extend(groove_items(seeds, GROOVE_SOUNDFONTS))
        missing = [sound for sound in FIT_KIT_SOUNDS if not kit_installed(sound)]
        if missing:
            raise SystemExit(f"the grooves' other kits are missing: {', '.join(missing)}")
        items.extend(kit_groove_items(seeds, FIT_KIT_SOUNDS, FIT_KIT_FALLBACKS))
    rows = np.array([features_of(item.audio) for item in items])
    drums = np.array([item.drums for item in items])
    model = fit(rows, drums)
    args.out.write_text(json.dumps(model.to_dict(), indent=1) + "\n")
    flagged = np.array([model.score(r) > model.threshold for r in rows])
    print(f"{len(items)} items ({int(drums.sum())} drums alone); features {', '.join(FEATURE_NAMES)}")
    print("weights", np.round(model.weights, 3).tolist(), f"bias {model.bias:.3f} threshold {model.threshold:.3f}")
    groups = sorted({item.group for item in items})
    for group in groups:
        members = [i for i, item in enumerate(items) if item.group == group]
        print(f"  {group:32s} called drums alone {int(flagged[members].sum()):4d} / {len(members)}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
