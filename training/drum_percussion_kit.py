"""Sampled hand percussion that no training session plays, for a validation set of unfamiliar distractors.

The test's false hats lie near sf_GMbank's maracas, claves, triangles and tambourine, sounds that no
validation set played (every validation kit's percussion came from the training soundfonts or the
drum synthesizer), so validation could not tell which model would fire at them
(models/drum_transcription.md, session 14). This kit plays the GM percussion notes (no class) through
recorded samples of Debian's ``hydrogen-drumkits`` that neither the corpus (``--sample-kit-share``
plays only kit pieces, clap, stick, cowbell and tambourine of the acoustic kits) nor any validation
set uses: Gimme A Hand 1.0's hand percussion and Audiophob's stick, clap and cowbell (GPL-2 per
/usr/share/doc/hydrogen-drumkits/copyright), and ForzeeStereo's agogos (GPL-2; that kit's agogos map
to no GM note in training/drumkit_samples.py, so no session played them). Validation only.

Issue 16's round 8 plays recorded hand percussion in TRAINING too, as negatives of every class, so the
network hears "shaker-like but not a hat" from more than the training soundfonts: the same machinery
with :data:`TRAINING_PERCUSSION_SAMPLES`, drawn from other kits than the validation set's (the split is
by kit: :data:`VALIDATION_PERCUSSION_KITS` never train). Round 9 leaves out the three hat-like clicks
round 8 played for the shakers (:data:`HAT_LIKE_CLICKS`).
"""

from __future__ import annotations

import functools

from training.drumkit_samples import KITS_DIR, Instrument, Kit, load_kit

PERCUSSION_SAMPLES: dict[int, tuple[tuple[str, str], ...]] = {
    37: (("Audiophob", "Stick"),),
    39: (("Gimme A Hand 1.0", "Hand Clap"), ("Audiophob", "Hand Clap")),
    54: (("Gimme A Hand 1.0", "Tambourine"),),
    56: (("Gimme A Hand 1.0", "Cowbell"), ("Audiophob", "Cowbell")),
    60: (("Gimme A Hand 1.0", "Bongo Hi"),),
    61: (("Gimme A Hand 1.0", "Bongo Lo"),),
    67: (("ForzeeStereo", "Agogo High (Pearl ECB-23)"),),
    68: (("ForzeeStereo", "Agogo Low (Pearl ECB-23)"),),
    69: (("Gimme A Hand 1.0", "Maraca"),),
    70: (("Gimme A Hand 1.0", "Maraca"),),
    75: (("Gimme A Hand 1.0", "Clave"),),
    76: (("Gimme A Hand 1.0", "Woodblock Hi"),),
    77: (("Gimme A Hand 1.0", "Woodblock Lo"),),
    80: (("Gimme A Hand 1.0", "WaterglassLo"),),
    81: (("Gimme A Hand 1.0", "WaterglassHi"),),
    82: (("Gimme A Hand 1.0", "Maraca"),),
}
"""GM percussion note -> (kit folder, instrument name) samples that may play it. Cabasa and shaker play
the maraca, the triangles a struck water glass (a bright inharmonic ring; no kit has a triangle);
guiros and whistles have no sample and stay with the session's soundfont."""

VALIDATION_PERCUSSION_KITS = ("Gimme A Hand 1.0", "Audiophob", "ForzeeStereo")
"""The kits :data:`PERCUSSION_SAMPLES` draws on: validation only, no training session may play them."""

