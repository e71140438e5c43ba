"""Learned velocities (ai.generation.dynamics): the shipped tables, both ways of applying them,
meters MMA does not play, seeds, and the table fit on synthetic grooves."""

from __future__ import annotations

import numpy as np
import pytest

from ai.generation.base import GenerationRequest, Note
from ai.generation.dynamics import GrooveDynamics, load_dynamics
from ai.generation.feel import pulse_groups
from ai.generation.theory import TheoryGenerator
from ai.music_theory import Key, parse_chord
from training.groove_dynamics import _class_table, grid_step
from utils.settings import REPO_ROOT

SNARE, KICK, HAT = 38, 36, 42
SIXTEENTH = 0.125  # 120 bpm


@pytest.fixture(scope="module")
def shipped() -> GrooveDynamics:
    model = load_dynamics(REPO_ROOT / "models")
    assert model is not None
    return model


def _flat_clip(bars: int = 8, steps: int = 16) -> list[Note]:
    """A drum clip as Magenta's path had it: the velocity a function of the position only."""
    notes = []
    for bar in range(bars):
        for step in range(steps):
            t = (bar * steps + step) * SIXTEENTH
            notes.append(Note(HAT, t, t + 0.1, 64 if step % 2 else 96))
            if step in (4, 12):
                notes.append(Note(SNARE, t, t + 0.1, 96))
            if step == 7:  # the 16th before beat 3: where MMA's funk drummers ghost
                notes.append(Note(SNARE, t, t + 0.1, 96))
            if step in (0, 8):
                notes.append(Note(KICK, t, t + 0.1, 112))
    return notes


def _apply(model: GrooveDynamics, notes: list[Note], style: str, seed: int = 0, **kw: object) -> list[Note]:
    beats, unit = kw.pop("meter", (4, 4))  # type: ignore[misc]
    return model.apply(
        notes,
        part="drums",
        style=style,
        seconds_per_beat=0.5 * 4 / unit,
        beats_per_bar=beats,
        beat_unit=unit,
        pulses=pulse_groups(beats, unit),
        offset=0.0,
        rng=np.random.default_rng(seed),
        **kw,  # type: ignore[arg-type]
    )


def test_shipped_tables_cover_the_engine_styles(shipped: GrooveDynamics) -> None:
    for style in ("rock", "funk", "jazz", "latin", "reggae", "waltz", "march", "metal", "default"):
        assert style in shipped.styles
    assert shipped.grooves > 500
    assert "basicrock" in shipped.sources["rock"]
    assert not {"8beat", "son", "tango"} & set(shipped.sources["rock"] + shipped.sources["latin"])  # held out


def test_flat_velocities_get_accents_ghosts_and_spread(shipped: GrooveDynamics) -> None:
    out = _apply(shipped, _flat_clip(bars=64), "funk")
    assert [n.start for n in out] == [n.start for n in _flat_clip(bars=64)]
    backbeat = [n.velocity for n in out if n.pitch == SNARE and round(n.start / SIXTEENTH) % 16 in (4, 12)]
    between = [n.velocity for n in out if n.pitch == SNARE and round(n.start / SIXTEENTH) % 16 == 7]
    assert np.mean(between) < np.mean(backbeat) - 8  # the backend gave both 96
    hats_on_one = [n.velocity for n in out if n.pitch == HAT and round(n.start / SIXTEENTH) % 16 == 0]
    assert np.std(hats_on_one) > 2  # hit-to-hit spread at one position: no longer a function of it


def test_styles_differ_and_seeds_reproduce(shipped: GrooveDynamics) -> None:
    funk, jazz = _apply(shipped, _flat_clip(), "funk"), _apply(shipped, _flat_clip(), "jazz")
    assert [n.velocity for n in funk] != [n.velocity for n in jazz]
    assert _apply(shipped, _flat_clip(), "funk", seed=4) == _apply(shipped, _flat_clip(), "funk", seed=4)
    assert _apply(shipped, _flat_clip(), "funk", seed=4) != _apply(shipped, _flat_clip(), "funk", seed=5)


