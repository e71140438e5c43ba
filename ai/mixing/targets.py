"""The mixing contract: bands, loudness targets, the balance by role, pans and useful ranges.

Loudness targets
----------------
``target`` names the loudness a finished master is aimed at (integrated, BS.1770): "streaming"
-14 LUFS (Spotify, YouTube, Tidal normalise to about -14), "apple" -16 LUFS (Apple Music's Sound
Check), "podcast" -16 LUFS (Apple Podcasts' level and AES TD1004's for speech on streaming platforms),
"broadcast" -23 LUFS (EBU R 128), "club" -9 LUFS (DJ/club masters are typically -6 to -9), or a number in LUFS
between -40 and -5. With no target given, a session led by speech (speech tracks and no vocals: DAWG-CORE's
Podcast template, Host, Guest and Music) is aimed at "podcast", any other at "streaming"
(:func:`session_target`). A platform or standard names its loudness too
(:data:`TARGET_ALIASES`: "Apple Music", "Tidal", "EBU R128"; case, spaces, hyphens and underscores aside),
and a number may be written with a typographic minus ("−14", as text editors and phones type it). The true-peak ceiling is -1 dBTP (what the
streaming services ask for; EBU R 128 allows -1 too). A mix before mastering ("premaster") is
aimed at -18 LUFS with its true peak at or below the ceiling, which leaves a mastering limiter
4 to 9 dB of room to reach any delivery target.

Balance by role (:data:`ROLE_BALANCE_LU`)
------------------------------------------
Auto-level places every role at a loudness (integrated LUFS, BS.1770) relative to the lead
element (vocals, or speech, or the lead instrument), a starting point in the spirit of the
"static mix" every mixing engineer builds first:

* vocals / speech 0 LU: the voice carries the song and the words must stay intelligible, so it is
  the reference everything else sits under.
* lead instrument -2 LU: a melody instrument answers the voice and takes over between lines; it
  sits just under it.
* drums (a full kit on one track) -3 LU; kick -4 LU, snare -5 LU: the groove is felt right under
  the voice. Integrated loudness under-reads short transients (a kick at -4 LU integrated has
  peaks far above the vocal), so these offsets are smaller than a meter-by-eye balance suggests.
* bass -4 LU: kick and bass together make the low end; the bass sits at about the kick's level.
* guitar, keys, synth -7 LU: harmonic parts fill the middle without covering the voice's
  1-4 kHz range.
* overheads -9 LU, pad -10 LU: cymbals' and the room's wash and sustained chords are glue, heard
  more than listened to.
* hi-hat -12 LU, fx -12 LU: bright details cut through at a low level (the K-weighting already
  counts the highs about 4 dB louder).
* music: a finished mix on one track. Under speech it is a bed, -15 LU (a podcast's). Under a voice or a lead
  it is the song's backing (a singer's or rapper's "Instrumental" or "Beat"), +2.5 LU: in the 25 most played
  songs on Spotify in 2023 the vocal's integrated loudness lay 4.5 LU under the whole song's (3 to 6; Mastering
  The Mix's survey), which puts the backing 2.6 LU (0 to 4.7) over the vocal; this table's own band parts sum to
  +1 to +2 LU. At -15 LU under a vocal the backing was a whisper (a karaoke track turned down 17.5 dB).
  (:func:`role_balance`.)
* other -7 LU.

Several tracks with one role share the role's loudness: each of ``n`` tracks gets the role's
offset minus ``10 log10 n`` so the group together is at the target (two guitars at -10 LU each
sum to about -7 LU). Pans (:data:`ROLE_PANS`) keep the low end, the voice and the backbeat in the
centre and spread the harmonic parts; tracks of one role are spread symmetrically.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from utils.errors import InvalidParameter

# Bands (Hz). "sub" < 60, "low" 60-250, "low-mid" 250-500, "mid" 500-2k, "high-mid" 2k-4k,
# "presence" 4k-6k, "air" > 6k.
BANDS: tuple[tuple[str, float, float], ...] = (
    ("sub", 0.0, 60.0),
    ("low", 60.0, 250.0),
    ("low-mid", 250.0, 500.0),
    ("mid", 500.0, 2000.0),
    ("high-mid", 2000.0, 4000.0),
    ("presence", 4000.0, 6000.0),
    ("air", 6000.0, math.inf),
)
BAND_NAMES: tuple[str, ...] = tuple(name for name, _, _ in BANDS)

LOUDNESS_TARGETS: dict[str, float] = {
    "streaming": -14.0,
    "spotify": -14.0,
    "youtube": -14.0,
    "apple": -16.0,
    "podcast": -16.0,
    "broadcast": -23.0,
    "ebu": -23.0,
    "club": -9.0,
    "premaster": -18.0,
}
TARGET_ALIASES: dict[str, str] = {
    "apple music": "apple",
    "itunes": "apple",
    "tidal": "streaming",
    "youtube music": "youtube",
    "ebu r128": "ebu",
    "r128": "ebu",
    "apple podcasts": "podcast",
    "spoken word": "podcast",
}
"""Platform and standard names as callers write them (the command parser reads the same words), each the name
of its :data:`LOUDNESS_TARGETS` entry; the answer names the entry ("apple music" is "apple")."""
_MINUS_SIGNS = str.maketrans(dict.fromkeys("\u2212\u2012\u2013\u2014\ufe63\uff0d", "-"))
"""Minus, figure dash, en and em dash, small and full-width hyphen-minus: the signs a "-14" is typed with."""
PRE_MASTER_LUFS = -18.0
"""Loudness auto-level aims the summed mix at (before mastering)."""
TRUE_PEAK_CEILING_DBTP = -1.0
"""Highest true peak allowed for the summed mix and for a master."""
TARGET_RANGE_LUFS = (-40.0, -5.0)
DEFAULT_TARGET = "streaming"

ROLE_BALANCE_LU: dict[str, float] = {
    "vocals": 0.0,
    "speech": 0.0,
    "lead": -2.0,
    "drums": -3.0,
    "kick": -4.0,
    "snare": -5.0,
    "bass": -4.0,
    "guitar": -7.0,
    "keys": -7.0,
    "synth": -7.0,
    "overheads": -9.0,
    "pad": -10.0,
    "hihat": -12.0,
    "fx": -12.0,
    "music": -15.0,
    "other": -7.0,
}
"""Target integrated loudness of each role relative to the lead element (LU). See the module docstring; "music"
is :func:`role_balance`'s under speech, :data:`BACKING_MUSIC_LU` anywhere else."""
BACKING_MUSIC_LU = 2.5
"""A finished backing ("music") under a voice or a lead: the song's instrumental sits this much over its vocal."""

