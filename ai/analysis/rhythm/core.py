"""The entry point, :func:`estimate_rhythm`, and its result: :func:`track_pulse` runs the rules
(detection function, tempo, beats, the harmonic level and phase checks), the learned level may
move the grid, then the meter, downbeats, beat division, 6/8 and confidence are read; also the
attack shift for soft onsets and the division of a too-slow beat."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from ai.analysis.beat_net import Activations, BeatNet, BeatNetEnsemble, beat_activations, shipped_beat_net
from ai.analysis.drums_only import only_drums
from ai.analysis.level_model import LevelModel
from ai.analysis.rhythm.beats import _fill_grid, _refine_period, _sounding, _sustained, _track, follow_tempo
from ai.analysis.rhythm.common import MAX_BPM, MIN_BPM, PERCUSSIVE_MIN, TRIPLE_MARGIN, _spread
from ai.analysis.rhythm.kick_phase import half_beat_later, kick_like, kicks_between_beats
from ai.analysis.rhythm.level import (
    PulseEvidence,
    _nested,
    bars_of_three,
    choose_level,
    level_candidates,
    level_model_serves,
    shipped_level_model,
)
from ai.analysis.rhythm.meter import (
    ChromaSums,
    _beat_features,
    _chroma_change_at,
    _harmony_sustained,
    _series_lag_similarity,
    _top_quartile,
    bar_positions,
    beat_division,
    dotted_pulse,
    downbeat_evidence,
    downbeat_phase,
    duple_subdivision,
    harmonic_level,
    harmonic_period,
    meter_evidence,
    metrical_consistency,
)
from ai.analysis.rhythm.onsets import beat_detection_function, detrend, mel_flux, music_percussiveness, prior_mode
from ai.analysis.rhythm.pulse import SURE_STRENGTH, has_kick_pulse, has_periodic_pulse, pulse_strength
from ai.analysis.rhythm.structure import half_bar_off, novelty_rows
from ai.analysis.rhythm.tempo import log_normal_prior, tempo_strength
from ai.analysis.tonal import notes_sound

if TYPE_CHECKING:
    from ai.analysis.features import SharedFeatures

LOW_WEIGHT = 2.0
"""Weight of the kick/bass onset envelope added to the detection function for beat tracking."""
FOLLOW_LOW_WEIGHT = 0.5
"""Weight of the kick/bass onset envelope when the final grid follows the tempo
(:func:`follow_tempo`): the learned activation is the better guide to where each beat falls (at
LOW_WEIGHT the real tune split's beat F gained 1.8 points instead of 3.5, the chorales lost 0.8
instead of gaining 0.9; the beats sit ~8 ms earlier on real recordings than at LOW_WEIGHT)."""
OFFBEAT_RATIO = 1.5
"""The beats are moved by half a period when the strongest chord changes between them are this
many times stronger than those on them."""
ALTERNATION_MIN = 0.3
"""Chord changes that alternate between tracked beats (lag-1 autocorrelation of the beat-level
chord change below -x and lag-2 above x) rule out the tracked level."""
LEVEL_FACTORS = (0.5, 2.0)
"""Tempo ratios to the tracked level considered instead when the harmonic rhythm alternates
(only these two: the other level must nest with the tracked beats)."""
FINE_WINDOW = 0.06
SLOW_TACTUS_BPM = 50.0
"""A final beat slower than this is divided (the slowest beats people tap sit around 50 BPM)."""
DETREND_SECONDS = 1.0
"""Window of the moving average subtracted from the detection function."""
MIN_SECONDS = 2.0
"""Input whose sounding span is shorter gets no tempo."""
MIN_ONSET_LEVEL = 0.005
"""Input whose onset envelope stays under this at its 99th percentile has no attacks to count: a steady
tone or held chord (its frame-to-frame flux is rounding noise, at most 4e-4) gets no tempo instead of a
pulse read out of that noise. The quietest music on the rendered and real sets reaches 0.028 (a soft
piano Traumerei; 357 files, throwaway script), the envelope being relative to the file's loudest band."""

