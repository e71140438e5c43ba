"""The beats an accompaniment plays on: the analysis's beats made precise and steady on the recording's onsets.

The analysis's beats sit on a 23 ms frame grid and a beat tracker's own jitter (on rendered band songs
without drums, 7-14 ms of spread around the true beats, with single beats 20-60 ms off); an
accompaniment that lands on them audibly flams. Five steps, on one log-mel spectrogram at a 2.9 ms hop:

1. :func:`refine_beats`: a beat with a prominent onset near it (a drum hit, a click) moves onto it;
   the others move by the analysis's median offset.
2. :func:`fit_beats`: every beat becomes the weighted local parabola through its neighbours (a
   robust local regression over two bars on each side): the recording's tempo curve, followed as it
   drifts, without the beat-to-beat jitter. Beats far off the curve (a tracker's slip) lose their
   weight in the fit instead of bending it; the fit stops at a sudden new tempo or a pause
   (:func:`tempo_breaks`), so neither is smoothed over, nor is a stretch where the tracker lost the
   beat spread into its neighbours.
3. :func:`missed_first_beats`: beats the tracker missed at the start of the music (trackers often
   skip the first one) are put back when the recording has an attack there as strong as its beats'.
4. :func:`follow_soft_attacks`: where every attack is soft (strings, pads: no prominent onset for step 1, and
   few beats with even a mild one: not a dense mix),
   the tracker's beats land 35-60 ms after the notes begin; the beats move onto the foot of the rise of the
   recording's spectrum averaged over all beats (:func:`attack_offset`), which shows a rise no single
   beat's onset strength does, but never earlier than the beats' own attacks (:func:`own_attack_offset`).
5. :func:`~ai.generation.steady_tempo.steady_beats`: a constant-tempo or tempo-ramp grid through the beats
   replaces them unless they sit on clearly stronger onsets (a tempo that moves): on legato renders without
   drums steps 1-4 left a beat-to-beat wave in the tempo map (93.9-166.7 BPM for a constant 123).
"""

from __future__ import annotations

import numpy as np

from ai.generation.steady_tempo import steady_beats

REFINE_SR = 22050
REFINE_HOP = 64  # 2.9 ms: the analysis's beats sit on a 23 ms frame grid; an accompaniment needs better
FRAME_S = REFINE_HOP / REFINE_SR
REFINE_WINDOW_S = 0.05
"""A beat moves to the strongest onset within this distance of it, when that onset stands out."""
REFINE_PROMINENCE = 8.0
"""An onset stands out when its strength is this many times the median strength around it (1 s): a
drum hit or a click, not every piano or strum attack (moving beats onto those made them ~10 ms late
on MMA renders: on six drifting bench songs, 2.0 left 91 % of beats within 20 ms, 8.0 96 %)."""
REFINE_SHIFT_SHARE = 0.5
"""Beats without a prominent onset move by the median move of those with one when at least this share has one."""
REFINE_RISE = 0.35
"""The onset's time: where its strength rises through this share of its peak."""
FIT_HALF_WIDTH = 8
"""The local parabola through a beat uses this many beats on each side (tricube-weighted): long enough to
average a tracker's jitter out, short enough to follow a tempo that changes within a few bars."""
FIT_TOLERANCE_S = 0.015
"""A beat further than this from the local curve is down-weighted (by (tolerance / distance)^2) in the next pass."""
FIT_PASSES = 3
BREAK_INTERVAL = 0.25
"""An interval this far (as a share) from the median of the 8 around it is a pause or a skipped beat: the fit stops there."""
BREAK_TEMPO = 0.10
"""4-beat runs whose median intervals differ by this share are a new tempo: the fit stops there (a 12 %
ramp over 16 bars changes them by about 1 %)."""
FIRST_BEAT_STRENGTH = 0.5
"""A missed first beat is put back when the onset there is at least this share of the median onset at the detected beats."""
FIRST_BEAT_REACH_S = 0.02