ROLE_PANS: dict[str, float] = {
    "kick": 0.0,
    "snare": 0.0,
    "bass": 0.0,
    "vocals": 0.0,
    "speech": 0.0,
    "lead": 0.0,
    "drums": 0.0,
    "overheads": 0.0,
    "music": 0.0,
    "pad": 0.0,
    "fx": 0.0,
    "hihat": 0.3,
    "guitar": -0.4,
    "keys": 0.3,
    "synth": -0.25,
    "other": 0.15,
}
"""Pan (-1 hard left .. +1 hard right) of a role's single track. Several tracks of a role are spread."""

ROLE_SPREAD: dict[str, float] = {"guitar": 0.6, "keys": 0.4, "synth": 0.4, "vocals": 0.3, "speech": 0.25, "other": 0.4}
"""Half-width of the spread (pan units) when a role has several tracks; roles not listed stay centred."""

ROLE_LOW_CUT_HZ: dict[str, float] = {
    "kick": 30.0,
    "bass": 30.0,
    "drums": 30.0,
    "music": 30.0,
    "other": 30.0,
    "fx": 30.0,
    "snare": 60.0,
    "synth": 40.0,
    "pad": 60.0,
    "keys": 50.0,
    "lead": 80.0,
    "guitar": 80.0,
    "vocals": 80.0,
    "speech": 80.0,
    "overheads": 100.0,
    "hihat": 200.0,
}
"""Lowest useful frequency of each role: energy below it is rumble, a high-pass candidate.

Roles whose range reaches to the bottom (kick, bass, a drum bus, music or a master, fx, other) are
cut at 30 Hz: under a five-string bass's low B (31 Hz) and an 808's fundamental (about 35 Hz),
over the 15-25 Hz of stage rumble, traffic and handling noise. The measure has 1 Hz bins
(:mod:`ai.mixing.low_end`), so a 30 Hz cut-off does not catch a 33 Hz note."""


