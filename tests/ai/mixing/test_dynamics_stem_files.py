"""The dynamics measures and the "uncontrolled dynamics" advice's checks (sections, volume automation,
one- and two-stage compressors) run on a stem file block by block give what they give on the array,
and leave no file of their own behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai.audio import loudness
from ai.audio.stem_file import StemFile, frame_blocks, write_stem_file
from ai.mixing import dynamics, dynamics_advice, dynamics_measure, stem_measures
from tests.ai.mixing.test_dynamics import SR, bass_line, hits, norms_from, sectioned, stereo


def _swings() -> dict[str, np.ndarray]:
    line = bass_line(24.0)
    per = int(0.5 * SR)
    notes = np.repeat(10 ** (np.random.default_rng(0).uniform(-20, 0, line.size // per + 1) / 20), per)
    return {
        "steps": stereo(sectioned(line, [9.0, -9.0, 9.0, -9.0, 9.0, -9.0], 4.0)),  # automation
        "notes": stereo((line * notes[: line.size]).astype(np.float32)),  # compressor, two stages at 1 LU
    }


@pytest.fixture(params=["one read", "reads of 7 stretches"])
def read_frames(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param != "one read":
        monkeypatch.setattr(stem_measures, "READ_FRAMES", loudness.TP_BLOCK * 7)


@pytest.mark.usefixtures("read_frames")
@pytest.mark.parametrize("kind", ["steps", "notes"])
def test_the_advice_checks_on_a_stem_file_are_the_arrays(tmp_path: Path, kind: str) -> None:
    x = _swings()[kind]
    norms = norms_from({"bass": [bass_line(24.0)] * 3, "drums": [hits(seconds=6.0)]})
    measure = dynamics_measure.measure_dynamics(samples=x, sr=SR)
    with write_stem_file(frame_blocks(x, 50_000), channels=2, sample_rate=SR, directory=tmp_path) as stem:
        assert dynamics_measure.measure_dynamics(samples=stem, sr=SR) == measure
        found = dynamics.dynamics_findings(
            name="Bass", role="bass", measure=measure, samples=x, sr=SR, tempo_bpm=120.0, norms=norms
        )
        from_file = dynamics.dynamics_findings(
            name="Bass", role="bass", measure=measure, samples=stem, sr=SR, tempo_bpm=120.0, norms=norms
        )
        assert from_file == found
        assert [(s.action or {})["kind"] for s in found] == ["automation" if kind == "steps" else "compressor"]
        for target in (1.0, 3.0):
            advice = dynamics_advice.suggest_compressor(
                samples=x, sr=SR, measure=measure, target_lra_lu=target, tempo_bpm=120.0, norms=norms
            )
            assert (
                dynamics_advice.suggest_compressor(
                    samples=stem, sr=SR, measure=measure, target_lra_lu=target, tempo_bpm=120.0, norms=norms
                )
                == advice
            )
        assert list(tmp_path.iterdir()) == [stem.path]  # every check's output file went
    if kind == "notes":
        assert "stages" in advice.compressor or "stages" in (found[0].action or {})["compressor"]


def test_a_stem_file_without_its_measures_is_measured_block_by_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = _swings()["notes"]
    reads: list[int] = []
    real = StemFile.read

    def read(self: StemFile, start: int, stop: int) -> np.ndarray:
        reads.append(min(stop, self.n_samples) - start)
        return real(self, start, stop)

    monkeypatch.setattr(stem_measures, "READ_FRAMES", loudness.TP_BLOCK * 64)
    monkeypatch.setattr(StemFile, "read", read)
    with write_stem_file(frame_blocks(x, 50_000), channels=2, sample_rate=SR, directory=tmp_path) as stem:
        assert dynamics_measure.measure_dynamics(samples=stem, sr=SR) == dynamics_measure.measure_dynamics(
            samples=x, sr=SR
        )
    assert reads and max(reads) < x.shape[1]  # never the whole stem at once
