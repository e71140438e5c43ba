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


def _instrument(kit: str, name: str, gm: int) -> Instrument:
    """A Hydrogen instrument by its exact name, under the GM note given here (its name maps to none,
    or to another)."""
    found = _all_instruments(kit).get(name)
    if found is None:
        raise FileNotFoundError(f"{kit} has no instrument {name!r} with samples on disk")
    return Instrument(found.name, gm, found.volume, found.layers)


@functools.lru_cache(maxsize=8)
def _all_instruments(kit: str) -> dict[str, Instrument]:
    """Every instrument of a kit with samples on disk, by name (read under a placeholder note)."""
    pieces = load_kit(KITS_DIR / kit, note_of=lambda _name: 0).pieces
    return {instrument.name: instrument for found in pieces.values() for instrument in found}


@functools.lru_cache(maxsize=1)
def percussion_kit() -> Kit:
    """The sampled percussion as a :class:`Kit` (``render_kit`` plays GM notes through it; notes it has
    no sample for come back for another renderer). Raises FileNotFoundError without hydrogen-drumkits."""
    pieces = {
        gm: tuple(_instrument(kit, name, gm) for kit, name in sources) for gm, sources in PERCUSSION_SAMPLES.items()
    }
    return Kit("sampled percussion", pieces)
