"""Space: wetness measured on synthetic notes with known reverb, the advice, tempo-synced times."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal

from ai.audio.decode import DecodedAudio
from ai.mixing.auto_level import pan_gains
from ai.mixing.measure import TrackInput
from ai.mixing.space import MONO_NOTES_DB, STEREO_TAIL_DB, delay_times, pre_delay, space_findings
from ai.mixing.space_measure import (
    ABSOLUTE_FLOOR_DB,
    NOISE_UNDER_NOTES_DB,
    SpaceMeasure,
    _follow_decays,
    _noise_into_silence,
    measure_space,
)
from ai.mixing.space_model import reverb_db, role_space
from ai.mixing.suggest import suggest
from utils.errors import InvalidParameter

SR = 22050


def bursts(
    *, kind: str = "noise", every: float = 0.5, on: float = 0.1, seconds: float = 16.0, seed: int = 1
) -> np.ndarray:
    """Mono notes (noise bursts or harmonic tones at random pitches) starting every ``every`` s, ``on`` s long."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    out = np.zeros(n)
    t = np.arange(int(on * SR)) / SR
    envelope = np.minimum(1.0, np.minimum(t / 0.005, (on - t) / 0.01))
    for start in range(0, n - t.size - SR, int(every * SR)):
        if kind == "noise":
            note = rng.standard_normal(t.size)
        else:
            f0 = 220.0 * 2 ** (rng.integers(0, 12) / 12)
            note = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 6))
        out[start : start + t.size] += 0.2 * note * envelope
    return out


def diffuse_reverb(mono: np.ndarray, *, rt60_s: float, wet: float, seed: int = 0) -> np.ndarray:
    """Stereo: the dry note in both channels plus a diffuse tail (independent noise per channel, RT60)
    carrying ``wet`` of the energy (unit-energy impulse responses)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(1.5 * rt60_s * SR)) / SR
    decay = np.exp(-3.0 * np.log(10.0) * t / rt60_s)
    channels = []
    for _ in range(2):
        ir = rng.standard_normal(t.size) * decay
        ir /= np.sqrt(np.sum(ir**2))
        tail = scipy.signal.fftconvolve(mono, ir)[: mono.size]
        channels.append(math.sqrt(1 - wet) * mono + math.sqrt(wet) * tail)
    return np.stack(channels).astype(np.float32)


def dry(mono: np.ndarray) -> np.ndarray:
    return np.stack([mono, mono]).astype(np.float32)


def plucks(*, release_s: float = 0.3, every: float = 0.5, seconds: float = 16.0, seed: int = 1) -> np.ndarray:
    """Mono harmonic notes at random pitches every ``every`` s, each dying away in ``release_s`` (an RT60):
    a piano's own slow release, with no reverb."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    out = np.zeros(n)
    t = np.arange(int(every * SR)) / SR
    envelope = np.exp(-3.0 * np.log(10.0) * t / release_s) * np.minimum(1.0, t / 0.003)
    for start in range(0, n - t.size - SR, t.size):
        f0 = 220.0 * 2 ** (rng.integers(0, 12) / 12)
        out[start : start + t.size] += 0.2 * envelope * sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 6))
    return out


def stereo_sample(mono: np.ndarray) -> np.ndarray:
    """A stereo recording of one instrument: the right channel is the left one through a fixed filter
    (0.3 ms later, low-passed at 3 kHz, 2 dB softer)."""
    b, a = scipy.signal.butter(2, 3000, fs=SR)
    right = scipy.signal.lfilter(b, a, np.concatenate([np.zeros(13), mono])[: mono.size])
    return np.stack([mono, 0.8 * right]).astype(np.float32)


def with_reverb(stereo: np.ndarray, mono: np.ndarray, *, rt60_s: float, wet: float) -> np.ndarray:
    """``stereo`` plus the diffuse tail :func:`diffuse_reverb` gives ``mono``."""
    tail = diffuse_reverb(mono, rt60_s=rt60_s, wet=wet) - math.sqrt(1 - wet) * mono
    return (stereo + tail).astype(np.float32)


# --- tempo ---------------------------------------------------------------------------------------


