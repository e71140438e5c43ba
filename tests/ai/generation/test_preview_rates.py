"""Previews at sample rates FluidSynth does not render itself (it takes 8-96 kHz), and parts rendered under the
recording's rate (the accompaniment's bass and pad)."""

from __future__ import annotations

import io
import shutil
from typing import Any

import numpy as np
import pytest
import scipy.signal

from ai.audio.loudness import integrated_loudness
from ai.generation import preview
from ai.generation.preview import SOUNDFONT, render_midi
from tests.ai.generation.test_preview_mix import midi_file

pytestmark = pytest.mark.skipif(
    shutil.which("fluidsynth") is None or not SOUNDFONT.is_file(), reason="needs FluidSynth and its GM soundfont"
)


@pytest.mark.parametrize("sample_rate", [4000, 192000])
def test_a_part_renders_at_a_rate_outside_fluidsynths_range(sample_rate: int) -> None:
    midis = [midi_file(2.0, drums=True), midi_file(2.0, drums=False)]
    at_rate, at_48k = render_midi(midis, sample_rate), render_midi(midis, 48000)
    # The same music: as long in seconds (to FluidSynth's blocks) and as loud.
    assert at_rate.shape[0] == 2
    assert at_rate.shape[1] / sample_rate == pytest.approx(at_48k.shape[1] / 48000, abs=0.05)
    rms = float(np.sqrt(np.mean(at_rate**2)))
    assert rms == pytest.approx(float(np.sqrt(np.mean(at_48k**2))), rel=0.1)


@pytest.fixture
def fluidsynth_rates(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ``-r`` rate of every FluidSynth process the preview starts (the real program runs)."""
    rates: list[int] = []
    popen = preview.subprocess.Popen

    def spy(command: list[str], **kwargs: Any) -> Any:
        rates.append(int(command[command.index("-r") + 1]))
        return popen(command, **kwargs)

    monkeypatch.setattr(preview.subprocess, "Popen", spy)
    return rates


def test_a_part_with_a_lower_top_rate_renders_there_and_sounds_as_at_the_recordings_rate(
    fluidsynth_rates: list[int],
) -> None:
    """A bass line rendered at 22.05 kHz for a 44.1-kHz preview (half FluidSynth's work): at 44.1 kHz, as loud
    as rendered there, its notes where FluidSynth puts them at 44.1 kHz (its latency is about 96 frames at any
    rate: unmoved, the resampled line sounded 86 frames, 2 ms, late)."""
    bass = midi_file(4.0, drums=False)
    direct = render_midi([bass], 44100)
    assert fluidsynth_rates == [44100]
    capped = render_midi([bass], 44100, max_rates=[22050])
    assert fluidsynth_rates == [44100, 22050]
    assert capped.shape[0] == 2 and capped.shape[1] / 44100 == pytest.approx(direct.shape[1] / 44100, abs=0.01)
    n = min(direct.shape[1], capped.shape[1])
    assert integrated_loudness(y=capped, sr=44100) == pytest.approx(integrated_loudness(y=direct, sr=44100), abs=0.1)
    mono_direct, mono_capped = direct[:, :n].mean(axis=0), capped[:, :n].mean(axis=0)
    lags = scipy.signal.correlation_lags(n, n)
    lag = int(lags[np.argmax(scipy.signal.correlate(mono_direct, mono_capped, method="fft"))])
    assert abs(lag) <= 24, lag  # frames at 44.1 kHz: 0.5 ms


def test_a_cd_rate_preview_renders_its_bass_and_pad_at_22_khz_and_its_drums_at_the_recordings_rate(
    fluidsynth_rates: list[int],
) -> None:
    """The accompaniment's preview of a 44.1-kHz stereo recording: the drums (whose cymbals reach past 11 kHz)
    rendered at 44.1 kHz, the bass and pad at 22.05 kHz; the preview at the recording's rate and length."""
    import soundfile as sf
    import soxr

    from ai.analysis.pipeline import analyze
    from ai.audio.decode import DecodedAudio
    from ai.generation.accompaniment import AccompanimentOptions, accompany
    from ai.generation.base import GeneratorRegistry
    from ai.generation.theory import TheoryGenerator
    from tests.api.test_accompaniment import SR, drifting_song

    wav, _ = drifting_song(bars=6)
    mono, _ = sf.read(io.BytesIO(wav), dtype="float32")
    at_44k = soxr.resample(mono, SR, 44100)
    audio = DecodedAudio(np.stack([at_44k, 0.5 * at_44k]).astype(np.float32), 44100)
    registry = GeneratorRegistry()
    registry.register(TheoryGenerator())
    options = AccompanimentOptions(parts=("drums", "bass", "pad"), seed=3, model="theory", preview="flac")
    result = accompany(audio, analyze(audio), registry, options)
    assert sorted(fluidsynth_rates) == [22050, 44100]
    assert result.preview is not None
    heard, rate = sf.read(io.BytesIO(result.preview), dtype="float32", always_2d=True)
    assert rate == 44100 and heard.shape == (audio.samples.shape[1], 2)
    # The cymbals' top octave is there (the recording has nothing above 11 kHz; all at 22.05 kHz: 1e-14).
    spectrum = np.abs(np.fft.rfft(heard[:, 0])) ** 2
    freqs = np.fft.rfftfreq(heard.shape[0], 1 / 44100)
    assert float(np.sum(spectrum[freqs > 12000])) > 1e-4 * float(np.sum(spectrum))