MIN_ATTACKS = 4
"""Input with fewer attacks (peaks of the onset envelope above MIN_ONSET_LEVEL, ATTACK_GAP_S apart) gets no
tempo: a held chord that starts after silence or fades in and out has one, which read as 60 BPM at confidence
0.69; three intervals are the fewest that can show a pulse. Music, even a 2-s clip, has more."""
ATTACK_GAP_S = 0.1


def attack_count(onset: np.ndarray, frame_rate: float) -> int:
    """Peaks of ``onset`` [shape=(n,)] above MIN_ONSET_LEVEL, at least ATTACK_GAP_S apart (the higher kept)."""
    import scipy.signal

    peaks, _ = scipy.signal.find_peaks(onset, height=MIN_ONSET_LEVEL, distance=max(1, round(ATTACK_GAP_S * frame_rate)))
    return int(peaks.size)


@dataclass(frozen=True)
class RhythmResult:
    """What the rhythm analysis found.

    ``beat_times`` and ``downbeat_times`` are np.ndarray [shape=(n,)] in seconds. ``tempo`` is the
    beat-level tempo in BPM rounded to 0.1 (0.0 when no pulse was found, with
    ``tempo_confidence`` 0, empty beat arrays, ``time_signature`` None and ``beats_per_bar`` 0;
    ``why_none`` says why where a rule found no pulse to read).
    ``beat_division`` is 3 when the beat divides in three (compound: 6/8, or a triplet feel), 2
    otherwise (0 with no pulse). In 6/8 the beat, and so ``tempo``, is the dotted quarter.
    """

    tempo: float
    tempo_confidence: float
    beat_times: np.ndarray = field(repr=False)
    downbeat_times: np.ndarray = field(repr=False)
    time_signature: str | None
    beats_per_bar: int
    beat_division: int = 2
    why_none: str = ""
    """Why no pulse was read, where a rule decided it (a steady tone, noise); "" otherwise."""

    @classmethod
    def empty(cls, why: str = "") -> RhythmResult:
        return cls(0.0, 0.0, np.zeros(0), np.zeros(0), None, 0, 0, why)


NO_ATTACKS = "no attacks sound (a steady tone or held sound)"
""":func:`no_pulse_reason` for input without a single attack: no drums can sound in it either."""
FEW_ATTACKS = "(a held sound or a few hits): too few to show a pulse"
""":func:`no_pulse_reason`'s words for input with fewer than MIN_ATTACKS attacks, after how many sound."""
NOISE = "no periodic pulse and no pitched notes (noise, random clicks or speech)"
""":func:`no_pulse_reason` for input with attacks but neither a period nor pitched notes (the transcription reads it:
notes that a model finds in noise are none)."""
HELD_SHARE = 0.8
"""A sound holds when this share of its audible frames (within 40 dB of its loudest) lie within 10 dB of its level
(the 95th percentile of the frame RMS): a held chord's start and end are its only attacks, where a few drum hits
decay 20-30 dB in a fifth of a second."""


def holds(rms: np.ndarray) -> bool:
    """Whether the frame RMS ``rms`` [shape=(n,)] is a held sound's (HELD_SHARE), not a few decaying hits."""
    level = np.asarray(rms, dtype=np.float64)
    if level.size == 0 or float(level.max()) <= 0.0:
        return False
    db = 20.0 * np.log10(np.maximum(level, 1e-12))
    audible = db[db >= db.max() - 40.0]
    return bool(np.mean(audible >= np.percentile(audible, 95) - 10.0) >= HELD_SHARE)


