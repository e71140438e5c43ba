"""Tempo, beats, downbeats and meter from the shared analysis features.

Every step works on the frame-rate features computed once in :mod:`ai.analysis.features`; nothing
here takes a second STFT. The method, and the submodule that holds each step:

0. **Is there a pulse at all** (:mod:`.pulse`, :func:`no_pulse_reason`). No attacks (a steady tone), or
   an onset envelope no more periodic than its block-shuffled surrogates while no notes sound (noise,
   random clicks): no tempo, with the reason.
1. **Beat detection function** (:mod:`.onsets`). Spectral flux of the log-compressed mel
   spectrogram (``SharedFeatures.mel``; no max filter across bands, which would hide the onsets of
   sung and bowed notes), minus its 1-second moving average.
2. **Tempo** (:mod:`.tempo`). The autocorrelation of the detection function read through a
   harmonic comb (lags p, 2p, 3p, 4p), squared, times the period's own autocorrelation, weighted by
   a log-normal tempo prior whose mode follows how percussive the music is (~130 BPM for drums,
   ~90 BPM for sustained voices, organ and strings; band-limited audio, 8 kHz or phone audio, is read
   below 3.5 kHz, the band it shares with the full-band recording: :func:`music_percussiveness`).
3. **Beats** (:mod:`.beats`). Dynamic programming (Ellis 2007) over the detection function plus
   the kick/bass onset envelope, compiled with numba; the grid is continued through held,
   onset-free stretches and its tempo comes from a robust line fit of beat time against index.
   The harmonic rhythm then checks the level and phase (:mod:`.core`, :mod:`.meter`): chord
   changes that alternate between beats, or fall half-way between them, move the grid; in
   percussive music chord segments of 8 or 2 beats that beat bars of 3-4 halve or double it.
   **Learned metrical level** (:mod:`.level`): the rules' grid and its relatives (x2, /2, x3, /3,
   x3/2, x2/3, x4/3, x3/4) are scored by the boosted trees of models/metrical_level.json
   (:mod:`ai.analysis.level_model`). A grid slower than 75 BPM whose beats sound in three even,
   nearly equal parts counts the bars of a fast waltz and is tripled (:func:`bars_of_three`). A
   final beat slower than SLOW_TACTUS_BPM (50) is divided in three or two, as its busiest beats
   divide (:func:`divide_slow_grid`). Last, the grid follows a
   tempo that moves (:func:`follow_tempo`): a second dynamic programme over (beat frame, interval
   to the previous beat), whose interval may change from beat to beat at a cost, tracks the
   learned activation; each grid beat moves to that chain's beat within a quarter period of it, and
   a stretch the chain left gradually (a tempo that drifted from the grid's one period: even
   intervals, no step of phase) takes the chain's beats.
4. **Meter and downbeats** (:mod:`.meter`). How strongly the onset pattern of each beat, the chord
   changes and the bass/kick onsets repeat 3 vs 4 beats later decides beats per bar (three must
   beat four by a margin); the bar phase is where chord changes, bass/kick onsets and the learned
   downbeat activation line up, and may change inside a piece (a Viterbi path over the beats,
   :func:`bar_positions`: irregular bars, a dropped beat). Kick on 1 and 3 and chords every two
   beats look the same half a bar later; in a bar of 4 the structure (:mod:`.structure`) then
   decides: when the strongest chroma and timbre changes (sections, phrases) sit clearly on the
   path's beat 3, every bar line moves half a bar (:func:`half_bar_off`).
5. **Confidence** (:mod:`.core`). Half the pulse's clarity and regularity, half
   :func:`metrical_consistency` (how well bars of 3-4 beats explain the chord changes).

Compound meter: when the onsets between beats fall on the beat's thirds, ``beat_division`` is 3;
with chords changing every two such beats the meter is 6/8 (the beat is the dotted quarter). A
3-beat bar whose kick/bass pulse repeats every 1.5 beats (:func:`dotted_pulse`) is re-gridded on
the dotted quarters. 12/8 stays "4/4" with ``beat_division`` 3.

:func:`estimate_rhythm` (:mod:`.core`) is the entry point. Shared constants and helpers live in
:mod:`.common`. The names below are re-exported for importers of ``ai.analysis.rhythm``; each
constant is read from the submodule that defines it, so patch it there (e.g.
``rhythm.meter.DOWNBEAT_WEIGHT``).
"""

from __future__ import annotations

