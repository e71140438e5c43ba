"""The analysis pipeline: one decoded signal in, every musical and technical descriptor out.

Order of work (each step once): one pass over the original channels and rate, block by block
(ai/analysis/signal_pass.py: peaks, loudness, the mono mix resampled once to ANALYSIS_SR), so the
full-rate signal is never held whole or copied (a file can be analysed straight from its decoder,
:func:`analyze_file`); then the shared features of the mono signal; rhythm, key, chords and the
seed's spectral means all read those features.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from ai import progress
from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.drums_only import NOTE as DRUMS_ONLY_NOTE
from ai.analysis.drums_only import only_drums
from ai.analysis.features import SharedFeatures, SpectralPass, finish_features, mel_bands_below, spectral_pass
from ai.analysis.rhythm import estimate_rhythm, shipped_level_model
from ai.analysis.rhythm.core import FEW_ATTACKS, HELD_CHORD, NO_ATTACKS, NOISE, holds
from ai.analysis.signal_pass import SignalSummary, summarize
from ai.analysis.tonal import (
    UNPITCHED_REASONS,
    ChordSegment,
    estimate_chords,
    estimate_key,
    refine_fifth_key,
    refine_relative_key,
)
from ai.audio.decode import DecodedAudio, open_audio
from ai.audio.loudness import SHORT_TERM_S
from ai.audio.polarity import ChannelProducts, Signs, flipped_note, mix_down, signs_of
from ai.audio.stem_file import StemFile, frame_blocks, frame_count, read_frames, whole, write_stem_file
from ai.audio.voice import VoiceReading, read_voice
from ai.music_keys import normalise_key
from ai.music_theory import parse_key, spelled_in
from utils.errors import UndecodableAudio

logger = logging.getLogger(__name__)

SILENCE_DBFS = -80.0
"""A signal whose peak is below this level is treated as silence (no tempo, key or chords)."""
DC_ONLY_SHARE = 0.5
"""Audio with no audible signal whose mean is at least this share of its peak is DC alone (a constant
offset), and its analysis says so."""
OVER_FULL_SCALE_DB = 0.1
"""A peak above this (dBFS) only a float file holds: its samples beyond full scale are intact, not clipped."""
_BLOCK_FRAMES = 1 << 18
"""Frames of decoded audio per block of the signal pass, of a decoded signal's mono mix and of its
scan for estimate_tempo (a few MB at a time)."""
MIN_RHYTHM_S = 1.5
MIN_KEY_S = 1.0  # under a second there is no tonal context to read a key from (a 2 ms click got one)
"""Shorter clips get no tempo or beats (too few onsets to measure a period)."""
SPEECH = "speech"
"""The start of the notes of a recording the voice-activity network hears as a spoken voice (:func:`_spoken`)."""
SPEECH_EXCERPTS = 4
"""4-s excerpts the voice-activity network hears of a recording (spread over it): 35 ms of a core, where the
mixing's 16 took 140 ms, half the analysis of a 4-minute song."""


@dataclass(frozen=True)
class AnalysisResult:
    """Everything the analysis reports. Times in seconds; ``None`` where a value does not exist
    (silence, too short); ``notes`` says why. Field names are the API's (the seed's included)."""

    duration: float
    sample_rate: int
    channels: int
    tempo: float | None  # quarter notes per minute, as DAWs set a project's tempo
    tempo_confidence: float
    beat_tempo: float | None  # the counted beat's rate (the dotted quarter in 6/8)
    beat_times: list[float]
    beats: int
    downbeat_times: list[float]
    time_signature: str | None
    beat_division: int
    key: str | None
    key_confidence: float
    key_score: float  # the key's own profile correlation, on the scale of key_runner_up_score
    key_runner_up: str | None
    key_runner_up_score: float
    tuning_cents: float
    chords: list[dict[str, Any]]
    loudness_lufs: float | None
    true_peak_dbtp: float | None
    peak_dbfs: float | None
    loudness_range_lu: float | None
    short_term_loudness_max_lufs: float | None
    crest_factor_db: float | None
    spectral_centroid_mean: float
    spectral_rolloff_mean: float
    rms_mean: float
    zero_crossing_rate_mean: float
    clipped_fraction: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (floats rounded, no NaN or infinity), and ``spectral_features``: the
        seed's four spectral means again as one object, which the web front end reads."""
        data = asdict(self)
        data["spectral_features"] = {name: data[name] for name in SPECTRAL_FEATURES}
        return data


