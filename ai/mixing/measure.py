"""Per-track measurements: loudness, peaks, spectrum by band, rumble, stereo image, DC, clipping, silence.

Stems are brought onto one footing before they are measured (:func:`prepare_tracks`):

* Sample rates: every stem is resampled (soxr, high quality) to the rate most stems share (the
  highest of those on a tie). A note says which stems were resampled.
* Channels: a mono stem is measured as it plays in a stereo mix, panned centre at unity on both
  sides (so its BS.1770 loudness is 3 LU above what a one-channel meter shows); a 5.1 stem (six channels,
  WAV's order L R C LFE Ls Rs) is downmixed to stereo as ITU-R BS.775 does (centre and surrounds at -3 dB into
  their side, the LFE left out), as a DAW plays it in a stereo mix; a stem of another count above two is folded
  to mono.
* Roles: the name's role (ai.mixing.roles), unless given; when the name gives none ("Audio 3"), the
  role classifier (ai.mixing.role_model) hears it from the audio, and a note says so.
* Lengths: stems are aligned at their first sample; shorter ones count as silent after their end
  (they are never copied to pad them). A note says when lengths differ by more than a second.

The spectrum comes from one STFT of the track's mid signal ((L + R) / 2; a Hann window of about
85 ms, 4096 samples at 44.1/48 kHz, frames side by side: half the cost of overlapping frames,
and the same long-term spectrum), scaled so that a band's level in dB is the RMS level (dBFS) of the signal
filtered to that band: a full-scale sine reads -3 dB in its band. The STFT's frame-wise powers in
fine bands (about a third of an octave) are kept for the cross-track masking analysis.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numba
import numpy as np
import scipy.fft
import soxr

from ai.audio import loudness
from ai.audio.decode import DecodedAudio
from ai.audio.downmix import SURROUND_CHANNELS, downmix_5_1
from ai.audio.formats import STEM_EXTENSIONS
from ai.audio.stem_file import Audio, Frames, StemFile, close_all, frame_blocks, frame_count, write_stem_file
from ai.audio.voice import VoiceReading, read_voice
from ai.heap import release_free_memory
from ai.mixing.low_end import low_end
from ai.mixing.mid_signal import mid_length, mid_span
from ai.mixing.role_model import ANALYSIS_RATE, load_role_model, predict_role, role_features_from_blocks
from ai.mixing.role_model import READ_BLOCK as ROLE_READ_BLOCK
from ai.mixing.roles import ROLES, infer_role
from ai.mixing.targets import BANDS, ROLE_LOW_CUT_HZ, speech_led
from utils.errors import InvalidParameter, NoAudioFound

logger = logging.getLogger(__name__)

NO_AUDIO_MESSAGE = (
    "no audio found; provide stems via the project's stems folder "
    f"(<projects dir>/<project_id>/stems/<track name>.{'|'.join(e[1:] for e in STEM_EXTENSIONS)}) or upload files"
)
FINE_BAND_EDGES_HZ: tuple[float, ...] = (
    0, 30, 45, 60, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600, 2000,
    2500, 3150, 4000, 5000, 6000, 8000, 10000, 12500, 16000,
)  # fmt: skip
"""Lower edges of the fine bands (the last reaches Nyquist); every named band's edges are among them."""
SILENCE_LUFS = -60.0
"""A 100 ms stretch quieter than this (K-weighted) counts as silent."""
MIN_AUDIBLE_S = 0.1
"""A track with less than this of its 100 ms stretches at or above SILENCE_LUFS (not one of them) has nothing
audible: it is silent, gets a silence finding and no other. A share of silent stretches said too much: a
crash with three hits in 31 s (peak -29 dBTP, -44 LUFS, the kick's loudness) is 98 % silence, 0.6 s of it
above -60 LUFS, and was called silent, left at 0 dB while the kick was raised 19 dB."""
SPARSE_SHARE = 0.9
"""A track with this share of silent 100 ms stretches plays rarely (toms, a crash, effects): its level
finding says so; it is levelled on the gated loudness of its hits, which ignores the silence between them."""
CLIP_LEVEL = 0.999
"""Samples at or above this magnitude (-0.009 dBFS) are at full scale."""
CLIP_MIN_RUN = 2
"""Consecutive identical full-scale samples that make a clipped run."""
CLIP_MIN_LONE = 8
"""Single full-scale samples that, this many together, count as clipping (a clipped transient)."""
FLAT_TOP_MIN_RUN = 4
"""Consecutive identical samples at the track's peak level that make a flat top below full scale."""
FLAT_TOP_LEVEL = 0.999
"""A flat top below full scale must sit within 0.01 dB of the channel's peak."""
HELD_RUN_S = 0.05
"""A run of equal samples longer than this (half a period of 10 Hz) is a held value, not a clipped peak: a
clipper flattens a waveform's peaks, which last under half its period (25 ms at 20 Hz), while DC, or an
output stuck at one value, stays there for as long as it lasts. Such a run is no clipping (DC has its own
finding); counted, a stem of pure DC at -6 dBFS was "clipped" in every sample."""
_STFT_SECONDS = 0.085