HELD_CHORD = "one chord held at a steady level throughout (a held chord or drone), nothing in it marking a pulse"
""":func:`no_pulse_reason` for a chord held through the clip (:func:`one_chord_held`): an organ's partials beat against
each other and read as 233 small attacks with a weak period (a FluidSynth Church Organ A minor chord of 34 s: 52.1 BPM
at confidence 0.195, inside real music's range, and the accompaniment played along at 52 BPM)."""
HELD_WINDOW_S = 2.0
HELD_MIN_WINDOWS = 3
"""The chroma is summed over windows of HELD_WINDOW_S; a clip needs this many that sound (within 20 dB of the loudest)
to be called one chord held (a 2-s clip of a song is one window, as like itself as a held chord)."""
HELD_CHORD_SIMILARITY = 0.98
"""One chord is held where every sounding window's chroma has at least this cosine with the clip's whole chroma. The
organ chord reads 0.997; of the 233 music files of 6 s or more in data/eval, data/real, data/real_extra and
data/key_dist (throwaway script) the most alike reads 0.988 (a one-chord techno loop, whose pulse is sure: comb
strength over SURE_STRENGTH), and of those whose level also holds and whose pulse is not sure 0.907 (a Beatles song)."""


def one_chord_held(features: SharedFeatures) -> bool:
    """Whether ``features`` hold one chord through the clip: the level holds (:func:`holds`), every sounding
    HELD_WINDOW_S window has the clip's chroma (HELD_CHORD_SIMILARITY), the onset envelope has no sure period
    (:data:`ai.analysis.rhythm.pulse.SURE_STRENGTH`: a one-chord loop over drums beats) and notes sound (noise holds
    its level and its smooth chroma too)."""
    rms = np.asarray(features.rms, dtype=np.float64)
    chroma = np.asarray(features.chroma, dtype=np.float64)
    width = max(1, int(round(HELD_WINDOW_S * features.frame_rate)))
    count = min(chroma.shape[1], rms.shape[0]) // width
    if count < HELD_MIN_WINDOWS or not holds(rms):
        return False
    sums = chroma[:, : count * width].reshape(12, count, width).sum(axis=2)
    level = rms[: count * width].reshape(count, width).mean(axis=1)
    sums = sums[:, level >= 0.1 * float(level.max())]
    whole = sums.sum(axis=1)
    norms = np.linalg.norm(sums, axis=0) * float(np.linalg.norm(whole))
    if sums.shape[1] < HELD_MIN_WINDOWS or not (norms > 0).all():
        return False
    if float(np.min(whole @ sums / norms)) < HELD_CHORD_SIMILARITY:
        return False
    onset = np.asarray(features.onset_env, dtype=np.float64)
    return pulse_strength(onset, features.frame_rate) < SURE_STRENGTH and notes_sound(features)


MIN_TEMPO_CONFIDENCE = 0.02
"""A tempo read with less confidence than this is no tempo: a held sawtooth chord, whose overtones beat slowly against
each other, got 53.4 BPM at 0.001 (QA pass 4). Of the real dev set's 46 items with a tempo the least confident reads
0.064 (a 3-s trumpet clip), of the rendered evaluation sets' 139 0.238."""


def _heard(values: np.ndarray, rms: np.ndarray) -> np.ndarray:
    """``values`` [shape=(n,)] at the frames that sound (:func:`_sounding` of the frame RMS ``rms``), or all of them
    where none or another count does: a percentile of a file that is mostly silence reads its silence (20 minutes of
    silence around four piano chords had "no attacks (a steady tone or held sound)")."""
    sounding = _sounding(np.asarray(rms, dtype=np.float64))
    if sounding.shape != values.shape or not sounding.any():
        return values
    heard: np.ndarray = values[sounding]
    return heard


