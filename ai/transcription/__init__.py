"""Audio to MIDI: pitched notes (polyphonic, with basic-pitch's ONNX model), drum hits (the drum
model in ``ai.transcription.drums``) and the MIDI file on the recording's beat grid.

Entry point: :func:`ai.transcription.transcribe.transcribe` on decoded audio. Importing this package
loads no model and never imports TensorFlow.
"""

from ai.transcription.pitched import NoteOptions, TranscribedNote, transcribe_pitched
from ai.transcription.tempo_map import BeatGrid, MidiNote, beat_grid, midi_file
from ai.transcription.transcribe import Transcription, transcribe

__all__ = [
    "BeatGrid",
    "MidiNote",
    "NoteOptions",
    "TranscribedNote",
    "Transcription",
    "beat_grid",
    "midi_file",
    "transcribe",
    "transcribe_pitched",
]