@dataclass(frozen=True)
class TrackInput:
    """One track to measure: its name, decoded audio and optionally a role (inferred from the name if None)."""

    name: str
    audio: Audio
    role: str | None = None
    pan: float = 0.0
    """Where a render placed the track (its stems as they sit in the mix, -1..1): a placement, not the
    track's sound, so the reverb measure divides the pan law's channel gains out."""


@dataclass(frozen=True)
class TrackMeasurement:
    """Everything measured on one track. Levels in dB (dBFS, LUFS, dBTP); ``None`` where undefined."""

    name: str
    role: str
    sample_rate: int
    channels: int
    duration_s: float
    integrated_lufs: float | None
    short_term_max_lufs: float | None
    momentary_max_lufs: float | None
    loudness_range_lu: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    rms_dbfs: float | None
    crest_factor_db: float | None
    band_levels_db: dict[str, float | None]
    """RMS level (dBFS) of the track in each band of :data:`ai.mixing.targets.BANDS`."""
    band_relative_db: dict[str, float | None]
    """Each band's level relative to the track's total spectral level (dB, <= 0)."""
    rumble_cutoff_hz: float
    """Lowest useful frequency of the role; energy below it is rumble."""
    rumble_share: float
    """Share of the track's energy below ``rumble_cutoff_hz`` (0-1)."""
    rumble_peak_hz: float | None
    """Strongest frequency below the cut-off."""
    rumble_steady_share: float
    """Share of the track's energy in a steady floor below the cut-off (see ai.mixing.low_end)."""
    stereo_width: float | None
    """Side energy over total energy (0 = mono, 0.5 = unrelated channels, 1 = out of phase)."""
    correlation: float | None
    """Inter-channel correlation (+1 mono, 0 unrelated, -1 out of phase); 1.0 for a mono stem."""
    dc_offset: float
    """Constant offset (linear, signed): see :func:`dc_offset`."""
    clipped_samples: int
    """Clipped samples counted per channel sample over the channels the stem has: a stereo stem's two
    channels count apart, a mono stem's samples once (:func:`scan_channels`)."""
    clipped_share: float
    """``clipped_samples`` over the stem's channel samples (its channels times its frames), 0-1."""
    clipped_runs: int
    silent_share: float
    """Share of the track's 100 ms stretches quieter than SILENCE_LUFS (K-weighted)."""
    low_peak_hz: float | None
    """Strongest frequency below 250 Hz (a kick's or bass's fundamental region)."""
    notes: tuple[str, ...] = ()
    audible_s: float = math.inf
    """Seconds of the track's 100 ms stretches at or above SILENCE_LUFS (:func:`audible_seconds`)."""

    @property
    def silent(self) -> bool:
        """Silent as the advice counts it: unmeasurable, or less than MIN_AUDIBLE_S of it at or above
        SILENCE_LUFS. Such a track gets the silence finding and no level move (:func:`level_lufs`); a track
        that plays rarely (SPARSE_SHARE) is not silent."""
        return self.integrated_lufs is None or self.audible_s < MIN_AUDIBLE_S

    @property
    def level_lufs(self) -> float | None:
        """The loudness that levels the track against the others: None when it is :attr:`silent`. A stem of DC
        alone is silent (the K-weighting starts settled on its first sample: ai/audio/loudness.py); when its
        step at the start measured -29 LUFS, it was levelled on that and raised to sit with the other tracks."""
        return None if self.silent else self.integrated_lufs

    @property
    def dc_offset_dbfs(self) -> float | None:
        return loudness.amplitude_to_db(abs(self.dc_offset))

    def to_dict(self) -> dict[str, Any]:
        def r(value: float | None, digits: int = 2) -> float | None:
            return None if value is None else round(float(value), digits)

        return {
            "name": self.name,
            "role": self.role,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "duration_s": r(self.duration_s, 3),
            "integrated_lufs": r(self.integrated_lufs),
            "short_term_max_lufs": r(self.short_term_max_lufs),
            "momentary_max_lufs": r(self.momentary_max_lufs),
            "loudness_range_lu": r(self.loudness_range_lu),
            "true_peak_dbtp": r(self.true_peak_dbtp),
            "sample_peak_dbfs": r(self.sample_peak_dbfs),
            "rms_dbfs": r(self.rms_dbfs),
            "crest_factor_db": r(self.crest_factor_db),
            "bands": {
                name: {"level_db": r(self.band_levels_db[name]), "relative_db": r(self.band_relative_db[name])}
                for name, _, _ in BANDS
            },
            "rumble": {
                "cutoff_hz": self.rumble_cutoff_hz,
                "share": r(self.rumble_share, 5),
                "relative_db": r(10 * math.log10(self.rumble_share) if self.rumble_share > 0 else None),
                "peak_hz": r(self.rumble_peak_hz, 1),
                "steady_share": r(self.rumble_steady_share, 5),
            },
            "stereo": {"width": r(self.stereo_width, 3), "correlation": r(self.correlation, 3)},
            "dc_offset": r(self.dc_offset, 5),
            "dc_offset_dbfs": r(self.dc_offset_dbfs),
            "clipped_samples": self.clipped_samples,
            "clipped_share": r(self.clipped_share, 6),
            "clipped_runs": self.clipped_runs,
            "silent_share": r(self.silent_share, 3),
            "audible_s": r(self.audible_s, 1) if math.isfinite(self.audible_s) else None,
            "low_peak_hz": r(self.low_peak_hz, 1),
            "notes": list(self.notes),
        }


