"""The Magenta backend: bundle loading, the shipped bundles, and every generation control.

CPU only. The shipped bundles in models/ are loaded once per module. Two tiny bundles with
untrained weights and standard generator ids (``chord_pitches_improv``, ``lookback_rnn``) are
built in a temporary folder: they stand for official bundles dropped into models/ and let the
pitch controls (key, scale, primer, bass range) be checked whatever has been shipped. Checks that
need a model that has learnt something (chords steer the bass, a style steers the drums) use the
shipped bundles only.
"""

from __future__ import annotations

import contextvars
import copy
import io
import json
import logging
import shutil
import tempfile
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from ai import progress
from ai.generation import magenta_backend as mb
from ai.generation import magenta_bass, magenta_models, magenta_primers
from ai.generation.base import GenerationRequest, GeneratorRegistry, Note
from ai.generation.theory_melody import MELODY_RANGE
from ai.music_theory import SCALES, Key, default_progression, parse_progression, tones_under
from utils.errors import InvalidParameter, ModelUnavailable
from utils.settings import REPO_ROOT

MODELS_DIR = REPO_ROOT / "models"
SHIPPED = sorted(MODELS_DIR.glob("*.mag"))
pytestmark = pytest.mark.skipif(not SHIPPED, reason=f"no Magenta bundle (*.mag) shipped in {MODELS_DIR}")

C_MAJOR = Key(0, "major")


def _request(part: str, **kwargs: object) -> GenerationRequest:
    key = kwargs.pop("key", C_MAJOR)
    assert isinstance(key, Key)
    chords = kwargs.pop("chords", default_progression(key))
    return GenerationRequest(part=part, key=key, chords=chords, **kwargs)  # type: ignore[arg-type]


def _random_bundle(generator_id: str, path: Path, description: str) -> Path:
    """A bundle with a standard generator id and untrained weights (one LSTM layer of 16)."""
    tf = magenta_models._import_tensorflow()
    from magenta.models.shared import events_rnn_graph

    family = magenta_models.family_for_generator_id(generator_id)
    assert family is not None
    factory = magenta_models._generator_map(family)[generator_id]
    config = copy.deepcopy(factory.args[0])
    config.hparams.batch_size = 1
    config.hparams.rnn_layer_sizes = [16]
    config.details.description = description
    workdir = Path(tempfile.mkdtemp())
    try:
        with tf.Graph().as_default():
            events_rnn_graph.get_build_graph_fn("generate", config)()
            with tf.Session() as session:
                tf.set_random_seed(1)
                session.run(tf.global_variables_initializer())
                tf.train.Saver().save(session, str(workdir / "model.ckpt"))
        generator = factory.func(config, checkpoint=str(workdir / "model.ckpt"))
        generator.create_bundle_file(str(path), description)
        generator.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return path


@pytest.fixture(scope="module")
def shipped() -> tuple[GeneratorRegistry, list[mb.MagentaGenerator]]:
    registry = GeneratorRegistry()
    loaded = mb.load_bundles(MODELS_DIR, registry)
    return registry, loaded