def test_delay_times_follow_the_tempo():
    times = delay_times(120)
    assert times["1/4"] == pytest.approx(500.0)
    assert times["1/8 dotted"] == pytest.approx(375.0)
    assert times["1/8"] == pytest.approx(250.0)
    assert times["1/8 triplet"] == pytest.approx(166.667, abs=0.01)
    assert times["1/16"] == pytest.approx(125.0)
    assert delay_times(90)["1/4"] == pytest.approx(666.667, abs=0.01)


@pytest.mark.parametrize("tempo", [0, -5, 1000, float("nan")])
def test_delay_times_refuse_impossible_tempos(tempo):
    with pytest.raises(InvalidParameter):
        delay_times(tempo)


def test_pre_delay_is_a_short_note_value_within_10_to_40_ms():
    assert pre_delay(120) == (pytest.approx(31.25), "1/64")
    ms, note = pre_delay(70)
    assert note == "1/128" and ms == pytest.approx(26.79, abs=0.01)
    assert pre_delay(200) == (pytest.approx(37.5), "1/32")
    assert pre_delay(None) == (20.0, "free")


# --- measuring -----------------------------------------------------------------------------------


def test_dry_bursts_have_no_tail_and_no_width():
    m = measure_space(samples=dry(bursts()), sr=SR)
    assert m.reliable
    assert m.tail_db is None and m.decay_s is None
    assert m.tail_width_db == pytest.approx(0.0, abs=0.5)
    assert m.clear_share > 0.9


@pytest.mark.parametrize("rt60", [1.0, 2.0])
def test_decay_time_of_a_known_reverb(rt60):
    m = measure_space(samples=diffuse_reverb(bursts(every=1.0 if rt60 > 1 else 0.5), rt60_s=rt60, wet=0.5), sr=SR)
    assert m.tail_db is not None
    assert m.decay_s == pytest.approx(rt60, rel=0.3)
    assert m.tail_width_db > 3.0  # a diffuse tail is wider than the (mono) notes (dry: 0 dB)


def test_a_louder_reverb_starts_its_tail_higher():
    notes = bursts()
    soft = measure_space(samples=diffuse_reverb(notes, rt60_s=1.0, wet=0.1), sr=SR)
    loud = measure_space(samples=diffuse_reverb(notes, rt60_s=1.0, wet=0.5), sr=SR)
    assert soft.tail_db - loud.tail_db == pytest.approx(10 * math.log10(0.5 / 0.1 * 0.9 / 0.5), abs=4.0)
    assert reverb_db(loud) > reverb_db(soft) + 4.0


def test_sustained_dry_notes_are_not_a_tail():
    # A pad-like part: harmonic notes held 1.9 s of every 2 s, stopping dry.
    m = measure_space(samples=dry(bursts(kind="tone", every=2.0, on=1.9, seconds=30.0)), sr=SR)
    assert m.reliable
    assert m.tail_db is None and m.decay_s is None


def test_a_stereo_sample_stays_coherent_where_a_reverb_tail_does_not():
    # A wide instrument with its own slow release: its width says little, its channels' phase does.
    notes = plucks()
    sample = measure_space(samples=stereo_sample(notes), sr=SR)
    assert sample.tail_coherence is not None and sample.tail_coherence > 0.95
    assert sample.note_coherence is not None and sample.note_coherence > 0.95
    soft_reverb = measure_space(samples=with_reverb(stereo_sample(notes), notes, rt60_s=1.2, wet=0.05), sr=SR)
    assert soft_reverb.tail_coherence is not None and soft_reverb.tail_coherence < 0.8
    assert soft_reverb.note_coherence is not None and soft_reverb.note_coherence > soft_reverb.tail_coherence + 0.1


def panned(stereo: np.ndarray, pan: float) -> np.ndarray:
    """``stereo`` through the render's constant-power pan law (a stem exported after its pan)."""
    left, right = pan_gains(pan)
    return (stereo * np.array([[left], [right]])).astype(np.float32)