@dataclass
class PreparedTrack:
    """A track on the common footing. ``samples``: np.ndarray [shape=(2, n), dtype=float32], or a
    stereo stem file at the common rate (read block by block; :mod:`ai.audio.stem_file`)."""

    name: str
    role: str
    samples: Frames
    sample_rate: int
    channels_in: int
    notes: list[str] = field(default_factory=list)
    made: bool = False
    """``samples`` is a stem file :func:`prepare_tracks` made (folded or resampled): the caller's to
    delete (:func:`close_made`)."""
    pan: float = 0.0
    """:attr:`TrackInput.pan`."""


@dataclass
class TrackSpectra:
    """Frame-wise spectra kept for cross-track analysis.

    Attributes:
        fine_power: np.ndarray [shape=(n_fine, n_frames), dtype=float32]: mean-square power of the
            mid signal in each fine band (see FINE_BAND_EDGES_HZ) per STFT frame.
        spectrum: np.ndarray [shape=(n_bins,)]: long-term mean power per STFT bin (same scale).
        freqs: np.ndarray [shape=(n_bins,)]: bin frequencies in Hz.
        frame_rate: frames per second.
    """

    fine_power: np.ndarray
    spectrum: np.ndarray
    freqs: np.ndarray
    frame_rate: float


@dataclass
class TrackAnalysis:
    """A track's measurement plus what cross-track analysis needs."""

    track: PreparedTrack
    measurement: TrackMeasurement
    spectra: TrackSpectra
    loudness_stats: loudness.LoudnessStats | None = None
    """The BS.1770 measures behind ``measurement`` (for analyses that need them again)."""
    sub_energy: np.ndarray | None = None
    """The K-weighted sub-block energies (:func:`ai.audio.loudness.sub_block_powers`) of the track."""


@lru_cache(maxsize=8)
def stft_setup(sr: int) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
    """(n_fft, hop, window, bin frequencies, fine-band start bins) for ``sr``."""
    n_fft = 1 << int(round(math.log2(_STFT_SECONDS * sr)))
    hop = n_fft
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    starts = np.searchsorted(freqs, [min(edge, sr / 2) for edge in FINE_BAND_EDGES_HZ])
    return n_fft, hop, window, freqs, starts


def fine_band_ranges() -> list[tuple[float, float]]:
    """(low, high) Hz of each fine band (the last one's high is inf)."""
    edges = list(FINE_BAND_EDGES_HZ) + [math.inf]
    return [(edges[k], edges[k + 1]) for k in range(len(FINE_BAND_EDGES_HZ))]


def _fold_note(channels: int) -> str:
    if channels == SURROUND_CHANNELS:
        return "5.1 downmixed to stereo (ITU-R BS.775: centre and surrounds at -3 dB, LFE left out)"
    return f"{channels} channels folded to mono"


def _to_stereo(samples: np.ndarray) -> tuple[np.ndarray, list[str]]:
    notes: list[str] = []
    if samples.shape[0] == 2:
        return samples, notes
    if samples.shape[0] == 1:
        return np.repeat(samples, 2, axis=0), notes
    notes.append(_fold_note(samples.shape[0]))
    if samples.shape[0] == SURROUND_CHANNELS:
        return downmix_5_1(samples), notes
    mono = samples.mean(axis=0, dtype=np.float32)
    return np.stack([mono, mono]), notes