@dataclass(frozen=True)
class LoudnessTarget:
    """A resolved ``target``: its name and integrated loudness (LUFS), and the true-peak ceiling."""

    name: str
    lufs: float
    ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP

    def to_dict(self) -> dict[str, float | str]:
        return {"name": self.name, "lufs": self.lufs, "ceiling_dbtp": self.ceiling_dbtp}


SPEECH_LED_TARGET = "podcast"
"""The target a session led by speech gets when none is given."""


def speech_led(roles: Iterable[str]) -> bool:
    """Whether speech leads the session: it has speech and no vocals (a podcast, a voice-over)."""
    given = set(roles)
    return "speech" in given and "vocals" not in given


def role_balance(role: str, roles: Iterable[str]) -> float:
    """The role's loudness relative to the lead element (:data:`ROLE_BALANCE_LU`) in a session of ``roles``: a
    finished mix ("music") is a bed under speech (:func:`speech_led`), the backing of a song anywhere else."""
    given = list(roles)
    if role == "music" and not speech_led(given):
        return BACKING_MUSIC_LU
    return ROLE_BALANCE_LU.get(role, ROLE_BALANCE_LU["other"])


def session_target(target: str | float | int | None, roles: Iterable[str]) -> LoudnessTarget:
    """:func:`resolve_target` of ``target``; with none given, "podcast" for a session led by speech
    (:func:`speech_led`), else the default: a podcast was told "streaming asks for -14 LUFS" at -16.1 LUFS."""
    return resolve_target(target, default=SPEECH_LED_TARGET if speech_led(roles) else DEFAULT_TARGET)


def resolve_target(target: str | float | int | None, *, default: str = DEFAULT_TARGET) -> LoudnessTarget:
    """A :class:`LoudnessTarget` from a name ("streaming", "apple", "broadcast", "club", "premaster", or an
    alias: "Apple Music"), a number in LUFS, or a numeric string ("-14", "−14 LUFS"). Raises
    InvalidParameter('target', ...) otherwise."""
    given = target
    if target is None or (isinstance(target, str) and not target.strip()):
        target = default
    if isinstance(target, bool):
        raise InvalidParameter("target", "must be a name or a number in LUFS")
    if isinstance(target, str):
        key = target.strip().lower().translate(_MINUS_SIGNS)
        name = " ".join(re.split(r"[\s_-]+", key))  # "Apple-Music", "apple_music" as "apple music"
        name = TARGET_ALIASES.get(name, name)
        if name in LOUDNESS_TARGETS:
            return LoudnessTarget(name, LOUDNESS_TARGETS[name])
        try:
            target = float(key.removesuffix("lufs").strip())
        except ValueError:
            names = ", ".join(f"{name} ({value:g} LUFS)" for name, value in LOUDNESS_TARGETS.items())
            aliases = ", ".join(f"{alias!r}" for alias in TARGET_ALIASES)
            raise InvalidParameter(
                "target", f"unknown target {target!r}; use {names} (also {aliases}) or a number in LUFS"
            ) from None
    value = float(target)
    low, high = TARGET_RANGE_LUFS
    if not math.isfinite(value):
        raise InvalidParameter("target", f"not {'a' if math.isnan(value) else 'a finite'} number (got {given!r})")
    if not low <= value <= high:
        raise InvalidParameter("target", f"{value + 0.0:g} LUFS is outside {low:g} to {high:g} LUFS")
    return LoudnessTarget(f"{value:g} LUFS", value)


def band_of(freq_hz: float) -> str:
    """Name of the band holding ``freq_hz``."""
    for name, low, high in BANDS:
        if low <= freq_hz < high:
            return name
    return BANDS[-1][0]
