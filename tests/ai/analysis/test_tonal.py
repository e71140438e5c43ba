"""Key, mode, tuning and chords of synthetic chord progressions with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from ai.analysis.features import compute_features
from ai.analysis.tonal import (
    KEY_PROFILES,
    LEGACY_KEY_CONFIG,
    ONE_CHORD,
    ONE_TRIAD_CONFIDENCE,
    TONICS,
    ChordSegment,
    KeyConfig,
    KeyResult,
    ends_like_a_piece,
    estimate_chords,
    estimate_key,
    key_chroma,
    key_correlations,
    refine_fifth_key,
    refine_relative_key,
    relative_key,
    subtract_partials,
)

from .synth import SR, clicks, note, progression

KEY_CASES = [
    ("C major", ["C", "F", "G7", "C"]),
    ("A minor", ["Am", "Dm", "E7", "Am"]),
    ("Eb major", ["Eb", "Ab", "Bb7", "Eb"]),
    ("F# minor", ["F#m", "Bm", "C#7", "F#m"]),
    ("B major", ["B", "E", "F#7", "B"]),
    ("D minor", ["Dm", "Gm", "A7", "Dm"]),
    ("G major", ["G", "C", "D7", "G"]),
]


@pytest.mark.parametrize(("key", "chords"), KEY_CASES)
def test_key_and_mode_of_cadential_progressions(key: str, chords: list[str]) -> None:
    y, _, _ = progression(chords, bpm=120.0)
    result = estimate_key(compute_features(y, SR))
    assert result.key == key
    assert result.runner_up != key
    assert 0.0 < result.confidence <= 1.0
    assert result.score >= result.runner_up_score


@pytest.mark.parametrize("cents", [-40.0, 25.0])
def test_key_survives_a_detuned_recording(cents: float) -> None:
    y, _, _ = progression(["Am", "Dm", "E7", "Am"], tuning_cents=cents)
    features = compute_features(y, SR)
    assert features.tuning_cents == pytest.approx(cents, abs=4.0)
    assert estimate_key(features).key == "A minor"


def test_a_lone_tone_has_no_key_but_a_triad_does() -> None:
    t = np.arange(SR * 3) / SR
    sine = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    lone = estimate_key(compute_features(sine, SR))
    # One pitch class (A, and the D its harmonic summation suggests) fits many keys alike.
    assert lone.key is None and lone.confidence == 0.0 and lone.why_none == "fewer than three pitch classes sound"
    triad = sum(np.sin(2 * np.pi * f * t) for f in (440.0, 554.37, 659.26)).astype(np.float32) * np.float32(0.1)
    assert estimate_key(compute_features(triad, SR)).key == "A major"


def _saw(freq: float, t: np.ndarray) -> np.ndarray:
    return 2.0 * ((freq * t) % 1.0) - 1.0


def test_one_note_with_overtones_has_no_key_but_a_chord_of_the_same_sound_does() -> None:
    """A square wave's odd harmonics spell a major triad over its root: 110 Hz read "A major" at 0.80, a 55 Hz
    sawtooth at 0.98. One note (or it doubled in octaves) has no key; a chord of the same tone keeps its key."""
    t = np.arange(SR * 4) / SR
    square = 0.5 * np.sign(np.sin(2 * np.pi * 110.0 * t))
    octaves = 0.25 * (_saw(110.0, t) + _saw(220.0, t))
    for tone, name in ((square, "A2"), (0.5 * _saw(55.0, t), "A1"), (octaves, "A2")):
        result = estimate_key(compute_features(tone.astype(np.float32), SR))
        assert result.key is None and result.why_none == f"one note sounds ({name} and its overtones)"
    chord = sum(_saw(f, t) for f in (220.0, 277.18, 329.63)) / 6.0
    assert estimate_key(compute_features(chord.astype(np.float32), SR)).key == "A major"


@pytest.mark.parametrize("freq", [880.0, 1000.0, 1500.0])
def test_a_metronome_beep_has_no_key(freq: float) -> None:
    """A click track of sine beeps: the harmonic summation hears a triad below the beep (1 kHz read
    "E minor" at 0.93), the chroma as heard holds one pitch class."""
    t = np.arange(SR * 12) / SR
    y = np.zeros_like(t)
    for start in np.arange(0.0, 12.0, 0.5):
        i = int(start * SR)
        y[i : i + 1000] += np.sin(2 * np.pi * freq * t[:1000]) * np.exp(-np.arange(1000) / 150) * 0.5
    result = estimate_key(compute_features(y.astype(np.float32), SR))
    assert result.key is None and result.why_none == "fewer than three pitch classes sound"


def test_silence_has_no_key() -> None:
    result = estimate_key(compute_features(np.zeros(SR * 2, dtype=np.float32), SR))
    assert result.key is None and result.confidence == 0.0


def test_noise_and_clicks_have_no_confident_key() -> None:
    rng = np.random.default_rng(0)
    noise = (0.1 * rng.standard_normal(SR * 6)).astype(np.float32)
    assert estimate_key(compute_features(noise, SR)).key is None
    tonal_result = estimate_key(compute_features(progression(["C", "F", "G7", "C"])[0], SR))
    click_result = estimate_key(compute_features(clicks(120.0, 6.0), SR))
    assert click_result.confidence < 0.5 * tonal_result.confidence


def test_profiles_are_twelve_weights_and_pick_their_own_tonic() -> None:
    for name, (major, minor) in KEY_PROFILES.items():
        assert len(major) == len(minor) == 12
        for tonic in (0, 4, 9):
            corr = key_correlations(np.roll(np.asarray(major), tonic), (name,))
            assert int(np.argmax(corr)) == tonic
            corr = key_correlations(np.roll(np.asarray(minor), tonic), (name,))
            assert int(np.argmax(corr)) == 12 + tonic


@pytest.mark.parametrize(
    "chords",
    [["C", "Am", "F", "G7"], ["Dm7", "G7", "Cmaj7", "A7"], ["Ebm", "B", "Ab", "Bb7"], ["E", "C#m", "F#m7", "B7"]],
)
def test_chords_per_bar_with_known_downbeats(chords: list[str]) -> None:
    y, beats, downbeats = progression(chords, bpm=100.0)
    segments = estimate_chords(compute_features(y, SR), beat_times=beats, downbeat_times=downbeats)
    bar = downbeats[1] - downbeats[0]
    labels_at = [next(s.label for s in segments if s.start <= d + bar / 2 < s.end) for d in downbeats]
    assert labels_at == chords * 2


def test_chords_per_beat_without_downbeats() -> None:
    y, beats, _ = progression(["G", "D", "Em", "C"], bpm=120.0, beats_per_chord=2)
    segments = estimate_chords(compute_features(y, SR), beat_times=beats, downbeat_times=None)
    labels = [s.label for s in segments if s.label != "N"]
    assert labels == ["G", "D", "Em", "C"] * 2
    assert all(s.end > s.start for s in segments)


def test_chords_of_silence_are_no_chord() -> None:
    y = np.zeros(SR * 4, dtype=np.float32)
    segments = estimate_chords(compute_features(y, SR), beat_times=np.arange(0, 4, 0.5), downbeat_times=None)
    assert [s.label for s in segments] == ["N"]


def test_tonic_names() -> None:
    assert TONICS == ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@pytest.mark.parametrize(
    ("chords", "key"),
    [(["Am", "F", "C", "G"], "A minor"), (["C", "G", "Am", "F"], "C major"), (["Em", "C", "G", "D"], "E minor")],
)
def test_relative_keys_are_told_apart_by_the_opening_and_closing_chords(chords: list[str], key: str) -> None:
    # The two loops share their pitch content; only where the tonic chord sits differs.
    y, beats, downbeats = progression(chords * 2 + chords[:1], bpm=110.0, repeats=1)  # ends on the tonic
    features = compute_features(y, SR)
    segments = estimate_chords(features, beat_times=beats, downbeat_times=downbeats)
    refined = refine_relative_key(estimate_key(features), segments)
    assert refined.key == key
    assert refined.runner_up is not None and refined.key != refined.runner_up


def test_relative_key_names() -> None:
    assert relative_key("A minor") == "C major"
    assert relative_key("Eb major") == "C minor"
    assert relative_key("F# minor") == "A major"


# ------------------------------------------------------------------ distorted and noisy music


def power_chord_riff(tonic_midi: int, *, bpm: float = 150.0, bars: int = 4) -> np.ndarray:
    """Eighth-note power chords (root, fifth, octave) on the minor pentatonic scale of the tonic:
    i i bIII i iv i v bVII | i i bIII iv bIII i bVII v (a rock riff with no third above the tonic)."""
    degrees = (0, 0, 3, 0, 5, 0, 7, 10, 0, 0, 3, 5, 3, 0, 10, 7)
    step = 60.0 / bpm / 2
    n = int(round(bars * 8 * step * SR)) + SR // 2
    y = np.zeros(n, dtype=np.float32)
    for k in range(bars * 8):
        root = tonic_midi + degrees[k % len(degrees)]
        i = int(round(k * step * SR))
        for pitch in (root, root + 7, root + 12):
            tone = note(pitch, step, harmonics=8, amplitude=0.2, decay=1.0)
            y[i : i + len(tone)] += tone[: n - i]
    return y


def overdrive(y: np.ndarray, gain: float = 30.0) -> np.ndarray:
    """A distortion pedal: tanh waveshaping at ``gain`` times full scale, back to a 0.5 peak."""
    shaped = np.tanh(gain * y / np.abs(y).max())
    return (0.5 * shaped / np.abs(shaped).max()).astype(np.float32)


@pytest.mark.parametrize(("tonic_midi", "key"), [(40, "E minor"), (45, "A minor"), (38, "D minor")])
def test_distorted_minor_pentatonic_power_chord_riff_gets_its_minor_key(tonic_midi: int, key: str) -> None:
    riff = power_chord_riff(tonic_midi)
    assert estimate_key(compute_features(riff, SR)).key == key
    result = estimate_key(compute_features(overdrive(riff), SR))
    assert result.key == key and result.confidence > 0.3


@pytest.mark.parametrize(
    ("chords", "key", "before"),
    [(["D", "G", "A", "D"], "D major", "G major"), (["E", "A", "B", "E"], "E major", "E major")],
)
def test_distorted_chords_are_not_read_in_the_subdominant(chords: list[str], key: str, before: str) -> None:
    # Overdrive gives every note a strong 7th partial, a minor seventh above it: the estimator
    # before issue 11 read the D major cadence as G major; the partial subtraction removes it.
    features = compute_features(overdrive(progression(chords, bpm=120.0)[0], gain=20.0), SR)
    assert estimate_key(features).key == key
    assert estimate_key(features, LEGACY_KEY_CONFIG).key == before


def test_flat_but_key_shaped_music_gets_a_key_with_a_low_confidence() -> None:
    # A distorted riff under white noise 14 dB louder: the pitch-class distribution is as flat
    # as noise's (contrast below the gate) but still shaped like E minor.
    riff = overdrive(power_chord_riff(40))
    noise = np.random.default_rng(0).standard_normal(len(riff)).astype(np.float32)
    y = (0.05 * (riff / np.sqrt(np.mean(riff**2)) + 10 ** (14 / 20) * noise)).astype(np.float32)
    features = compute_features(y, SR)
    config = KeyConfig()
    full, bass = key_chroma(features, config)
    pcd = full + config.bass_weight * bass
    assert pcd.std() / pcd.mean() < config.min_contrast
    result = estimate_key(features)
    assert result.key == "E minor"
    assert 0.0 < result.confidence <= config.flat_confidence
    assert estimate_key(features, LEGACY_KEY_CONFIG).key is None  # what the metal recordings got


@pytest.mark.parametrize("seconds", [1.5, 2.0, 6.0])
@pytest.mark.parametrize("colour", ["white", "low", "high"])
def test_noise_of_any_colour_has_no_key(seconds: float, colour: str) -> None:
    rng = np.random.default_rng(int(seconds * 10) + len(colour))
    x = rng.standard_normal(int(seconds * SR) + 64)
    if colour == "low":  # a 64-tap moving average: the energy below ~300 Hz
        x = np.convolve(x, np.ones(64) / 64, mode="valid")
    elif colour == "high":  # a first difference: rising 6 dB per octave
        x = np.diff(x)
    y = (0.1 * x / x.std()).astype(np.float32)
    result = estimate_key(compute_features(y, SR))
    assert result.key is None and result.why_none == "no pitched content"


@pytest.mark.parametrize("bpm", [60.0, 100.0, 140.0, 180.0])
def test_unpitched_clicks_have_no_confident_key(bpm: float) -> None:
    tonal_result = estimate_key(compute_features(progression(["C", "F", "G7", "C"])[0], SR))
    click_result = estimate_key(compute_features(clicks(bpm, 8.0), SR))
    assert click_result.confidence < 0.5 * tonal_result.confidence


def test_subtract_partials_removes_the_share_of_the_pitch_below() -> None:
    spec = np.zeros((50, 3), dtype=np.float32)
    spec[4] = 1.0  # a note
    spec[38] = 0.5  # its 7th partial (34 semitones up)
    spec[40] = 0.5  # a pitch with nothing 34 semitones below
    out = subtract_partials(spec, partials=((34, 0.25),))
    assert out[38] == pytest.approx(0.25) and out[40] == pytest.approx(0.5) and out[4] == pytest.approx(1.0)
    assert subtract_partials(spec, partials=((34, 0.9),))[38] == pytest.approx(0.0)  # floored at 0
    assert subtract_partials(spec, partials=()) is spec


def test_a_clip_ends_like_a_piece_when_its_end_falls_silent() -> None:
    frame_rate = 43.07
    music = np.full(400, 0.1)
    assert not ends_like_a_piece(music, frame_rate)  # cut out of a song
    faded = np.concatenate([music, np.geomspace(0.1, 1e-4, 40)])
    assert ends_like_a_piece(faded, frame_rate)
    assert ends_like_a_piece(music, frame_rate, KeyConfig(piece_end_db=None))


def test_the_opening_and_closing_chords_do_not_decide_for_an_excerpt() -> None:
    # An aeolian loop ending on its tonic, whole (silence after the last chord) and cut mid-chord.
    chords = ["Am", "F", "C", "G"]
    y, beats, downbeats = progression(chords * 2 + chords[:1], bpm=110.0, repeats=1)
    whole = compute_features(y, SR)
    segments = estimate_chords(whole, beat_times=beats, downbeat_times=downbeats)
    assert refine_relative_key(estimate_key(whole), segments).key == "A minor"
    cut = int(round((8 * 4 + 2) * 60.0 / 110.0 * SR))  # two beats into the last bar
    excerpt = compute_features(y[:cut], SR)
    profile = estimate_key(excerpt)
    assert not profile.ends_like_a_piece
    segments = estimate_chords(excerpt, beat_times=beats[beats < cut / SR], downbeat_times=downbeats)
    assert refine_relative_key(profile, segments) is profile


def test_a_rest_inside_a_groove_is_not_the_end_of_a_piece() -> None:
    # A cut in the middle of a song can fall just after a rest whose frames dip 30 dB for a
    # tenth of a second before the band plays on; a piece's last chord decays much further.
    frame_rate = 43.07
    music = np.full(400, 0.1)
    rest = np.concatenate([music, np.full(4, 0.1 * 10 ** (-30 / 20)), np.full(16, 0.1)])
    assert not ends_like_a_piece(rest, frame_rate)
    assert ends_like_a_piece(rest, frame_rate, KeyConfig(piece_end_db=-20.0))  # session 7's threshold
    decay = np.concatenate([music, np.geomspace(0.1, 0.1 * 10 ** (-50 / 20), 30)])
    assert ends_like_a_piece(decay, frame_rate)


def test_a_hit_has_no_key_but_a_short_chord_stab_does() -> None:
    """A 10-ms noise burst in a 4-s file read "E major" at confidence 0.69: pitched sound needs a quarter of a
    second. A half-second chord stab (a sample-library one-shot) keeps its key."""
    rng = np.random.default_rng(0)
    burst = np.zeros(SR * 4, dtype=np.float32)
    burst[SR : SR + 200] = rng.standard_normal(200) * np.exp(-np.arange(200) / 40)
    result = estimate_key(compute_features(burst, SR))
    assert result.key is None and result.why_none == "pitched sound too brief (a hit or a click)"
    t = np.arange(SR // 2) / SR
    stab = np.zeros(SR * 2, dtype=np.float32)
    stab[: SR // 2] = sum(_saw(f, t) for f in (261.63, 329.63, 392.0)) / 6.0 * np.exp(-t * 2)
    assert estimate_key(compute_features(stab, SR)).key == "C major"


def _scored(key: str, scores: dict[str, float]) -> KeyResult:
    """A profile result answering ``key``, every other key 0.2 below the given ones."""
    names = [f"{t} {m}" for m in ("major", "minor") for t in TONICS]
    full = {n: scores.get(n, min(scores.values()) - 0.2) for n in names}
    return KeyResult(key=key, confidence=0.5, runner_up=None, runner_up_score=0.0, score=full[key], scores=full)


def _bars(labels: list[str], seconds: float = 2.0) -> list[ChordSegment]:
    return [ChordSegment(i * seconds, (i + 1) * seconds, label) for i, label in enumerate(labels)]


def test_a_key_a_fifth_below_wins_by_its_tonic_chord_when_the_profiles_nearly_tie() -> None:
    # A piece in C that dwells on its dominant: the profile leans to G major by a hair.
    result = _scored("G major", {"G major": 0.80, "C major": 0.78})
    refined = refine_fifth_key(result, _bars(["C", "F", "D7", "C", "Am", "Dm", "G", "C", "N"]))
    assert refined.key == "C major"
    assert refined.runner_up == "G major" and refined.score == pytest.approx(0.78)
    assert 0.0 < refined.confidence <= 1.0
    # In minor: a symphony's opening in C minor, its first bars on G, read in G minor.
    result = _scored("G minor", {"G minor": 0.70, "C minor": 0.68})
    assert refine_fifth_key(result, _bars(["Cm", "Fm", "D7", "Cm", "Cm", "G7"])).key == "C minor"


def test_the_key_a_fifth_above_is_asked_only_when_configured() -> None:
    # A piece in F read in its subdominant's key, Bb: measured to cost more than it gains.
    result = _scored("Bb major", {"Bb major": 0.80, "F major": 0.78})
    chords = _bars(["F", "Gm", "C7", "F", "Dm", "C7", "F", "N"])
    assert refine_fifth_key(result, chords) is result
    assert refine_fifth_key(result, chords, KeyConfig(fifth_steps=(7,))).key == "F major"


@pytest.mark.parametrize(
    ("scores", "chords", "config"),
    [
        ({"G major": 0.80, "C major": 0.70}, ["C", "C", "G7", "C", "F"], KeyConfig()),  # not a near tie
        ({"G major": 0.80, "C major": 0.78}, ["C", "C", "C", "G", "D"], KeyConfig()),  # G's tonic sounds too
        ({"G major": 0.80, "C major": 0.78}, ["C", "D", "Am", "Em", "Bm", "F", "Dm", "Am", "Em", "Bm"], KeyConfig()),
        ({"G major": 0.80, "C major": 0.78}, ["C", "C", "G7", "C", "F"], KeyConfig(fifth_gap=0.0)),  # off
        ({"G major": 0.80, "C minor": 0.79}, ["Cm", "Cm", "G7", "Cm"], KeyConfig()),  # another mode
        # An E minor loop read in its relative major: its C chord must not pull the key to C major.
        ({"G major": 0.80, "C major": 0.78}, ["Em", "C", "Em", "C", "C", "D"], KeyConfig()),
    ],
)
def test_the_fifth_rule_keeps_the_profile_key_without_the_evidence(
    scores: dict[str, float], chords: list[str], config: KeyConfig
) -> None:
    result = _scored("G major", scores)
    assert refine_fifth_key(result, _bars(chords), config) is result


def test_the_fifth_rule_asks_the_rival_tonic_to_outlast_the_best_keys() -> None:
    result = _scored("G major", {"G major": 0.80, "C major": 0.78})
    # G 14 % and C 24 % of the chord time: C sounds longer, but not twice as long.
    segments = [ChordSegment(0.0, 1.4, "G"), ChordSegment(1.4, 3.8, "C"), ChordSegment(3.8, 10.0, "Am")]
    assert refine_fifth_key(result, segments) is result
    assert refine_fifth_key(result, segments, KeyConfig(fifth_ratio=1.5)).key == "C major"


def test_the_fifth_rule_leaves_no_key_and_no_chords_alone() -> None:
    none = KeyResult(None, 0.0, None, 0.0, 0.0, why_none="no pitched content")
    assert refine_fifth_key(none, _bars(["C", "F"])) is none
    result = _scored("G major", {"G major": 0.80, "C major": 0.79})
    assert refine_fifth_key(result, []) is result
    assert refine_fifth_key(result, _bars(["N", "N"])) is result


def test_one_chord_names_its_key_at_low_confidence() -> None:
    """A 1-s C major triad and 20 minutes of one C chord read "C major" at 0.99 (QA pass 7), though the triad lies in
    C, F and G major and A and E minor alike. One chord keeps the best key, at ONE_TRIAD_CONFIDENCE at most, and says
    why; two chords in turn (C and G, the G in both) and a progression keep theirs."""
    t = np.arange(SR) / SR
    # Three partials (1, 1/2, 1/4), a soft timbre; a sawtooth's triad (0.647 of it in the triad) is missed.
    partials = [
        a * np.sin(2 * np.pi * k * f * t) for f in (261.63, 329.63, 392.0) for k, a in ((1, 1.0), (2, 0.5), (3, 0.25))
    ]
    triad = (sum(partials) / 6.0 * np.exp(-t)).astype(np.float32)
    held, _, _ = progression(["Am"], bpm=120.0, beats_per_chord=4, repeats=3)
    for signal, key in ((triad, "C major"), (held, "A minor")):
        result = estimate_key(compute_features(signal.astype(np.float32), SR))
        assert result.key == key and 0 < result.confidence <= ONE_TRIAD_CONFIDENCE and result.ambiguous == ONE_CHORD
    for labels in (["C", "G"], ["C", "Am", "F", "G"]):
        y, _, _ = progression(labels, bpm=120.0, beats_per_chord=4, repeats=2)
        result = estimate_key(compute_features(y.astype(np.float32), SR))
        assert result.key == "C major" and result.confidence > 0.8 and not result.ambiguous, (labels, result)