@pytest.fixture(scope="module")
def official_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder as a user would fill it with official bundles (standard ids and names)."""
    folder = tmp_path_factory.mktemp("official")
    _random_bundle("chord_pitches_improv", folder / "chord_pitches_improv.mag", "Improv RNN with chord pitches")
    _random_bundle("lookback_rnn", folder / "lookback_rnn.mag", "Melody RNN with lookback encoding")
    drums = next((p for p in SHIPPED if p.stem.endswith("drums")), None)
    if drums is not None:
        shutil.copy(drums, folder / "drum_kit_rnn.mag")
    return folder


@pytest.fixture(scope="module")
def official(official_dir: Path) -> tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]]:
    registry = GeneratorRegistry()
    loaded = mb.load_bundles(official_dir, registry)
    return registry, {g.name: g for g in loaded}


def _for_part(generators: list[mb.MagentaGenerator], part: str) -> list[mb.MagentaGenerator]:
    found = [g for g in generators if part in g.parts]
    # models/ ships a bundle for every part: one that stops loading fails here rather than skipping its tests.
    assert found, f"no shipped Magenta bundle generates {part} (models/: {[p.name for p in SHIPPED]})"
    return found


def _pitched(official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]]) -> mb.MagentaGenerator:
    return official[1]["chord_pitches_improv"]


# --- mapping and loading ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("generator_id", "family"),
    [
        ("drum_kit", "drums_rnn"),
        ("one_drum", "drums_rnn"),
        ("basic_rnn", "melody_rnn"),
        ("lookback_rnn", "melody_rnn"),
        ("attention_rnn", "melody_rnn"),
        ("chord_pitches_improv", "improv_rnn"),
        ("basic_improv", "improv_rnn"),
        ("polyphony", "polyphony_rnn"),
        ("performance_with_dynamics", "performance_rnn"),
        ("no_such_model", None),
    ],
)
def test_generator_ids_map_to_magenta_families(generator_id: str, family: str | None) -> None:
    assert magenta_models.family_for_generator_id(generator_id) == family


def test_parts_and_preference_put_our_bass_model_first() -> None:
    bass = magenta_models.parts_and_preference("improv_rnn", "chord_pitches_improv", "dawg_bass_improv", "")
    melody_improv = magenta_models.parts_and_preference(
        "improv_rnn", "chord_pitches_improv", "dawg_melody_improv", "sopranos"
    )
    official = magenta_models.parts_and_preference(
        "improv_rnn", "chord_pitches_improv", "chord_pitches_improv", "Improv RNN"
    )
    by_description = magenta_models.parts_and_preference(
        "improv_rnn", "chord_pitches_improv", "mine", "walking bass lines"
    )
    assert bass[0] == frozenset({"bass"}) and by_description[0] == frozenset({"bass"})
    assert melody_improv[0] == official[0] == frozenset({"melody", "bass"})
    assert bass[1] > official[1]
    assert magenta_models.parts_and_preference("drums_rnn", "drum_kit", "drum_kit_rnn", "")[0] == frozenset({"drums"})
    assert magenta_models.parts_and_preference("melody_rnn", "attention_rnn", "x", "")[1] > official[1]


def test_every_shipped_bundle_loads(shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]]) -> None:
    registry, loaded = shipped
    failures = {d["name"]: d.get("error") for d in registry.describe() if not d["loaded"]}
    assert not failures
    assert sorted(g.name for g in loaded) == sorted(p.stem for p in SHIPPED)
    for generator in loaded:
        info = generator.describe()
        assert info["family"] == "magenta" and info["initialized"] is True
        assert info["generator_id"] and info["file_bytes"] == (MODELS_DIR / f"{generator.name}.mag").stat().st_size
        assert magenta_models.family_for_generator_id(str(info["generator_id"])) == info["model_type"]


def test_every_shipped_bundle_generates_each_of_its_parts(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
) -> None:
    for generator in shipped[1]:
        for part in sorted(generator.parts):
            request = _request(part, bars=4, seed=5, key=Key(7, "minor"))
            clip = generator.generate(request)
            assert clip.model == generator.name and clip.part == part
            assert clip.extra["generator_id"] == generator.generator_id
            assert len(clip.notes) >= 4, f"{generator.name} made almost nothing for {part}"
            assert all(0.0 <= n.start < n.end <= request.duration_seconds + 1e-9 for n in clip.notes)
            midi = pretty_midi.PrettyMIDI(io.BytesIO(clip.to_midi_bytes()))
            (instrument,) = midi.instruments
            assert instrument.is_drum == (part == "drums")
            if part == "drums":
                assert all(35 <= n.pitch <= 81 for n in clip.notes)  # General MIDI percussion
            else:
                assert all(n.pitch % 12 in request.key.pitch_classes for n in clip.notes)
            if part == "bass":
                assert all(magenta_bass.BASS_RANGE[0] <= n.pitch <= magenta_bass.BASS_RANGE[1] for n in clip.notes)


def test_official_bundles_load_through_the_same_code(
    official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]],
) -> None:
    registry, generators = official
    assert {"chord_pitches_improv", "lookback_rnn"} <= set(generators)
    assert generators["lookback_rnn"].parts == frozenset({"melody"})
    assert generators["lookback_rnn"].model_family == "melody_rnn"
    assert generators["chord_pitches_improv"].parts == frozenset({"melody", "bass"})
    if "drum_kit_rnn" in generators:
        assert generators["drum_kit_rnn"].parts == frozenset({"drums"})
        assert registry.select("drums", "drum_kit_rnn")[0] is generators["drum_kit_rnn"]
    clip = generators["lookback_rnn"].generate(_request("melody", bars=2, seed=1))
    assert clip.notes and clip.model == "lookback_rnn"
    with pytest.raises(InvalidParameter, match="does not generate drums"):
        registry.select("drums", "lookback_rnn")


def test_bass_trained_bundle_wins_for_bass(official_dir: Path, tmp_path: Path) -> None:
    shutil.copy(official_dir / "chord_pitches_improv.mag", tmp_path / "chord_pitches_improv.mag")
    shutil.copy(official_dir / "chord_pitches_improv.mag", tmp_path / "dawg_bass_improv.mag")
    shutil.copy(official_dir / "lookback_rnn.mag", tmp_path / "lookback_rnn.mag")
    registry = GeneratorRegistry()
    mb.load_bundles(tmp_path, registry, initialize=False)
    assert registry.select("bass", None)[0].name == "dawg_bass_improv"
    assert registry.select("melody", "magenta")[0].name == "lookback_rnn"
    assert registry.get("dawg_bass_improv").parts == frozenset({"bass"})


def test_corrupt_and_unknown_bundles_are_reported_not_raised(tmp_path: Path) -> None:
    from note_seq.protobuf import generator_pb2

    (tmp_path / "garbage.mag").write_bytes(b"\x07not a protobuf at all\xff" * 10)
    (tmp_path / "empty.mag").write_bytes(b"")
    unknown = generator_pb2.GeneratorBundle()
    unknown.generator_details.id = "my_own_model"
    (tmp_path / "unknown.mag").write_bytes(unknown.SerializeToString())
    truncated = SHIPPED[0].read_bytes()
    (tmp_path / "truncated.mag").write_bytes(truncated[: len(truncated) // 2])
    (tmp_path / "drum_style_primers.json").write_text("{not json")
    registry = GeneratorRegistry()
    loaded = mb.load_bundles(tmp_path, registry)
    assert loaded == [] and registry.names == []
    errors = {d["name"]: str(d["error"]) for d in registry.describe() if not d["loaded"]}
    assert set(errors) == {"garbage", "empty", "unknown", "truncated", "drum_style_primers"}
    assert "my_own_model" in errors["unknown"]
    with pytest.raises(ModelUnavailable, match="truncated"):
        registry.get("truncated")
    assert mb.load_bundles(tmp_path / "missing", GeneratorRegistry()) == []


def test_a_load_the_engine_stops_under_ends_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An engine stopped while its bundles load (a command refused at once, a port in use): the interpreter
    then exits under the loader, every bundle's import failed ("can't register atexit after shutdown") and
    each printed a 70-line traceback as an ERROR after the command's one line."""
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.mag").write_bytes(b"")
    stop = threading.Event()
    tried: list[str] = []

    def from_bundle_file(path: Path, **kwargs: object) -> mb.MagentaGenerator:
        tried.append(path.name)
        stop.set()  # the engine stops while this bundle loads
        raise RuntimeError("can't register atexit after shutdown")

    monkeypatch.setattr(mb.MagentaGenerator, "from_bundle_file", from_bundle_file)
    with caplog.at_level(logging.DEBUG, logger=mb.__name__):
        assert mb.load_bundles(tmp_path, GeneratorRegistry(), stop=stop) == []
    assert tried == ["a.mag"]
    logged = [r for r in caplog.records if r.name == mb.__name__]
    assert [r.levelno for r in logged] == [logging.DEBUG] and "a.mag" in logged[0].getMessage()