SPECTRAL_FEATURES = ("spectral_centroid_mean", "spectral_rolloff_mean", "rms_mean", "zero_crossing_rate_mean")


def _finite_or_none(value: float | None, digits: int = 2) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def to_analysis_rate(audio: DecodedAudio | StemFile) -> np.ndarray:
    """Mono mix of ``audio`` resampled once to ANALYSIS_SR -> [shape=(m,), float32].

    A long signal's mono mix is made a block at a time and fed to one soxr stream (the same samples
    as resampling the whole mix at once), so no full-rate mono copy is ever whole."""
    samples = audio if isinstance(audio, StemFile) else audio.samples
    return _at_analysis_rate(samples, audio.sample_rate, _channel_signs(audio))


def _at_analysis_rate(samples: np.ndarray | StemFile, sr: int, signs: Signs | None) -> np.ndarray:
    """:func:`to_analysis_rate` of ``samples`` mixed with ``signs``."""
    n = frame_count(samples)
    if n <= _BLOCK_FRAMES:
        return _resample(np.ascontiguousarray(mix_down(whole(samples), signs), dtype=np.float32), sr)
    out = np.empty(math.ceil(n * ANALYSIS_SR / sr) + 1, dtype=np.float32)
    filled = 0
    for mono in _analysis_rate_blocks(samples, sr, signs):
        if filled + mono.size > out.size:  # soxr gave more than the rate ratio says: grow
            out = np.concatenate([out[:filled], np.empty(mono.size, dtype=np.float32)])
        out[filled : filled + mono.size] = mono
        filled += mono.size
    return out[:filled]


def _channel_signs(audio: DecodedAudio | StemFile) -> Signs | None:
    """The polarity the mono mix of ``audio`` sums its channels with (ai/audio/polarity.py): decided
    once for decoded audio, by a pass over a stem file's blocks before its mix is made."""
    if isinstance(audio, StemFile):
        return signs_of(frame_blocks(audio), audio.channels)
    return audio.channel_signs


def _analysis_rate_blocks(samples: np.ndarray | StemFile, sr: int, signs: Signs | None) -> Iterator[np.ndarray]:
    """The mono mix of ``samples`` (with ``signs``) at ANALYSIS_SR a block at a time (one soxr stream), float32."""
    n = frame_count(samples)
    stream = None if sr == ANALYSIS_SR else soxr.ResampleStream(sr, ANALYSIS_SR, 1, dtype="float32", quality="HQ")
    for start in range(0, n + 1, _BLOCK_FRAMES):  # one more (empty) block flushes the stream
        block = read_frames(samples, start, start + _BLOCK_FRAMES)
        mono = np.ascontiguousarray(mix_down(block, signs), dtype=np.float32)
        if stream is not None:
            mono = stream.resample_chunk(mono, last=start + _BLOCK_FRAMES > n)
        yield mono