ATTACK_BANDS = 8
"""The log-mel spectrum is kept as this many band averages (16 mel bands each) for :func:`attack_offset`."""
ATTACK_BEFORE_S = 0.12
ATTACK_AFTER_S = 0.08
"""The beat-averaged spectrum is read this far before and after the beats."""
ATTACK_SMOOTH = 5
"""Frames (2.9 ms each) the beat-averaged rise is smoothed over."""
ATTACK_GATE_S = 0.025
"""The beats move only when the rise's half-height lies this far before them. On every song of the bench's
dev and tune sets where the rise is clear (piano, guitar, strums) it lies 19 ms before them or less (the
centred 23 ms window sees an attack half a window early), and those beats lie within 14 ms of the notes
(median) already; on the tune songs played by strings alone, whose beats lie 22-63 ms late, it lies up
to 68 ms before them."""
ATTACK_FOOT = 0.25
"""The beats move to where the rise first reaches this share of its height (above its median): the foot of
a slow attack, which starts soon after the notes do; its half-height comes later, the slower the attack."""
ATTACK_CLARITY = 1.0
"""The rise must stand this many times its median above it: a flat average (no attack heard, or no beat
followed) moves nothing. Over the beats of the tune set's songs played by strings alone it stands 0.7-10
times its median (under 1 where the tracker's beats wander too), over an organ hymn the tracker lost
0.5-1.0; 0.75 took a noise bump 80 ms before right beats for the attack (a synthetic bowed chord under
loud noise, 0.85)."""
SOFT_PROMINENCE = 2.0
SOFT_ONSET_SHARE = 0.35
"""Attacks are soft (step 4 may move the beats) only where at most this share of the beats has an onset standing
SOFT_PROMINENCE times over the median around it. Dense real mixes have no onset 8 times over it (step 1's
prominence) but one twice over it at 0.38-0.87 of their beats, on which the tracker's beats lie already (a median
of -11 to +26 ms on data/real_extra's tune split; -4 ms on "Ticket to Ride", moved to -42 ms by step 4); the bench's
songs played by strings alone, whose beats lie 45-63 ms late, at 0.02-0.34 (session 38)."""
ATTACK_MIN_BEATS = 8
ATTACK_OWN_PERCENTILE = 35.0
"""The soft-attack shift stops at this percentile of the beats' own attack offsets (:func:`own_attack_offset`).
Chosen on tune, tune-strings, dev, data/eval and the real tune split (the 25th and the median did a little worse)."""

ONSET_N_FFT = 512
ONSET_BLOCK_FRAMES = 4096
"""Frames of the onset STFT per block: the envelope is computed a block at a time, never from a whole
spectrogram (at a 64-sample hop, librosa's arrays for 30 minutes of audio come to ~1.8 GB)."""
ONSET_TOP_DB = 80.0
ONSET_AMIN = 1e-10
DB_SCALE = 10.0
# librosa shifts the envelope by its lag (1) and half a frame: frame t's rise lands at t + ONSET_SHIFT.
ONSET_SHIFT = ONSET_N_FFT // (2 * REFINE_HOP)


def onset_envelope(mono: np.ndarray) -> np.ndarray:
    """:func:`onset_cues`'s onset strength alone."""
    return onset_cues(mono)[0]