def test_a_bundle_that_fails_while_the_engine_serves_is_still_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a.mag").write_bytes(b"")

    def from_bundle_file(path: Path, **kwargs: object) -> mb.MagentaGenerator:
        raise RuntimeError("broken")

    monkeypatch.setattr(mb.MagentaGenerator, "from_bundle_file", from_bundle_file)
    registry = GeneratorRegistry()
    with caplog.at_level(logging.ERROR, logger=mb.__name__):
        mb.load_bundles(tmp_path, registry, stop=threading.Event())
    assert [r.getMessage() for r in caplog.records if r.name == mb.__name__] == ["Magenta bundle a.mag failed to load"]
    assert [d["error"] for d in registry.describe() if not d["loaded"]] == ["a.mag: RuntimeError: broken"]


# --- determinism and threads -----------------------------------------------------------------


def test_seed_reproduces_byte_for_byte(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
    official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]],
) -> None:
    for generator in [*shipped[1], _pitched(official)]:
        part = sorted(generator.parts)[0]
        request = _request(part, bars=2, seed=11, humanize=0.5, swing=0.3)
        first = generator.generate(request).to_midi_bytes()
        assert generator.generate(request).to_midi_bytes() == first
        other = GenerationRequest(**{**request.__dict__, "seed": 12})
        assert generator.generate(other).to_midi_bytes() != first


class _CancelAfter:
    """A job's reporter that is cancelled after ``checks`` cancellation checks."""

    def __init__(self, checks: int) -> None:
        self.left = checks
        self.seen = 0

    def update(self, fraction: float, stage: str | None) -> None:
        self.check()

    def check(self) -> None:
        self.seen += 1
        self.left -= 1
        if self.left < 0:
            raise progress.Cancelled("cancelled")


def test_a_cancelled_request_stops_inside_magentas_sampling(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
) -> None:
    """Each drawn step is a cancellation point: a 16-bar part stops a few steps after its job is cancelled,
    and the generator serves the next request as before (its lock released, the same clip for a seed)."""
    generator = _for_part(shipped[1], "drums")[0]
    request = _request("drums", bars=16, seed=5)
    expected = generator.generate(request).to_midi_bytes()
    reporter = _CancelAfter(checks=10)
    context = contextvars.copy_context()
    context.run(progress.attach, reporter)
    with pytest.raises(progress.Cancelled):
        context.run(generator.generate, request)
    assert reporter.seen < 20  # stopped at the first draw after the cancellation, not at the end (256 steps)
    assert generator.generate(request).to_midi_bytes() == expected


def test_concurrent_requests_give_the_sequential_results(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
    official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]],
) -> None:
    jobs = [
        (g, _request(sorted(g.parts)[0], bars=2, seed=s))
        for g in (shipped[1][0], _pitched(official))
        for s in (1, 2, 3)
    ]
    expected = [g.generate(r).to_midi_bytes() for g, r in jobs]
    results: dict[int, bytes] = {}

    def work(i: int) -> None:
        generator, request = jobs[i]
        results[i] = generator.generate(request).to_midi_bytes()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[i] for i in range(len(jobs))] == expected


# --- controls --------------------------------------------------------------------------------


def _mean_notes(generator: mb.MagentaGenerator, part: str, seeds: range = range(4), **kwargs: object) -> float:
    return float(np.mean([len(generator.generate(_request(part, seed=s, **kwargs)).notes) for s in seeds]))


def test_more_density_more_notes(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
    official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]],
) -> None:
    for generator in [*shipped[1], _pitched(official)]:
        for part in sorted(generator.parts):
            counts = [_mean_notes(generator, part, bars=4, density=d) for d in (0.0, 0.5, 1.0)]
            assert counts[0] < counts[1] < counts[2], f"{generator.name} {part}: {counts}"


def test_key_shift_moves_pitch_classes(official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]]) -> None:
    generator = _pitched(official)
    for part in ("melody", "bass"):
        in_c = generator.generate(_request(part, bars=4, seed=3, key=Key(0, "major")))
        in_e = generator.generate(_request(part, bars=4, seed=3, key=Key(4, "major")))
        assert len(in_c.notes) == len(in_e.notes) > 0
        assert [(n.pitch + 4) % 12 for n in in_c.notes] == [n.pitch % 12 for n in in_e.notes]
        assert in_e.extra["transposition_to_model"] == -4
        in_a_minor = generator.generate(_request(part, bars=4, seed=3, key=Key(9, "minor")))
        in_fs_minor = generator.generate(_request(part, bars=4, seed=3, key=Key(6, "minor")))
        assert [(n.pitch - 3) % 12 for n in in_a_minor.notes] == [n.pitch % 12 for n in in_fs_minor.notes]


@pytest.mark.parametrize("scale", sorted(SCALES))
def test_every_note_in_the_scale(
    scale: str, official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]]
) -> None:
    """A melody keeps to the scale; a bass line also plays its chords' own tones (the default progression of Bb
    major pentatonic has an Eb chord, whose root the pentatonic scale lacks)."""
    generator = _pitched(official)
    for tonic, part in ((2, "melody"), (10, "bass")):
        key = Key(tonic, scale)
        request = _request(part, bars=4, seed=tonic, key=key, temperature=1.5)
        clip = generator.generate(request)
        assert clip.notes
        for note in clip.notes:
            allowed = key.pitch_classes
            if part == "bass":
                allowed = allowed | tones_under(key, request.chord_at_bar(int(note.start / request.bar_seconds)))
            assert note.pitch % 12 in allowed, (scale, part, note)