def _resample(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    if sample_rate == ANALYSIS_SR or mono.size == 0:
        return mono
    result: np.ndarray = soxr.resample(mono, sample_rate, ANALYSIS_SR, quality="HQ").astype(np.float32, copy=False)
    return result


def spectral_means(features: SharedFeatures) -> tuple[float, float, float]:
    """Mean spectral centroid (Hz), mean 85% roll-off (Hz) and mean frame RMS of the shared STFT.

    Silent frames count as 0 for the centroid and roll-off, as in the seed (librosa).
    """
    if features.rms.size == 0:
        return 0.0, 0.0, 0.0
    centroid, rolloff = features.spectral_centroid, features.spectral_rolloff
    return float(centroid.mean()), float(rolloff.mean()), float(features.rms.mean())


@dataclass(frozen=True)
class _Rhythm:
    tempo: float | None
    tempo_confidence: float
    beat_times: np.ndarray
    downbeat_times: np.ndarray
    time_signature: str | None
    beat_division: int = 0
    why_none: str = ""


END_BEAT_MARGIN_S = 0.1
"""A beat this close to the audio's end is the tracker's grid carried past the music, not a beat heard: an 8-bar
song of exactly 17.455 s got a 33rd beat and a 9th downbeat at 17.415 s (a transcription then had 9 bars)."""


def _rhythm(features: SharedFeatures, drums_alone: Callable[[], bool] | None = None) -> _Rhythm:
    result = estimate_rhythm(features, drums_alone=drums_alone)
    end = features.n_samples / features.sr - END_BEAT_MARGIN_S
    beats = np.asarray(result.beat_times, dtype=np.float64)
    downbeats = np.asarray(result.downbeat_times, dtype=np.float64)
    return _Rhythm(
        tempo=float(result.tempo) if result.tempo and result.tempo > 0 else None,
        tempo_confidence=float(result.tempo_confidence),
        beat_times=beats[beats <= end],
        downbeat_times=downbeats[downbeats <= end],
        time_signature=result.time_signature,
        beat_division=int(result.beat_division),
        why_none=result.why_none,
    )


def _spelt_by_key(
    key_name: str, runner_up: str | None, chords: list[ChordSegment]
) -> tuple[str, str | None, list[ChordSegment]]:
    """The key, its runner-up and the chords named as a musician writes them: the tonic with the smaller
    signature (Db major, G# minor), the chords in the key's own letters (Db, not C#, in F minor)."""
    key = parse_key(normalise_key(key_name))
    return (
        key.name,
        normalise_key(runner_up) if runner_up else runner_up,
        [ChordSegment(c.start, c.end, spelled_in(c.label, key)) for c in chords],
    )


def _spoken(summary: SignalSummary, peak_dbfs: float) -> VoiceReading | None:
    """The voice-activity network's reading where it hears a spoken voice throughout (speech: no held notes), else
    None. Speech has neither a tempo nor a key: read as music, a speech got 103.6 BPM, B major and the chords G#m
    Bm7 C#maj7 Fm7 Em7, and a cadenced one "drums and percussion alone". A song with a band is no voice to the
    network (none of the recordings of data/real and data/real_extra); a sung line holds its notes (vocals)."""
    if peak_dbfs < SILENCE_DBFS or summary.duration_s < MIN_KEY_S:
        return None
    reading = read_voice(summary.y[None, :], ANALYSIS_SR, max_segments=SPEECH_EXCERPTS)
    return reading if reading is not None and reading.role == "speech" else None


SPEECH_LOW_END_MAX = 0.05
"""A voice the network hears as speech is speech alone (no key or chords) only while the low end (SPEECH_LOW_HZ)
holds less than this share of the mel energy: a beat's kick and bass, or a bed, are music with a key and a tempo
(LibriSpeech read over a drum-and-bass loop, a rapped verse's sound, which the network hears as speech in
0.77-0.87 of its frames: 0.12-0.40, the louder the voice the less), where speech, a voice with little under its
fundamental, holds 0.000-0.018 (two recordings with a rumble 0.16 and 0.19 are left as before)."""
SPEECH_PULSE_MAX = 0.4
"""Speech alone has no tempo while its rhythm is not sure: real speech, where it got a tempo, read 0.19-0.36
confidence. A voice in a steady cadence (a count-in, a rap a cappella; syllables every 0.3 or 0.45 s read
0.44-0.66) beats a tempo and keeps it."""
SPEECH_LOW_HZ = 125.0
"""The low end: the shared mel projection's lowest band, 30-122 Hz (centred at 76 Hz)."""


def _low_end_share(mel: np.ndarray) -> float:
    """The share of the energy of ``mel`` (the shared mel magnitudes [shape=(N_MELS, frames)]) in the low end
    (SPEECH_LOW_HZ): a beat's kick and bass, a bed's. Each band's energy is its row's dot product with itself: a
    squared copy of a 30-minute mel in float64 took 0.47 s and 79 MB, the dot products 1 ms and nothing."""
    power = np.array([np.dot(row, row) for row in mel], dtype=np.float64)
    total = float(power.sum())
    return float(power[: mel_bands_below(SPEECH_LOW_HZ)].sum()) / total if total > 0.0 else 0.0


NO_PERIOD = "no periodic pulse"
"""The rhythm's note where it heard no period and found no notes (NOISE) but the key step heard some: four chords in
20 minutes of silence were "noise or random clicks" to the rhythm, whose share of sounding frames reads the file
whole, and C major to the key."""
UNPITCHED_KEY_NOTES = tuple(f"{why}: no key or chords" for why in UNPITCHED_REASONS)
"""The analysis's notes for a clip in which nothing pitched sounds (the key step's ``unpitched`` reasons)."""


def heard_as_noise(notes: Sequence[str]) -> bool:
    """Whether an analysis's ``notes`` say it heard noise (or random clicks): attacks with neither a period nor
    pitched notes (the rhythm's NOISE), and nothing pitched (the key's unpitched reasons). Music says neither: a
    rubato line sounds notes, a drum loop beats."""
    return any(note.startswith(NOISE) for note in notes) and any(note in UNPITCHED_KEY_NOTES for note in notes)


def _no_loudness_note(summary: SignalSummary, *, silent: bool) -> str:
    """Why the audio has no integrated loudness: too short or silent; DC alone (a constant signal: nothing
    to hear, as mixing calls such a stem silent); or nothing else under BS.1770's -70 LUFS gate."""
    if silent or not summary.inaudible:
        return "integrated loudness is undefined (the audio is silent or shorter than one 400 ms block)"
    dc = abs(summary.dc_offset)
    if dc >= DC_ONLY_SHARE * summary.peak:
        return (
            f"no loudness: the audio is DC only (a constant offset at {20.0 * math.log10(dc):.1f} dBFS), "
            "no audible signal"
        )
    return "no loudness: no audible signal (every 400 ms block is under BS.1770's -70 LUFS gate)"


def _quarters_per_beat(time_signature: str | None) -> float:
    """Quarter notes in one counted beat: 1.5 for compound meters (6/8, 9/8, 12/8), else 1."""
    if time_signature and time_signature.endswith("/8") and int(time_signature.split("/")[0]) % 3 == 0:
        return 1.5
    return 1.0


def analyze(audio: DecodedAudio) -> AnalysisResult:
    """Analyse decoded audio (any channel count and rate). Never raises for quiet, short or
    clipped audio; raises UndecodableAudio (422) for NaN/infinite or empty samples."""
    with progress.section(0.0, 0.37, "mono mix"):  # a job's progress: shares of a 20-minute file's time
        summary = summarize_audio(audio)
    return analyze_summary(summary, release_signal=True)


def summarize_audio(audio: DecodedAudio) -> SignalSummary:
    """The one pass (:mod:`ai.analysis.signal_pass`) over decoded audio, block by block: the same
    summary as :func:`summarize_file` of its file. Raises UndecodableAudio for NaN/infinite or empty samples."""
    samples = audio.samples
    if samples.ndim != 2 or samples.shape[1] == 0:
        raise UndecodableAudio("the audio holds no samples")
    if not math.isfinite(float(samples.max()) - float(samples.min())):  # NaN or inf anywhere shows up here
        raise UndecodableAudio("the audio holds NaN or infinite samples")
    return summarize(
        lambda: (samples[:, i : i + _BLOCK_FRAMES] for i in range(0, samples.shape[1], _BLOCK_FRAMES)),
        channels=audio.channels,
        sample_rate=audio.sample_rate,
    )


def summarize_file(source: bytes | Path, *, name: str = "audio", max_duration_s: float | None = None) -> SignalSummary:
    """Decode ``source`` (file bytes or a path) block by block straight into the one pass over the
    signal (:mod:`ai.analysis.signal_pass`): peak memory is the mono signal at ANALYSIS_SR, never the
    decoded file. Errors are :func:`ai.audio.decode.decode_audio`'s. A file whose channels cancel in the
    mono mix (one is polarity-inverted) is decoded a second time, mixed with that channel flipped."""
    with open_audio(source, name=name, max_duration_s=max_duration_s) as stream:
        first = [stream.blocks]

        def blocks() -> Iterable[np.ndarray]:  # the open stream, then (for the second pass) the file again
            return first.pop() if first else _decoded_blocks(source, name=name, max_duration_s=max_duration_s)

        return summarize(
            blocks, channels=stream.channels, sample_rate=stream.sample_rate, expected_samples=stream.frames
        )


def _decoded_blocks(source: bytes | Path, *, name: str, max_duration_s: float | None) -> Iterator[np.ndarray]:
    with open_audio(source, name=name, max_duration_s=max_duration_s) as stream:
        yield from stream.blocks


def analyze_file(source: bytes | Path, *, name: str = "audio", max_duration_s: float | None = None) -> AnalysisResult:
    """:func:`analyze` of a file, without holding its decoded samples (:func:`summarize_file`)."""
    with progress.section(0.0, 0.4, "decoding"):
        summary = summarize_file(source, name=name, max_duration_s=max_duration_s)
    with progress.section(0.4, 1.0, "analysing"):
        return analyze_summary(summary, progress_from=0.0, release_signal=True)


def reported_tuning(cents: float) -> float:
    """A tuning as the analysis reports it (``AnalysisResult.tuning_cents``): to a tenth of a cent."""
    return round(cents, 1)


def analyze_summary(
    summary: SignalSummary,
    *,
    progress_from: float = 0.37,
    release_signal: bool = False,
    last_look: Callable[[SignalSummary, SpectralPass], None] | None = None,
) -> AnalysisResult:
    """The analysis of a signal already summarised by one pass (:mod:`ai.analysis.signal_pass`).
    ``release_signal``: the caller needs ``summary.y`` no more; it goes after the STFT pass (peak
    memory of a long file: the signal or the features' working arrays, not both). ``last_look``: called
    with the summary (its signal still there) and the STFT pass (the tuning known) right after that pass, for a
    caller that makes something smaller from the signal for later (the accompaniment's onset envelope and
    chroma); it may let the signal go itself (``summary.release_signal()``) as soon as it has what it needs."""
    notes: list[str] = [] if summary.channel_signs is None else [flipped_note(summary.channel_signs)]
    peak_dbfs = 20.0 * math.log10(summary.peak) if summary.peak > 0 else -math.inf
    clipped_fraction = summary.clipped / (summary.channels * summary.n_samples)
    if clipped_fraction > 1e-4 and peak_dbfs > OVER_FULL_SCALE_DB:
        notes.append(
            f"{100 * clipped_fraction:.2f}% of samples are beyond full scale (peak {peak_dbfs:+z.1f} dBFS, kept by the "
            "float file): they clip when played or converted to fixed point unless the audio is turned down"
        )
    elif clipped_fraction > 1e-4:
        notes.append(f"{100 * clipped_fraction:.2f}% of samples are at full scale: the audio is probably clipped")
    loudness_note_at = len(notes)
    with progress.section(progress_from, 0.7, "features"):
        spectral = spectral_pass(summary.y, ANALYSIS_SR)
        # A low end (a beat, a bed, a band) is music under any voice: only audio without one is asked whether it
        # is speech (the network costs 40-57 ms, an eighth of a song's analysis), before last_look lets it go.
        low_end = _low_end_share(spectral.mel)
        spoken = _spoken(summary, peak_dbfs) if low_end < SPEECH_LOW_END_MAX else None
        if last_look is not None:
            last_look(summary, spectral)
        if release_signal:
            summary.release_signal()
        features = finish_features(spectral)
        del spectral
    centroid, rolloff, rms_mean = spectral_means(features)
    progress.report(0.72, "rhythm")

    silent = peak_dbfs < SILENCE_DBFS
    # Drums alone? Asked by the metrical level (of harmony between silences) and by the key step: once.
    drums_here = functools.cache(lambda: only_drums(features.semitone_spec))
    rhythm_note_at = -1
    if silent:
        notes.append("the audio is silent: no tempo, key or chords")
        rhythm = _Rhythm(None, 0.0, np.zeros(0), np.zeros(0), None)
    elif summary.duration_s < MIN_RHYTHM_S:
        notes.append(f"the audio is shorter than {MIN_RHYTHM_S} s: no tempo or beats")
        rhythm = _Rhythm(None, 0.0, np.zeros(0), np.zeros(0), None)
    else:
        rhythm = _rhythm(features, drums_here)
        if spoken is not None and rhythm.tempo_confidence < SPEECH_PULSE_MAX:
            notes.append(f"{SPEECH} ({spoken.describe()}): no tempo, beats or meter")
            rhythm = _Rhythm(None, 0.0, np.zeros(0), np.zeros(0), None)
        elif rhythm.why_none:
            rhythm_note_at = len(notes)
            notes.append(f"{rhythm.why_none}: no tempo, beats or meter")

    progress.report(0.92, "key and chords")
    short = not silent and summary.duration_s < MIN_KEY_S
    # Drums are attacks: audio with none (a test tone, a held sine chord: "only drums" to the model, whose
    # pitched training items all move) is not drums alone, nor a held sound whose start and end are its only
    # attacks (a 3-s sine triad was "only drums", and the command told its user to transcribe the drums).
    held = rhythm.why_none in (NO_ATTACKS, HELD_CHORD) or (
        rhythm.why_none.endswith(FEW_ATTACKS) and holds(features.rms)
    )
    drums_alone = not silent and not short and spoken is None and not held and drums_here()
    if silent or short or spoken is not None or drums_alone:
        key_name, key_conf, key_score, runner, runner_score, tuning = None, 0.0, 0.0, None, 0.0, 0.0
        chords: list[ChordSegment] = []
        if short:
            notes.append(f"the audio is shorter than {MIN_KEY_S} s: no key or chords")
        elif spoken is not None:
            notes.append(f"{SPEECH}: no key or chords")
        elif drums_alone:
            notes.append(DRUMS_ONLY_NOTE)
    else:
        chords = estimate_chords(features, beat_times=rhythm.beat_times, downbeat_times=rhythm.downbeat_times)
        key = refine_fifth_key(refine_relative_key(estimate_key(features), chords), chords)
        key_name, key_conf = key.key, key.confidence
        key_score = key.score if key.key is not None else 0.0
        runner, runner_score = key.runner_up, key.runner_up_score
        # Nothing pitched sounds: the peaks' tuning is that of noise or drums (a jazz drum stem read +46.2 cents).
        tuning = 0.0 if key.unpitched else features.tuning_cents
        if key_name is None:
            # No chords either: nothing pitched sounds (a noise beat got Bmaj7 Em7 Ebmaj7 Gmaj7), or fewer pitch
            # classes than a triad holds, or one note and its overtones (a held A-E drone was "Am", a third unheard).
            notes.append(f"{key.why_none or 'no pitched content'}: no key or chords")
            chords = []
        else:
            key_name, runner, chords = _spelt_by_key(key_name, runner, chords)
            if key.ambiguous:
                notes.append(key.ambiguous)
            if rhythm.why_none == NOISE:  # the key step heard notes the rhythm's whole-file test missed (sparse ones)
                notes[rhythm_note_at] = f"{NO_PERIOD}: no tempo, beats or meter"

    loud = summary.loudness
    if _finite_or_none(loud.integrated_lufs) is None:
        notes.insert(loudness_note_at, _no_loudness_note(summary, silent=silent))
    elif _finite_or_none(loud.short_term_max_lufs) is None:  # a one-shot or a short clip: say why two fields are null
        notes.insert(
            loudness_note_at,
            f"the audio is shorter than one {SHORT_TERM_S:g} s short-term block: no short-term loudness or loudness range",
        )

    return AnalysisResult(
        duration=round(summary.duration_s, 3),
        sample_rate=summary.sample_rate,
        channels=summary.channels,
        tempo=None if rhythm.tempo is None else round(rhythm.tempo * _quarters_per_beat(rhythm.time_signature), 1),
        beat_tempo=None if rhythm.tempo is None else round(rhythm.tempo, 1),
        tempo_confidence=round(rhythm.tempo_confidence, 3),
        beat_times=[round(float(t), 3) for t in rhythm.beat_times],
        beats=int(len(rhythm.beat_times)),
        downbeat_times=[round(float(t), 3) for t in rhythm.downbeat_times],
        time_signature=rhythm.time_signature,
        beat_division=rhythm.beat_division,
        key=key_name,
        key_confidence=round(key_conf, 3),
        key_score=round(key_score, 3),
        key_runner_up=runner,
        key_runner_up_score=round(runner_score, 3),
        tuning_cents=reported_tuning(tuning),
        chords=[c.to_dict() for c in chords],
        loudness_lufs=_finite_or_none(loud.integrated_lufs),
        true_peak_dbtp=_finite_or_none(loud.true_peak_dbtp),
        peak_dbfs=_finite_or_none(peak_dbfs),
        loudness_range_lu=_finite_or_none(loud.loudness_range_lu),
        short_term_loudness_max_lufs=_finite_or_none(loud.short_term_max_lufs),
        crest_factor_db=_finite_or_none(loud.crest_factor_db),
        spectral_centroid_mean=round(centroid, 2),
        spectral_rolloff_mean=round(rolloff, 2),
        rms_mean=round(rms_mean, 6),
        zero_crossing_rate_mean=round(summary.zero_crossing_rate, 6),
        clipped_fraction=round(clipped_fraction, 6),
        notes=notes,
    )


WARM_UP_S = 20.0
"""Seconds of synthetic music the start-up analysis reads: long enough for every stage a song takes (the
metrical-level model, bars, chord changes, the beat network's two members side by side), so that the first
request is as fast as the rest (with 4 s it took 0.23-0.32 s against 0.19-0.26 s, `bench/analysis_speed.py`)."""


def warm_up_music(seconds: float = WARM_UP_S) -> DecodedAudio:
    """``seconds`` of synthetic stereo music at 44.1 kHz: a I-V-IV-V progression, a chord a bar at 120 BPM,
    over a noise-burst pulse. What the start-up warm-ups (this analysis's, the accompaniment's and the
    transcription's) run their whole paths on."""
    sr = 44100
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(0)
    chords = ((220.0, 277.18, 329.63), (164.81, 207.65, 246.94), (146.83, 185.0, 220.0), (164.81, 207.65, 246.94))
    y = np.zeros_like(t)
    for k, start in enumerate(np.arange(0.0, seconds, 2.0)):  # a chord a bar of 4 beats at 120 BPM
        bar = slice(int(start * sr), min(len(t), int((start + 2.0) * sr)))
        y[bar] += sum(0.1 * np.sin(2 * np.pi * f * t[bar]) for f in chords[k % len(chords)])
    for start in np.arange(0.0, seconds, 0.5):
        i = int(start * sr)
        y[i : i + 400] += rng.standard_normal(min(400, len(t) - i)) * 0.3
    samples = y.astype(np.float32)
    return DecodedAudio(np.stack([samples, samples]), sr)


def warm_up() -> None:
    """Run the whole pipeline once on WARM_UP_S of :func:`warm_up_music` so that numba-compiled and lazily
    imported code is ready before the first request."""
    analyze(warm_up_music())
    shipped_level_model()  # read and checked now even when the music above does not reach it
    logger.info("analysis pipeline warmed up")


def estimate_tempo(audio: DecodedAudio | StemFile) -> float | None:
    """The quarter-note tempo (BPM, to 0.1) of ``audio`` (in memory or a stem file) as :func:`analyze`
    reports it, without the key, chords and loudness (for the mixing advice's delay and release
    times); None without a pulse or for silence."""
    samples = audio if isinstance(audio, StemFile) else audio.samples
    if len(samples.shape) != 2 or samples.shape[1] == 0:
        return None
    peak = 0.0
    products = ChannelProducts(samples.shape[0])  # the mix's polarity, from the same pass
    for start in range(0, samples.shape[1], _BLOCK_FRAMES):  # no whole-signal temporaries
        block = read_frames(samples, start, start + _BLOCK_FRAMES)
        if not np.isfinite(block).all():
            return None
        peak = max(peak, float(np.abs(block).max()))
        products.feed(block)
    if peak <= 10 ** (SILENCE_DBFS / 20):
        return None
    # compute_features in its two steps: the signal at the analysis rate (159 MB for 30 minutes) is
    # freed when the STFT pass returns, before the onset and pitch stages allocate theirs; for a
    # long stem file it is written beside it and read a stretch at a time, never whole.
    if isinstance(audio, StemFile) and audio.n_samples > _BLOCK_FRAMES:
        blocks = (mono[np.newaxis, :] for mono in _analysis_rate_blocks(audio, audio.sample_rate, products.signs()))
        with write_stem_file(blocks, channels=1, sample_rate=ANALYSIS_SR, directory=audio.path.parent) as signal:
            spectral = spectral_pass(signal, ANALYSIS_SR)
    else:
        spectral = spectral_pass(_at_analysis_rate(samples, audio.sample_rate, products.signs()), ANALYSIS_SR)
    rhythm = _rhythm(finish_features(spectral))
    if rhythm.tempo is None:
        return None
    return round(rhythm.tempo * _quarters_per_beat(rhythm.time_signature), 1)