def onset_cues(mono: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(onset strength [shape=(frames,)], band levels [shape=(ATTACK_BANDS, frames)]) of ``mono`` at
    REFINE_SR, from one log-mel spectrogram at a REFINE_HOP hop. The band levels: the log-mel spectrum
    (dB, frame t centred on sample t * REFINE_HOP) averaged over groups of adjacent bands, float16 (an
    hour is 20 MB), for :func:`attack_offset`.

    The onset strength is librosa's,
    ``librosa.onset.onset_strength(y=mono, sr=REFINE_SR, n_fft=512, hop_length=REFINE_HOP, center=True)``,
    computed a block of frames at a time (equal to it within a float32 rounding of the mel projection).

    librosa floors the log-mel spectrogram 80 dB under its loudest value over the whole signal, known only
    at the end: each block is first computed with the floor of the loudest value so far, and the blocks
    computed before the loudest one that hold a value under the final floor (silence, a quiet intro) are
    computed again with it; the others cannot differ (their floor was the final one, or no value of theirs
    is clamped by either floor)."""
    mono = np.asarray(mono, dtype=np.float32)
    n_frames = 1 + len(mono) // REFINE_HOP
    env = np.zeros(n_frames, dtype=np.float32)
    top = -np.inf
    bands = np.zeros((ATTACK_BANDS, n_frames), dtype=np.float16)
    computed: list[tuple[int, float, np.floating]] = []  # (block start, its lowest dB value, the floor used)
    for start in range(0, n_frames, ONSET_BLOCK_FRAMES):
        db = _log_mel(mono, start, n_frames)
        own = db[:, 1:] if start > 0 else db  # the first column is the frame before the block's
        bands[:, start : start + own.shape[1]] = own.reshape(ATTACK_BANDS, -1, own.shape[1]).mean(axis=1)
        top = max(top, float(db.max()))
        floor = np.float32(top) - np.float32(ONSET_TOP_DB)
        computed.append((start, float(db.min()), floor))
        _write_rise(env, start, db, floor)
    for start, low, used in computed:
        if used < floor and low < floor:
            _write_rise(env, start, _log_mel(mono, start, n_frames), floor)
    return env, bands


def _log_mel(mono: np.ndarray, start: int, n_frames: int) -> np.ndarray:
    """librosa's power_to_db (ref 1, no floor) of the mel power of frames ``start - 1`` (the frame a rise
    is measured from; none before frame 0) to the end of the block starting at ``start``."""
    import librosa  # heavy import, only where it is needed

    first_frame = max(start - 1, 0)
    count = min(start + ONSET_BLOCK_FRAMES, n_frames) - first_frame
    first = first_frame * REFINE_HOP - ONSET_N_FFT // 2  # librosa's centred frames: zeros around the signal
    stretch = np.zeros((count - 1) * REFINE_HOP + ONSET_N_FFT, dtype=np.float32)
    lo, hi = max(first, 0), min(first + len(stretch), len(mono))
    if hi > lo:
        stretch[lo - first : hi - first] = mono[lo:hi]
    mel = librosa.feature.melspectrogram(
        y=stretch, sr=REFINE_SR, n_fft=ONSET_N_FFT, hop_length=REFINE_HOP, center=False
    )
    db: np.ndarray = DB_SCALE * np.log10(np.maximum(ONSET_AMIN, mel))
    db -= DB_SCALE * np.log10(np.maximum(ONSET_AMIN, 1.0))
    return db


def _write_rise(env: np.ndarray, start: int, db: np.ndarray, floor: np.floating) -> None:
    """The block's rises (positive log-mel differences from the frame before, averaged over the bands),
    with librosa's floor and shift, into ``env``."""
    floored = np.maximum(db, floor)
    rise = np.maximum(0.0, floored[:, 1:] - floored[:, :-1]).mean(axis=0)
    first_out = max(start, 1) + ONSET_SHIFT  # frame t's rise; frame 0 has none
    stop = min(env.shape[0], first_out + rise.shape[0])
    if stop > first_out:
        env[first_out:stop] = rise[: stop - first_out]


def refine_beats(env: np.ndarray, beat_times: np.ndarray) -> np.ndarray:
    """The analysis's beats moved onto the onsets (``env``, :func:`onset_envelope`) they stand for.

    Each beat moves to the strongest onset within REFINE_WINDOW_S when that onset is prominent
    (a drum hit, a click); a beat without one moves by the median of the others' moves (the
    analysis's own frame offset) when most beats have one. The order of the beats is kept."""
    beats = np.asarray(beat_times, dtype=np.float64)
    if len(beats) == 0:
        return beats
    moved = prominent_onsets(env, beats)
    found = ~np.isnan(moved)
    if not found.any():
        return beats
    # The others move by the analysis's offset only when most beats measured it: a few moves are no offset.
    shift = float(np.median(moved[found] - beats[found])) if found.mean() >= REFINE_SHIFT_SHARE else 0.0
    out = np.where(found, moved, beats + shift)
    out = np.maximum(out, 0.0)
    return out if np.all(np.diff(out) > 0) else beats