def test_chromatic_turns_snapping_off(official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]]) -> None:
    generator = _pitched(official)
    key = Key(0, "major_pentatonic")
    outside = 0
    for seed in range(3):
        strict = generator.generate(_request("melody", bars=4, seed=seed, key=key))
        free = generator.generate(_request("melody", bars=4, seed=seed, key=key, chromatic=True))
        assert all(n.pitch % 12 in key.pitch_classes for n in strict.notes)
        assert [n.start for n in strict.notes] == [n.start for n in free.notes]
        outside += sum(n.pitch % 12 not in key.pitch_classes for n in free.notes)
    assert outside > 0


def test_a_melody_lies_in_the_melody_range(shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]]) -> None:
    """The melody model wandered down to C#3, into the bass's register (QA, session 29); the theory backend's
    melodies keep to C4..C6. Moved by whole octaves (its intervals kept), nearly all of a line lies there."""
    inside = total = 0
    for generator in _for_part(shipped[1], "melody"):
        for seed in range(8):
            pitches = [n.pitch for n in generator.generate(_request("melody", bars=4, seed=seed)).notes]
            assert MELODY_RANGE[0] <= float(np.median(pitches)) <= MELODY_RANGE[1], (generator.name, seed, pitches)
            inside += sum(MELODY_RANGE[0] <= p <= MELODY_RANGE[1] for p in pitches)
            total += len(pitches)
    assert inside >= 0.97 * total, (inside, total)  # 288 of 302 before, over seeds 0-7 of both melody models


def test_bass_lies_in_bass_range(official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]]) -> None:
    generator = _pitched(official)
    for seed, tonic in ((0, 0), (1, 6), (2, 11)):
        clip = generator.generate(_request("bass", bars=8, seed=seed, key=Key(tonic, "minor")))
        assert clip.program == 33 and clip.notes
        assert all(magenta_bass.BASS_RANGE[0] <= n.pitch <= magenta_bass.BASS_RANGE[1] for n in clip.notes)


def _pc_share(clips: list, pc: int) -> float:
    notes = [n for clip in clips for n in clip.notes]
    return sum(n.pitch % 12 == pc for n in notes) / max(1, len(notes))


def test_chords_change_bass_roots(shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]]) -> None:
    generator = _for_part(shipped[1], "bass")[0]
    over_c = [generator.generate(_request("bass", bars=4, seed=s, chords=parse_progression("C"))) for s in range(4)]
    over_g = [generator.generate(_request("bass", bars=4, seed=s, chords=parse_progression("G"))) for s in range(4)]
    assert over_c[0].extra["chords"] == ["C"] and over_g[0].extra["model_chords"][0] == "G"
    assert _pc_share(over_c, 0) > _pc_share(over_g, 0)
    assert _pc_share(over_g, 7) > _pc_share(over_c, 7)


def test_every_bar_starts_on_its_chords_bass_note(shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]]) -> None:
    """The slash note, else the root, on each chord's beat 1 (the model alone played G under G/B in 4 of 6
    seeds, F under C and G under F), and no note the chord alters: no C natural under A7 in C major."""
    generator = _for_part(shipped[1], "bass")[0]
    for text in ("C/E F G/B C", "Dm7 G7 Cmaj7 A7", "C Bb F C", "D/F# G C/Bb F/A"):  # the last two: notes outside C
        chords = parse_progression(text)
        for seed in range(1, 7):
            clip = generator.generate(_request("bass", bars=4, seed=seed, chords=chords))
            for bar, chord in enumerate(chords):
                on_one = [n.pitch for n in clip.notes if abs(n.start - 2.0 * bar) < 1e-3]
                assert on_one and min(on_one) % 12 == chord.bass_pitch_class, (text, seed, bar, on_one)
                in_bar = {n.pitch % 12 for n in clip.notes if 2.0 * bar - 1e-6 <= n.start < 2.0 * bar + 2.0}
                assert in_bar <= tones_under(C_MAJOR, chord), (text, seed, bar, in_bar)  # no B natural under Bb
            under_a7 = [n.pitch % 12 for n in clip.notes if 6.0 - 1e-6 <= n.start < 8.0]
            assert text != "Dm7 G7 Cmaj7 A7" or 0 not in under_a7, (seed, under_a7)


def test_a_bar_that_changes_chord_at_its_middle_meets_both(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
) -> None:
    """With half-bar chords (Dm7 G7 | Cmaj7 A7 | F G | C C/E) the model reads both (a chord symbol at each change),
    beat 3 plays the second chord's bass note as beat 1 plays the first's, and each half keeps to its own chord's
    tones: no C natural under the A7 half in C major."""
    generator = _for_part(shipped[1], "bass")[0]
    chords = parse_progression("Dm7 Cmaj7 F C")
    second = tuple(parse_progression("G7 A7 G C/E"))
    for style in (None, "rock"):
        for seed in range(1, 4):
            request = _request("bass", bars=4, seed=seed, chords=chords, half_bar_chords=second, style=style)
            clip = generator.generate(request)
            model_chords = clip.extra["model_chords"]
            assert isinstance(model_chords, list) and model_chords[:2] == ["Dm7 G7", "Cmaj7 A7"]
            for bar in range(4):
                for half, chord in ((0, chords[bar]), (1, second[bar])):
                    start = 2.0 * bar + 1.0 * half
                    struck = [n.pitch for n in clip.notes if abs(n.start - start) < 1e-3]
                    assert struck and min(struck) % 12 == chord.bass_pitch_class, (style, seed, bar, half, struck)
                    in_half = {n.pitch % 12 for n in clip.notes if start - 1e-6 <= n.start < start + 1.0 - 1e-6}
                    assert in_half <= tones_under(C_MAJOR, chord), (style, seed, bar, half, in_half)


def test_a_melody_plays_no_key_tone_its_bars_chord_alters(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
) -> None:
    """Under A7 in C major the third is C#: the melody snapped to the key alone played C natural there
    (session 28's QA); it is snapped to the key less the tones each bar's chord alters, as the bass is."""
    chords = parse_progression("Dm7 G7 Cmaj7 A7")
    played = []
    for generator in _for_part(shipped[1], "melody"):
        for seed in range(1, 7):
            clip = generator.generate(_request("melody", bars=4, seed=seed, chords=chords, temperature=1.5))
            under_a7 = [n.pitch % 12 for n in clip.notes if 6.0 - 1e-6 <= n.start < 8.0]
            assert 0 not in under_a7, (generator.name, seed, under_a7)
            played += under_a7
    assert played  # the models play in that bar at all