@pytest.mark.parametrize("pan", [-0.3, 0.6])
def test_a_placement_is_not_space(pan: float) -> None:
    # A reverberant part panned reads as it does centred, whether the pan is told (a render's placement)
    # or not (a stem exported after its pan): the level difference between the channels is no width.
    notes = bursts(kind="tone", every=0.5, on=0.2)
    centred = diffuse_reverb(notes, rt60_s=1.0, wet=0.05)
    here = measure_space(samples=centred, sr=SR)
    for placed in (
        measure_space(samples=panned(centred, pan), sr=SR, channel_gains=pan_gains(pan)),
        measure_space(samples=panned(centred, pan), sr=SR),
    ):
        assert placed.tail_width_db == pytest.approx(here.tail_width_db, abs=0.1)
        assert placed.note_width_db == pytest.approx(here.note_width_db, abs=0.1)
        assert placed.tail_db == pytest.approx(here.tail_db, abs=0.1)
        assert placed.tail_coherence == pytest.approx(here.tail_coherence, abs=0.01)


def test_channels_far_apart_are_measured_as_the_louder_one() -> None:
    # 0.95 to one side puts the channels 26 dB apart: balancing would lift the quiet one's noise into a
    # wide "tail", so the louder channel is measured alone (MAX_BALANCE_DB).
    notes = bursts(kind="tone", every=0.5, on=0.2)
    far = measure_space(samples=panned(diffuse_reverb(notes, rt60_s=1.0, wet=0.2), 0.95), sr=SR)
    assert far.reliable and far.tail_db is not None
    assert far.tail_width_db is None and far.note_width_db is None and far.tail_coherence is None


def test_a_part_placed_hard_to_one_side_is_measured_as_mono() -> None:
    notes = bursts(kind="tone", every=0.5, on=0.2)
    hard = measure_space(
        samples=panned(diffuse_reverb(notes, rt60_s=1.0, wet=0.2), -1.0), sr=SR, channel_gains=pan_gains(-1.0)
    )
    assert hard.reliable and hard.tail_db is not None
    assert hard.tail_width_db is None and hard.note_width_db is None and hard.tail_coherence is None


def test_the_deep_decay_is_the_reverb_not_the_release():
    notes = plucks(every=1.5)
    release = measure_space(samples=stereo_sample(notes), sr=SR)
    assert release.deep_decay_s == pytest.approx(0.3, rel=0.2)  # the notes' own release
    reverb = measure_space(samples=with_reverb(stereo_sample(notes), notes, rt60_s=1.2, wet=0.05), sr=SR)
    assert reverb.deep_decay_s is not None and reverb.deep_decay_s > 2 * release.deep_decay_s


def band_trace(*parts: tuple[float, float, int]) -> np.ndarray:
    """A band's level (dB per frame): straight lines from each (start dB, end dB, frames) part."""
    return np.concatenate([np.linspace(a, b, n, endpoint=False) for a, b, n in parts])


REACH = 4  # frames before digital silence that read part of it (a 23 ms window and the smoothing)


