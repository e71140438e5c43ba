"""Training package: corpus conversion on real MMA output, the held-out rule, primers, and the
training command end to end on a tiny dataset (a toy network, 5 steps)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from training import mma_corpus, split
from training.progressions import PROGRESSIONS, chord_names, normalising_shift

pytestmark = pytest.mark.skipif(shutil.which("mma") is None, reason="Debian's mma is not installed")

ROCK = mma_corpus.Groove(style="basicrock", name="BasicRock")
I_VI_IV_V = next(p for p in PROGRESSIONS if p.name == "I-vi-IV-V")


@pytest.fixture(scope="module")
def rendering_in_g(tmp_path_factory: pytest.TempPathFactory) -> mma_corpus.Rendering:
    """BasicRock over G Em C D (I-vi-IV-V in G major), rendered by mma."""
    rendering = mma_corpus.render(
        ROCK, I_VI_IV_V, transpose=7, tempo=120, out_dir=tmp_path_factory.mktemp("mma"), index=0
    )
    assert rendering is not None
    return rendering


def test_progression_spelling_and_shift() -> None:
    assert chord_names(I_VI_IV_V, transpose=7, mma=True) == ["G", "Em", "C", "D"]
    ii_v_i = next(p for p in PROGRESSIONS if p.name == "ii-V-I")
    assert chord_names(ii_v_i, transpose=2, mma=True)[2] == "DM7"  # MMA spelling
    assert chord_names(ii_v_i, transpose=2, mma=False)[2] == "Dmaj7"  # note_seq spelling
    assert normalising_shift(7) == 5 and normalising_shift(2) == -2 and normalising_shift(0) == 0
    for transpose in range(12):
        assert (transpose + normalising_shift(transpose)) % 12 == 0


def test_rendering_metadata(rendering_in_g: mma_corpus.Rendering) -> None:
    assert (rendering_in_g.numerator, rendering_in_g.denominator) == (4, 4)
    assert rendering_in_g.bars == 8  # the 4-bar progression twice
    assert rendering_in_g.chords == ("C", "Am", "F", "G") * 2  # already in C major
    assert mma_corpus.bar_seconds(rendering_in_g) == pytest.approx(2.0)


def test_bass_is_transposed_to_c_and_follows_the_chords(rendering_in_g: mma_corpus.Rendering) -> None:
    raw = mma_corpus.bass_notes(rendering_in_g)
    lead_sheet = mma_corpus.bass_lead_sheet(rendering_in_g)
    assert len(raw) == len(lead_sheet.notes) > 8
    assert all(n.pitch - p == 5 for n, (p, *_) in zip(lead_sheet.notes, raw, strict=True))  # G major -> C major: +5
    # Monophonic: no two notes sound at once.
    starts = [n.start_time for n in lead_sheet.notes]
    ends = [n.end_time for n in lead_sheet.notes]
    assert all(e <= s + 1e-9 for e, s in zip(ends[:-1], starts[1:], strict=True))
    # A rock bass plays the chord root on the downbeat: check it bar by bar against the annotations.
    roots = {"C": 0, "Am": 9, "F": 5, "G": 7}
    chords = [(a.time, a.text) for a in lead_sheet.text_annotations]
    assert [t for t, _ in chords] == pytest.approx([2.0 * bar for bar in range(8)])
    hits = 0
    for time, chord in chords:
        downbeat = min(lead_sheet.notes, key=lambda n: abs(n.start_time - time))
        hits += abs(downbeat.start_time - time) < 0.1 and downbeat.pitch % 12 == roots[chord]
    assert hits >= 6
    # In C major the line uses (almost) only the white keys.
    pitch_classes = np.array([n.pitch % 12 for n in lead_sheet.notes])
    assert np.isin(pitch_classes, [0, 2, 4, 5, 7, 9, 11]).mean() >= 0.9


def test_drum_sequence_is_the_drum_channel(rendering_in_g: mma_corpus.Rendering) -> None:
    drums = mma_corpus.drum_sequence(rendering_in_g)
    assert len(drums.notes) > 32
    assert all(n.is_drum and n.instrument == 9 for n in drums.notes)
    assert {36, 38} & {n.pitch for n in drums.notes}  # kick or snare
    assert max(n.start_time for n in drums.notes) < 16.0
    bars = mma_corpus.drum_bars(rendering_in_g, start_bar=0, num_bars=2)
    assert bars and all(0.0 <= h["start_beats"] < 8.0 for h in bars)
    assert all((h["start_beats"] * 4).is_integer() for h in bars)  # on the sixteenth grid


def test_heldout_rule_is_fixed_and_splits_styles() -> None:
    grooves = mma_corpus.list_grooves()
    held = {g.style for g in grooves if g.heldout}
    kept = {g.style for g in grooves if not g.heldout}
    assert held and kept and not held & kept  # whole styles go one way
    assert 0.05 < len(held) / (len(held) + len(kept)) < 0.25
    assert split.is_heldout_style("Blues") == split.is_heldout_style("blues")
    # Fixed across runs and versions, not only within one: a changed salt or hash reshuffles what was held out.
    assert split.hash_percent("x") == 1 and split.is_heldout_style("blues") and not split.is_heldout_style("rock")
    assert not any(g.name.lower().endswith("end") for g in grooves)


def test_key_estimation_and_normalisation() -> None:
    from training.folk_corpus import estimate_key
    from training.folk_corpus import normalising_shift as tune_shift

    e_major = np.array([64, 66, 68, 69, 71, 73, 75, 76, 71, 68, 64, 64])  # E major scale and arpeggio
    assert estimate_key(e_major, np.ones(len(e_major))) == (4, False)
    d_minor = np.array([62, 64, 65, 67, 69, 70, 72, 74, 69, 65, 62, 62, 61])  # D minor
    assert estimate_key(d_minor, np.ones(len(d_minor))) == (2, True)
    assert (4 + tune_shift(4, False)) % 12 == 0  # E major -> C major
    assert (2 + tune_shift(2, True)) % 12 == 9  # D minor -> A minor


def test_primers_from_training_grooves(rendering_in_g: mma_corpus.Rendering) -> None:
    from training.primers import build_primers

    primers, sources = build_primers([rendering_in_g])
    assert list(primers) == ["rock"] and sources["rock"] == ["basicrock/BasicRock (4/4)"]
    clip = primers["rock"][0]
    assert set(clip[0]) == {"pitch", "start_beats", "end_beats", "velocity"}
    heldout = mma_corpus.Rendering(**{**rendering_in_g.__dict__, "style": "blues"})
    assert split.is_heldout_style("blues")
    assert build_primers([heldout])[0] == {}  # held-out styles never become primers


@pytest.mark.parametrize("model", ["drums", "bass"])
def test_training_command_end_to_end(model: str, tmp_path: Path) -> None:
    from training.__main__ import run
    from training.magenta_train import load_bundle_generator, smoke_generate
    from training.specs import SPECS

    results = run(model, steps=5, tiny=True, out_dir=tmp_path / "models", work_dir=tmp_path / "work")
    bundle = tmp_path / "models" / SPECS[model].bundle_file
    assert bundle.exists() and results["steps"] == 5 and results["train_examples"] > 0
    assert (tmp_path / "models" / (bundle.stem + ".md")).read_text().startswith("# " + bundle.stem)
    saved = json.loads((tmp_path / "work" / model / "results.json").read_text())
    assert saved["heldout_examples"] > 0 and 0.0 <= saved["heldout_metrics"]["accuracy"] <= 1.0
    from magenta.models.shared import sequence_generator_bundle

    stored = sequence_generator_bundle.read_bundle_file(str(bundle))
    assert stored.generator_details.id == SPECS[model].config_id  # the standard id, our description
    assert stored.generator_details.description == SPECS[model].description
    assert stored.bundle_details.description == SPECS[model].description
    load_bundle_generator(SPECS[model], bundle).close()  # loads through the standard generator map
    sequence = smoke_generate(SPECS[model], bundle, bars=2)
    assert len(sequence.notes) > 0
    if model == "drums":
        assert all(n.is_drum for n in sequence.notes)


def test_heldout_export_writes_midi_and_index(tmp_path: Path) -> None:
    import pretty_midi

    from training.heldout import export_heldout

    son = mma_corpus.Groove(style="son", name="Son")
    assert son.heldout
    minor = next(p for p in PROGRESSIONS if p.name == "i-iv-V7-i")
    held = mma_corpus.render(son, minor, transpose=3, tempo=110, out_dir=tmp_path / "mma", index=0)
    kept = mma_corpus.render(ROCK, I_VI_IV_V, transpose=0, tempo=110, out_dir=tmp_path / "mma", index=0)
    index = export_heldout(tmp_path / "out", work_dir=tmp_path, melodies=False, renderings=[held, kept])
    assert [e["part"] for e in index] == ["drums", "bass"]  # the training groove is not exported
    drums, bass = index
    assert drums["source"] == "mma/son/Son" and drums["key"] is None
    assert bass["key"] == "A minor" and bass["chords_per_bar"][:4] == ["Am", "Dm", "E7", "Am"]
    assert json.loads((tmp_path / "out" / "index.json").read_text()) == index
    drum_midi = pretty_midi.PrettyMIDI(str(tmp_path / "out" / drums["file"]))
    assert all(i.is_drum for i in drum_midi.instruments) and drum_midi.instruments[0].notes
    bass_midi = pretty_midi.PrettyMIDI(str(tmp_path / "out" / bass["file"]))
    assert bass_midi.instruments[0].program == 33
    # Rendered in C minor, written in A minor: mostly A natural minor pitch classes (+ G# of E7).
    pcs = np.array([n.pitch % 12 for n in bass_midi.instruments[0].notes])
    assert np.isin(pcs, [9, 11, 0, 2, 4, 5, 7, 8]).mean() >= 0.9


def test_chorale_chord_symbols() -> None:
    from music21 import chord

    from training.folk_corpus import chord_symbol

    assert chord_symbol(chord.Chord(["E3", "G#3", "B3", "D4"]), -4) == "C7"  # E7 moved to C
    assert chord_symbol(chord.Chord(["D3", "F3", "A3"]), 0) == "Dm"
    assert chord_symbol(chord.Chord(["G3", "B3", "D4"]), 2) == "A"
    assert chord_symbol(chord.Chord(["B3", "D4", "F4"]), 0) == "Bdim"


def test_tune_to_sequence_normalises_key_and_splits() -> None:
    from music21 import meter, note, stream

    from training.datasets import split_long
    from training.folk_corpus import score_to_sequence

    part = stream.Part()
    part.append(meter.TimeSignature("3/4"))
    e_major = ["E4", "F#4", "G#4", "A4", "B4", "C#5", "D#5", "E5", "B4", "G#4", "E4", "E4"] * 4
    for name in e_major:
        part.append(note.Note(name, quarterLength=1.0))
    score = stream.Score([part])
    sequence = score_to_sequence(score, tune_id="synthetic#1")
    assert sequence is not None and len(sequence.notes) == len(e_major)
    assert [n.pitch for n in sequence.notes[:3]] == [60, 62, 64]  # E4 F#4 G#4 -> C4 D4 E4
    assert sequence.key_signatures[0].key == 0
    assert (sequence.time_signatures[0].numerator, sequence.time_signatures[0].denominator) == (3, 4)
    assert sequence.notes[1].start_time == pytest.approx(0.5)  # one quarter at 120 bpm
    pieces = split_long([sequence], seconds=6.0)  # 48 quarters = 24 s -> 4 windows of 12 quarters
    assert len(pieces) == 4 and sum(len(p.notes) for p in pieces) == len(e_major)


def test_groove_dynamics_fit_on_a_real_rendering(rendering_in_g: mma_corpus.Rendering) -> None:
    from training.groove_dynamics import fit

    model = fit([rendering_in_g])
    assert model["grooves"] == 1 and model["sources"]["rock"] == ["basicrock"]
    snare = model["tables"]["rock"]["4/4"]["snare"]
    assert snare["n"][4] > 0 and snare["n"][12] > 0  # BasicRock's backbeat
    assert model["tables"]["default"]["4/4"]["bass"]["n"][0] >= 8  # a bass note on every downbeat
    assert model["drum_classes"]["36"] == "kick"


def test_primer_clips_that_sound_like_another_style_are_not_typical() -> None:
    from training.primers import typical

    def clip(kick_steps: list[int], snare_steps: list[int]) -> list[dict]:
        return [{"pitch": 36, "start_beats": s / 4} for s in kick_steps] + [
            {"pitch": 38, "start_beats": s / 4} for s in snare_steps
        ]

    four = clip([0, 4, 8, 12, 16, 20, 24, 28], [4, 12, 20, 28])  # four on the floor
    backbeat = clip([0, 8, 16, 24], [4, 12, 20, 28])
    found = typical({"disco": [four, four, backbeat], "rock": [backbeat, backbeat, backbeat]})
    assert found == {"disco": [True, True, False], "rock": [True, True, True]}
