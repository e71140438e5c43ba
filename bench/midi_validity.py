#!/usr/bin/env python3
"""Are the MIDI files the engine writes valid for a strict DAW? A grid of requests over HTTP (TestClient).

Every file answered by /api/v1/generate/{midi,bassline,melody} (theory and Magenta backends, meters,
bars, tempi, variations, swing/humanize/microtiming, a primer), /api/v1/generate/accompaniment (a few
recordings) and /api/v1/transcribe (pitched and drums, quantized or not) is parsed with mido and checked
by :func:`check_midi`: overlapping notes of a pitch on a channel, note-offs without a note-on, zero-length
notes, values out of 0..127, drums off channel 10, events after end_of_track or an end_of_track before the
last note-off, an end_of_track off the last bar line, time signatures off bar lines, absurd tempi, a tempo
map outside track 0 and nameless tracks. JSON notes of velocity 0 (a note-off, not a note) are flagged, and
the accompaniment's JSON seconds are compared with the MIDI's tempo-mapped times (pretty_midi, 2 ms).

Prints one line per endpoint (files checked, files with findings, findings by kind), then each finding.
Usage: nice -n 5 .venv/bin/python bench/midi_validity.py [--quick] [--magenta]
"""

from __future__ import annotations

import argparse
import base64
import collections
import io
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mido
import pretty_midi

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DRUM_CHANNEL = 9
MIN_BPM, MAX_BPM = 10.0, 1000.0
MATCH_S = 0.002
MAX_BARS = 32  # the generation routes' documented limit


@dataclass
class Findings:
    items: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)

    def add(self, kind: str, detail: str) -> None:
        self.items.append((kind, detail))


def _absolute(track: mido.MidiTrack) -> Iterator[tuple[int, Any]]:
    now = 0
    for message in track:
        now += message.time
        yield now, message