def follow(level: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """The free decay from frame 0 of ``level`` (floor -104 dB): its crossings, depth and whether it ended censored."""
    level = np.maximum(level, ABSOLUTE_FLOOR_DB)
    silent = _noise_into_silence(level, REACH, float(level[0]) - NOISE_UNDER_NOTES_DB)
    crossings, _, depth, floored = _follow_decays(level, silent, np.array([0]), -104.0, 3.0, 60)
    return crossings[0], float(depth[0]), bool(floored[0])


def test_a_decay_that_sits_in_noise_and_steps_into_digital_silence_ends_there_censored():
    # A quiet 16-bit export gained up: the note (-20 dB) falls slowly into its quantisation noise (-50 dB),
    # which stops in exact zeros; the frames whose window reaches the zeros fall 30 dB in 3 frames.
    level = band_trace((-20, -50, 60), (-50, -50, 30), (-52, -80, 4), (-300, -300, 50))
    crossings, depth, floored = follow(level)
    assert floored and depth == pytest.approx(30, abs=1)
    assert np.isnan(crossings[31:]).all()  # the step into the zeros is no part of the decay
    assert crossings[30] == pytest.approx(60, abs=2)


def test_a_held_note_cut_into_silence_and_a_release_into_silence_keep_their_fall():
    for level in (
        band_trace((-20, -21, 30), (-30, -80, 4), (-300, -300, 50)),  # held, then cut (a dry render)
        band_trace((-20, -60, 20), (-65, -90, 4), (-300, -300, 50)),  # falling all the way
    ):
        crossings, depth, floored = follow(level)
        assert floored and depth >= 60 and not np.isnan(crossings[60])


def test_mono_and_silent_input():
    mono = bursts()[np.newaxis, :].astype(np.float32)
    m = measure_space(samples=mono, sr=SR)
    assert m.tail_width_db is None and m.note_width_db is None and m.tail_db is None
    assert m.tail_coherence is None and m.note_coherence is None
    silent = measure_space(samples=np.zeros((2, SR * 2), np.float32), sr=SR)
    assert silent.decays == 0 and not silent.reliable
    assert space_findings(name="x", role="lead", measure=silent, tempo_bpm=120, norms=role_space("lead")) == []


def test_bad_input_is_refused():
    with pytest.raises(InvalidParameter):
        measure_space(samples=np.zeros(100, np.float32), sr=SR)
    with pytest.raises(InvalidParameter):
        measure_space(samples=np.zeros((2, 100), np.float32), sr=4000)


# --- findings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pan", [-0.3, 0.6])
def test_a_panned_mono_guitar_with_a_normal_room_is_not_too_dry(pan: float) -> None:
    """DAWs export stems after their pan: a mono guitar with a room (-20 dB, 1.2 s) panned 0.3 left arrives
    with its left channel 4 dB over its right, and suggest() is told of no pan. The level difference read as
    width (notes 15 dB wider, the tail no wider than them) and the guitar as "too dry", medium (session 32)."""
    room = diffuse_reverb(plucks(release_s=1.0), rt60_s=1.2, wet=0.01)

    def space(samples: np.ndarray) -> list[tuple[str, str]]:
        report = suggest([TrackInput("Guitar", DecodedAudio(samples, SR), role="guitar")], tempo_bpm=120)
        return [(s.evidence["problem"], s.priority) for s in report.suggestions if s.type == "space" and not s.info]

    exported = space(panned(room, pan))
    assert not [f for f in exported if f[0] == "too_dry"], exported
    assert exported == space(room)


def test_a_drowned_snare_is_too_wet_with_a_cut():
    wet = diffuse_reverb(bursts(every=0.5, on=0.08), rt60_s=3.0, wet=0.5)
    m = measure_space(samples=wet, sr=SR)
    (finding,) = space_findings(name="Snare", role="snare", measure=m, tempo_bpm=100, norms=role_space("snare"))
    assert finding.type == "space" and finding.track == "Snare"
    assert finding.evidence["problem"] == "too_wet"
    assert finding.priority in ("medium", "high") and not finding.info
    reverb = finding.action["reverb"]
    assert finding.action["kind"] == "reverb"
    assert reverb["wet_change_db"] <= -3
    assert reverb["decay_s"] is not None and reverb["decay_s"] < 2.0  # shorten the 3 s tail
    assert reverb["duck_release_ms"] == pytest.approx(300.0)  # an eighth note at 100 BPM


def test_a_bone_dry_lead_gets_reverb_and_a_synced_delay():
    m = measure_space(samples=dry(bursts(kind="tone", every=0.5, on=0.4)), sr=SR)
    findings = space_findings(name="Lead", role="lead", measure=m, tempo_bpm=120, norms=role_space("lead"))
    problems = [f for f in findings if not f.info]
    assert len(problems) == 1 and problems[0].evidence["problem"] == "too_dry"
    reverb = problems[0].action["reverb"]
    assert reverb["type"] == "plate"
    assert reverb["pre_delay_ms"] == pytest.approx(31.25, abs=0.1)  # a 1/64 note at 120 BPM
    assert reverb["send_db"] < 0 and reverb["decay_s"] > 0.2
    (delay,) = [f for f in findings if f.action["kind"] == "delay"]
    assert delay.info and delay.action["delay"]["time_ms"] == pytest.approx(375.0)


def test_the_same_dry_part_on_a_bass_is_not_a_problem():
    m = measure_space(samples=dry(bursts(kind="tone", every=0.5, on=0.4)), sr=SR)
    findings = space_findings(name="Bass", role="bass", measure=m, tempo_bpm=120, norms=role_space("bass"))
    assert all(f.priority == "low" for f in findings)


@pytest.mark.parametrize("role", ["snare", "hihat"])
def test_a_dry_close_miked_drum_is_information_not_a_problem(role: str) -> None:
    """A real session's snare and hi-hat tracks are close microphones or samples, dry by nature (the room
    is the overheads' or a bus reverb's); a clean hi-hat was "too dry", medium, on csound's renders."""
    m = measure_space(samples=dry(bursts(every=0.25, on=0.05)), sr=SR)
    findings = space_findings(name="HH", role=role, measure=m, tempo_bpm=120, norms=role_space(role))
    dry_findings = [f for f in findings if f.evidence.get("problem") == "too_dry"]
    assert dry_findings and all(f.info and f.priority == "low" for f in dry_findings)
    assert "dry is common for this role" in dry_findings[0].message


def test_dry_speech_is_information_where_a_dry_lead_is_a_problem() -> None:
    """Speech takes the lead lines' norms, but a podcast or voice-over is kept dry: the same bone-dry part that
    is a lead's problem is information on speech (a LibriSpeech reading heard as speech was "too dry", medium)."""
    m = measure_space(samples=dry(bursts(kind="tone", every=0.5, on=0.4)), sr=SR)
    lead = space_findings(name="Lead", role="lead", measure=m, tempo_bpm=120, norms=role_space("lead"))
    speech = space_findings(name="Host", role="speech", measure=m, tempo_bpm=120, norms=role_space("speech"))
    assert any(not f.info and f.priority == "medium" for f in lead)
    (finding,) = speech  # no delay either: speech is no delay role
    assert finding.info and finding.priority == "low" and "dry is common for this role" in finding.message


def test_a_music_bed_is_a_finished_mix_and_gets_no_space_advice() -> None:
    """A podcast's music bed (role "music") is a released song: "sounds dry for a music part: send it to a hall
    reverb" (medium) would wash the whole song; the same dry part on keys is still advice."""
    m = measure_space(samples=dry(bursts(kind="tone", every=0.5, on=0.4)), sr=SR)
    assert space_findings(name="Music", role="music", measure=m, tempo_bpm=120, norms=role_space("music")) == []
    assert space_findings(name="Keys", role="keys", measure=m, tempo_bpm=120, norms=role_space("keys"))


def test_a_bone_dry_mono_guitar_is_a_medium_problem():
    m = measure_space(samples=dry(plucks(release_s=2.0)), sr=SR)
    assert m.tail_width_db is not None and abs(m.tail_width_db) < 0.1
    (finding,) = space_findings(name="Guitar", role="guitar", measure=m, tempo_bpm=120, norms=role_space("guitar"))
    assert finding.evidence["problem"] == "too_dry" and finding.priority == "medium" and not finding.info


def test_a_ringing_mono_guitar_with_a_faint_stereo_reverb_is_low_advice():
    """A mono part whose notes ring over a faint reverb reads dry to the model (csound's guitars carry the usual
    -24 dB send and read p 0.83-0.86), but its tails are wider than its notes: reverb is there, so more is taste."""
    mono = plucks(release_s=2.0)
    m = measure_space(samples=diffuse_reverb(mono, rt60_s=1.5, wet=0.002), sr=SR)  # -27 dB (0.003 until session 32)
    norms = role_space("guitar")
    assert norms.dry.probability(norms.model_input(m)) >= norms.dry.medium  # the model alone says medium
    assert m.note_width_db is not None and m.note_width_db <= MONO_NOTES_DB
    assert m.tail_width_db is not None and m.tail_width_db >= STEREO_TAIL_DB
    (finding,) = space_findings(name="Guitar", role="guitar", measure=m, tempo_bpm=120, norms=norms)
    assert finding.evidence["problem"] == "too_dry" and finding.priority == "low" and not finding.info
    assert "wider than its mono notes" in finding.message


def test_unreliable_measures_give_no_findings():
    m = SpaceMeasure(None, None, None, None, None, None, None, None, None, 3, False)
    assert space_findings(name="Pad", role="pad", measure=m, tempo_bpm=None, norms=role_space("pad")) == []


def test_every_role_has_norms():
    from ai.mixing.roles import ROLES

    for role in ROLES:
        norms = role_space(role)
        assert norms.stems > 0 and norms.medians.shape[0] > 0