def prominent_onsets(env: np.ndarray, beats: np.ndarray, *, prominence: float = REFINE_PROMINENCE) -> np.ndarray:
    """Seconds of the prominent onset (strength over ``prominence`` times the median around it) within
    REFINE_WINDOW_S of each beat, NaN where there is none."""
    reach, context = int(round(REFINE_WINDOW_S / FRAME_S)), int(round(0.5 / FRAME_S))
    moved = np.full(len(beats), np.nan)
    for i, beat in enumerate(beats):
        centre = int(round(beat / FRAME_S))
        lo, hi = max(0, centre - reach), min(len(env), centre + reach + 1)
        if hi <= lo:
            continue
        peak = lo + int(np.argmax(env[lo:hi]))
        around = env[max(0, centre - context) : centre + context + 1]
        if env[peak] > prominence * max(float(np.median(around)), 1e-6):
            # The onset is where the strength rises through REFINE_RISE of its peak: the peak itself
            # lags the attack by 5-20 ms (a click, a piano).
            rise = peak
            while rise > lo and env[rise - 1] > REFINE_RISE * env[peak]:
                rise -= 1
            moved[i] = rise * FRAME_S
    return moved


def fit_beats(beats: np.ndarray, *, half_width: int = FIT_HALF_WIDTH) -> np.ndarray:
    """Each beat replaced by the robust local parabola (time against beat number) through it and
    ``half_width`` beats on each side, within the stretches between tempo breaks (:func:`tempo_breaks`).

    A steady pulse or a tempo that changes steadily (a parabola in time) keeps its times; independent
    jitter shrinks by about the square root of the beats in the window; a sudden tempo change or a
    pause is not smoothed over. A stretch too short to fit keeps its beats; so does the whole when
    the fit would not keep the beats increasing."""
    times = np.asarray(beats, dtype=np.float64)
    bounds = [*tempo_breaks(times), len(times)]
    fitted = np.concatenate(
        [_fit_stretch(times[a:b], half_width) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    )
    fitted = np.maximum(fitted, 0.0)
    return fitted if np.all(np.diff(fitted) > 0) else times


def tempo_breaks(times: np.ndarray) -> list[int]:
    """The beats that open a stretch of steady or steadily changing tempo: 0, and every beat after an
    interval BREAK_INTERVAL off the intervals around it (a pause, a beat the tracker skipped) or
    between 4-beat runs whose median intervals differ by more than BREAK_TEMPO (a new tempo)."""
    intervals = np.diff(times)
    starts = [0]
    for j in range(len(intervals)):
        before, after = intervals[max(0, j - 4) : j], intervals[j + 1 : j + 5]
        if len(before) == 0 or len(after) == 0:
            continue
        around = float(np.median(np.concatenate([before, after])))
        odd = abs(intervals[j] / around - 1.0) > BREAK_INTERVAL
        new_tempo = abs(float(np.median(after)) / float(np.median(before)) - 1.0) > BREAK_TEMPO
        if odd or new_tempo:
            starts.append(j + 1)
    return starts


def _fit_stretch(times: np.ndarray, half_width: int) -> np.ndarray:
    n = len(times)
    if n < 2 * half_width + 1:
        return times
    robust = np.ones(n)
    fitted = times.copy()
    for _ in range(FIT_PASSES):
        for i in range(n):
            # At the ends the window keeps its size, reaching further in: an edge beat's parabola needs
            # as many beats as an inner one's.
            lo = min(max(0, i - half_width), n - 2 * half_width - 1)
            hi = lo + 2 * half_width + 1
            offsets = np.arange(lo - i, hi - i, dtype=np.float64)
            weights = (1.0 - (np.abs(offsets) / (np.abs(offsets).max() + 1)) ** 3) ** 3 * robust[lo:hi]
            design = np.stack([np.ones_like(offsets), offsets, offsets**2], axis=1) * np.sqrt(weights)[:, None]
            coef, *_ = np.linalg.lstsq(design, times[lo:hi] * np.sqrt(weights), rcond=None)
            fitted[i] = coef[0]  # the parabola at offset 0
        distance = np.abs(times - fitted)
        robust = np.where(distance < FIT_TOLERANCE_S, 1.0, (FIT_TOLERANCE_S / np.maximum(distance, 1e-12)) ** 2)
    return fitted


def _attack(env: np.ndarray, time: float, reach_s: float) -> tuple[float, float]:
    """(seconds, strength) of the strongest onset within ``reach_s`` of ``time``: the time where its
    strength rises through REFINE_RISE of its peak, as :func:`refine_beats` places a beat."""
    centre, reach = int(round(time / FRAME_S)), max(1, int(round(reach_s / FRAME_S)))
    lo, hi = max(0, centre - reach), min(len(env), centre + reach + 1)
    if hi <= lo:
        return time, 0.0
    peak = lo + int(np.argmax(env[lo:hi]))
    rise = peak
    while rise > lo and env[rise - 1] > REFINE_RISE * env[peak]:
        rise -= 1
    return rise * FRAME_S, float(env[peak])


def missed_first_beats(env: np.ndarray, beats: np.ndarray, *, limit: int = 4) -> np.ndarray:
    """``beats`` with up to ``limit`` beats put back before the first one: one interval earlier, on the
    attack there, when the recording has one (within REFINE_WINDOW_S) at least FIRST_BEAT_STRENGTH
    as strong as the median attack at its beats (within FIRST_BEAT_REACH_S): a tracker that skipped
    the first beat of the music. Silence before the music gets none."""
    times = np.asarray(beats, dtype=np.float64)
    if len(times) < 2:
        return times
    strength = float(np.median([_attack(env, t, FIRST_BEAT_REACH_S)[1] for t in times[:16]]))
    interval = float(np.median(np.diff(times[:5])))
    added: list[float] = []
    earliest = float(times[0])
    while len(added) < limit and earliest - interval > -REFINE_WINDOW_S and strength > 0:
        at, found = _attack(env, max(earliest - interval, 0.0), REFINE_WINDOW_S)
        if found < FIRST_BEAT_STRENGTH * strength or not 0.5 * interval < earliest - at < 1.5 * interval:
            break
        added.append(at)
        earliest = at
    return np.concatenate([np.asarray(added[::-1]), times]) if added else times


def attack_offset(bands: np.ndarray, beats: np.ndarray) -> float:
    """Seconds to add to ``beats`` to put them on the foot of the recording's attacks, 0.0 where they are
    on them already; ``bands``: :func:`onset_cues`'s band levels.

    The band levels are averaged over the beats (ATTACK_BEFORE_S before each to ATTACK_AFTER_S after), and
    the average's rise summed over the bands, negative steps left out. Averaging before leaving them out
    keeps what one beat's onset strength loses in its noise: a slow string attack rises a fraction of a dB
    a frame, under the flicker of the notes already sounding. Where the rise's half-height lies more than
    ATTACK_GATE_S before the beats (the tracker followed the middle of slow attacks), the offset is the
    rise's foot: where the first run above half its height (over the median) begins above ATTACK_FOOT of it."""
    frames = bands.shape[1]
    before, after = int(round(ATTACK_BEFORE_S / FRAME_S)), int(round(ATTACK_AFTER_S / FRAME_S))
    centres = np.round(np.asarray(beats, dtype=np.float64) / FRAME_S).astype(np.int64)
    centres = centres[(centres - before - 1 >= 0) & (centres + after + 1 < frames)]
    if len(centres) < ATTACK_MIN_BEATS:
        return 0.0
    window = np.arange(-before - 1, after + 2)
    levels = np.zeros((bands.shape[0], len(window)), dtype=np.float64)
    for centre in centres:  # one beat at a time: no (bands, beats, window) array for a long recording
        levels += bands[:, centre + window]
    rise = np.maximum(0.0, np.diff(levels / len(centres), axis=1)).sum(axis=0)
    rise = np.convolve(rise, np.ones(ATTACK_SMOOTH) / ATTACK_SMOOTH, mode="same")
    at = (window[:-1] + 0.5) * FRAME_S  # rise[k] is the step from frame window[k] to the next
    base = float(np.median(rise))
    peak = int(np.argmax(rise))
    height = float(rise[peak]) - base
    if height < ATTACK_CLARITY * base or height <= 0.0:
        return 0.0
    # The first rise to half the height, not the highest: around beats that wander a little, a slow attack's
    # sharp first step smears and its long later climb can stand higher.
    half = int(np.flatnonzero(rise > base + 0.5 * height)[0])
    if at[half] > -ATTACK_GATE_S:
        return 0.0
    foot = half
    while foot > 0 and rise[foot - 1] > base + ATTACK_FOOT * height:
        foot -= 1
    return float(at[foot])


def follow_soft_attacks(env: np.ndarray, bands: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """``beats`` moved by :func:`attack_offset` when most have no prominent onset (``env``) to sit on: where
    they have, :func:`refine_beats` put them there; a beat it would move before time 0 goes (its attack, if
    any, began before the recording)."""
    times = np.asarray(beats, dtype=np.float64)
    if len(times) == 0 or np.mean(~np.isnan(prominent_onsets(env, times))) >= REFINE_SHIFT_SHARE:
        return times
    if np.mean(~np.isnan(prominent_onsets(env, times, prominence=SOFT_PROMINENCE))) > SOFT_ONSET_SHARE:
        return times  # attacks a dense mix blurs, not slow ones: the beats sit on them already
    shift = attack_offset(bands, times)
    if shift < 0.0:
        # Never earlier than the beats' own attacks (:func:`own_attack_offset`): on dense mixes whose sharp attack
        # the beat-averaged rise also shows, its foot lay 15-40 ms before the notes (a Beatles song, a render
        # whose beats were on them already); on strings the beats' own onsets lie up to 50 ms early and bound nothing.
        shift = min(0.0, max(shift, own_attack_offset(env, times)))
    moved = times + shift
    return moved[moved >= 0.0]


def own_attack_offset(env: np.ndarray, beats: np.ndarray) -> float:
    """Seconds from the beats to their own attacks: each beat's strongest onset within REFINE_WINDOW_S, where it
    rises through REFINE_RISE of its peak (:func:`_attack`), ATTACK_OWN_PERCENTILE over the beats (the earlier
    ones: a beat's strongest onset is sometimes the next note's)."""
    offsets = [_attack(env, float(t), REFINE_WINDOW_S)[0] - float(t) for t in beats]
    return float(np.percentile(offsets, ATTACK_OWN_PERCENTILE))


def followed_beats(env: np.ndarray, bands: np.ndarray, beat_times: np.ndarray | list[float]) -> np.ndarray:
    """The analysis's ``beat_times`` through the four steps (:func:`refine_beats`, :func:`fit_beats`,
    :func:`missed_first_beats`, :func:`follow_soft_attacks`) on :func:`onset_cues`'s ``env`` and ``bands``, then
    the steady grid through them where the onsets do not show a tempo that moves (step 5,
    :func:`~ai.generation.steady_tempo.steady_beats`): the beats both the accompaniment's grid and a
    transcription's tempo map and quantise grid stand on."""
    beats = missed_first_beats(env, fit_beats(refine_beats(env, np.asarray(beat_times, dtype=np.float64))))
    return steady_beats(env, follow_soft_attacks(env, bands, beats), FRAME_S)


__all__ = [
    "attack_offset",
    "fit_beats",
    "follow_soft_attacks",
    "followed_beats",
    "missed_first_beats",
    "onset_cues",
    "onset_envelope",
    "own_attack_offset",
    "prominent_onsets",
    "refine_beats",
    "tempo_breaks",
]