def bar_lines(midi: mido.MidiFile, end: int) -> tuple[set[int], list[str]]:
    """The bar lines up to ``end`` from track 0's meters, and the meters that fall off a bar line."""
    tpb = midi.ticks_per_beat
    meters = sorted(
        (tick, m.numerator, m.denominator) for tick, m in _absolute(midi.tracks[0]) if m.type == "time_signature"
    )
    if not meters or meters[0][0] != 0:
        meters.insert(0, (0, 4, 4))
    lines: set[int] = set()
    problems: list[str] = []
    bar_start, length = 0, 4 * tpb
    position = 0
    index = 0
    while position <= end:
        while index < len(meters) and meters[index][0] <= position:
            tick, numerator, denominator = meters[index]
            if tick != position:
                problems.append(f"time signature {numerator}/{denominator} at tick {tick}, bar line at {position}")
            bar_start = position
            length = max(1, numerator * tpb * 4 // denominator)
            index += 1
        lines.add(position)
        next_line = position + length
        if index < len(meters) and bar_start < meters[index][0] < next_line:
            problems.append(f"time signature at tick {meters[index][0]} inside the bar {position}..{next_line}")
            position = meters[index][0]
            continue
        position = next_line
    return lines, problems


def check_midi(data: bytes, *, drums: bool | None = None, end_on_bar: bool = True) -> Findings:
    """Everything a strict DAW could object to in ``data``. ``drums``: True when every note track is
    drums, False when none is, None when the track named "drums" is (accompaniment)."""
    found = Findings()
    try:
        midi = mido.MidiFile(file=io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - any parse failure is the finding
        found.add("unparseable", repr(error))
        return found
    tempo_tracks = [i for i, t in enumerate(midi.tracks) if any(m.type == "set_tempo" for m in t)]
    if midi.type == 1 and any(i != 0 for i in tempo_tracks):
        found.add("tempo outside track 0", f"set_tempo in tracks {tempo_tracks}")
    last_off = 0
    ends: list[int] = []
    for index, track in enumerate(midi.tracks):
        names = [m.name for m in track if m.type == "track_name"]
        has_notes = any(m.type == "note_on" for m in track)
        if not names or not names[0].strip():
            found.add("track without name", f"track {index}" + (" (notes)" if has_notes else " (conductor)"))
        name = names[0] if names else ""
        is_drum_track = drums if drums is not None else name == "drums"
        sounding: dict[tuple[int, int], int] = {}
        end_tick = None
        for tick, message in _absolute(track):
            if end_tick is not None:
                found.add("event after end_of_track", f"track {index} {message}")
            if message.type == "end_of_track":
                end_tick = tick
                continue
            if message.type == "set_tempo":
                bpm = mido.tempo2bpm(message.tempo)
                if not MIN_BPM <= bpm <= MAX_BPM:
                    found.add("absurd tempo", f"{bpm:.2f} BPM at tick {tick}")
            if message.type not in ("note_on", "note_off"):
                continue
            if not (0 <= message.note <= 127 and 0 <= message.velocity <= 127):
                found.add("value out of range", str(message))
            if has_notes and is_drum_track != (message.channel == DRUM_CHANNEL):
                found.add("drum channel", f"track {index} '{name}' note on channel {message.channel + 1}")
            key = (message.channel, message.note)
            if message.type == "note_on" and message.velocity > 0:
                if key in sounding:
                    found.add(
                        "overlap", f"track {index} pitch {message.note} at tick {tick} (on since {sounding[key]})"
                    )
                sounding[key] = tick
            else:
                start = sounding.pop(key, None)
                if start is None:
                    found.add("note-off without note-on", f"track {index} pitch {message.note} at tick {tick}")
                elif start == tick:
                    found.add("zero-length note", f"track {index} pitch {message.note} at tick {tick}")
                last_off = max(last_off, tick)
        for (channel, note), tick in sounding.items():
            found.add("note never ends", f"track {index} ch {channel + 1} pitch {note} from tick {tick}")
        if end_tick is None:
            found.add("no end_of_track", f"track {index}")
        else:
            ends.append(end_tick)
    if ends and min(ends) < last_off:  # any track, the tempo map's too, ending before the music does
        found.add("end_of_track before last note-off", f"end {min(ends)} < note-off {last_off}")
    if ends:
        end = max(ends)
        lines, problems = bar_lines(midi, end)
        for problem in problems:
            found.add("time signature off bar line", problem)
        if end_on_bar and end not in lines:
            found.add("end not on bar line", f"end_of_track at {end}, bar lines ... {sorted(lines)[-2:]}")
        if len(set(ends)) > 1:
            found.add("tracks end apart", f"end_of_track ticks {sorted(set(ends))}")
    return found


def check_json_notes(notes: list[dict[str, Any]], found: Findings) -> None:
    for n in notes:
        if n["velocity"] <= 0:
            found.add("velocity-0 note", f"pitch {n['pitch']} at {n['start']:.3f}s")
        if n["end"] <= n["start"]:
            found.add("zero-length note (JSON)", f"pitch {n['pitch']} at {n['start']:.3f}s")


def check_accompaniment_times(body: dict[str, Any], data: bytes, found: Findings) -> None:
    """The JSON's seconds against the MIDI's tempo-mapped times, part by part (tracks are named by part)."""
    pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
    by_name = {instrument.name: instrument for instrument in pm.instruments}
    for part, notes in body["notes"].items():
        instrument = by_name.get(part)
        if instrument is None:
            found.add("part missing in MIDI", part)
            continue
        worst = 0.0
        pitches = {n.pitch for n in instrument.notes} | {int(n["pitch"]) for n in notes}
        for pitch in sorted(pitches):  # pitch by pitch: simultaneous notes may sort either way by start
            midi_notes = sorted((n.start, n.end) for n in instrument.notes if n.pitch == pitch)
            json_notes = sorted((n["start"], n["end"]) for n in notes if n["pitch"] == pitch)
            if len(midi_notes) != len(json_notes):
                found.add(
                    "JSON/MIDI note count", f"{part} pitch {pitch}: {len(json_notes)} JSON, {len(midi_notes)} MIDI"
                )
                continue
            for (ms, me), (js, je) in zip(midi_notes, json_notes, strict=True):
                worst = max(worst, abs(ms - js), abs(me - je))
        if worst > MATCH_S:
            found.add("JSON/MIDI time", f"{part}: worst {1000 * worst:.1f} ms")


# ---------------------------------------------------------------------------------- the grid


def generation_grid(quick: bool, magenta: bool) -> list[dict[str, Any]]:
    grid: list[dict[str, Any]] = []
    models = ["theory", "auto"] if magenta else ["theory"]
    routes = {"drums": "midi", "bass": "bassline", "melody": "melody"}
    for part, route in routes.items():
        for model in models:
            base = {"route": route, "model": model, "seed": 3}
            if part == "drums":
                base["style"] = "drums"
            for meter in ("4/4", "3/4", "6/8", "12/8", "5/4", "7/8"):
                grid.append({**base, "time_signature": meter, "bars": 4})
            for bars in (1, 2, 8, 16, 64) if quick else (1, 2, 8, 16, 32, 64):
                grid.append({**base, "bars": bars})
            for tempo in (40, 300):
                grid.append({**base, "tempo": tempo, "bars": 4, "time_signature": "7/8" if tempo == 300 else "3/4"})
            grid.append({**base, "bars": 4, "variations": 4})
            grid.append({**base, "bars": 4, "swing": 0.7, "humanize": 1.0})
            grid.append({**base, "bars": 4, "humanize": 1.0, "time_signature": "6/8", "tempo": 300})
            if part == "drums":
                grid.append({**base, "bars": 4, "microtiming": 1.0, "humanize": 1.0, "style": "funk"})
                grid.append({**base, "bars": 8, "microtiming": 1.0, "swing": 0.6, "style": "jazz", "tempo": 300})
    return grid


def primer_midi() -> bytes:
    """A bar and a half of a melody in 3/4 at 90 BPM: the continuation starts on the next bar line."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=90.0)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(3, 4, 0.0))
    piano = pretty_midi.Instrument(program=0, name="idea")
    beat = 60.0 / 90.0
    for i, pitch in enumerate([62, 65, 69, 67, 65]):
        piano.notes.append(pretty_midi.Note(90, pitch, i * beat, (i + 0.9) * beat))
    pm.instruments.append(piano)
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()


def drum_primer_midi() -> bytes:
    pm = pretty_midi.PrettyMIDI(initial_tempo=100.0)
    kit = pretty_midi.Instrument(program=0, is_drum=True, name="beat")
    step = 60.0 / 100.0 / 2
    for i in range(16):
        kit.notes.append(pretty_midi.Note(80, 42, i * step, i * step + 0.05))
        if i % 4 == 0:
            kit.notes.append(pretty_midi.Note(100, 36 if i % 8 == 0 else 38, i * step, i * step + 0.1))
    pm.instruments.append(kit)
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()


def label(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items() if k != "route")


def run(quick: bool, magenta: bool) -> int:
    from tests.api.conftest import engine_client, make_settings

    report: dict[str, list[tuple[str, Findings]]] = collections.defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp, engine_client(make_settings(Path(tmp), load_magenta=magenta)) as client:
        for params in generation_grid(quick, magenta):
            route = params["route"]
            data = {k: str(v) for k, v in params.items() if k != "route"}
            response = client.post(f"/api/v1/generate/{route}", data=data)
            found = Findings()
            if params.get("bars", 1) > MAX_BARS:  # beyond the documented range: a clear 422 is right
                if response.status_code != 422:
                    found.add("bars over the limit not refused", f"HTTP {response.status_code}")
                report[f"generate/{route}"].append((label(params) + " (refused)", found))
                continue
            if response.status_code != 200:
                found.add(f"HTTP {response.status_code}", response.text[:200])
                report[f"generate/{route}"].append((label(params), found))
                continue
            body = response.json()
            for k, clip in enumerate(body["variations"]):
                clip_found = check_midi(base64.b64decode(clip["midi_base64"]), drums=route == "midi")
                check_json_notes(clip["notes"], clip_found)
                report[f"generate/{route}"].append((f"{label(params)} v{k} model={body['model']}", clip_found))
        primers = {"melody": primer_midi(), "bassline": primer_midi(), "midi": drum_primer_midi()}
        for route, primer in primers.items():
            for include in ("true", "false"):
                response = client.post(
                    f"/api/v1/generate/{route}",
                    data={"bars": "2", "seed": "5", "include_primer": include, "model": "theory"},
                    files={"primer": ("idea.mid", primer, "audio/midi")},
                )
                found = Findings()
                if response.status_code != 200:
                    found.add(f"HTTP {response.status_code}", response.text[:200])
                else:
                    body = response.json()
                    found = check_midi(base64.b64decode(body["midi_base64"]), drums=route == "midi")
                    check_json_notes(body["notes"], found)
                report[f"generate/{route}+primer"].append((f"include_primer={include}", found))

        recordings = [
            "data/real/audio/fmp_beatles_ob-la-di_ob-la-da.flac",
            "data/real/audio/mirdata_ballroom_Media-105901.wav",
            "data/eval/songs/song00.wav",
        ]
        if not quick:
            recordings += ["data/real/audio/fmp_beatles_let_it_be.flac", "data/eval/songs/song01.wav"]
        for path in recordings:
            for extra in (
                {"model": "theory"},
                {"model": "theory", "swing": "0.6", "humanize": "1", "microtiming": "1"},
            ):
                audio = (REPO / path).read_bytes()
                response = client.post(
                    "/api/v1/generate/accompaniment",
                    files={"file": (Path(path).name, audio, "application/octet-stream")},
                    data={"parts": "drums,bass,pad", "seed": "1", **extra},
                )
                found = Findings()
                name = f"{Path(path).name} {label(extra)}"
                if response.status_code != 200:
                    found.add(f"HTTP {response.status_code}", response.text[:200])
                else:
                    body = response.json()
                    midi = base64.b64decode(body["midi_base64"])
                    found = check_midi(midi, drums=None)
                    for notes in body["notes"].values():
                        check_json_notes(notes, found)
                    check_accompaniment_times(body, midi, found)
                    name += f" meter_changes={len(body['analysis'].get('meter_changes', []))}"
                report["generate/accompaniment"].append((name, found))

        transcriptions = [
            ("data/eval/chorales/bwv101.7.wav", "pitched"),
            ("data/real/audio/essentia_sax_tenor_d_minor.wav", "pitched"),
            ("data/eval/songs/song00.wav", "drums"),
            ("data/real/audio/essentia_techno_loop.mp3", "drums"),
        ]
        for path, instrument in transcriptions:
            for quantize in (None, "1/16", "1/8t"):
                audio = (REPO / path).read_bytes()
                data = {"instrument": instrument, "format": "midi"}
                if quantize:
                    data["quantize"] = quantize
                response = client.post(
                    "/api/v1/transcribe",
                    files={"file": (Path(path).name, audio, "application/octet-stream")},
                    data=data,
                )
                found = Findings()
                if response.status_code != 200:
                    found.add(f"HTTP {response.status_code}", response.text[:200])
                else:
                    # The transcription's file ends with the recording, not on a bar line (by design).
                    found = check_midi(response.content, drums=instrument == "drums", end_on_bar=False)
                report["transcribe"].append((f"{Path(path).name} {instrument} quantize={quantize}", found))

    failing = 0
    for endpoint, results in report.items():
        kinds = collections.Counter(kind for _, found in results for kind, _ in found.items)
        bad = sum(1 for _, found in results if found.items)
        failing += bad
        summary = ", ".join(f"{kind} {count}" for kind, count in kinds.most_common()) or "clean"
        print(f"{endpoint}: {len(results)} files, {bad} with findings: {summary}")
    for endpoint, results in report.items():
        for name, found in results:
            seen: set[str] = set()
            for kind, detail in found.items:
                if kind not in seen:  # the first of each kind per file
                    print(f"  {endpoint} [{name}] {kind}: {detail}")
                    seen.add(kind)
    return 1 if failing else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    parser.add_argument("--magenta", action="store_true", help="load the Magenta bundles (model=auto too)")
    args = parser.parse_args()
    sys.exit(run(args.quick, args.magenta))


if __name__ == "__main__":
    main()