def test_a_melody_holds_no_b_natural_on_a_beat_under_a_borrowed_ab(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
) -> None:
    """B natural under Ab in C major is on no letter the chord alters (chord_scale keeps it), but on a beat it
    is heard as Cb against the chord's C: session 29's QA heard it on strong beats of the Magenta melody
    (16 of 86 notes on a beat under Ab in 16 clips). On a beat the melody takes beat_scale; between beats the
    model's B may pass."""
    played = 0
    for generator in _for_part(shipped[1], "melody"):
        for text in ("C Ab F G", "C Fm Ab G"):
            chords = parse_progression(text)
            for seed in range(1, 4):
                clip = generator.generate(_request("melody", bars=4, seed=seed, chords=chords))
                bar_of_ab = 2.0 * [c.symbol for c in chords].index("Ab")
                on_beats = [
                    n.pitch % 12
                    for n in clip.notes
                    if bar_of_ab - 1e-6 <= n.start < bar_of_ab + 2.0
                    and abs(n.start / 0.5 - round(n.start / 0.5)) < 1e-3
                ]
                assert 11 not in on_beats, (generator.name, text, seed, on_beats)
                played += len(on_beats)
    assert played  # the models play on those beats at all


def test_a_downbeat_note_moves_to_the_bass_notes_nearest_octave() -> None:
    request = _request("bass", bars=2, chords=parse_progression("G/B C"))
    line = [Note(43, 0.0, 1.0, 90), Note(50, 1.0, 2.0, 80), Note(41, 2.0, 3.0, 90)]  # G2 D3 | F2
    anchored = magenta_bass._anchor_downbeats(line, request, offset=0.0)
    assert [n.pitch for n in anchored] == [47, 50, 36]  # B2 under G/B; C2 (a fifth down, not up) under C
    assert [(n.start, n.end, n.velocity) for n in anchored] == [(n.start, n.end, n.velocity) for n in line]


def _pitch_entropy(clips: list) -> float:
    counts = np.array(list(Counter(n.pitch for clip in clips for n in clip.notes).values()), dtype=float)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def test_temperature_changes_output(shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]]) -> None:
    for generator in shipped[1]:
        part = sorted(generator.parts)[0]
        cold = [generator.generate(_request(part, bars=4, seed=s, temperature=0.3)) for s in range(4)]
        hot = [generator.generate(_request(part, bars=4, seed=s, temperature=2.0)) for s in range(4)]
        assert [c.to_midi_bytes() for c in cold] != [c.to_midi_bytes() for c in hot]
        assert _pitch_entropy(hot) > _pitch_entropy(cold), generator.name


def test_primer_is_continued_not_replaced(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
    official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]],
) -> None:
    melody_primer = tuple(Note(p, i * 0.5, i * 0.5 + 0.45, 90) for i, p in enumerate((64, 67, 72, 71, 69, 67, 64, 62)))
    drum_primer = tuple(Note(36 if i % 4 == 0 else 42, i * 0.25, i * 0.25 + 0.1, 100) for i in range(15))
    cases = [(_pitched(official), "melody", melody_primer)] + [
        (g, "drums", drum_primer) for g in shipped[1] if "drums" in g.parts
    ]
    for generator, part, primer in cases:
        request = _request(part, bars=2, seed=4, primer=primer, primer_seconds=4.0)
        clip = generator.generate(request)
        assert clip.duration_seconds == pytest.approx(4.0 + request.duration_seconds)
        assert clip.notes[: len(primer)] == list(primer)
        continuation = clip.notes[len(primer) :]
        assert continuation and all(
            n.start >= 4.0 - 1e-9 and n.end <= clip.duration_seconds + 1e-9 for n in continuation
        )


def test_a_swung_primer_is_continued_in_swung_eighths_not_dotted_rhythms(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
) -> None:
    """A melody in swung eighths (the off-beat at two thirds of the beat) was fed to the model as it is, read
    on its 16th grid as dotted rhythms, and continued in them: swung again, off-beats at 0.833 of the beat."""
    pitches = (60, 62, 64, 65, 67, 65, 64, 62) * 2
    primer = tuple(
        Note(p, i // 2 * 0.5 + (i % 2) * 1 / 3, i // 2 * 0.5 + (i % 2) * 1 / 3 + 0.15, 90)
        for i, p in enumerate(pitches)
    )
    places = []
    for generator in _for_part(shipped[1], "melody"):
        for seed in range(3):
            request = _request("melody", bars=2, seed=seed, primer=primer, primer_seconds=4.0, swing=1.0)
            clip = generator.generate(request)
            places += [round((n.start / 0.5) % 1.0, 2) for n in clip.notes[len(primer) :]]
    off = [p for p in places if 0.05 < p < 0.95]
    assert off and sum(abs(p - 0.67) < 0.03 for p in off) >= 0.6 * len(off), places


def test_continuation_follows_the_primer_register(
    official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]],
) -> None:
    generator = _pitched(official)
    medians = []
    for octave in (0, 2):
        primer = tuple(
            Note(p + 12 * octave, i * 0.5, i * 0.5 + 0.45, 90) for i, p in enumerate((60, 64, 67, 72, 67, 64))
        )
        clip = generator.generate(_request("melody", bars=4, seed=2, primer=primer, primer_seconds=4.0))
        medians.append(float(np.median([n.pitch for n in clip.notes[len(primer) :]])))
    assert 18 <= medians[1] - medians[0] <= 30