def test_kept_accents_stay_and_gain_spread(shipped: GrooveDynamics) -> None:
    notes = [
        Note(SNARE, (16 * bar + s) * SIXTEENTH, (16 * bar + s) * SIXTEENTH + 0.1, v)
        for bar in range(8)
        for s, v in ((4, 118), (7, 36), (12, 118))
    ]
    out = _apply(shipped, notes, "funk", keep_accents=True)
    ghosts = [n.velocity for n in out if n.velocity < 80]
    accents = [n.velocity for n in out if n.velocity >= 80]
    assert len(ghosts) == 8 and len(accents) == 16
    assert max(ghosts) < 36 + 30 and min(accents) > 118 - 50
    assert len({n.velocity for n in out}) > 3


def test_other_meters_read_the_four_four_roles(shipped: GrooveDynamics) -> None:
    steps = sum(pulse_groups(7, 8))  # 14 16ths: pulses 4, 4, 6
    notes = [
        Note(KICK, (steps * bar + s) * SIXTEENTH / 2, (steps * bar + s) * SIXTEENTH / 2 + 0.05, 90)
        for bar in range(16)
        for s in (0, 4, 8)
    ]
    out = _apply(shipped, notes, "rock", meter=(7, 8))
    assert all(1 <= n.velocity <= 127 for n in out)
    assert len({n.velocity for n in out}) > 3


def test_bass_and_melody(shipped: GrooveDynamics) -> None:
    bass = [Note(45, i * 0.5, i * 0.5 + 0.4, 80) for i in range(32)]
    for part, changed in (("bass", True), ("melody", False)):
        request = GenerationRequest(part=part, key=Key(0, "major"), chords=(parse_chord("C"),), bars=8)  # type: ignore[arg-type]
        out = shipped.voice(bass, request, style="rock", offset=0.0, rng=np.random.default_rng(0))
        assert (len({n.velocity for n in out}) > 3) is changed  # melodies are left as they are
        assert changed or out == bass


def test_theory_backend_gains_spread_with_the_tables(shipped: GrooveDynamics) -> None:
    request = GenerationRequest(
        part="drums", key=Key(0, "major"), chords=(parse_chord("C"),), bars=8, style="rock", seed=2
    )
    plain = TheoryGenerator().generate(request).notes
    voiced = TheoryGenerator(dynamics=shipped).generate(request).notes
    assert [(n.pitch, n.start) for n in plain] == [(n.pitch, n.start) for n in voiced]
    assert [n.velocity for n in plain] != [n.velocity for n in voiced]
    assert TheoryGenerator(dynamics=shipped).generate(request).notes == voiced


def test_missing_or_bad_file_is_none(tmp_path) -> None:  # noqa: ANN001
    assert load_dynamics(tmp_path) is None
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "groove_dynamics.json").write_text('{"steps_per_beat": 3}')
    assert load_dynamics(tmp_path / "sub") is None


def test_class_table_separates_level_accent_and_spread() -> None:
    # Two players: one at 60 (downbeat 55, backbeat 65), one at 80 (downbeat 71 or 79, backbeat 85).
    soft = {0: [55, 55], 4: [65, 65]}
    loud = {0: [71, 79], 4: [85, 85]}
    table = _class_table([soft, loud], 16)
    assert table["level"] == pytest.approx(70.0) and table["level_sd"] == pytest.approx(10.0)
    assert table["accent"][0] == pytest.approx(-5.0) and table["accent"][4] == pytest.approx(5.0)
    assert table["spread"][4] == pytest.approx(0.0) and table["spread"][0] == pytest.approx(np.sqrt(32 / 4), abs=0.01)
    assert table["n"][0] == 4 and table["accent"][1] is None


def test_grid_step_reads_swung_eighths() -> None:
    assert grid_step(0.0) == 0 and grid_step(1.0) == 4 and grid_step(0.5) == 2
    assert grid_step(2 / 3) == 2 and grid_step(1 + 1 / 3) == 5 and grid_step(0.75) == 3


def test_ride_with_hat_shares_come_from_the_grooves(shipped: GrooveDynamics) -> None:
    assert shipped.ride_with_hat("rock") == 0.0  # MMA's rock drummers keep time on one
    assert (shipped.ride_with_hat("hip-hop") or 0) > 0.2  # its R&B grooves ride over the hats
    assert shipped.ride_with_hat(None) == shipped.ride_with_hat("default")