from ai.analysis.rhythm import beats, common, core, level, meter, onsets, pulse, structure, tempo
from ai.analysis.rhythm.beats import HEAD_BEAT_FRAMES, TEMPO_CHANGE, TEMPO_PULL, TIGHTNESS, follow_tempo
from ai.analysis.rhythm.common import (
    MAX_BPM,
    MIN_BPM,
    PERCUSSIVE_MIN,
    PRIOR_BPM,
    PRIOR_OCTAVES,
    TRIPLE_MARGIN,
)
from ai.analysis.rhythm.common import _spread as _spread
from ai.analysis.rhythm.core import (
    ALTERNATION_MIN,
    DETREND_SECONDS,
    FINE_WINDOW,
    LEVEL_FACTORS,
    LOW_WEIGHT,
    MIN_SECONDS,
    OFFBEAT_RATIO,
    SLOW_TACTUS_BPM,
    RhythmResult,
    attack_shift,
    divide_slow_grid,
    estimate_rhythm,
    no_pulse_reason,
    track_pulse,
)
from ai.analysis.rhythm.level import (
    BAR_OF_THREE_BPM,
    LEVEL_CANDIDATES,
    LEVEL_FEATURES,
    LEVEL_SPANS,
    LevelCandidate,
    PulseEvidence,
    bars_of_three,
    choose_level,
    describe_shipped_level_model,
    level_candidates,
    level_model_serves,
    shipped_level_model,
)
from ai.analysis.rhythm.level import _divisions as _divisions
from ai.analysis.rhythm.meter import (
    BUSY_SHARE,
    COMPOUND_FLOOR,
    COMPOUND_RATIO,
    DOTTED_MIN_ACF,
    DOUBLE_MAX_BPM,
    DOWNBEAT_WEIGHT,
    HARMONIC_BEAT_DOMINANCE,
    HARMONIC_LEVEL_RATIO,
    HARMONIC_SPANS,
    PHASE_SWITCH_COST,
    ChromaSums,
    bar_positions,
    beat_division,
    dotted_pulse,
    downbeat_indices,
    downbeat_phase,
    duple_subdivision,
    harmonic_contrast,
    harmonic_level,
    harmonic_period,
    meter_evidence,
    metrical_consistency,
)
from ai.analysis.rhythm.meter import _beat_features as _beat_features
from ai.analysis.rhythm.onsets import (
    BAND_LIMIT_HZ,
    BAND_LIMITED_RATIO,
    BAND_LIMITED_SHARE,
    PERCUSSIVE_BAND_HZ,
    PERCUSSIVE_RATIO,
    SUSTAINED_PRIOR_BPM,
    band_limited,
    beat_detection_function,
    detrend,
    mel_flux,
    music_percussiveness,
    percussiveness,
    prior_mode,
)
from ai.analysis.rhythm.pulse import has_periodic_pulse, pulse_significance
from ai.analysis.rhythm.structure import HALF_BAR_MARGIN, half_bar_off, half_bar_score, structure_novelty
from ai.analysis.rhythm.tempo import log_normal_prior, tempo_strength

__all__ = [
    "ALTERNATION_MIN",
    "BAND_LIMIT_HZ",
    "BAND_LIMITED_RATIO",
    "BAND_LIMITED_SHARE",
    "PERCUSSIVE_BAND_HZ",
    "band_limited",
    "music_percussiveness",
    "BAR_OF_THREE_BPM",
    "BUSY_SHARE",
    "COMPOUND_FLOOR",
    "COMPOUND_RATIO",
    "DETREND_SECONDS",
    "DOTTED_MIN_ACF",
    "DOUBLE_MAX_BPM",
    "DOWNBEAT_WEIGHT",
    "PHASE_SWITCH_COST",
    "FINE_WINDOW",
    "HALF_BAR_MARGIN",
    "HARMONIC_BEAT_DOMINANCE",
    "HARMONIC_LEVEL_RATIO",
    "HARMONIC_SPANS",
    "HEAD_BEAT_FRAMES",
    "LEVEL_CANDIDATES",
    "LEVEL_FACTORS",
    "LEVEL_FEATURES",
    "LEVEL_SPANS",
    "LOW_WEIGHT",
    "MAX_BPM",
    "MIN_BPM",
    "MIN_SECONDS",
    "OFFBEAT_RATIO",
    "PERCUSSIVE_MIN",
    "PERCUSSIVE_RATIO",
    "PRIOR_BPM",
    "PRIOR_OCTAVES",
    "SLOW_TACTUS_BPM",
    "SUSTAINED_PRIOR_BPM",
    "TEMPO_CHANGE",
    "TEMPO_PULL",
    "TIGHTNESS",
    "TRIPLE_MARGIN",
    "ChromaSums",
    "LevelCandidate",
    "PulseEvidence",
    "RhythmResult",
    "attack_shift",
    "bars_of_three",
    "beat_detection_function",
    "beat_division",
    "beats",
    "choose_level",
    "common",
    "core",
    "describe_shipped_level_model",
    "detrend",
    "divide_slow_grid",
    "dotted_pulse",
    "bar_positions",
    "downbeat_indices",
    "downbeat_phase",
    "duple_subdivision",
    "estimate_rhythm",
    "follow_tempo",
    "half_bar_off",
    "half_bar_score",
    "harmonic_contrast",
    "harmonic_level",
    "harmonic_period",
    "level",
    "level_candidates",
    "level_model_serves",
    "log_normal_prior",
    "mel_flux",
    "meter",
    "meter_evidence",
    "metrical_consistency",
    "onsets",
    "pulse",
    "percussiveness",
    "prior_mode",
    "shipped_level_model",
    "structure",
    "structure_novelty",
    "tempo",
    "tempo_strength",
    "track_pulse",
    "no_pulse_reason",
    "has_periodic_pulse",
    "pulse_significance",
]
