"""Sample playback of Hydrogen drum kits (Debian ``hydrogen-drumkits``) for the drum transcription corpus.

A Hydrogen kit is a folder of samples with a drumkit.xml: instruments, each with velocity layers
(a sample for a range of velocities in 0..1), a volume and layer gains. Most kits leave the MIDI
note unset (or set it to 60 for every instrument), so the GM drum note of an instrument comes from
its name (:func:`gm_note`). Training data only: the service never reads these kits.

:func:`render_kit` plays GM drum notes through a kit: per note the layer that covers its velocity,
scaled by the velocity and started at its sound (leading silence trimmed), the open hat cut by the
next hat note (the pedal closing it, as Hydrogen's mute groups do). Notes the kit has no sound for
are returned for another renderer.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

Note = tuple[int, float, float, int]  # pitch, start, end, velocity

KITS_DIR = Path("/usr/share/hydrogen/data/drumkits")
TRAIN_KITS = (
    "BJA_Pacific",
    "ColomboAcousticDrumkit",
    "ForzeeStereo",
    "Millo-Drums_v.1",
    "Millo_MultiLayered2",
    "Millo_MultiLayered3",
    "The Black Pearl 1.0",
    "rumpf_kit_z01_h2",
)
"""The package's sampled acoustic kits. Left out: the synthesized electronic kits (ElectricEmpireKit,
HardElectro1, VariBreaks), Audiophob's assortment of effects and the hand percussion and djembe
kits (Gimme A Hand, circAfrique): with the electronic kits in, the network fired on the band's
attacks in mixes (snare precision 0.49 on the held-out kit's mixes)."""

LEVEL = 0.25
"""Peak of an instrument's loudest layer at velocity 127 (FluidSynth's renders at gain 0.5 peak near this)."""
CHOKE_S = 0.02
ONSET_LEVEL = 0.02
"""A sample starts where it first reaches this fraction of its peak (less PRE_ONSET_S)."""
PRE_ONSET_S = 0.001
HATS = (42, 44, 46)

# (pattern on the lower-cased instrument name, GM note); the first match wins, None skips the instrument
_NAME_RULES: tuple[tuple[str, int | None], ...] = (
    (r"roll|choke|swish|flink|sample:|zap|fx|whistle|click|^\W*$", None),  # no single clean hit
    (r"clap", 39),
    (r"stick|rim click", 37),
    (r"kick|bass ?drum|\bbd\b", 36),
    (r"snare", 38),
    (r"(hh|hat).*(pedal|\bpd\b|foot)|(pedal|foot).*(hh|hat)", 44),
    (r"(hh|hat).*(open|opened|\bop\b|semi|free)|open.*(hh|hat)|ohh", 46),
    (r"(hh|hat).*(closed|\bcl\b)|closed.*(hh|hat)|chh", 42),
    (r"ride.*(bell|cup)", 53),
    (r"ride", 51),
    (r"\btom\b.*\b(floor|low|lo)\b|\b(floor|low)\W*tom\b", 41),
    (r"\btom\s*(hi|high)|\btom\b.*\b(hi|high)\b|\b(hi|high)\W*tom\b|\btom ?1\b", 50),
    (r"\btom\b.*\bmid|\b(mid|middle)\W*tom\b|\btom ?2\b", 47),
    (r"^\W*tom\W*$", 47),
    (r"china", 52),
    (r"splash", 55),
    (r"crash", 49),
    (r"cowbell", 56),
    (r"tambourine", 54),
)
ALIASES: dict[int, tuple[int, ...]] = {
    35: (36,),
    40: (38,),
    44: (42,),
    43: (41,),
    45: (41, 47),
    48: (47, 50),
    52: (49,),
    55: (49,),
    57: (49,),
    59: (51,),
}
"""Notes a kit may lack, and the notes of the same transcription class that can stand in for them."""


def gm_note(instrument_name: str) -> int | None:
    """The GM drum note an instrument's name describes, or None (not a kit piece, or ambiguous)."""
    name = instrument_name.lower()
    for pattern, note in _NAME_RULES:
        if re.search(pattern, name):
            return note
    return None


@dataclass(frozen=True)
class Layer:
    low: float
    high: float
    gain: float
    path: Path


@dataclass(frozen=True)
class Instrument:
    name: str
    gm: int
    volume: float
    layers: tuple[Layer, ...]


@dataclass(frozen=True)
class Kit:
    name: str
    pieces: dict[int, tuple[Instrument, ...]]
    """Instruments by GM note (several snares, say: a session picks one)."""


def _text(element: ET.Element, tag: str, ns: str, default: str) -> str:
    found = element.findtext(ns + tag)
    return found.strip() if found and found.strip() else default


def load_kit(folder: Path, note_of: Callable[[str], int | None] = gm_note) -> Kit:
    """A Hydrogen kit's instruments that map to GM drum notes (``note_of`` their names), with their
    velocity layers."""
    root = ET.parse(folder / "drumkit.xml").getroot()
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    pieces: dict[int, list[Instrument]] = {}
    for element in root.iter(ns + "instrument"):
        name = _text(element, "name", ns, "")
        gm = note_of(name)
        if gm is None:
            continue
        layers = [
            Layer(
                float(_text(layer, "min", ns, "0")),
                float(_text(layer, "max", ns, "1")),
                float(_text(layer, "gain", ns, "1")),
                folder / _text(layer, "filename", ns, ""),
            )
            for layer in element.iter(ns + "layer")
        ]
        if not layers and element.findtext(ns + "filename"):  # the old format: one sample, no layers
            layers = [Layer(0.0, 1.0, 1.0, folder / _text(element, "filename", ns, ""))]
        layers = [layer for layer in layers if layer.path.is_file() and "empty" not in layer.path.name.lower()]
        if layers:
            volume = float(_text(element, "volume", ns, "1"))
            pieces.setdefault(gm, []).append(Instrument(name, gm, volume, tuple(layers)))
    return Kit(folder.name, {gm: tuple(found) for gm, found in pieces.items()})


@functools.lru_cache(maxsize=4096)
def _sample(path: Path, sr: int) -> np.ndarray:
    y, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono: np.ndarray = y.mean(axis=1)
    if rate != sr:
        mono = np.asarray(soxr.resample(mono, rate, sr), dtype=np.float32)
    # some samples start with up to 30 ms of silence: the label is the note, so the sound must start there
    loud = np.flatnonzero(np.abs(mono) > ONSET_LEVEL * float(np.max(np.abs(mono), initial=0.0)))
    start = max(0, int(loud[0]) - int(PRE_ONSET_S * sr)) if loud.size else 0
    return mono[start:]


def _instrument_peak(instrument: Instrument, sr: int) -> float:
    return max(float(np.max(np.abs(_sample(layer.path, sr)), initial=0.0)) * layer.gain for layer in instrument.layers)


def choose_pieces(kit: Kit, rng: np.random.Generator) -> dict[int, Instrument]:
    """One instrument per GM note for a session (a drummer plays one snare), aliases filled in."""
    chosen = {gm: found[int(rng.integers(len(found)))] for gm, found in kit.pieces.items()}
    for gm, stand_ins in ALIASES.items():
        if gm not in chosen:
            for other in stand_ins:
                if other in chosen:
                    chosen[gm] = chosen[other]
                    break
    return chosen


def _layer(instrument: Instrument, velocity: int, rng: np.random.Generator) -> Layer:
    v = velocity / 127.0
    covering = [layer for layer in instrument.layers if layer.low <= v <= layer.high]
    if covering:
        return covering[int(rng.integers(len(covering)))]
    return min(instrument.layers, key=lambda layer: min(abs(layer.low - v), abs(layer.high - v)))


def render_kit(
    notes: list[Note], kit: Kit, *, n: int, sr: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[Note]]:
    """(mono audio of ``n`` samples, the notes the kit has no sound for)."""
    out = np.zeros(n, dtype=np.float32)
    pieces = choose_pieces(kit, rng)
    peaks = {id(instrument): _instrument_peak(instrument, sr) for instrument in pieces.values()}
    played = sorted((note for note in notes if note[0] in pieces), key=lambda note: note[1])
    hat_times = sorted(note[1] for note in played if note[0] in HATS)
    choke = int(CHOKE_S * sr)
    for pitch, start, _, velocity in played:
        instrument = pieces[pitch]
        layer = _layer(instrument, velocity, rng)
        a = int(round(start * sr))
        if a >= n:
            continue
        y = _sample(layer.path, sr)[: n - a]
        scale = LEVEL * layer.gain * instrument.volume * velocity / 127.0 / max(peaks[id(instrument)], 1e-9)
        if pitch == 46:  # the next hat note closes the open hat
            later = [t for t in hat_times if t > start + 1e-4]
            if later:
                stop = int(round((later[0] - start) * sr))
                if stop < y.size:
                    fade = np.linspace(1.0, 0.0, min(choke, y.size - stop), dtype=np.float32)
                    y = np.concatenate([y[:stop], y[stop : stop + fade.size] * fade])
        out[a : a + y.size] += scale * y
    return out, [note for note in notes if note[0] not in pieces]


@functools.lru_cache(maxsize=32)
def installed_kit(name: str, kits_dir: Path = KITS_DIR) -> Kit:
    """A kit by folder name in ``kits_dir``: the hydrogen-drumkits package's, or another folder of
    Hydrogen kits (the fresh test's, from Hydrogen's repository). Cached per process."""
    return load_kit(kits_dir / name)


def available_kits() -> tuple[str, ...]:
    """The training kits that are installed here."""
    return tuple(name for name in TRAIN_KITS if (KITS_DIR / name / "drumkit.xml").is_file())


def forget_samples() -> None:
    """Drop the decoded samples cached so far (a synthesized kit's files live only for its session)."""
    _sample.cache_clear()