def prepare_tracks(tracks: list[TrackInput], *, roles: dict[str, str] | None = None) -> list[PreparedTrack]:
    """Bring tracks onto one sample rate and to stereo (see the module docstring).

    A stem file that must be folded to stereo or resampled is written, block by block, into a new
    stem file beside it (``made``): the caller deletes those with :func:`close_made`.

    Raises NoAudioFound when ``tracks`` is empty, InvalidParameter for duplicate names or an
    unknown role.
    """
    if not tracks:
        raise NoAudioFound(NO_AUDIO_MESSAGE)
    names = [t.name for t in tracks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidParameter("files", f"two tracks share the name {duplicates[0]!r}; track names must be unique")
    rates = [t.audio.sample_rate for t in tracks]
    common = max(set(rates), key=lambda rate: (rates.count(rate), rate))
    prepared: list[PreparedTrack] = []
    try:
        for track in tracks:
            given = (roles or {}).get(track.name)
            role = given or track.role or infer_role(track.name)
            if role not in ROLES:
                raise InvalidParameter(
                    "roles", f"unknown role {role!r} for {track.name!r}; use one of {', '.join(ROLES)}"
                )
            hear = given is None and role == "other" and infer_role(track.name) == "other"
            if isinstance(track.audio, StemFile):
                prepared.append(_prepare_file(track.name, role, track.audio, common, hear=hear))
            else:
                prepared.append(_prepare_array(track.name, role, track.audio, common, hear=hear))
            prepared[-1].pan = track.pan
    except BaseException:
        close_made(prepared)
        raise
    longest = max(frame_count(p.samples) for p in prepared)
    for p in prepared:
        missing = (longest - frame_count(p.samples)) / common
        if missing > 1.0:
            p.notes.append(f"{missing:.1f} s shorter than the longest stem; counted as silent after its end")
    _say_when_heard_speech_leads(tracks, prepared, roles or {})
    return prepared


def _say_when_heard_speech_leads(
    tracks: list[TrackInput], prepared: list[PreparedTrack], given: dict[str, str]
) -> None:
    """A voice heard as speech makes the session spoken word (a podcast's target and a music bed 15 LU under it),
    but a rapped verse over a beat sounds like speech to the voice network too (0.77-0.87 of its frames): where
    the speech was heard, not named, the track's note says how to have it mixed as a song's vocal instead."""
    if not speech_led(p.role for p in prepared):
        return
    for track, p in zip(tracks, prepared, strict=True):
        if p.role == "speech" and track.name not in given and track.role is None and infer_role(track.name) != "speech":
            p.notes.append(
                "heard as speech, so the session is mixed as spoken word (a podcast: -16 LUFS, music a bed under "
                f"the voice); for a rapped or spoken vocal in a song, name the track Vocals or pass roles={track.name}=vocals"
            )


def _prepare_array(name: str, role: str, audio: DecodedAudio, common: int, *, hear: bool) -> PreparedTrack:
    """A stem held in memory on the common footing (a folded or resampled copy when it needs one)."""
    samples = audio.samples
    if samples.ndim != 2 or samples.shape[1] == 0:
        raise InvalidParameter("files", f"{name}: audio must have shape (channels, n) with n > 0")
    samples, notes = _to_stereo(samples)
    if hear:
        role, heard = role_from_audio(frame_blocks(samples, ROLE_READ_BLOCK), audio.sample_rate, None)
        notes.extend([heard] if heard else [])
    if audio.sample_rate != common:
        samples = np.ascontiguousarray(
            soxr.resample(samples.T, audio.sample_rate, common, quality="HQ").T, dtype=np.float32
        )
        notes.append(f"resampled from {audio.sample_rate} Hz to {common} Hz")
    if samples.dtype != np.float32:
        samples = samples.astype(np.float32)
    return PreparedTrack(name, role, samples, common, audio.channels, notes)


def _prepare_file(name: str, role: str, audio: StemFile, common: int, *, hear: bool) -> PreparedTrack:
    """A stem file on the common footing: itself when it is stereo at the common rate, else folded
    and resampled block by block into a new stem file beside it (the same samples as the arrays' path:
    the fold is per sample and one soxr stream gives what one soxr call gives)."""
    if audio.n_samples == 0:
        raise InvalidParameter("files", f"{name}: audio must have shape (channels, n) with n > 0")
    notes = [_fold_note(audio.channels)] if audio.channels > 2 else []
    if hear:
        role, heard = role_from_audio(_stereo_blocks(audio), audio.sample_rate, audio.path.parent)
        notes.extend([heard] if heard else [])
    if audio.channels == 2 and audio.sample_rate == common:
        return PreparedTrack(name, role, audio, common, 2, notes)
    made = write_stem_file(_common_blocks(audio, common), channels=2, sample_rate=common, directory=audio.path.parent)
    if audio.sample_rate != common:
        notes.append(f"resampled from {audio.sample_rate} Hz to {common} Hz")
    return PreparedTrack(name, role, made, common, audio.channels, notes, made=True)


def _stereo_blocks(audio: StemFile) -> Iterator[np.ndarray]:
    """The stem file as stereo (:func:`_to_stereo`), ROLE_READ_BLOCK frames at a time."""
    for block in frame_blocks(audio, ROLE_READ_BLOCK):
        yield _to_stereo(block)[0]


def _common_blocks(audio: StemFile, common: int) -> Iterator[np.ndarray]:
    """The stem file as stereo at ``common`` Hz, np.ndarray [shape=(2, m), dtype=float32] blocks."""
    if audio.sample_rate == common:
        yield from _stereo_blocks(audio)
        return
    stream = soxr.ResampleStream(audio.sample_rate, common, 2, dtype="float32", quality="HQ")
    for block in _stereo_blocks(audio):
        yield stream.resample_chunk(np.ascontiguousarray(block.T), last=False).T
    yield stream.resample_chunk(np.zeros((0, 2), dtype=np.float32), last=True).T


def close_made(prepared: list[PreparedTrack]) -> None:
    """Delete the stem files :func:`prepare_tracks` made (folded or resampled stems)."""
    close_all([p.samples for p in prepared if p.made])


def role_from_audio(blocks: Iterable[np.ndarray], sr: int, directory: Path | None) -> tuple[str, str | None]:
    """(role, note) for a track whose name says nothing ("Audio 3"): "vocals" or "speech" where a voice is
    heard in most of its sound (:mod:`ai.audio.voice`: the classifier was trained on renders, which hold no
    voice), else the shipped role classifier's answer when it is at least as sure as the model's own
    ``min_confidence`` (fitted with it), else "other"; the note says which. A classifier that cannot load
    leaves "other" and says so: it never fails the request. ``blocks``: the stereo stem at ``sr`` Hz,
    ROLE_READ_BLOCK frames at a time (:func:`ai.mixing.role_model.role_features_from_blocks`; its mono
    signal goes in ``directory`` when given)."""
    model = load_role_model()
    if model is None:
        return "other", "the name gives no role and the role classifier is unavailable"
    voices: list[VoiceReading | None] = []
    try:
        features = role_features_from_blocks(
            blocks, sr=sr, directory=directory, read_mono=lambda mono: voices.append(read_voice(mono, ANALYSIS_RATE))
        )
    except ValueError as exc:
        return "other", f"the name gives no role and the audio cannot be classified ({exc})"
    finally:
        release_free_memory()  # its STFT blocks (~60 MB at 30 minutes), before the measures run (ai/heap.py)
    voice = voices[0] if voices else None
    if voice is not None and voice.role is not None:
        return voice.role, f"role {voice.role!r} heard from the audio ({voice.describe()}): the name gives none"
    heard = predict_role(features, model)
    if heard.role == "other" or heard.confidence < model.min_confidence:
        return "other", None
    return heard.role, f"role {heard.role!r} heard from the audio ({heard.confidence:.0%} sure): the name gives none"


@numba.njit(cache=True, nogil=True)
def _close_run(value: np.floating[Any], run: int, peak: float, flat_min: int, held: int) -> tuple[int, int, int]:
    """(clipped samples, clipped runs, lone full-scale samples) of a finished run of equal samples; a run of
    more than ``held`` samples is a held value (HELD_RUN_S), none of them."""
    if run > held:
        return 0, 0, 0
    level = abs(value)
    full_scale = level >= CLIP_LEVEL and level <= 1.0
    if (full_scale and run >= CLIP_MIN_RUN) or (level >= FLAT_TOP_LEVEL * peak and run >= flat_min):
        return run, 1, 0
    if full_scale and level == peak:
        return 0, 0, run
    return 0, 0, 0


@numba.njit(cache=True, nogil=True)
def hot_level(peak: float) -> float:  # pragma: no cover (compiled)
    """The level from which a run of equal samples can count as clipping, in a channel peaking at ``peak``."""
    return CLIP_LEVEL if FLAT_TOP_LEVEL * peak > CLIP_LEVEL else FLAT_TOP_LEVEL * peak


@numba.njit(cache=True, nogil=True)
def _scan_state(state: np.ndarray) -> tuple[np.float32, int, int, int, int]:  # pragma: no cover (compiled)
    """``state``'s fields (see :func:`scan_stretches`): previous sample, its run, clipped samples, clipped
    runs, lone full-scale samples."""
    return np.float32(state[0]), int(state[1]), int(state[2]), int(state[3]), int(state[4])


@numba.njit(cache=True, nogil=True)
def scan_stretches(
    x: np.ndarray,
    first: int,
    n_stretches: int,
    peak: float,
    block_max: np.ndarray,
    block: int,
    flat_min: int,
    held: int,
    state: np.ndarray,
) -> None:
    """Walk ``n_stretches`` ``block``-sample stretches of one channel from stretch ``first``
    (``x[0]`` is that stretch's first sample), carrying ``state`` (float64 [prev, run, clipped
    samples, clipped runs, lone full-scale samples]) from the stretches before (see
    :func:`_scan_kernel`). Only stretches that reach the level where a run can count are read. ``held``: the
    longest run that can be a clipped peak (:func:`held_run`)."""
    hot = hot_level(peak)
    prev, run, count, runs, lone = _scan_state(state)
    n = x.shape[0]
    for local in range(n_stretches):
        start = local * block
        stop = min(n, start + block)
        if block_max[first + local] < hot:
            if run > 0 and abs(prev) >= hot:
                c, r, single = _close_run(prev, run, peak, flat_min, held)
                count += c
                runs += r
                lone += single
            run = 0
            continue
        for i in range(start, stop):
            v = x[i]
            if run > 0 and v == prev:
                run += 1
            else:
                if run > 0 and abs(prev) >= hot:
                    c, r, single = _close_run(prev, run, peak, flat_min, held)
                    count += c
                    runs += r
                    lone += single
                prev = v
                run = 1
    state[0] = prev
    state[1] = run
    state[2] = count
    state[3] = runs
    state[4] = lone


@numba.njit(cache=True, nogil=True)
def scan_finish(state: np.ndarray, peak: float, flat_min: int, held: int) -> tuple[int, int]:
    """Clipped samples and runs once every stretch has been walked (:func:`scan_stretches`)."""
    hot = hot_level(peak)
    prev, run, count, runs, lone = _scan_state(state)
    if run > 0 and abs(prev) >= hot:
        c, r, single = _close_run(prev, run, peak, flat_min, held)
        count += c
        runs += r
        lone += single
    if lone >= CLIP_MIN_LONE:
        # Many single samples pinned at exactly full scale: a clipped transient signal.
        count += lone
        runs += lone
    return count, runs


def held_run(sr: float) -> int:
    """The longest run of equal samples that can be a clipped peak at ``sr`` (HELD_RUN_S)."""
    return max(CLIP_MIN_RUN, int(HELD_RUN_S * sr))


def _scan_kernel(
    x: np.ndarray, peak: float, block_max: np.ndarray, block: int, flat_min: int, held: int
) -> tuple[int, int]:
    """Clipped samples and runs of one channel (see :func:`scan_channels`).

    ``block_max``: the largest |sample| of each ``block``-sample stretch. Only stretches that reach
    the level where a run can count (full scale, or the channel's peak for a flat top) are walked
    sample by sample; a run at that level cannot continue through a stretch that stays below it.
    """
    state = np.zeros(5)
    scan_stretches(x, 0, block_max.shape[0], peak, block_max, block, flat_min, held, state)
    return scan_finish(state, peak, flat_min, held)


QUANTISATION_PROBE = 65536  # samples whose distinct levels show the file's resolution
_STEP_16_BIT = 2.0**-15


def flat_top_min_run(channel: np.ndarray) -> int:
    """How many equal samples at the peak make a flat top in this channel. A smooth peak stays
    within one quantisation step for a stretch that grows with the square root of the step, so
    coarse audio (8-bit: a 220 Hz sine's peaks are 11 samples flat) needs longer runs than
    FLAT_TOP_MIN_RUN, set for 16-bit and finer."""
    levels = np.unique(np.abs(channel[:QUANTISATION_PROBE]))
    steps = np.diff(levels)
    step = float(steps[steps > 0].min()) if np.any(steps > 0) else _STEP_16_BIT
    return int(math.ceil(FLAT_TOP_MIN_RUN * max(1.0, math.sqrt(step / _STEP_16_BIT))))


def _block_means(channel: np.ndarray, block: int) -> np.ndarray:
    """Means of consecutive ``block``-sample stretches (the whole channel when shorter), float64.

    numpy sums float32 pairwise, accurate to about 1e-7 of the stretch's level: far below the DC
    threshold (-50 dBFS).
    """
    n_blocks = channel.size // block
    if n_blocks == 0:
        return np.array([float(np.mean(channel, dtype=np.float64)) if channel.size else 0.0])
    result: np.ndarray = channel[: n_blocks * block].reshape(n_blocks, block).sum(axis=1).astype(np.float64) / block
    return result


def scan_channels(
    samples: np.ndarray,
    sr: int,
    peaks: np.ndarray | None = None,
    *,
    block_max: np.ndarray | None = None,
    clip_channels: int | None = None,
) -> tuple[int, int, float]:
    """(clipped samples, clipped runs, DC offset) of np.ndarray [shape=(channels, n)].

    Clipping leaves runs of identical samples at the clip level. A clipped run is CLIP_MIN_RUN or
    more consecutive identical samples at full scale (CLIP_LEVEL <= |x| <= 1), or FLAT_TOP_MIN_RUN
    or more identical samples at the channel's peak level (clipped below full scale, then turned
    down): a clipper leaves every flat top at one level, quantisation leaves short flats anywhere.
    A clipped noisy transient (cymbals) leaves single samples pinned at the clip level instead:
    CLIP_MIN_LONE or more samples exactly at a full-scale peak count too (each as one run).
    Floating-point samples above 1.0 that are not flat are headroom, not clipping, and a run longer
    than HELD_RUN_S is a held value (DC), not a clipped peak. ``peaks``: each channel's largest
    |sample| when the caller has it; ``block_max``: the first output of
    :func:`ai.audio.loudness.block_stats` for ``samples`` when the caller has it.

    Clipped samples are counted per channel sample, over the first ``clip_channels`` channels (all
    when None): a mono stem brought to two identical channels passes 1, so that its samples count once.

    The DC offset (signed, linear) is the median of the 250 ms block means of the channel where it
    is largest: a constant offset moves every block's mean, while a waveform's own asymmetry
    changes from note to note and mostly averages out of the median.
    """
    count = runs = 0
    offsets = []
    block = max(1, int(0.25 * sr))
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if block_max is None:
        block_max, _ = loudness.block_stats(y=samples, sr=sr)
    stretch = loudness.TP_BLOCK
    scanned = samples.shape[0] if clip_channels is None else clip_channels
    for k, channel in enumerate(samples):
        peak = float(peaks[k]) if peaks is not None else float(block_max[k].max(initial=0.0))
        if peak > 0 and k < scanned:
            c, r = _scan_kernel(channel, peak, block_max[k], stretch, flat_top_min_run(channel), held_run(sr))
            count += int(c)
            runs += int(r)
        offsets.append(float(np.median(_block_means(channel, block))))
    dc = offsets[int(np.argmax(np.abs(offsets)))] if offsets else 0.0
    return count, runs, dc


def clipping(samples: np.ndarray) -> tuple[int, int]:
    """(clipped samples, clipped runs): see :func:`scan_channels`."""
    count, runs, _ = scan_channels(samples, 48000)
    return count, runs


def dc_offset(samples: np.ndarray, sr: int) -> float:
    """DC offset: see :func:`scan_channels`."""
    return scan_channels(samples, sr)[2]


def stereo_image(samples: np.ndarray) -> tuple[float | None, float | None]:
    """(width, correlation) of np.ndarray [shape=(2, n)]; (None, None) for silence."""
    left, right = samples[0], samples[1]
    return image_from_dots(float(np.dot(left, left)), float(np.dot(right, right)), float(np.dot(left, right)))


def image_from_dots(ll: float, rr: float, lr: float) -> tuple[float | None, float | None]:
    """:func:`stereo_image` from the channels' dot products (L.L, R.R, L.R; a stem file sums them per read)."""
    if ll <= 0.0 and rr <= 0.0:
        return None, None
    # mid = (L + R) / 2, side = (L - R) / 2
    mid = (ll + rr + 2 * lr) / 4
    side = (ll + rr - 2 * lr) / 4
    width = side / (mid + side) if mid + side > 0 else None
    correlation = lr / math.sqrt(ll * rr) if ll > 0 and rr > 0 else 0.0
    return width, max(-1.0, min(1.0, correlation))


def track_spectra(mid: Frames, sr: int) -> TrackSpectra:
    """Frame-wise fine-band powers and the long-term spectrum of the mid signal.

    ``mid``: np.ndarray [shape=(n,)] (the mid signal) or [shape=(2, n)] (a stereo track, whose mid
    ``(L + R) / 2`` is made one batch of frames at a time: never whole).
    """
    n_fft, hop, window, freqs, starts = stft_setup(sr)
    n = mid_length(mid)
    if n < n_fft:
        mid = np.pad(mid_span(mid, 0, n), (0, n_fft - n))
        n = n_fft
    n_frames = (n - n_fft) // hop + 1
    n_fine = len(FINE_BAND_EDGES_HZ)
    fine = np.empty((n_fine, n_frames), dtype=np.float32)
    spectrum = np.zeros(freqs.size, dtype=np.float64)
    # Parseval: mean square of the windowed frame = (1 / (N sum w^2)) * one-sided doubled |X|^2.
    scale = np.full(freqs.size, 2.0 / (n_fft * float(np.sum(window.astype(np.float64) ** 2))))
    scale[0] /= 2
    scale[-1] /= 2
    scale = scale.astype(np.float32)
    block = 128  # frames per FFT batch: its temporaries (2 MB) stay in the cache
    for first in range(0, n_frames, block):
        last = min(n_frames, first + block)
        # Frames sit side by side (hop == n_fft): the batch is one stretch of the signal.
        frames = mid_span(mid, first * hop, (last - 1) * hop + n_fft).reshape(last - first, n_fft)
        spec = scipy.fft.rfft(frames * window, axis=-1)
        power = spec.real**2
        power += spec.imag**2
        power *= scale
        spectrum += power.sum(axis=0, dtype=np.float64)
        fine[:, first:last] = np.add.reduceat(power, starts, axis=1).T
    spectrum /= max(n_frames, 1)
    # reduceat at equal indices (edges above Nyquist) returns a single bin; zero those bands.
    empty = np.append(starts[1:] == starts[:-1], starts[-1] >= freqs.size - 1)
    fine[empty] = 0.0
    return TrackSpectra(fine, spectrum, freqs, sr / hop)


def _silent_stretches(sub_energy: np.ndarray, sr: int) -> np.ndarray:
    """Which 100 ms stretches (:func:`ai.audio.loudness.sub_block_powers`) are quieter than SILENCE_LUFS."""
    hop = max(1, int(round(loudness.HOP_S * sr)))
    with np.errstate(divide="ignore"):
        sub_lufs = loudness.LOUDNESS_OFFSET + 10 * np.log10(sub_energy / hop)
    silent: np.ndarray = sub_lufs < SILENCE_LUFS
    return silent


def silent_share_of(sub_energy: np.ndarray, sr: int) -> float:
    """Share of the 100 ms stretches quieter than SILENCE_LUFS, from :func:`ai.audio.loudness.sub_block_powers`
    (1.0 for none)."""
    if not sub_energy.size:
        return 1.0
    return float(np.mean(_silent_stretches(sub_energy, sr)))


def audible_seconds(sub_energy: np.ndarray, sr: int) -> float:
    """Seconds of the 100 ms stretches at or above SILENCE_LUFS, from :func:`ai.audio.loudness.sub_block_powers`
    (a count of stretches times 0.1 s, rounded to the stretch: MIN_AUDIBLE_S compares exactly)."""
    if not sub_energy.size:
        return 0.0
    return round(int(np.count_nonzero(~_silent_stretches(sub_energy, sr))) * loudness.HOP_S, 6)


def analyse_track(track: PreparedTrack) -> TrackAnalysis:
    """Measure one prepared track (all of :class:`TrackMeasurement`) and keep its spectra."""
    samples, sr = track.samples, track.sample_rate
    if isinstance(samples, StemFile):
        from ai.mixing.stem_measures import measure_stem  # it builds on this module's scan

        sub_energy, block_stats, stats, (width, correlation), (clipped, runs, dc) = measure_stem(
            samples, clip_channels=track.channels_in
        )
    else:
        sub_energy = loudness.sub_block_powers(y=samples, sr=sr)
        block_stats = loudness.block_stats(y=samples, sr=sr)
        stats = loudness.measure_loudness(y=samples, sr=sr, sub_energy=sub_energy, stats=block_stats)
        width, correlation = stereo_image(samples)
        clipped, runs, dc = scan_channels(
            samples, sr, block_stats[0].max(axis=1), block_max=block_stats[0], clip_channels=track.channels_in
        )
    silent_share = silent_share_of(sub_energy, sr)

    cutoff = ROLE_LOW_CUT_HZ.get(track.role, 30.0)
    spectra = track_spectra(samples, sr)  # of the mid signal, made batch by batch
    spectrum, freqs = spectra.spectrum, spectra.freqs
    total = float(spectrum.sum())
    band_levels: dict[str, float | None] = {}
    band_relative: dict[str, float | None] = {}
    for name, low, high in BANDS:
        power = float(spectrum[(freqs >= low) & (freqs < high)].sum())
        band_levels[name] = 10 * math.log10(power) if power > 0 else None
        band_relative[name] = 10 * math.log10(power / total) if power > 0 and total > 0 else None

    rumble = low_end(mid=samples, sr=sr, cutoff_hz=cutoff, total_power=total)
    low_bins = (freqs > 20) & (freqs < 250)
    low_peak = (
        float(freqs[low_bins][np.argmax(spectrum[low_bins])]) if total > 0 and spectrum[low_bins].max() > 0 else None
    )

    if track.channels_in == 1:
        width, correlation = 0.0, 1.0
    measurement = TrackMeasurement(
        name=track.name,
        role=track.role,
        sample_rate=sr,
        channels=track.channels_in,
        duration_s=frame_count(samples) / sr,
        integrated_lufs=stats.integrated_lufs,
        short_term_max_lufs=stats.short_term_max_lufs,
        momentary_max_lufs=stats.momentary_max_lufs,
        loudness_range_lu=stats.loudness_range_lu,
        true_peak_dbtp=stats.true_peak_dbtp,
        sample_peak_dbfs=stats.sample_peak_dbfs,
        rms_dbfs=stats.rms_dbfs,
        crest_factor_db=stats.crest_factor_db,
        band_levels_db=band_levels,
        band_relative_db=band_relative,
        rumble_cutoff_hz=cutoff,
        rumble_share=rumble.share,
        rumble_peak_hz=rumble.peak_hz,
        rumble_steady_share=rumble.steady_share,
        stereo_width=width,
        correlation=correlation,
        dc_offset=dc,
        clipped_samples=clipped,
        clipped_share=clipped / max(1, track.channels_in * frame_count(samples)),
        clipped_runs=runs,
        silent_share=silent_share,
        low_peak_hz=low_peak,
        notes=tuple(track.notes),
        audible_s=audible_seconds(sub_energy, sr),
    )
    return TrackAnalysis(track, measurement, spectra, stats, sub_energy)


def measure_track(audio: DecodedAudio, *, name: str, role: str | None = None) -> TrackMeasurement:
    """Measure one track on its own (role inferred from ``name`` when None)."""
    (prepared,) = prepare_tracks([TrackInput(name, audio, role)])
    return analyse_track(prepared).measurement