TRAINING_PERCUSSION_SAMPLES: dict[int, tuple[tuple[str, str], ...]] = {
    37: (
        ("Millo-Drums_v.1", "Stick"),
        ("The Black Pearl 1.0", "Pearl Side Stick"),
        ("rumpf_kit_z01_h2", "c#3 - stick"),
        ("ColomboAcousticDrumkit", "Stick"),
    ),
    39: (
        ("Millo-Drums_v.1", "Hand Clap"),
        ("Millo_MultiLayered2", "Hand Clap"),
        ("The Black Pearl 1.0", "Hand Clap"),
        ("rumpf_kit_z01_h2", "d#3 - clap"),
    ),
    56: (
        ("Millo-Drums_v.1", "Cowbell"),
        ("Millo_MultiLayered3", "Cowbell"),
        ("The Black Pearl 1.0", "Cowbell"),
        ("rumpf_kit_z01_h2", "g#4 - cowbell"),
    ),
    60: (("circAfrique v4", "Djembe1 Slap"), ("circAfrique v4", "Djembe4 Slap")),
    61: (("circAfrique v4", "Djembe2 Tone"), ("circAfrique v4", "Djembe5 Tone")),
    62: (("ElectricEmpireKit", "Conga 1"), ("circAfrique v4", "Djembe3 Slap")),
    63: (("ElectricEmpireKit", "Conga 2"), ("circAfrique v4", "Djembe3 Tone")),
    64: (("circAfrique v4", "Djembe1 Bass"), ("circAfrique v4", "Kenkeni1 Head Hit")),
    67: (("circAfrique v4", "Kenkeni1 Bell Hit"),),
    68: (("circAfrique v4", "Sangban1 Bell Hit"), ("circAfrique v4", "Dununba1 Bell")),
    75: (("circAfrique v4", "Kenkeni1 Bell Mute"), ("rumpf_kit_z01_h2", "b4 -")),
    76: (("VariBreaks", "VariBreaks Drum 2"), ("rumpf_kit_z01_h2", "c5 -")),
    77: (("VariBreaks", "VariBreaks Drum 2"), ("circAfrique v4", "Sangban1 Bell Mute")),
}
"""GM percussion note -> samples of kits no validation set's percussion comes from: the acoustic kits'
sticks, claps and cowbells, circAfrique's djembes and bells (for bongos, congas, agogos and a muted bell
for the claves), ElectricEmpireKit's congas (its kick, snare, clap and hats belong to the electronic
check and stay out). No training kit has a shaker, maraca, cabasa, tambourine or triangle, so those stay
with the soundfont. Round 8 played the maracas and cabasa through :data:`HAT_LIKE_CLICKS`; the network
learnt them as "not a hat" and lost the electronic kits' closed hats, so round 9 dropped them."""

HAT_LIKE_CLICKS = (
    ("VariBreaks", "VariBreaks Drum 1"),
    ("ElectricEmpireKit", "Click"),
    ("rumpf_kit_z01_h2", "g4 -"),
)
"""Bright short electronic clicks (spectral centroid 5.6-8 kHz, 40-180 ms) that sound like electronic
closed hats: never a training negative (models/drum_transcription.md, session 16 rounds 8 and 9)."""

PERCUSSION_SETS = {"validation": PERCUSSION_SAMPLES, "training": TRAINING_PERCUSSION_SAMPLES}
"""--percussion-set's choices."""


def _instrument(kit: str, name: str, gm: int) -> Instrument:
    """A Hydrogen instrument by its exact name, under the GM note given here (its name maps to none,
    or to another)."""
    found = _all_instruments(kit).get(name)
    if found is None:
        raise FileNotFoundError(f"{kit} has no instrument {name!r} with samples on disk")
    return Instrument(found.name, gm, found.volume, found.layers)


@functools.lru_cache(maxsize=16)
def _all_instruments(kit: str) -> dict[str, Instrument]:
    """Every instrument of a kit with samples on disk, by name (read under a placeholder note)."""
    pieces = load_kit(KITS_DIR / kit, note_of=lambda _name: 0).pieces
    return {instrument.name: instrument for found in pieces.values() for instrument in found}


def check_percussion_set(name: str, splits: set[str]) -> None:
    """Refuse a percussion set that would leak the validation kits into training (ValueError)."""
    if name not in PERCUSSION_SETS:
        raise ValueError(f"no percussion set {name!r} (sets: {', '.join(PERCUSSION_SETS)})")
    kits = {kit for sources in PERCUSSION_SETS[name].values() for kit, _ in sources}
    if "train" in splits and kits & set(VALIDATION_PERCUSSION_KITS):
        raise ValueError(f"percussion set {name!r} plays validation-only kits; training sessions may not use it")


@functools.lru_cache(maxsize=2)
def percussion_kit(name: str = "validation") -> Kit:
    """The sampled percussion set ``name`` (:data:`PERCUSSION_SETS`) as a :class:`Kit` (``render_kit``
    plays GM notes through it; notes it has no sample for come back for another renderer). Raises
    FileNotFoundError without hydrogen-drumkits."""
    pieces = {
        gm: tuple(_instrument(kit, instrument, gm) for kit, instrument in sources)
        for gm, sources in PERCUSSION_SETS[name].items()
    }
    # the validation set's kit keeps its name: perc_val28 renders as it did
    return Kit("sampled percussion" if name == "validation" else f"sampled percussion ({name})", pieces)