def no_pulse_reason(features: SharedFeatures) -> str:
    """Why ``features`` hold no pulse to read a tempo from, or "" when they may hold one.

    A steady tone or held chord has no attacks (MIN_ONSET_LEVEL), or too few to count (MIN_ATTACKS), or is one chord
    held through the clip (:func:`one_chord_held`: its partials' beating makes small attacks). Noise and random clicks have onsets
    but no period (:func:`ai.analysis.rhythm.pulse.has_periodic_pulse`), nor a kick that beats alone
    (:func:`ai.analysis.rhythm.pulse.has_kick_pulse`); rubato or sung music may show
    no more period than they do, but it sounds notes (:func:`ai.analysis.tonal.notes_sound`), so both
    are asked (the notes only where the period is missing)."""
    onset = np.asarray(features.onset_env, dtype=np.float64)
    if onset.size == 0 or not np.isfinite(onset).all():
        return ""
    if float(np.percentile(_heard(onset, features.rms), 99)) < MIN_ONSET_LEVEL:
        return NO_ATTACKS
    attacks = attack_count(onset, features.frame_rate)
    if attacks < MIN_ATTACKS:
        said = "1 attack sounds" if attacks == 1 else f"{attacks} attacks sound"
        return f"only {said} {FEW_ATTACKS}"
    if one_chord_held(features):
        return HELD_CHORD
    if has_periodic_pulse(onset, features.frame_rate):
        return ""
    low = np.asarray(features.low_onset_env, dtype=np.float64)
    if low.size == onset.size and np.isfinite(low).all() and has_kick_pulse(low, features.frame_rate):
        return ""
    if not notes_sound(features):
        return NOISE
    return ""


def untracked_reason(features: SharedFeatures) -> str:
    """Why :func:`track_pulse` found no pulse where :func:`no_pulse_reason` saw none missing, for the analysis'
    notes: a 2 s clip of a song had no tempo and no note saying why, and the accompaniment's 422 ``no_beat``
    then gave the only note there was, about its loudness range."""
    frame_rate = float(features.sr) / float(features.hop_length)
    where = np.flatnonzero(_sounding(np.asarray(features.rms, dtype=np.float64)))
    if where.size == 0 or where[-1] - where[0] < MIN_SECONDS * frame_rate:
        return f"the sound lasts under {MIN_SECONDS:g} s: too short to show a pulse"
    return "no steady pulse was found"


def attack_shift(odf: np.ndarray, beats: np.ndarray, *, width: int = 5) -> float:
    """How far (frames, <= 0) the beats should move back to where the onsets begin.

    The detection function peaks where a note's energy rises fastest; a slow attack (organ,
    strings) reaches that point tens of milliseconds after the note starts. From the mean profile
    of ``odf`` [shape=(n,)] over +-``width`` frames around ``beats`` (fractional frames): the
    interpolated point where it first reaches half-way from the pre-onset floor to the peak,
    relative to the peak, plus half a frame (a rise within a frame is a sharp onset: no shift).
    """
    idx = np.round(beats).astype(np.int64)
    idx = idx[(idx - width >= 0) & (idx + width < odf.shape[0])]
    if idx.size < 4:
        return 0.0
    profile = odf[idx[:, None] + np.arange(-width, width + 1)[None, :]].mean(axis=0)
    peak = int(np.argmax(profile))
    floor = float(profile[: peak + 1].min())
    level = floor + 0.5 * (float(profile[peak]) - floor)
    j = peak
    while j > 0 and profile[j - 1] >= level:
        j -= 1
    cross = float(j)
    if j > 0 and profile[j] > profile[j - 1]:
        cross = j - 1 + (level - profile[j - 1]) / (profile[j] - profile[j - 1])
    return min(0.0, cross - peak + 0.5)


def _confidence(bpms: np.ndarray, posterior: np.ndarray, strength: np.ndarray, tempo: float, spread: float) -> float:
    """Tempo confidence in [0, 1]: pulse clarity (comb strength at the tempo) x beat regularity
    x how clearly the tempo beats its metrical relatives (x1/2, x2, x2/3, x3/2) on the posterior."""
    log_bpms = np.log(bpms)

    def at(curve: np.ndarray, bpm: float) -> float:
        return float(np.interp(np.log(bpm), log_bpms, curve, left=0.0, right=0.0))

    clarity = float(np.clip(at(strength, tempo), 0.0, 1.0))
    own = at(posterior, tempo)
    rival = max(at(posterior, tempo * f) for f in (0.5, 2.0, 2.0 / 3.0, 1.5))
    margin = float(np.clip(1.0 - rival / own, 0.0, 1.0)) if own > 0 else 0.0
    regularity = float(np.exp(-((spread / 0.1) ** 2)))
    return clarity * regularity * (0.5 + 0.5 * margin)


