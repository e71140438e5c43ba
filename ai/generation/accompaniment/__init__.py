"""An accompaniment for a recording: drums, bass and a pad that follow its own beats, meter, key and chords.

The recording is analysed (:func:`ai.analysis.pipeline.analyze`); the chord heard over every bar
becomes the progression; the engine's generators (theory or Magenta) write drums and bass on a
nominal tempo; every note is then moved onto the recording's real beat grid: a note at beat
position ``b`` (beats from the first downbeat) sounds at the time interpolated between the
recording's beat times, so a recording that drifts is followed. Corrections come first: the
analysis's beats (on a 23 ms frame grid) move onto prominent onsets at a 2.9 ms hop, follow a
robust local fit of the tempo curve, get back a first beat the tracker skipped, move onto the
foot of the attacks where every attack is soft (no earlier than their own attacks), and become a constant-tempo or
tempo-ramp grid unless they sit on clearly stronger onsets or trace a tempo of their own
(:mod:`ai.generation.beat_following`, :mod:`ai.generation.steady_tempo`); the bar phase is checked against the harmony
(:func:`bar_phase`: bars hold chords); each bar's root is the one its chroma holds over the whole bar
(:mod:`ai.generation.bar_harmony`), or, for a melody alone (a sung or played line, whose chroma names no
chord), the chord that harmonises the bar's notes in a likely progression (:mod:`ai.generation.melody_harmony`).
The answer is one multi-track MIDI file whose tempo map has a tempo at every beat (from the beat
intervals), so a DAW that imports it at time 0 lines up with the audio, and optionally an audio preview: the parts rendered
with FluidSynth through a GM soundfont and mixed under the recording by loudness.

Time before the first downbeat (a pickup, silence) becomes one lead-in measure of its own length
and meter (e.g. 1/4 for a one-beat pickup): the first downbeat opens the first full bar. Where the
analysis's bars change length inside the recording (a 2/4 or 3/4 bar in a 4/4 song moves every later
downbeat) and the harmony agrees with its phase, the grid keeps the recording's bars: the generated
clip's bar played over a short bar leaves out its end, and the MIDI file writes that bar's meter.

Modules: :mod:`~ai.generation.accompaniment.grid` (the beat grid, meters, irregular bars),
:mod:`~ai.generation.accompaniment.downbeats` (the bar phase), :mod:`~ai.generation.accompaniment.harmony`
(key and chords), :mod:`~ai.generation.accompaniment.parts` (placing the parts),
:mod:`~ai.generation.accompaniment.midi_file` (the MIDI file), :mod:`~ai.generation.accompaniment.preview`
(the audio preview), :mod:`~ai.generation.accompaniment.cues` (what is read from the signal),
:mod:`~ai.generation.accompaniment.options` (the request's options), :mod:`~ai.generation.accompaniment.result`
(the answer) and :mod:`~ai.generation.accompaniment.pipeline` (the whole).
"""

from ai.generation.accompaniment.cues import (
    RecordingCues,
    analyse_with_cues,
    mono_at,
    recording_cues,
    take_recording_cues,
)
from ai.generation.accompaniment.downbeats import melody_bar_phase
from ai.generation.accompaniment.grid import BeatGrid, NoBeatFound, build_grid
from ai.generation.accompaniment.harmony import bar_chords, covering_chords, half_bar_chords, harmony_source
from ai.generation.accompaniment.midi_file import meter_changes, tempo_events, write_midi
from ai.generation.accompaniment.options import HARMONY_SOURCES, AccompanimentOptions, parse_harmony, parse_parts
from ai.generation.accompaniment.parts import PlacedNote, pad_notes, place_notes
from ai.generation.accompaniment.pipeline import accompany, accompany_cues, accompany_signal, warm_up
from ai.generation.accompaniment.preview import mix_preview, preview_max_rates, preview_midis
from ai.generation.accompaniment.result import Accompaniment, summary

__all__ = [
    "Accompaniment",
    "AccompanimentOptions",
    "accompany",
    "accompany_cues",
    "accompany_signal",
    "analyse_with_cues",
    "bar_chords",
    "BeatGrid",
    "build_grid",
    "covering_chords",
    "half_bar_chords",
    "harmony_source",
    "HARMONY_SOURCES",
    "melody_bar_phase",
    "meter_changes",
    "mix_preview",
    "mono_at",
    "NoBeatFound",
    "pad_notes",
    "parse_harmony",
    "parse_parts",
    "place_notes",
    "PlacedNote",
    "preview_max_rates",
    "preview_midis",
    "recording_cues",
    "RecordingCues",
    "summary",
    "take_recording_cues",
    "tempo_events",
    "warm_up",
    "write_midi",
]
