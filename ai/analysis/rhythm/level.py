"""The learned metrical level: the grid the rules end with and its relatives (x2, /2, x3, /3,
x3/2, x2/3, x4/3, x3/4) as candidates with their features (LEVEL_FEATURES), when the model may
move a grid, and the choice of the boosted trees of models/metrical_level.json
(:mod:`ai.analysis.level_model`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ai.analysis.level_model import SHIPPED_MODEL, LevelModel, describe_level_model, level_rows, load_level_model
from ai.analysis.rhythm.beats import _refine_period, _smooth_for_dp, _track
from ai.analysis.rhythm.common import MAX_BPM, MIN_BPM, PERCUSSIVE_MIN, PRIOR_OCTAVES, TRIPLE_MARGIN, _sample
from ai.analysis.rhythm.meter import (
    _SUBDIV,
    ChromaSums,
    _beat_features,
    _harmony_sustained,
    dotted_pulse,
    downbeat_phase,
    harmonic_contrast,
    meter_evidence,
)
from ai.analysis.rhythm.onsets import prior_mode
from ai.model_files import model_path


@dataclass(frozen=True)
class PulseEvidence:
    """The frame-rate evidence the beat level is chosen from.

    Envelopes are np.ndarray [shape=(n,)] at ``frame_rate``; ``chroma`` [shape=(12, n)]; tempo
    curves [shape=(T,)] over ``bpms``.
    """

    frame_rate: float
    odf: np.ndarray
    low_odf: np.ndarray
    beat_score: np.ndarray
    onset_n: np.ndarray
    low_n: np.ndarray
    chroma: np.ndarray
    chroma_sums: ChromaSums
    sustained: np.ndarray
    bpms: np.ndarray
    strength: np.ndarray
    single: np.ndarray
    low_strength: np.ndarray
    posterior: np.ndarray
    percussive: float
    downbeat: np.ndarray | None = None
    """The learned downbeat activation [shape=(n,)], or None on the flux-only path."""


@dataclass(frozen=True)
class LevelCandidate:
    """One beat level: its tempo factor against the rules' level, its grid and its features."""

    factor: float
    beats: np.ndarray = field(repr=False)
    period: float
    spread: float
    features: np.ndarray = field(repr=False)


LEVEL_CANDIDATES = (1.0 / 3.0, 0.5, 2.0 / 3.0, 0.75, 1.0, 4.0 / 3.0, 1.5, 2.0, 3.0)
"""Tempo factors the level model chooses among: the octave (x2, /2), triple (x3, /3: a waltz
counted in bars) and sesquialtera relatives (x3/2, x2/3, x4/3, x3/4) of the rules' beat."""
LEVEL_SPANS = (1.0, 2.0, 3.0, 4.0, 8.0)
"""Chord-segment lengths (candidate beats) whose harmonic contrast the model reads."""
LEVEL_FEATURES = (
    "prior",
    "log_tempo",
    "percussive_x_log_tempo",
    "comb",
    "acf",
    "low_comb",
    "onbeat",
    "low_onbeat",
    "bar_fit",
    "beat_fit",
    "bar_contrast",
    "meter",
    "regularity",
    "beat_score",
    "div2",
    "div3",
    "div4",
    "low_div2",
    "low_div3",
    "factor_log",
    "factor_octave",
    "factor_triple",
    "factor_sesqui",
    "factor_four_three",
    "beat_harmony_x_factor",
)
"""Names of the features of a candidate, in order (models/metrical_level.json is fitted on them)."""


def _nested(beats: np.ndarray, factor: float, phase_feats: dict[str, np.ndarray]) -> np.ndarray:
    """The grid at an integer multiple (2, 3) or fraction (1/2, 1/3) of ``beats``: the beats
    divided evenly, or every k-th beat on the phase where chords change and the bass falls."""
    if factor > 1:
        k = int(round(factor))
        steps = np.diff(beats)
        inner = [beats[:-1] + steps * (j / k) for j in range(1, k)]
        return np.sort(np.concatenate([beats, *inner]))
    k = int(round(1.0 / factor))
    return beats[downbeat_phase(phase_feats, k)[0] :: k]


def _onbeat_ratio(x: np.ndarray, beats: np.ndarray) -> float:
    """log of the mean of the positive part of ``x`` [shape=(n,)] at the beats over the mean
    half-way between them (how much more onset energy falls on the beats than between them)."""
    pos = np.maximum(x, 0.0)
    on = _sample(pos, beats)
    off = _sample(pos, beats[:-1] + 0.5 * np.diff(beats))
    return float(np.log((on.mean() + 1e-3) / (off.mean() + 1e-3)))


