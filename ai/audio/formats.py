"""The audio formats the engine decodes (ai/audio/decode.py): the sentence errors and the API docs name
them in, and the file name endings a folder is searched for."""

from __future__ import annotations

SUPPORTED_FORMATS_TEXT = (
    "WAV, AIFF, FLAC, MP3, OGG (Vorbis or Opus), M4A/MP4/MOV (AAC or ALAC), WebM/MKV (Opus), WMA, AAC, AMR or CAF"
)
"""MOV covers QuickTime files without an ``ftyp`` atom (a first ``moov``, ``mdat``, ``wide``, ``free`` or
``skip``), AAC raw ADTS with or without an ID3v2 tag before it (ai/audio/decode_ffmpeg.py)."""
AUDIO_FILE_EXTENSIONS = frozenset(
    {".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".mp3", ".ogg", ".oga", ".opus"}  # libsndfile
    | {".m4a", ".aac", ".wma", ".amr", ".caf", ".mka", ".weba"}  # FFmpeg (ai/audio/decode_ffmpeg.py)
)
"""Endings of audio-only files in those formats: what a folder (a library scan, the command line's
folder argument) is searched for. Video files (.mp4, .mov, .webm, .mkv) are decoded when sent, but not
picked out of a folder."""
STEM_EXTENSIONS = (".wav", ".flac", ".aiff", ".aif", ".m4a", ".ogg", ".opus", ".mp3")
"""The endings of a project's rendered stems (integration/projects.py), in order of preference when a track has
several: lossless first (an .m4a may be ALAC), then the lossy."""