def test_primer_conditions_the_shipped_models(shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]]) -> None:
    """Two different primers, same seed: a model that listens to its input continues differently."""
    for generator in shipped[1]:
        part = sorted(generator.parts)[0]
        if part == "drums":
            primers = [
                tuple(Note(p, i * 0.25, i * 0.25 + 0.1, 100) for i in range(16) for p in pair if i % step == 0)
                for pair, step in (((36, 42), 2), ((38, 51), 3))
            ]
        else:
            primers = [
                tuple(Note(p, i * 0.5, i * 0.5 + 0.45, 90) for i, p in enumerate(line))
                for line in ((60, 62, 64, 65, 67, 69, 71, 72), (72, 67, 64, 60, 64, 67, 72, 76))
            ]
        outs = [generator.generate(_request(part, bars=2, seed=8, primer=p, primer_seconds=4.0)) for p in primers]
        assert outs[0].notes[len(primers[0]) :] != outs[1].notes[len(primers[1]) :], generator.name


def test_drum_style_primes_and_is_dropped(shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]]) -> None:
    generator = _for_part(shipped[1], "drums")[0]
    assert generator.style_primers, "models/drum_style_primers.json is shipped: its grooves must load"
    plain = generator.generate(_request("drums", bars=2, seed=2))
    assert plain.extra["style_primer"] in generator.style_primers  # no style: a groove of any style
    clips = {}
    for style in ("rock", "latin", "jazz"):
        if style not in generator.style_primers:
            continue
        clip = generator.generate(_request("drums", bars=2, seed=2, style=style))
        assert clip.extra["style_primer"] == style
        assert all(0.0 <= n.start < clip.duration_seconds for n in clip.notes)
        assert clip.duration_seconds == pytest.approx(4.0)
        clips[style] = clip.to_midi_bytes()
    assert len(set(clips.values()) | {plain.to_midi_bytes()}) == len(clips) + 1
    waltz = generator.generate(_request("drums", bars=2, seed=2, style="rock", beats_per_bar=3))
    assert "style_note" in waltz.extra  # no 3/4 rock groove: unprimed, and it says so


def test_bass_style_primes_a_riff_and_every_bar_starts_on_one(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
) -> None:
    bass = next(g for g in _for_part(shipped[1], "bass") if g.model_family == "improv_rnn")
    assert {"rock", "funk", "reggae", "jazz", "latin"} <= set(bass.bass_primers)
    chords = parse_progression("Am F C G")
    a_minor = Key(9, "minor")
    onsets = {}
    for style in ("funk", "reggae", None):
        clips = [
            bass.generate(_request("bass", key=a_minor, chords=chords, bars=4, seed=seed, style=style))
            for seed in range(3)
        ]
        for clip in clips:
            assert clip.extra.get("style_primer") == style  # None: no riff without a style
            assert all(0.0 <= n.start < clip.duration_seconds for n in clip.notes)
            for bar in range(4):  # a note on every bar's first beat
                assert any(abs(n.start - 2.0 * bar) < 1e-3 for n in clip.notes), (style, bar)
        onsets[style] = sorted({round(n.start % 2.0, 3) for c in clips for n in c.notes})
    assert "style_primer" not in bass.generate(_request("bass", key=a_minor, chords=chords, bars=2)).extra
    assert onsets["funk"] != onsets["reggae"]  # the styles' riffs give the lines different rhythms


def test_swing_delays_offbeats_and_humanize_loosens(
    official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]],
) -> None:
    generator = _pitched(official)
    straight = generator.generate(_request("melody", bars=4, seed=6))
    swung = generator.generate(_request("melody", bars=4, seed=6, swing=1.0))
    loose = generator.generate(_request("melody", bars=4, seed=6, humanize=1.0))
    assert [n.pitch for n in swung.notes] == [n.pitch for n in straight.notes]
    beat = 0.5
    offbeats = [
        (a, b) for a, b in zip(straight.notes, swung.notes, strict=True) if abs(a.start % beat - beat / 2) < 1e-6
    ]
    assert offbeats and all(b.start == pytest.approx(a.start - beat / 2 + beat * 2 / 3) for a, b in offbeats)
    assert [n.pitch for n in loose.notes] == [n.pitch for n in straight.notes]
    shifts = [abs(a.start - b.start) for a, b in zip(straight.notes, loose.notes, strict=True)]
    assert max(shifts) > 0 and max(shifts) <= 0.02 + 1e-9
    assert [n.velocity for n in loose.notes] != [n.velocity for n in straight.notes]


def test_tempo_and_time_signature(official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]]) -> None:
    generator = _pitched(official)
    fast = generator.generate(_request("melody", bars=2, seed=9, tempo=120.0))
    slow = generator.generate(_request("melody", bars=2, seed=9, tempo=60.0))
    assert [n.start * 2 for n in fast.notes] == pytest.approx([n.start for n in slow.notes])
    waltz = generator.generate(_request("melody", bars=4, seed=9, beats_per_bar=3))
    assert waltz.duration_seconds == pytest.approx(4 * 3 * 0.5)
    assert waltz.beats_per_bar == 3 and all(n.end <= 6.0 + 1e-9 for n in waltz.notes)
    midi = pretty_midi.PrettyMIDI(io.BytesIO(waltz.to_midi_bytes()))
    assert midi.time_signature_changes[0].numerator == 3


def test_bad_parameters_are_parameter_errors(
    official: tuple[GeneratorRegistry, dict[str, mb.MagentaGenerator]],
) -> None:
    generator = official[1]["lookback_rnn"]
    with pytest.raises(InvalidParameter, match="part"):
        generator.generate(_request("drums"))
    for field, value in (("temperature", 0.0), ("density", 1.5), ("seed", -1), ("bars", 0)):
        with pytest.raises(InvalidParameter, match=field):
            generator.generate(_request("melody", **{field: value}))
    with pytest.raises(InvalidParameter, match="time_signature"):
        generator.generate(_request("melody", beats_per_bar=5, beat_unit=32))