def _divisions(pattern: np.ndarray) -> tuple[float, float, float]:
    """How strongly the beats divide in 2, 3 and 4: log of the mean onset strength on the half,
    the thirds and the quarters of the beat over that on the beat (``pattern`` [shape=(B, _SUBDIV)]
    from :func:`_beat_features`, averaged over all beats)."""
    profile = np.maximum(pattern, 0.0).mean(axis=0)
    on = profile[0] + 1e-2
    half = profile[_SUBDIV // 2]
    third = 0.5 * (profile[_SUBDIV // 3] + profile[2 * _SUBDIV // 3])
    quarter = 0.5 * (profile[_SUBDIV // 4] + profile[3 * _SUBDIV // 4])
    in_two, in_three, in_four = (float(np.log((v + 1e-2) / on)) for v in (half, third, quarter))
    return in_two, in_three, in_four


BAR_OF_THREE_BPM = 75.0
"""A grid slower than this may be the bars of a fast waltz counted as beats (:func:`bars_of_three`;
tripled, at most 225 BPM: a quarter note that people still tap)."""
BAR_OF_THREE_FLOOR = -0.5
"""The beat's thirds must sound at least exp(-0.5) ~ 0.6 as strongly as the beat itself (log ratio,
:func:`_divisions`)."""
BAR_OF_THREE_MARGIN = 0.5
"""... and exp(0.5) ~ 1.6 times as strongly as its halves and quarters."""


def bars_of_three(feats: dict[str, np.ndarray], tempo: float) -> bool:
    """Whether a slow grid (``tempo`` BPM below BAR_OF_THREE_BPM) counts the bars of a waltz: each of
    its beats sounds in three even parts nearly as strong as the beat (oom-pah-pah: the three
    quarter notes of the bar), clearly more than on its halves and quarters. A slow beat that
    divides in three (a triplet feel, a slow 6/8) sounds its subdivision softer than the beat, and a
    chorale's beat divides in two. ``feats`` from :func:`_beat_features` on the grid."""
    if tempo >= BAR_OF_THREE_BPM or feats["pattern"].shape[0] < 8:
        return False
    in_two, in_three, in_four = _divisions(feats["pattern"][:, :_SUBDIV])
    return in_three >= BAR_OF_THREE_FLOOR and in_three >= max(in_two, in_four) + BAR_OF_THREE_MARGIN


def _candidate_features(
    evidence: PulseEvidence, beats: np.ndarray, period: float, spread: float, factor: float
) -> np.ndarray:
    """The LEVEL_FEATURES of one candidate grid (fractional frames) but the last -> np.ndarray
    [shape=(F - 1,)]; :func:`level_candidates` adds the last, which needs the rules' grid."""
    tempo = 60.0 * evidence.frame_rate / period
    log_bpms = np.log(evidence.bpms)

    def at(curve: np.ndarray) -> float:
        return float(np.interp(np.log(tempo), log_bpms, curve, left=0.0, right=0.0))

    log_tempo = float(np.log2(tempo / 120.0))
    prior = float(np.log2(tempo / prior_mode(evidence.percussive)) / PRIOR_OCTAVES) ** 2
    feats = _beat_features(
        beats, onset=evidence.onset_n, low=evidence.low_n, chroma=evidence.chroma, downbeat=evidence.downbeat
    )
    contrast = {k: harmonic_contrast(evidence.chroma_sums, beats, k) for k in LEVEL_SPANS}
    longest = max(contrast.values())
    bar = max(contrast[3.0], contrast[4.0])
    meter = meter_evidence(feats)
    score = _smooth_for_dp(evidence.beat_score, period)
    log_factor = float(np.log2(factor))
    return np.array(
        [
            prior,
            log_tempo,
            evidence.percussive * log_tempo,
            at(evidence.strength),
            at(evidence.single),
            at(evidence.low_strength),
            _onbeat_ratio(evidence.odf, beats),
            _onbeat_ratio(evidence.low_odf, beats),
            bar / longest if longest > 1e-3 else 0.5,
            contrast[1.0] / longest if longest > 1e-3 else 0.5,
            bar,
            max(meter[3], meter[4]),
            float(np.exp(-((spread / 0.1) ** 2))),
            float(_sample(score, beats).mean()),
            *_divisions(feats["pattern"][:, :_SUBDIV]),
            *_divisions(feats["pattern"][:, _SUBDIV:])[:2],
            log_factor,
            float(abs(abs(log_factor) - 1.0) < 1e-6),
            float(abs(abs(log_factor) - np.log2(3.0)) < 1e-6),
            float(abs(abs(log_factor) - np.log2(1.5)) < 1e-6),
            float(abs(abs(log_factor) - np.log2(4.0 / 3.0)) < 1e-6),
        ]
    )


def level_candidates(evidence: PulseEvidence, beats: np.ndarray, period: float, spread: float) -> list[LevelCandidate]:
    """The rules' grid ``beats`` (fractional frames, period in frames) and its relatives at
    LEVEL_CANDIDATES within MIN_BPM..MAX_BPM, each with its features.

    Multiples and fractions by 2 and 3 nest with the grid; the others (x3/2, x2/3, x4/3, x3/4)
    do not, and are tracked afresh by the dynamic programme at their period.
    """
    tempo = 60.0 * evidence.frame_rate / period
    phase_feats = _beat_features(
        beats, onset=evidence.onset_n, low=evidence.low_n, chroma=evidence.chroma, downbeat=evidence.downbeat
    )
    out = []
    for factor in LEVEL_CANDIDATES:
        if factor != 1.0 and not MIN_BPM <= tempo * factor <= MAX_BPM:
            continue
        if factor == 1.0:
            grid, p, sp = beats, period, spread
        elif factor in (2.0, 3.0, 0.5, 1.0 / 3.0):
            grid = _nested(beats, factor, phase_feats)
            if grid.shape[0] < 8:
                continue
            p, sp = _refine_period(grid)
        else:
            tracked = _track(evidence.beat_score, period / factor, evidence.sustained)
            if tracked is None or tracked[0].shape[0] < 8:
                continue
            grid, p, sp = tracked
        out.append((factor, grid, p, sp, _candidate_features(evidence, grid, p, sp, factor)))
    # How much the chords change on every one of the rules' beats (chorale-like harmony, where
    # the beat is the chord rate) times the candidate's move: lets the model tell a hymn's beat
    # from a band's eighths.
    beat_harmony = next(f for factor, *_, f in out if factor == 1.0)[LEVEL_FEATURES.index("beat_fit")]
    return [
        LevelCandidate(factor, grid, p, sp, np.append(f, beat_harmony * np.log2(factor)))
        for factor, grid, p, sp, f in out
    ]


def level_model_serves(
    evidence: PulseEvidence, beats: np.ndarray, drums_alone: Callable[[], bool] | None = None
) -> bool:
    """Whether the level model may move this grid: percussive music with chords to read and at
    least 16 beats, like the band songs and piano chorales (4/4, 3/4) it was fitted on.
    Sustained voices, organ and strings, and drum loops and click tracks (no chords to read) keep
    the rules' level; so does 6/8 counted in eighth-note pairs, which estimate_rhythm regrids.

    Chords to read: harmony that sounds most of the time, or, given ``drums_alone`` (whether the clip
    is drums alone: :func:`ai.analysis.drums_only.only_drums` of its semitone spectrum, asked only
    here), harmony between silences in a clip that is not drums alone: a horn section's staccato hits sound
    less than half the time, and a big band read at 4/5 of its tempo (71 for 88 BPM) kept that
    level. The model was fitted on the grids the sustained-harmony test alone lets through
    (training passes no ``drums_alone``).

    A grid whose beats divide in three is served: it is as often a 4/4 groove tracked on dotted
    quarters (a clave or tresillo bass pulls the tracker there), which the model moves by 3/2,
    as a shuffle whose level is right, which it keeps (both kinds are in its training songs)."""
    if not (evidence.percussive >= PERCUSSIVE_MIN and beats.shape[0] >= 16):
        return False
    if not _harmony_sustained(evidence.chroma) and (drums_alone is None or drums_alone()):
        return False
    feats = _beat_features(
        beats, onset=evidence.onset_n, low=evidence.low_n, chroma=evidence.chroma, downbeat=evidence.downbeat
    )
    # Three beats to the bar with the kick/bass on every 1.5 of them: 6/8 counted in eighth-note
    # pairs, which estimate_rhythm regrids on the dotted quarters.
    meter = meter_evidence(feats)
    period = float(np.median(np.diff(beats)))
    return not (meter[3] > meter[4] + TRIPLE_MARGIN and dotted_pulse(evidence.low_odf, period))


def shipped_level_model() -> LevelModel | None:
    """metrical_level.json (DAWG_AI_MODELS_DIR, else models/), or None when it is missing or stale
    (logged once)."""
    return load_level_model(model_path(SHIPPED_MODEL), LEVEL_FEATURES)


def describe_shipped_level_model() -> dict[str, Any]:
    """metrical_level.json as /api/v1/models lists it (the file used; loaded, or the reason it is not)."""
    return describe_level_model(model_path(SHIPPED_MODEL), LEVEL_FEATURES)


def choose_level(candidates: list[LevelCandidate], model: LevelModel) -> LevelCandidate:
    """The candidate the model scores highest (the rules' own level, factor 1, is always among
    them and tells the model what kind of music this is)."""
    identity = next(i for i, c in enumerate(candidates) if c.factor == 1.0)
    scores = model.scores(level_rows(np.stack([c.features for c in candidates]), identity))
    return candidates[int(np.argmax(scores))]