def track_pulse(
    features: SharedFeatures, activations: Activations | None = None
) -> tuple[PulseEvidence, np.ndarray, float, float] | None:
    """The beat grid the rules find, before the learned metrical-level choice.

    ``features``: a :class:`ai.analysis.features.SharedFeatures`; ``activations``: the beat network's
    output on them, whose beat activation then replaces the mel flux as the beat detection
    function, and whose downbeat activation joins the bar-phase evidence (None: flux only).
    Returns (evidence, beats [fractional frames, shape=(B,)], period in frames, relative spread of
    the intervals), or None when there is no pulse (too short, silent, or no periodicity).
    """
    onset = np.asarray(features.onset_env, dtype=np.float64)
    n = onset.shape[0]
    frame_rate = float(features.sr) / float(features.hop_length)
    if n < MIN_SECONDS * frame_rate or not np.isfinite(onset).all() or onset.max() <= 0:
        return None
    if float(np.percentile(onset, 99)) < MIN_ONSET_LEVEL:
        return None
    rms = np.asarray(features.rms, dtype=np.float64)
    sounding = _sounding(rms)
    where = np.flatnonzero(sounding)
    if where.size == 0 or where[-1] - where[0] < MIN_SECONDS * frame_rate:
        return None
    chroma = np.asarray(features.chroma, dtype=np.float64)
    chroma_sums = ChromaSums.of(chroma)
    low = np.maximum(np.asarray(features.low_onset_env, dtype=np.float64), 0.0)
    flux = mel_flux(features.mel)
    width = int(round(DETREND_SECONDS * frame_rate))
    odf = beat_detection_function(flux, width=width)
    # The tempo and the beat level are read from the flux (the learned activation's periodicity
    # doubled two slow piano chorales in 59 that the flux gets right); the beats are tracked on the
    # learned activation, which peaks on the beat itself in rooms, mastered mixes and soft attacks.
    learned = activations is not None and activations.beat.shape[0] == n
    track_odf = beat_detection_function(activations.beat, width=width) if learned and activations is not None else odf
    down = activations.downbeat if learned and activations is not None else None

    bpms = MIN_BPM * 2.0 ** (np.arange(int(np.log2(MAX_BPM / MIN_BPM) * 240) + 1) / 240.0)
    strength = tempo_strength(odf, frame_rate=frame_rate, bpms=bpms)
    single = tempo_strength(odf, frame_rate=frame_rate, bpms=bpms, harmonics=1)
    # Evidence: the harmonic comb (all metrical multiples of the period) squared, times the
    # period's own autocorrelation; then the prior.
    percussive = music_percussiveness(features.mel, flux)
    prior = log_normal_prior(bpms, mode=prior_mode(percussive))
    posterior = np.maximum(strength, 0.0) ** 2 * np.maximum(single, 0.0) * prior
    if posterior.max() <= 0:
        return None
    best = int(np.argmax(posterior))
    if learned and FINE_WINDOW > 0:
        # The flux sets the level; the activation's own periodicity, near it, the exact period.
        near = np.abs(np.log(bpms / bpms[best])) <= np.log(1.0 + FINE_WINDOW)
        fine = tempo_strength(track_odf, frame_rate=frame_rate, bpms=bpms)
        fine = np.where(near, np.maximum(fine, 0.0), -1.0)
        if fine.max() > 0:
            best = int(np.argmax(fine))
    low_odf = detrend(low / _spread(low), int(round(DETREND_SECONDS * frame_rate)))
    beat_score = track_odf + LOW_WEIGHT * low_odf
    sustained = _sustained(rms, sounding)
    tracked = _track(beat_score, 60.0 * frame_rate / bpms[best], sustained)
    if tracked is None:
        return None
    beats, period, spread = tracked
    onset_n, low_n = onset / _spread(onset), low / _spread(low)
    feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)

    # Harmonic-rhythm check: chord changes that strictly alternate between tracked beats
    # (change, no change, change ...) mean the tracked level is half or double the beat.
    alternation = min(-_series_lag_similarity(feats["harm"], 1), _series_lag_similarity(feats["harm"], 2))
    if alternation > ALTERNATION_MIN and beats.shape[0] >= 8:
        tempo0 = 60.0 * frame_rate / period
        factors = [f for f in LEVEL_FACTORS if MIN_BPM <= tempo0 * f <= MAX_BPM]
        # The tracked level is ruled out; half or double, whichever the tempo evidence prefers.
        post = {f: float(np.interp(np.log(tempo0 * f), np.log(bpms), posterior)) for f in factors}
        if post:
            # Metrical levels nest: double = the beats plus their midpoints; half = every other
            # beat, on the phase where the chords change and the bass/kick and accents fall.
            if max(post, key=post.__getitem__) == 2.0:
                beats = np.sort(np.concatenate([beats, beats[:-1] + 0.5 * np.diff(beats)]))
            else:
                beats = beats[downbeat_phase(feats, 2)[0] :: 2]
            period, spread = _refine_period(beats)
            feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
    # Phase check from the harmony: chords change on beats. When the strongest chord changes
    # fall half-way between the tracked beats, the tracker has locked onto the off-beats. Only
    # for music whose harmony sounds most of the time (not clicks or sparse percussion).
    half = 0.5 * period
    if (
        beats.shape[0] >= 5
        and _harmony_sustained(chroma)
        and _top_quartile(_chroma_change_at(chroma, beats[:-1] + half, half))
        > OFFBEAT_RATIO * _top_quartile(_chroma_change_at(chroma, beats, half))
    ):
        beats = _fill_grid(beats[:-1] + half, sustained, period)
        feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
    # Metrical level from the harmonic rhythm (drum-driven music: chords change with the bar).
    if percussive >= PERCUSSIVE_MIN and beats.shape[0] >= 16:
        duple = duple_subdivision(odf, period)
        level = harmonic_level(chroma_sums, beats, tempo=60.0 * frame_rate / period, duple=duple)
        if level == 0.5:
            beats = beats[downbeat_phase(feats, 2)[0] :: 2]
        elif level == 2.0:
            beats = np.sort(np.concatenate([beats, beats[:-1] + 0.5 * np.diff(beats)]))
        if level != 1.0:
            period, spread = _refine_period(beats)
    evidence = PulseEvidence(
        frame_rate=frame_rate,
        odf=odf,
        low_odf=low_odf,
        beat_score=beat_score,
        onset_n=onset_n,
        low_n=low_n,
        chroma=chroma,
        chroma_sums=chroma_sums,
        sustained=sustained,
        bpms=bpms,
        strength=strength,
        single=single,
        low_strength=tempo_strength(low_odf, frame_rate=frame_rate, bpms=bpms),
        posterior=posterior,
        percussive=percussive,
        downbeat=down,
    )
    return evidence, beats, period, spread