def test_style_primer_file_is_read(tmp_path: Path) -> None:
    clip = [
        {"pitch": 36, "start_beats": 0.0, "end_beats": 0.25, "velocity": 100},
        {"pitch": 38, "start_beats": 4.0, "end_beats": 4.25, "velocity": 90},
    ]
    waltz = [{"pitch": 36, "start_beats": 0.0, "end_beats": 0.25, "velocity": 100}]
    payload = {"rock": [clip], "swing": [clip], "jazz": [clip], "waltz": [waltz]}
    (tmp_path / "p.json").write_text(json.dumps(payload))
    (tmp_path / "p.sources.json").write_text('{"waltz": ["waltz/Waltz (3/4)"]}')
    styles = magenta_primers.load_style_primers(tmp_path / "p.json")
    assert set(styles) == {"rock", "jazz", "waltz"}
    assert len(styles["jazz"]) == 2  # swing pools with jazz, as the engine names styles
    assert styles["rock"][0].beats == 8.0 and styles["rock"][0].notes[1] == (38, 4.0, 4.25, 90)
    assert styles["waltz"][0].beats_per_bar == 3 and styles["waltz"][0].beats == 6.0


def test_waltz_drums_mark_the_one_and_play_no_ghosts(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
) -> None:
    """The drummers' habits (ai.generation.drum_habits) on the Magenta path: MMA's training
    waltzes play no ghost notes and kick on the one, so no hit of a waltz clip is softer than 55 %
    of its drum's loudest and every bar kicks on the one (the fill bars too, as the groove's bars do:
    before session 30 they were the bars without, no weaker there than on their beats)."""
    generator = _for_part(shipped[1], "drums")[0]
    # Both ship in models/ (drum_style_primers.json, groove_dynamics.json): missing, the test fails, not skips.
    assert "waltz" in generator.style_primers and generator.dynamics is not None
    classes = generator.dynamics.drum_class
    for seed in range(6):
        clip = generator.generate(
            _request("drums", bars=8, seed=seed, style="waltz", beats_per_bar=3, humanize=0.0, swing=0.0)
        )
        assert clip.notes, seed  # an empty clip would pass both checks below
        loudest: Counter[str] = Counter()
        for n in clip.notes:
            loudest[classes.get(n.pitch, "")] = max(loudest[classes.get(n.pitch, "")], n.velocity)
        assert all(n.velocity >= 0.55 * loudest[classes.get(n.pitch, "")] for n in clip.notes), seed
        kicked = set()
        for n in clip.notes:
            step = int(round(n.start / 0.125))  # 120 bpm 16ths
            if step % 12 == 0 and classes.get(n.pitch) == "kick":
                kicked.add(step // 12)
        assert kicked == set(range(8)), (seed, kicked)


def _groove_bars(clip: object, bars: int, seconds_per_bar: float) -> list[list[Note]]:
    """The notes of each groove bar (phrase ends, where the fills go, left out)."""
    from ai.generation.phrasing import fill_bars

    notes = clip.notes  # type: ignore[attr-defined]
    return [
        [n for n in notes if bar * seconds_per_bar - 1e-3 <= n.start < (bar + 1) * seconds_per_bar - 1e-3]
        for bar in range(bars)
        if bar not in fill_bars(bars)
    ]


def test_funk_and_hiphop_drums_hold_the_kick_and_the_backbeat(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
) -> None:
    """MMA's funk and hip-hop drummers kick on the one and play the snare on 2 and 4 in at least 3
    of 4 bars (groove_dynamics.json's habits): every groove bar of a Magenta clip does. Funk is
    primed with MMA's JazzRock grooves only: before session 29 seeds 0-2 played no kick on the one
    in 10 of 18 groove bars, and hip-hop left the backbeat out of 6."""
    generator = _for_part(shipped[1], "drums")[0]
    for style in ("funk", "hip-hop"):
        for seed in range(3):
            clip = generator.generate(_request("drums", bars=8, seed=seed, style=style))
            for notes in _groove_bars(clip, 8, 2.0):
                start = min((n.start for n in notes), default=0.0) // 2.0 * 2.0
                at = {(n.pitch, round((n.start - start) / 0.5, 2)) for n in notes}
                assert (36, 0.0) in at or (35, 0.0) in at, (style, seed, start)
                assert any((p, 1.0) in at for p in (37, 38, 39, 40)), (style, seed, start)
                assert any((p, 3.0) in at for p in (37, 38, 39, 40)), (style, seed, start)


@pytest.mark.parametrize("signature", [(4, 4), (3, 4), (5, 4), (6, 8), (7, 8)])
def test_drum_fill_bars_land_their_downbeat(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]], signature: tuple[int, int]
) -> None:
    """A fill bar still lands its one: the model's own bar at each phrase's end, where the fill goes, lacked
    its kick in every 5/4, 6/8 and 7/8 clip and in 11 of 42 fill bars in 3/4 (session 29's QA; counted in
    session 30). Asked for by name (``model=magenta``), the drum model plays every meter; its groove bars kick
    on the one here."""
    generator = _for_part(shipped[1], "drums")[0]
    for style in ("rock", "funk"):
        for seed in range(2):
            request = _request(
                "drums", bars=8, seed=seed, style=style, beats_per_bar=signature[0], beat_unit=signature[1]
            )
            notes = generator.generate(request).notes
            for bar in (3, 7):
                downbeat = bar * request.bar_seconds
                assert any(n.pitch in (35, 36) and abs(n.start - downbeat) < 1e-3 for n in notes), (style, seed, bar)


