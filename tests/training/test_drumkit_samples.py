"""The Hydrogen kit sample player of the drum transcription corpus (training/drumkit_samples.py), on a
tiny kit written here, and the plan's rule that held-out test sessions never play a Hydrogen kit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from training import drum_transcription
from training.drumkit_samples import KITS_DIR, gm_note, installed_kit, load_kit, render_kit

SR = 22050
SAMPLE_RATE = 44100  # the kit's files are resampled to SR


def _instrument(name: str, layers: list[tuple[float, float, str]]) -> str:
    body = "".join(
        f"<layer><filename>{f}</filename><min>{lo}</min><max>{hi}</max><gain>1</gain></layer>" for lo, hi, f in layers
    )
    return f"<instrument><name>{name}</name><volume>1</volume>{body}</instrument>"


@pytest.fixture()
def kit_dir(tmp_path: Path) -> Path:
    """A kit with a two-layer kick (soft layer positive and late, loud layer negative), a long open hat, a
    short closed hat and a snare roll (no single hit: skipped)."""
    samples = {
        "kick_soft.wav": np.concatenate([np.zeros(882), np.full(2205, 0.5)]),  # 20 ms of silence first
        "kick_loud.wav": np.full(2205, -1.0),
        "hat_open.wav": np.full(SAMPLE_RATE, 0.8),
        "hat_closed.wav": np.full(441, 0.3),
        "roll.wav": np.full(441, 0.3),
    }
    for name, y in samples.items():
        sf.write(tmp_path / name, y.astype(np.float32), SAMPLE_RATE)
    instruments = [
        _instrument("Kick", [(0.0, 0.5, "kick_soft.wav"), (0.5, 1.0, "kick_loud.wav")]),
        _instrument("Open HH", [(0.0, 1.0, "hat_open.wav")]),
        _instrument("Closed HH", [(0.0, 1.0, "hat_closed.wav")]),
        _instrument("Snare Roll", [(0.0, 1.0, "roll.wav")]),
    ]
    (tmp_path / "drumkit.xml").write_text(
        '<?xml version="1.0"?><drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">'
        f"<name>test</name><instrumentList>{''.join(instruments)}</instrumentList></drumkit_info>"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("BassDrum", 36),
        ('Kick (Tama Superstar 22")', 36),
        ("Snare Rimshot", 38),
        ("Snare Roll", None),
        ("Pedal HH", 44),
        ("Hi Hat Opened", 46),
        ("Hat Closed Dirty", 42),
        ("f#3 - hi-hat closed", 42),
        ("Floor Tom", 41),
        ('Tom High (Tama Superstar 12")', 50),
        ("tomhi2", 50),
        ("c4 - middle tom", 47),
        ('Ride (Custom, Zagrebin 22")', 51),
        ("ride-cup", 53),
        ("crash16inch", 49),
        ("Hand Clap", 39),
        ("Sample: beats_01-10.flac", None),
    ],
)
def test_gm_note_from_instrument_names(name: str, note: int | None) -> None:
    assert gm_note(name) == note


def test_kit_loads_pieces_by_gm_note(kit_dir: Path) -> None:
    kit = load_kit(kit_dir)
    assert set(kit.pieces) == {36, 42, 46}  # the roll is no single hit
    assert len(kit.pieces[36][0].layers) == 2


def test_render_places_hits_by_velocity_layer(kit_dir: Path) -> None:
    kit = load_kit(kit_dir)
    notes = [(36, 0.5, 0.6, 30), (35, 1.0, 1.1, 120), (75, 1.5, 1.6, 100)]  # 35 plays as the kick
    y, rest = render_kit(notes, kit, n=2 * SR, sr=SR, rng=np.random.default_rng(0))
    assert rest == [(75, 1.5, 1.6, 100)]  # claves: no sound in this kit, left for another renderer
    soft, loud = int(0.5 * SR), SR
    assert np.flatnonzero(y)[0] == pytest.approx(soft, abs=2)  # its 20 ms of silence trimmed
    assert y[soft + 100] > 0.0 > y[loud + 100]  # the soft layer at velocity 30, the loud one at 120
    assert abs(y[loud + 100]) > 3 * abs(y[soft + 100])  # and louder by its layer and velocity


def test_open_hat_is_cut_by_the_next_hat(kit_dir: Path) -> None:
    notes = [(46, 0.2, 0.3, 100), (42, 0.5, 0.6, 100)]
    y, _ = render_kit(notes, load_kit(kit_dir), n=2 * SR, sr=SR, rng=np.random.default_rng(0))
    assert np.all(y[int(0.3 * SR) : int(0.45 * SR)] > 0.0)  # the open hat rings until the closed one
    assert np.all(y[int(0.6 * SR) :] == 0.0)  # then stops (its sample is 1 s long)


def test_held_out_sessions_never_play_a_hydrogen_kit() -> None:
    without = drum_transcription.plan(16, 12, 2, 4, 3, sample_kit_share=0.0)
    with_kits = drum_transcription.plan(16, 12, 2, 4, 3, sample_kit_share=1.0)
    assert all(not str(task["kit"] or "").startswith("h2:") for task in without)
    assert [task["seed"] for task in without] == [task["seed"] for task in with_kits]  # same sessions
    for task in with_kits:
        if task["split"] == "test":
            assert task["kit"] in (None, drum_transcription.TEST_KIT) and task["drum_font"] == "sf_GMbank"


@pytest.mark.skipif(not (KITS_DIR / "ForzeeStereo").is_dir(), reason="Debian's hydrogen-drumkits is not installed")
def test_installed_kit_has_the_main_pieces() -> None:
    kit = installed_kit("ForzeeStereo")
    assert {36, 38, 42, 46, 49, 51} <= set(kit.pieces)
    y, _ = render_kit([(38, 0.1, 0.2, 100)], kit, n=SR, sr=SR, rng=np.random.default_rng(0))
    assert 0.05 < float(np.max(np.abs(y))) <= 0.3


def test_kit_from_another_folder_in_hydrogens_newer_format(tmp_path: Path) -> None:
    """The fresh test's kits (Hydrogen's repository) wrap the layers in an instrumentComponent and live
    outside the package's folder: --kits-dir reaches them through installed_kit and render_drums."""
    kit = tmp_path / "kits" / "Fresh"
    kit.mkdir(parents=True)
    sf.write(kit / "kick.flac", np.full(2205, 0.5, dtype=np.float32), SAMPLE_RATE)
    (kit / "drumkit.xml").write_text(
        '<?xml version="1.0"?><drumkit_info xmlns="http://www.hydrogen-music.org/drumkit"><name>Fresh</name>'
        "<instrumentList><instrument><id>0</id><name>Kick Long</name><volume>1</volume><instrumentComponent>"
        "<component_id>0</component_id><gain>1</gain><layer><filename>kick.flac</filename><min>0</min>"
        "<max>1</max><gain>1</gain></layer></instrumentComponent></instrument></instrumentList></drumkit_info>"
    )
    assert [i.name for i in installed_kit("Fresh", tmp_path / "kits").pieces[36]] == ["Kick Long"]
    task = {"kit": "h2:Fresh", "drum_font": "sf_GMbank", "kits_dir": str(tmp_path / "kits")}
    stem = drum_transcription.render_drums(
        [(36, 0.1, 0.2, 127)], task, mixed_kit=False, work=tmp_path, n=SR, fx=False, rng=np.random.default_rng(0)
    )
    assert np.flatnonzero(stem)[0] == int(0.1 * SR) and float(np.max(stem)) == pytest.approx(0.25)
    task["kits_dir"] = str(tmp_path / "elsewhere")
    with pytest.raises(FileNotFoundError):  # the kit is looked for in the folder named, nowhere else
        drum_transcription.render_drums(
            [(36, 0.1, 0.2, 127)], task, mixed_kit=False, work=tmp_path, n=SR, fx=False, rng=np.random.default_rng(0)
        )