def divide_slow_grid(beats: np.ndarray, feats: dict[str, np.ndarray]) -> tuple[np.ndarray, float, float]:
    """A beat slower than SLOW_TACTUS_BPM is a bar or a half bar counted as one beat (a march or a
    ska tune read in whole notes, a waltz read at the bar, a chorale in half notes): divide it as
    its busiest beats divide, in three (:func:`beat_division`) or else in two. ``beats``
    (fractional frames) and its :func:`_beat_features` -> (beats, period, spread)."""
    factor = 3.0 if beat_division(feats) == 3 else 2.0
    divided = _nested(beats, factor, feats)
    period, spread = _refine_period(divided)
    return divided, period, spread


def estimate_rhythm(
    features: SharedFeatures,
    *,
    level_model: Literal["shipped"] | LevelModel | None = "shipped",
    beat_net: Literal["shipped"] | BeatNet | BeatNetEnsemble | None = "shipped",
    drums_alone: Callable[[], bool] | None = None,
) -> RhythmResult:
    """Tempo, beats, downbeats and meter of the analysed audio.

    ``features``: a :class:`ai.analysis.features.SharedFeatures`. ``level_model``: the metrical-level
    model that may move the rules' beat level (see :func:`choose_level`); "shipped" loads
    models/metrical_level.json, None keeps the rules' level. ``beat_net``: the beat and downbeat
    activation network (:mod:`ai.analysis.beat_net`); "shipped" loads models/beat_activation.npz,
    None tracks the mel flux alone. ``drums_alone``: whether the clip is drums alone, for a caller that
    asks it too (the analysis's key step: one answer, computed at most once); None asks
    :func:`ai.analysis.drums_only.only_drums` here when :func:`level_model_serves` needs it.
    """
    why = no_pulse_reason(features)
    if why:
        return RhythmResult.empty(why)
    net = shipped_beat_net() if beat_net == "shipped" else beat_net
    acts = beat_activations(features, net) if net is not None else None
    pulse = track_pulse(features, acts)
    if pulse is None:
        return RhythmResult.empty(untracked_reason(features))
    evidence, beats, period, spread = pulse
    model = shipped_level_model() if level_model == "shipped" else level_model
    if drums_alone is None:  # asked at most once, and only where the harmony does not hold (level_model_serves)
        drums_alone = functools.cache(lambda: only_drums(features.semitone_spec))
    if model is not None and level_model_serves(evidence, beats, drums_alone):
        chosen = choose_level(level_candidates(evidence, beats, period, spread), model)
        beats, period, spread = chosen.beats, chosen.period, chosen.spread
    frame_rate, odf, low_odf, chroma = evidence.frame_rate, evidence.odf, evidence.low_odf, evidence.chroma
    onset_n, low_n, percussive = evidence.onset_n, evidence.low_n, evidence.percussive
    bpms, posterior, strength = evidence.bpms, evidence.posterior, evidence.strength
    down = evidence.downbeat
    feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
    if bars_of_three(feats, 60.0 * frame_rate / period):
        # A fast waltz counted in bars (expressive piano, a song in 3 read at 66 for 197): the
        # beat is the bar's quarter note.
        beats = _nested(beats, 3.0, feats)
        period, spread = _refine_period(beats)
        feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
    if 60.0 * frame_rate / period < SLOW_TACTUS_BPM and beats.shape[0] >= 8:
        beats, period, spread = divide_slow_grid(beats, feats)
        feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
    if down is not None:
        # The level and phase are chosen on a grid at one period; each of its beats now moves to
        # where a chain whose tempo may move puts it (rubato, a ritardando, a band that speeds up).
        # Only on the learned activation: the flux-only path was not measured with it.
        follow_score = evidence.beat_score + (FOLLOW_LOW_WEIGHT - LOW_WEIGHT) * low_odf
        beats = follow_tempo(follow_score, beats, period)
        feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
    if (
        percussive >= PERCUSSIVE_MIN
        and kicks_between_beats(low_n, beats)
        and kick_like(features.mel, (beats[:-1] + beats[1:]) / 2.0)
    ):
        # A four-on-the-floor kick between every two beats: the grid sits on the off-beats (kick_phase).
        beats = half_beat_later(beats)
        feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
    tempo = 60.0 * frame_rate / period
    if percussive < PERCUSSIVE_MIN and down is None:
        # Soft attacks only (the learned activation is trained to peak on the beat itself): on percussive music the profile's rise is the 93 ms frames seeing a
        # sharp hit coming, and moving back to it put the beats 11 ms early (training songs).
        beats = beats + attack_shift(odf, beats)

    meter = meter_evidence(feats)
    # Four beats per bar unless three is clearly better (4/4 is by far the commoner meter).
    beats_per_bar = 3 if meter[3] > meter[4] + TRIPLE_MARGIN else 4
    time_signature = f"{beats_per_bar}/4"
    # Soft attacks (voices, organ, bowed strings) blur what falls between the beats: only
    # percussive music is read for a division in three.
    division = beat_division(feats) if percussive >= PERCUSSIVE_MIN else 2
    phase, _ = downbeat_phase(feats, beats_per_bar)
    bar_feats: dict[str, np.ndarray] | None = feats  # the evidence of the final grid, None after a regrid
    if beats_per_bar == 3 and percussive >= PERCUSSIVE_MIN and dotted_pulse(low_odf, period) and beats.shape[0] >= 8:
        # Three tracked beats per bar, but the kick/bass pulse every 1.5 of them: the tracker
        # counts eighth-note pairs of a 6/8 bar (two dotted-quarter beats). Regrid on the
        # dotted quarters, from the downbeat.
        start = phase % 1.5
        grid = np.arange(start, beats.shape[0] - 1 + 1e-9, 1.5)
        beats = np.interp(grid, np.arange(beats.shape[0], dtype=np.float64), beats)
        period *= 1.5
        tempo = 60.0 * frame_rate / period
        phase = int(round((phase - start) / 1.5))
        division = 3
        beats_per_bar, time_signature = 2, "6/8"
        bar_feats = None
    contrast = harmonic_period(evidence.chroma_sums, beats)
    if time_signature != "6/8" and division == 3 and contrast[2.0] > max(contrast[3.0], contrast[4.0]):
        # Compound duple: beats divided in three, chords changing every two beats: 6/8. (Four
        # such beats to the bar, 12/8, stays 4/4 with beat_division 3: the same beat grid.)
        beats_per_bar, time_signature = 2, "6/8"
        bar_feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
        phase, _ = downbeat_phase(bar_feats, 2)
    # The attack shift (or the grid's reach back) can put a beat on the first sample a fraction
    # of a frame before it.
    times = np.maximum(beats / frame_rate, 0.0)
    if bar_feats is None:
        downbeats = times[phase::beats_per_bar]
    else:
        # The bar phase may change inside the piece (irregular bars, a dropped beat): bar_positions.
        positions = bar_positions(downbeat_evidence(bar_feats, beats_per_bar), beats_per_bar)
        if half_bar_off(novelty_rows(chroma, features.mel, beats), positions, beats_per_bar):
            # Every bar line on beat 3 (the beat-level evidence is the same half a bar later):
            # the phrases and sections start on the other beat.
            positions = (positions + beats_per_bar // 2) % beats_per_bar
        downbeats = times[positions == 0]
    # Half from the pulse, half from whether the beats group into bars the way the chords do
    # (octave errors show there, not in the pulse's clarity).
    regularity = float(np.exp(-((spread / 0.1) ** 2)))
    confidence = 0.5 * _confidence(bpms, posterior, strength, tempo, spread) + 0.5 * regularity * (
        metrical_consistency(contrast, bar_beats=(2.0,) if time_signature == "6/8" else (3.0, 4.0))
    )
    if confidence < MIN_TEMPO_CONFIDENCE:
        return RhythmResult.empty(
            f"no steady pulse: the strongest periodicity ({tempo:.0f} BPM) is too weak to be a tempo "
            f"(confidence {confidence:.3f})"
        )
    return RhythmResult(
        tempo=round(tempo, 1),
        tempo_confidence=round(confidence, 3),
        beat_times=times,
        downbeat_times=downbeats,
        time_signature=time_signature,
        beats_per_bar=beats_per_bar,
        beat_division=division,
    )