def test_a_drum_continuation_keeps_the_primers_dynamics(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
) -> None:
    """A primer's backbeat (110), ghost snares (35), kick (110) and accented hats (85 on the beat,
    55 off it) carry into the continuation, as the theory backend keeps them; before session 29 the
    style's table re-voiced them (backbeat 65-70, ghosts lifted to 54-64, hats flat)."""
    generator = _for_part(shipped[1], "drums")[0]
    sixteenth = 60 / 96 / 4
    primer = []
    for step in range(32):
        t = step * sixteenth
        primer.append(Note(42, t, t + 0.05, 85 if step % 4 == 0 else 55))
        if step % 16 in (0, 10):
            primer.append(Note(36, t, t + 0.05, 110))
        if step % 16 in (4, 12):
            primer.append(Note(38, t, t + 0.05, 110))
        if step % 16 in (7, 9):
            primer.append(Note(38, t, t + 0.05, 35))
    end = 32 * sixteenth
    by_kind: dict[str, list[int]] = {"backbeat": [], "ghost": [], "kick": [], "hat on": [], "hat off": []}
    for seed in range(2):
        request = _request(
            "drums", bars=4, seed=seed, tempo=96.0, style="funk", primer=tuple(primer), primer_seconds=end
        )
        for n in generator.generate(request).notes:
            if not end - 1e-6 <= n.start < end + 3 * 16 * sixteenth - 1e-6:  # bar 4 ends the phrase: its fill
                continue
            step = int(round((n.start - end) / sixteenth)) % 16
            kind = {36: "kick", 38: "backbeat" if step in (4, 12) else "ghost"}.get(n.pitch)
            kind = kind or ({42: "hat on" if step % 4 == 0 else "hat off"}.get(n.pitch))
            if kind:
                by_kind[kind].append(n.velocity)
    means = {k: float(np.mean(v)) for k, v in by_kind.items() if v}
    assert abs(means["backbeat"] - 110) <= 10 and abs(means["kick"] - 110) <= 10, means
    assert means["backbeat"] - means["ghost"] >= 0.8 * (110 - 35), means
    assert means["hat on"] - means["hat off"] >= 0.6 * (85 - 55), means


def test_repeat_cycle_tiles_the_bars_after_the_primer() -> None:
    notes = [
        Note(36, -0.5, -0.4, 90),
        Note(36, 0.0, 0.1, 100),
        Note(38, 1.5, 2.5, 80),
    ]  # a primer note, then two bars of 1 s whose snare rings past the cycle's end
    tiled = mb.repeat_cycle(notes, cycle=2, bars=5, bar_seconds=1.0, offset=0.0)
    assert [(n.pitch, n.start, n.end) for n in tiled] == [
        (36, -0.5, -0.4),
        (36, 0.0, 0.1),
        (38, 1.5, 2.0),  # held within the cycle: the next round may strike it again
        (36, 2.0, 2.1),
        (38, 3.5, 4.0),
        (36, 4.0, 4.1),  # bar 5 of 5: the cycle's first bar; its second (a snare at 5.5 s) lies past the end
    ]


def test_a_long_drum_clip_writes_one_cycle_and_plays_it_to_its_end(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 3-minute accompaniment's drums (90 bars) cost the model 90 bars, of which a clip plays bars 1, 2 and every
    fourth: the model now writes DRUM_CYCLE_BARS and the clip repeats them (session 30: ~1.5 s of ~6)."""
    generator = _for_part(shipped[1], "drums")[0]
    asked: list[int] = []
    layout = generator._layout

    def spy(request: GenerationRequest, groove: object) -> object:
        asked.append(request.bars)
        return layout(request, groove)  # type: ignore[arg-type]

    monkeypatch.setattr(generator, "_layout", spy)
    request = _request("drums", bars=40, seed=1, style="rock")
    long = generator.generate(request)
    short = generator.generate(_request("drums", bars=12, seed=1, style="rock"))
    assert asked == [mb.DRUM_CYCLE_BARS, 12]
    bar = request.bar_seconds
    kicks = {int(n.start // bar) for n in long.notes if n.pitch in (35, 36)}
    assert set(range(40)) <= kicks  # every bar of the 40 plays, its last ones too
    assert max(n.start for n in long.notes) > 39 * bar and max(n.end for n in long.notes) <= 40 * bar + 1e-6
    assert short.notes  # under a cycle: the model writes the clip's own bars


def test_a_styles_own_swing_narrows_at_fast_tempos(
    shipped: tuple[GeneratorRegistry, list[mb.MagentaGenerator]],
) -> None:
    # As the theory drums: jazz's own 0.67 as written at 110 BPM, nearly straight at 280; a swing given stays.
    generator = _for_part(shipped[1], "drums")[0]
    slow = generator.generate(_request("drums", style="jazz", bars=2, seed=3, tempo=110.0))
    fast = generator.generate(_request("drums", style="jazz", bars=2, seed=3, tempo=280.0))
    given = generator.generate(_request("drums", style="jazz", bars=2, seed=3, tempo=280.0, swing=0.5))
    assert slow.extra["style_swing"] == pytest.approx(0.67, abs=1e-6)
    assert 0.0 < float(fast.extra["style_swing"]) < 0.2  # type: ignore[arg-type]
    assert "style_swing" not in given.extra


def test_drum_primers_are_a_drummers_not_a_percussionists() -> None:
    """A groove of hand drums alone (MMA's Calypso: congas and bongos, which the drum_kit encoding folds into the
    toms) primes no drum model: primed with it, Magenta reggae kept a low tom on the beats and nothing else. A
    style left with none goes; a kit groove with congas layered over it stays as it is."""
    kit = magenta_primers.Groove(notes=((36, 0.0, 0.25, 100), (62, 0.5, 0.75, 80), (70, 0.5, 0.75, 60)), beats=8.0)
    congas = magenta_primers.Groove(notes=((61, 0.0, 0.25, 90), (64, 1.5, 1.75, 90)), beats=8.0)
    ride = magenta_primers.Groove(notes=((51, 0.0, 0.25, 80),), beats=6.0, beats_per_bar=3)  # no hand drum: kept
    kept = magenta_primers.kit_grooves({"reggae": (congas, kit), "calypso": (congas,), "waltz": (ride,)})
    assert kept == {"reggae": (kit,), "waltz": (ride,)}
    shipped = magenta_primers.load_style_primers(MODELS_DIR / magenta_primers.STYLE_PRIMERS_FILE)
    assert len(magenta_primers.kit_grooves(shipped)["reggae"]) == len(shipped["reggae"]) - 3  # the three Calypsos
