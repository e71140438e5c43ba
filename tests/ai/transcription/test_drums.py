"""Drum transcription (models/drum_transcription.npz, evaluated in numpy) on a rendered groove with
known hits: four-on-the-floor kick, backbeat snare and eighth-note closed hats."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from ai.audio.decode import DecodedAudio
from ai.transcription import drums
from ai.transcription.drums import (
    CLASSES,
    FRAME_RATE,
    HIHAT_CLOSED,
    HIHAT_OPEN,
    N_MELS,
    SHIPPED_MODEL,
    DrumHit,
    DrumNet,
    class_onsets,
    hihat_peaks,
    load,
    mel_frames,
    network_input,
    pick_peaks,
    shipped_drum_net,
    transcribe_drums,
)
from utils.errors import ModelUnavailable

BPM = 110.0
BEAT = 60.0 / BPM
BARS = 4
START = 0.5
# sf_GMbank is never used in training: the test hears a kit the model has not
SOUNDFONT = Path("/usr/share/sounds/sf2/sf_GMbank.sf2")


def groove() -> dict[int, list[float]]:
    """GM note -> onset times (s): kick on every beat, snare on 2 and 4, closed hat on eighths."""
    beats = [START + i * BEAT for i in range(4 * BARS)]
    return {
        36: beats,
        38: [t for i, t in enumerate(beats) if i % 2 == 1],
        42: [START + i * BEAT / 2 for i in range(8 * BARS)],
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> DecodedAudio:
    if shutil.which("fluidsynth") is None or not SOUNDFONT.exists():
        pytest.skip("needs fluidsynth and the sf_GMbank soundfont (scripts/setup.sh installs them)")
    work = tmp_path_factory.mktemp("drums")
    pm = pretty_midi.PrettyMIDI(initial_tempo=BPM)
    kit = pretty_midi.Instrument(program=0, is_drum=True)
    for pitch, times in groove().items():
        kit.notes += [pretty_midi.Note(100 if pitch != 42 else 80, pitch, t, t + 0.1) for t in times]
    pm.instruments.append(kit)
    pm.write(str(work / "groove.mid"))
    wav = work / "groove.wav"
    command = [
        "fluidsynth",
        "-ni",
        "-g",
        "0.5",
        "-r",
        "44100",
        "-F",
        str(wav),
        str(SOUNDFONT),
        str(work / "groove.mid"),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    y, sr = sf.read(str(wav), dtype="float32", always_2d=True)
    return DecodedAudio(samples=np.ascontiguousarray(y.T), sample_rate=sr)  # stereo, 44.1 kHz


@pytest.fixture(scope="module")
def hits(rendered: DecodedAudio) -> list[DrumHit]:
    return transcribe_drums(rendered)


def test_shipped_model_loads_with_its_classes() -> None:
    net = load(SHIPPED_MODEL)
    assert net.head[0].shape[1] == len(CLASSES) == net.thresholds.size
    assert np.all((net.thresholds > 0) & (net.thresholds < 1))
    assert shipped_drum_net() is shipped_drum_net()  # loaded once


def test_activation_shapes() -> None:
    net = shipped_drum_net()
    y = np.random.default_rng(0).standard_normal(22050).astype(np.float32) * 0.1
    x = network_input(mel_frames(y))
    assert x.shape == (1 + 22050 // 220, N_MELS)
    act = net.activations(x)
    assert act.shape == (x.shape[0], len(CLASSES))
    assert np.all((act >= 0) & (act <= 1))


@pytest.mark.parametrize("pitch", [36, 38, 42])
def test_groove_hits_found_within_50_ms(hits: list[DrumHit], pitch: int) -> None:
    found = np.asarray([h.time for h in hits if h.pitch == pitch])
    expected = groove()[pitch]
    missed = [t for t in expected if found.size == 0 or np.min(np.abs(found - t)) > 0.05]
    assert not missed, f"GM {pitch}: missed {missed}; found {found.tolist()}"
    extra = [t for t in found if np.min(np.abs(np.asarray(expected) - t)) > 0.05]
    assert len(extra) <= 0.1 * len(expected), f"GM {pitch}: extra hits {extra}"


def test_hits_are_well_formed(hits: list[DrumHit]) -> None:
    assert hits == sorted(hits, key=lambda h: (h.time, h.pitch))
    assert all(1 <= h.velocity <= 127 and h.time >= 0 for h in hits)
    assert {h.pitch for h in hits} <= {pitch for _, pitch in CLASSES}


def test_silence_gives_no_hits() -> None:
    silence = DecodedAudio(samples=np.zeros((2, 44100 * 3), dtype=np.float32), sample_rate=44100)
    assert transcribe_drums(silence) == []
    quiet = DecodedAudio(samples=np.full((1, 48000 * 2), 1e-6, dtype=np.float32), sample_rate=48000)
    assert transcribe_drums(quiet) == []
    empty = DecodedAudio(samples=np.zeros((1, 0), dtype=np.float32), sample_rate=44100)
    assert transcribe_drums(empty) == []


def test_pick_peaks_keeps_the_higher_of_close_peaks() -> None:
    a = np.zeros(100, dtype=np.float32)
    a[[10, 11, 12, 50, 52, 80]] = [0.3, 0.9, 0.2, 0.6, 0.7, 0.4]
    assert pick_peaks(a, 0.5).tolist() == [11, 52]
    assert pick_peaks(a, 0.35).tolist() == [11, 52, 80]
    assert round(0.03 * FRAME_RATE) == 3


def test_missing_model_is_model_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(OSError):
        load(tmp_path / "absent.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, frame_rate=np.asarray(FRAME_RATE))
    with pytest.raises(ValueError):
        load(bad)

    def missing() -> DrumNet:
        return load(tmp_path / "absent.npz")

    monkeypatch.setattr(drums, "_cached_shipped", missing)
    with pytest.raises(ModelUnavailable):
        transcribe_drums(DecodedAudio(samples=np.zeros((1, 100), dtype=np.float32), sample_rate=44100))


def test_features_then_hits_equal_drum_hits_and_the_input_in_place_equals_a_copy() -> None:
    """The route makes the drum model's input before the analysis and runs the network after it."""
    from ai.transcription.drums import SR, drum_features, drum_hits, hits_of

    y = np.random.default_rng(2).standard_normal(SR * 3).astype(np.float32) * 0.05
    y[:: SR // 4] += 0.9  # clicks
    mel = mel_frames(y)
    assert np.array_equal(network_input(mel.copy(), in_place=True), network_input(mel))
    assert hits_of(drum_features(y), signal=y) == drum_hits(y)


def _activation_with_hats(frames: int = 120) -> np.ndarray:
    """Activations [frames, n_classes]: a hat hit split between closed (0.45) and open (0.40) at frame
    20, an open hat at 50, and both hat classes sure at once at 80."""
    act = np.zeros((frames, len(CLASSES)), dtype=np.float32)
    act[[19, 20, 21], HIHAT_CLOSED] = [0.2, 0.45, 0.2]
    act[[19, 20, 21], HIHAT_OPEN] = [0.1, 0.40, 0.1]
    act[[49, 50, 51], HIHAT_OPEN] = [0.3, 0.7, 0.3]
    act[50, HIHAT_CLOSED] = 0.2
    act[80, [HIHAT_CLOSED, HIHAT_OPEN]] = [0.9, 0.9]
    return act


def test_hihat_peaks_take_closed_and_open_as_one_instrument() -> None:
    closed, opened, summed = hihat_peaks(_activation_with_hats(), 0.8)
    assert closed.tolist() == [20, 80]  # the split hit, and one hit (not two) where both are sure
    assert opened.tolist() == [50]  # the larger of the two names the hit
    assert summed[20] == pytest.approx(0.85)
    assert hihat_peaks(_activation_with_hats(), 0.9)[0].tolist() == [80]


def test_class_onsets_pick_the_hats_jointly_only_with_a_hihat_threshold() -> None:
    shipped = shipped_drum_net()
    act = _activation_with_hats()
    thresholds = np.full(len(CLASSES), 0.85, dtype=np.float32)
    separate = DrumNet(shipped.front, shipped.blocks, shipped.head, thresholds)
    joint = DrumNet(shipped.front, shipped.blocks, shipped.head, thresholds, hihat_threshold=0.8)

    def as_pitches(net: DrumNet) -> dict[int, list[int]]:
        return {CLASSES[c][1]: frames.tolist() for c, frames, _ in class_onsets(act, net) if frames.size}

    assert as_pitches(separate) == {42: [80], 46: [80]}  # the split hit and the 0.7 open hat are lost
    assert as_pitches(joint) == {42: [20, 80], 46: [50]}


def test_the_hihat_threshold_goes_through_the_file(tmp_path: Path) -> None:
    shipped = load(SHIPPED_MODEL)
    path = tmp_path / "joint.npz"
    drums.save(path, DrumNet(shipped.front, shipped.blocks, shipped.head, shipped.thresholds, 0.8))
    assert load(path).hihat_threshold == pytest.approx(0.8)
    drums.save(path, shipped)
    assert load(path).hihat_threshold is None  # a file without one picks each hat class on its own
    arrays = dict(np.load(path))
    arrays["hihat_threshold"] = np.asarray(2.5)
    np.savez(path, **arrays)
    with pytest.raises(ValueError):
        load(path)


def _tone_and_clicks(clicks: tuple[float, ...] = (1.0, 2.0, 3.0)) -> tuple[np.ndarray, list[int]]:
    """4 s of a sustained 220 + 440 Hz tone with short clicks on top: (signal at SR, the clicks' frames)."""
    t = np.arange(drums.SR * 4) / drums.SR
    y = 0.3 * np.sin(2 * np.pi * 220.0 * t) + 0.2 * np.sin(2 * np.pi * 440.0 * t)
    for at in clicks:
        start = int(at * drums.SR)
        y[start : start + 50] += 0.8 * np.hanning(50)
    return y.astype(np.float32), [round(at * FRAME_RATE) for at in clicks]


def test_the_percussive_view_suppresses_a_sustained_tone_and_keeps_a_click() -> None:
    y, click_frames = _tone_and_clicks()
    mel = np.expm1(network_input(mel_frames(y)))
    percussive = drums.percussive_mel(mel)
    assert percussive.shape == mel.shape and np.all(percussive >= 0) and np.all(percussive <= mel + 1e-6)
    tone_frame = 150  # 1.5 s: the tone alone
    tone_band = int(np.argmax(mel[tone_frame]))
    assert percussive[tone_frame, tone_band] < 1e-3 * mel[tone_frame, tone_band]
    assert percussive[tone_frame].sum() < 0.1 * mel[tone_frame].sum()
    for frame in click_frames:  # most of a click's broadband energy stays
        assert percussive[frame].sum() > 0.4 * mel[frame].sum()
    assert np.allclose(drums.percussive_mel(mel * 7.0), 7.0 * percussive, rtol=1e-4, atol=1e-4)  # masks are ratios


def test_the_percussive_median_equals_scipys_and_blocks_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    from scipy.ndimage import median_filter

    mel = np.random.default_rng(3).gamma(1.0, 2.0, size=(205, N_MELS)).astype(np.float32)
    for size, axis, footprint in ((drums.HPSS_FRAMES, 0, (drums.HPSS_FRAMES, 1)), (drums.HPSS_BANDS, 1, (1, 7))):
        assert np.array_equal(drums._median(mel, size, axis), median_filter(mel, size=footprint, mode="reflect"))
    whole = drums.percussive_mel(mel)
    monkeypatch.setattr(drums, "HPSS_BLOCK", 37)
    assert np.array_equal(drums.percussive_mel(mel), whole)


def test_view_input_lays_the_views_side_by_side() -> None:
    y, _ = _tone_and_clicks()
    x = network_input(mel_frames(y))
    assert drums.view_input(x, "mel") is x
    both = drums.view_input(x, "mel+percussive")
    alone = drums.view_input(x, "percussive")
    assert both.shape == (x.shape[0], 2 * N_MELS) and alone.shape == x.shape
    assert np.array_equal(both[:, :N_MELS], x) and np.array_equal(both[:, N_MELS:], alone)
    np.testing.assert_allclose(alone, np.log1p(drums.percussive_mel(np.expm1(x))), rtol=1e-6)
    with pytest.raises(ValueError):
        drums.view_input(x, "harmonic")


def _golden_signal() -> np.ndarray:
    """3 s: a 110 Hz tone from 0.5 s, noise bursts every 0.25 s, low thumps at 0.5, 1.5 and 2.5 s."""
    sr = drums.SR
    rng = np.random.default_rng(11)
    t = np.arange(sr * 3) / sr
    y = 0.2 * np.sin(2 * np.pi * 110.0 * t) * (t > 0.5)
    length = int(0.05 * sr)
    for k, at in enumerate(np.arange(0.25, 3.0, 0.25)):
        start = int(at * sr)
        burst = rng.standard_normal(length) * np.exp(-np.arange(length) / (0.01 * sr))
        y[start : start + length] += (0.8 if k % 2 else 0.4) * burst
    thump = int(0.2 * sr)
    for at in (0.5, 1.5, 2.5):
        start = int(at * sr)
        y[start : start + thump] += (
            0.9 * np.sin(2 * np.pi * 60.0 * np.arange(thump) / sr) * np.exp(-np.arange(thump) / (0.05 * sr))
        )
    return y.astype(np.float32)


def test_the_shipped_file_reads_the_mel_and_gives_the_output_it_gave_before_input_views() -> None:
    """Golden figures of models/drum_transcription.npz (round 9's k9) on a fixed signal, recorded with
    the code before input views existed: a file without ``input_view`` still reads the log mel alone."""
    net = load(SHIPPED_MODEL)
    assert net.input_view == "mel" and net.front[0][0].shape[1] == N_MELS
    y = _golden_signal()
    act = net.activations(network_input(mel_frames(y)))
    assert act.shape == (301, len(CLASSES))
    sums = [8.54454, 0.40475, 19.49201, 0.12895, 2.25027, 0.49006, 1.44273, 0.00223, 0.00053]
    peaks = [0.977287, 0.321037, 0.942169, 0.111214, 0.255988, 0.069061, 0.386969, 0.002047, 0.000459]
    np.testing.assert_allclose(act.sum(axis=0), sums, rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(act.max(axis=0), peaks, rtol=1e-4, atol=2e-6)
    hits = [(h.time, h.pitch, h.velocity) for h in drums.drum_hits(y, net=net)]
    assert hits == [
        (0.236, 42, 86),
        (0.4865, 42, 127),
        (0.4884, 36, 127),
        (1.4907, 36, 127),
        (2.4889, 36, 127),
        (2.4909, 42, 127),
    ]


def _net_of_view(view: str) -> DrumNet:
    """The shipped network's weights with a first layer that reads ``view``'s features (random, fixed)."""
    shipped = load(SHIPPED_MODEL)
    kernel, bias = shipped.front[0]
    rng = np.random.default_rng(5)
    wide = (rng.standard_normal((kernel.shape[0], drums.view_features(view), kernel.shape[2])) * 0.05).astype(
        np.float32
    )
    return DrumNet(
        ((wide, bias), *shipped.front[1:]), shipped.blocks, shipped.head, shipped.thresholds, input_view=view
    )


def test_the_input_view_goes_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "view.npz"
    drums.save(path, load(SHIPPED_MODEL))
    assert "input_view" not in np.load(path).files  # a mel model's file is written as before
    y, _ = _tone_and_clicks()
    x = network_input(mel_frames(y))
    for view in ("mel+percussive", "percussive"):
        net = _net_of_view(view)
        drums.save(path, net)
        loaded = load(path)
        assert loaded.input_view == view
        assert np.array_equal(loaded.activations(x), net.activations(x))
        assert loaded.activations(x).shape == (x.shape[0], len(CLASSES))
    arrays = dict(np.load(path))  # a percussive-only file: 80 inputs
    arrays["input_view"] = np.asarray("mel+percussive")  # the first layer does not read 160 features
    np.savez(path, **arrays)
    with pytest.raises(ValueError):
        load(path)
    arrays["input_view"] = np.asarray("harmonic")
    np.savez(path, **arrays)
    with pytest.raises(ValueError):
        load(path)


def test_an_ensemble_averages_its_networks_and_goes_through_the_file(tmp_path: Path) -> None:
    shipped = load(SHIPPED_MODEL)
    rng = np.random.default_rng(9)
    kernel, bias = shipped.head
    other_head = ((kernel + rng.standard_normal(kernel.shape).astype(np.float32) * 0.1), bias)
    other = (shipped.front, shipped.blocks, other_head)
    ensemble = dataclasses.replace(shipped, members=(other,))
    y, _ = _tone_and_clicks()
    x = network_input(mel_frames(y))
    alone = DrumNet(*other, shipped.thresholds)
    expected = (shipped.activations(x) + alone.activations(x)) / 2
    assert np.allclose(ensemble.activations(x), expected, atol=1e-6)
    assert not np.allclose(ensemble.activations(x), shipped.activations(x), atol=1e-3)  # the member counts
    path = tmp_path / "ensemble.npz"
    drums.save(path, ensemble)
    loaded = load(path)
    assert len(loaded.networks()) == 2 and np.array_equal(loaded.activations(x), ensemble.activations(x))
    drums.save(path, shipped)
    assert not any(name.startswith("member") for name in np.load(path).files)  # one network: as before
    drums.save(path, ensemble)
    arrays = dict(np.load(path))
    del arrays["member1_front0_kernel"]  # a member without its front end is a malformed file
    np.savez(path, **arrays)
    with pytest.raises(ValueError):
        load(path)
