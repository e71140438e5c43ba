"""Previews at sample rates FluidSynth does not render itself (it takes 8-96 kHz)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

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
