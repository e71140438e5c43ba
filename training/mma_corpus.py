"""Drum and bass-over-chords corpora rendered from Debian's MMA groove library.

Every groove (``DefGroove`` in /usr/share/mma/lib/stdlib/*.mma) is rendered by ``mma`` over a few
chord progressions (training/progressions.py) in a few keys, at a fixed random seed, so the corpus
is reproducible. From each rendering we take

* the drum channel (MIDI channel 10) as a drum NoteSequence (no transposition), and
* the bass tracks (``Bass*``/``Walk*``) made monophonic, transposed back to C major / A minor,
  with the chord symbols we gave MMA as CHORD_SYMBOL annotations at each bar: a lead sheet.

The rendered MIDI files and a manifest (JSON lines) are cached under the work directory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import mido
import note_seq
from note_seq.protobuf import music_pb2

from training.progressions import PROGRESSIONS, Progression, chord_names, normalising_shift
from training.split import is_heldout_style

logger = logging.getLogger(__name__)

MMA_LIB = Path("/usr/share/mma/lib/stdlib")
MMA_BIN = "mma"
SKIP_STYLES = frozenset({"metronome", "metronome3", "metronome6", "metronome68", "none"})
END_GROOVE = re.compile(r"end(ing)?\d*$", re.IGNORECASE)
DEFGROOVE = re.compile(r"^\s*defgroove\s+(\S+)", re.IGNORECASE | re.MULTILINE)
KEEP_METERS = frozenset({(4, 4), (3, 4)})
BASS_TRACK = re.compile(r"^(bass|walk)", re.IGNORECASE)
MAX_BASS_MEDIAN_PITCH = 55  # a "Bass-Piccolo" track above G3 is not the bass line
MIN_REPEAT_BARS = 8
# Keys (semitones above C major / A minor) a groove may be rendered in.
RENDER_KEYS = (0, 2, 3, 5, 7, 9, 10)


@dataclass(frozen=True)
class Groove:
    style: str  # MMA library file stem, lower case (the unit of the held-out split)
    name: str  # groove name as MMA knows it

    @property
    def heldout(self) -> bool:
        return is_heldout_style(self.style)


@dataclass(frozen=True)
class Rendering:
    """One MMA rendering of a groove; chords are already in C major / A minor (note_seq spelling)."""

    style: str
    groove: str
    progression: str
    transpose: int  # semitones above C/Am that MMA played in
    shift: int  # semitones that bring the rendering back to C/Am
    tempo: float
    numerator: int
    denominator: int
    bars: int
    chords: tuple[str, ...]  # one per bar, in C/Am
    midi: str  # path of the rendered MIDI file

    @property
    def heldout(self) -> bool:
        return is_heldout_style(self.style)


def list_grooves(lib_dir: Path = MMA_LIB) -> list[Groove]:
    """All grooves of the MMA standard library, sorted, without endings and metronomes."""
    grooves: dict[str, Groove] = {}
    for path in sorted(lib_dir.glob("*.mma")):
        style = path.stem.lower()
        if style in SKIP_STYLES:
            continue
        text = path.read_text(encoding="latin-1")
        for name in DEFGROOVE.findall(text):
            if END_GROOVE.search(name):
                continue
            grooves.setdefault(name.lower(), Groove(style=style, name=name))
    return sorted(grooves.values(), key=lambda g: (g.style, g.name.lower()))


def _stable_int(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:12], 16)


def plan_renderings(groove: Groove, *, per_groove: int) -> list[tuple[Progression, int, int]]:
    """(progression, key transposition, tempo) for each rendering of ``groove``; fixed by its name."""
    seed = _stable_int(groove.name.lower())
    plans = []
    for i in range(per_groove):
        progression = PROGRESSIONS[(seed + 5 * i) % len(PROGRESSIONS)]
        transpose = RENDER_KEYS[(seed // 7 + 3 * i) % len(RENDER_KEYS)]
        tempo = 90 + (seed // 13 + 17 * i) % 41  # 90..130 bpm
        plans.append((progression, transpose, tempo))
    return plans


def render(
    groove: Groove, progression: Progression, *, transpose: int, tempo: int, out_dir: Path, index: int
) -> Rendering | None:
    """Render ``groove`` with MMA over ``progression`` (repeated to ≥8 bars); None if MMA fails."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{groove.name.lower()}_{index}"
    mma_file, midi_file = out_dir / f"{stem}.mma", out_dir / f"{stem}.mid"
    repeats = max(1, -(-MIN_REPEAT_BARS // len(progression.bars)))
    mma_chords = chord_names(progression, transpose=transpose, mma=True) * repeats
    lines = [f"RndSeed {_stable_int(stem) % 100000}", f"Tempo {tempo}", f"Groove {groove.name}"]
    lines += [f"{bar + 1} {chord}" for bar, chord in enumerate(mma_chords)]
    mma_file.write_text("\n".join(lines) + "\n")
    done = subprocess.run([MMA_BIN, str(mma_file), "-f", str(midi_file)], capture_output=True, text=True, timeout=60)
    if done.returncode or not midi_file.exists():
        logger.warning("mma failed for %s: %s", groove.name, (done.stdout + done.stderr)[-300:])
        return None
    numerator, denominator = _time_signature(midi_file)
    return Rendering(
        style=groove.style,
        groove=groove.name,
        progression=progression.name,
        transpose=transpose,
        shift=normalising_shift(transpose),
        tempo=float(tempo),
        numerator=numerator,
        denominator=denominator,
        bars=len(mma_chords),
        chords=tuple(chord_names(progression, transpose=0, mma=False) * repeats),
        midi=str(midi_file),
    )


def _time_signature(midi_file: Path) -> tuple[int, int]:
    for message in mido.MidiFile(str(midi_file)).tracks[0]:
        if message.type == "time_signature":
            return int(message.numerator), int(message.denominator)
    return 4, 4


def build_renderings(
    work_dir: Path, *, per_groove: int = 3, limit: int | None = None, grooves: list[Groove] | None = None
) -> list[Rendering]:
    """Render (or reuse) every groove's renderings; returns those in a 4/4 or 3/4 meter.

    The manifest ``work_dir/manifest.jsonl`` caches the result of each rendering by its MIDI path.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    manifest = work_dir / f"manifest_{per_groove}.jsonl"
    cached: dict[str, Rendering] = {}
    if manifest.exists():
        for line in manifest.read_text().splitlines():
            item = json.loads(line)
            item["chords"] = tuple(item["chords"])
            cached[item["midi"]] = Rendering(**item)
    chosen = grooves if grooves is not None else list_grooves()
    if limit is not None:
        chosen = chosen[:limit]
    renderings: list[Rendering] = []
    with manifest.open("a") as log:
        for groove in chosen:
            for index, (progression, transpose, tempo) in enumerate(plan_renderings(groove, per_groove=per_groove)):
                midi = str(work_dir / groove.style / f"{groove.name.lower()}_{index}.mid")
                rendering = cached.get(midi) if Path(midi).exists() else None
                if rendering is None:
                    rendering = render(
                        groove,
                        progression,
                        transpose=transpose,
                        tempo=tempo,
                        out_dir=work_dir / groove.style,
                        index=index,
                    )
                    if rendering is None:
                        continue
                    log.write(json.dumps(asdict(rendering)) + "\n")
                if (rendering.numerator, rendering.denominator) in KEEP_METERS:
                    renderings.append(rendering)
    return renderings


def _base_sequence(rendering: Rendering) -> music_pb2.NoteSequence:
    ns = music_pb2.NoteSequence()
    ns.ticks_per_quarter = note_seq.STANDARD_PPQ
    ns.tempos.add(time=0.0, qpm=rendering.tempo)
    ns.time_signatures.add(time=0.0, numerator=rendering.numerator, denominator=rendering.denominator)
    ns.total_time = rendering.bars * bar_seconds(rendering)
    ns.id = f"mma/{rendering.style}/{Path(rendering.midi).stem}"
    ns.filename = rendering.midi
    return ns


def bar_seconds(rendering: Rendering) -> float:
    """Length of one bar of ``rendering`` in seconds."""
    return rendering.numerator * (4.0 / rendering.denominator) * 60.0 / rendering.tempo


def _tracks(rendering: Rendering) -> dict[str, list[tuple[int, float, float, int, int]]]:
    """Notes per MIDI track name: (pitch, start s, end s, velocity, channel), from mido directly."""
    midi = mido.MidiFile(rendering.midi)
    tempo_us = 60_000_000 / rendering.tempo  # MMA writes one tempo
    tracks: dict[str, list[tuple[int, float, float, int, int]]] = {}
    for track in midi.tracks:
        ticks, open_notes = 0, {}
        notes = tracks.setdefault(track.name or f"track{len(tracks)}", [])
        for message in track:
            ticks += message.time
            seconds = mido.tick2second(ticks, midi.ticks_per_beat, tempo_us)
            if message.type == "note_on" and message.velocity > 0:
                open_notes[(message.channel, message.note)] = (seconds, message.velocity)
            elif message.type in ("note_off", "note_on"):
                started = open_notes.pop((message.channel, message.note), None)
                if started is not None:
                    notes.append((message.note, started[0], seconds, started[1], message.channel))
    return tracks


def drum_sequence(rendering: Rendering) -> music_pb2.NoteSequence:
    """The drum channel of ``rendering`` as a NoteSequence (is_drum, instrument 9)."""
    ns = _base_sequence(rendering)
    for notes in _tracks(rendering).values():
        for pitch, start, end, velocity, channel in notes:
            if channel == 9:
                ns.notes.add(
                    pitch=pitch,
                    start_time=start,
                    end_time=max(end, start + 0.01),
                    velocity=velocity,
                    instrument=9,
                    is_drum=True,
                )
    ns.notes.sort(key=lambda n: (n.start_time, n.pitch))
    return ns


def bass_notes(rendering: Rendering) -> list[tuple[int, float, float, int]]:
    """The bass line of ``rendering``, monophonic, NOT transposed: (pitch, start s, end s, velocity).

    All ``Bass*``/``Walk*`` tracks whose median pitch is a bass register are merged; at each onset
    the lowest note wins and a note is cut where the next one starts.
    """
    merged: list[tuple[int, float, float, int]] = []
    for name, notes in _tracks(rendering).items():
        if not BASS_TRACK.match(name) or not notes:
            continue
        pitches = sorted(n[0] for n in notes)
        if pitches[len(pitches) // 2] > MAX_BASS_MEDIAN_PITCH:
            continue
        merged.extend((p, s, e, v) for p, s, e, v, ch in notes if ch != 9)
    merged.sort(key=lambda n: (round(n[1], 2), n[0]))
    mono: list[tuple[int, float, float, int]] = []
    for pitch, start, end, velocity in merged:
        if mono and abs(start - mono[-1][1]) < 0.04:  # same onset (MMA humanises timing): keep the lowest
            continue
        if mono and mono[-1][2] > start:
            p, s, _, v = mono[-1]
            mono[-1] = (p, s, start, v)
        mono.append((pitch, start, end, velocity))
    return mono


def bass_lead_sheet(rendering: Rendering) -> music_pb2.NoteSequence:
    """Bass line in C major / A minor with one CHORD_SYMBOL annotation per bar (a lead sheet)."""
    ns = _base_sequence(rendering)
    for pitch, start, end, velocity in bass_notes(rendering):
        ns.notes.add(
            pitch=pitch + rendering.shift, start_time=start, end_time=end, velocity=velocity, instrument=0, program=33
        )
    bar = bar_seconds(rendering)
    for index, chord in enumerate(rendering.chords):
        ns.text_annotations.add(
            time=index * bar, text=chord, annotation_type=music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL
        )
    return ns


def drum_bars(
    rendering: Rendering, *, start_bar: int, num_bars: int, steps_per_quarter: int = 4
) -> list[dict[str, float | int]]:
    """Drum hits of ``num_bars`` bars from ``start_bar`` in beats from that bar, quantised to the grid.

    Returns [{pitch, start_beats, end_beats, velocity}] (beats are quarter notes).
    """
    beat = 60.0 / rendering.tempo
    bar_beats = rendering.numerator * 4.0 / rendering.denominator
    first, last = start_bar * bar_beats, (start_bar + num_bars) * bar_beats
    hits = []
    for note in drum_sequence(rendering).notes:
        step = round(note.start_time / beat * steps_per_quarter)
        beats = step / steps_per_quarter
        if first <= beats < last:
            start = beats - first
            hits.append(
                {
                    "pitch": int(note.pitch),
                    "start_beats": start,
                    "end_beats": start + 1.0 / steps_per_quarter,
                    "velocity": int(note.velocity),
                }
            )
    return hits
