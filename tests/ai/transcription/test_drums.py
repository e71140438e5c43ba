"""Drum transcription (models/drum_transcription.npz, evaluated in numpy) on a rendered groove with
known hits: four-on-the-floor kick, backbeat snare and eighth-note closed hats."""

from __future__ import annotations

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
    assert hits_of(drum_features(y)) == drum_hits(y)


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
