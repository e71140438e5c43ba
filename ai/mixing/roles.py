"""A track's role in the mix (kick, bass, vocals, ...) inferred from its name.

Names come from DAWG-CORE's templates (Basic Song: Drums, Bass, Guitar, Vocals; Electronic Music:
Kick, Snare, Hi-hats, Bass, Synth Lead, Synth Pad, FX; Podcast: Host, Guest, Music; Live Band:
Kick, Snare, Overheads, Bass DI, Guitar 1, Guitar 2, Vocals) and from what people type or export
("Lead Vox", "BV 2", "Gtr_L", "808", "OH L", "Rhodes", "Strings"). The name is normalised
(camelCase and digits split, separators to spaces, "hi hat" joined) and matched against keyword
rules in a fixed order: specific drum pieces before "drums", vocals before "lead"/"pad" (so "Lead
Vocal" is vocals), "bass drum" before "bass", bass before synth (so "Synth Bass" is bass).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from utils.errors import InvalidParameter

ROLES: tuple[str, ...] = (
    "kick",
    "snare",
    "hihat",
    "drums",
    "overheads",
    "bass",
    "guitar",
    "keys",
    "synth",
    "pad",
    "lead",
    "vocals",
    "fx",
    "speech",
    "music",
    "other",
)
"""Every role a track can have."""

_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kick", ("kick", "kik", "kck", "bd", "bass ?drum", "kickdrum")),
    ("snare", ("snare", "snr", "sd", "rim ?shot", "rim", "clap", "snap")),
    ("hihat", ("hihat", "hh", "hat", "cymbal", "ride", "crash", "shaker", "tambourine", "tamb")),
    ("overheads", ("overhead", "oh", "room", "rooms", "ambient mic")),
    (
        "vocals",
        (
            "vocal",
            "vox",
            "voc",
            "voice",
            "singer",
            "sing",
            "bv",
            "bvs",
            "bgv",
            "backing vox",
            "harmony",
            "harmonies",
            "choir",
            "adlib",
            "ad lib",
            "rap",
            "verse vox",
        ),
    ),
    (
        "speech",
        (
            "host",
            "guest",
            "speech",
            "speaker",
            "dialog",
            "dialogue",
            "narration",
            "narrator",
            "voiceover",
            "vo",
            "interview",
            "podcast",
            "talk",
            "presenter",
            "announcer",
            "cohost",
            "co host",
        ),
    ),
    ("bass", ("bass", "sub", "subbass", "808", "bassline", "di bass", "upright", "contrabass")),
    ("guitar", ("guitar", "gtr", "gtrs", "git", "gt", "acoustic", "electric", "strat", "les paul", "banjo", "ukulele")),
    (
        "keys",
        (
            "keys",
            "key",
            "keyboard",
            "piano",
            "pno",
            "pf",
            "rhodes",
            "wurli",
            "wurlitzer",
            "organ",
            "hammond",
            "b3",
            "epiano",
            "ep",
            "clav",
            "clavinet",
            "harpsichord",
            "celesta",
            "marimba",
            "vibraphone",
            "vibes",
        ),
    ),
    (
        "pad",
        ("pad", "pads", "string", "strings", "str", "orchestra", "ensemble", "atmos", "atmosphere", "drone", "texture"),
    ),
    (
        "lead",
        (
            "lead",
            "ld",
            "melody",
            "mel",
            "topline",
            "hook",
            "solo",
            "brass",
            "horn",
            "horns",
            "trumpet",
            "sax",
            "saxophone",
            "trombone",
            "flute",
            "violin",
            "whistle",
        ),
    ),
    ("synth", ("synth", "syn", "arp", "arpeggio", "pluck", "plucks", "seq", "sequence", "moog", "juno", "saw")),
    (
        "drums",
        (
            "drum",
            "drums",
            "kit",
            "perc",
            "percussion",
            "break",
            "breakbeat",
            "loop",
            "tom",
            "toms",
            "conga",
            "bongo",
            "cajon",
            "groove",
        ),
    ),
    ("fx", ("fx", "sfx", "effect", "effects", "riser", "sweep", "impact", "whoosh", "noise", "foley", "transition")),
    # A singer's or rapper's backing is one finished track: their "Beat" is the whole instrumental, not drums
    # (a drum track says "drum": "Drum Beat" is drums).
    (
        "music",
        (
            "music",
            "bed",
            "jingle",
            "intro",
            "outro",
            "theme",
            "song",
            "mix",
            "master",
            "instrumental",  # not "inst": Logic names its software-instrument tracks "Inst 1"
            "beat",
            "backing",
            "backing track",
            "karaoke",
            "playback",
            "accompaniment",
            "2 track",
            "two track",
        ),
    ),
)

_COMPILED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (role, re.compile(r"(?:^| )(?:" + "|".join(words) + r")s?(?= |$)")) for role, words in _RULES
)


def normalise_track_name(track_name: str) -> str:
    """Lower-case words separated by single spaces: 'LeadVox_2' -> 'lead vox 2', 'Hi-hats' -> 'hihats'."""
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", track_name)  # camelCase
    name = re.sub(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", name)  # Guitar1, 2BV
    name = re.sub(r"[^0-9a-z]+", " ", name.lower()).strip()
    # Words that are often written apart or with digits glued on.
    name = re.sub(r"\bhi hats?\b", lambda m: m.group(0).replace(" ", ""), name)
    name = re.sub(r"\b8 08\b", "808", name)
    name = re.sub(r"\bb 3\b", "b3", name)
    name = re.sub(r"\be piano\b", "epiano", name)
    name = re.sub(r"\bvoice overs?\b", "voiceover", name)  # speech: "Voice Over" was "voice", a singer
    return name


def infer_role(track_name: str) -> str:
    """The role (one of :data:`ROLES`) that a track's name implies; ``"other"`` when none does."""
    name = normalise_track_name(track_name)
    if not name:
        return "other"
    for role, pattern in _COMPILED:
        if pattern.search(name):
            return role
    return "other"


def resolve_roles(track_names: Iterable[str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Role per track: ``overrides`` (track name -> role, case-insensitive names) win over the inferred role.

    Raises InvalidParameter('roles', ...) for an unknown role or an override naming no track.
    """
    names = list(track_names)
    roles = {name: infer_role(name) for name in names}
    if not overrides:
        return roles
    by_lower = {name.lower(): name for name in names}
    for given, role in overrides.items():
        wanted = str(role).strip().lower()
        if wanted not in ROLES:
            raise InvalidParameter("roles", f"unknown role {role!r} for {given!r}; use one of {', '.join(ROLES)}")
        track = given if given in roles else by_lower.get(str(given).lower())
        if track is None:
            raise InvalidParameter("roles", f"{given!r} names no track; tracks are {', '.join(names)}")
        roles[track] = wanted
    return roles
