"""Role inference from DAWG-CORE template names and common export names."""

from __future__ import annotations

import pytest

from ai.mixing.roles import ROLES, infer_role, normalise_track_name, resolve_roles
from utils.errors import InvalidParameter

TEMPLATE_NAMES = {
    # Basic Song
    "Drums": "drums",
    "Bass": "bass",
    "Guitar": "guitar",
    "Vocals": "vocals",
    # Electronic Music
    "Kick": "kick",
    "Snare": "snare",
    "Hi-hats": "hihat",
    "Synth Lead": "lead",
    "Synth Pad": "pad",
    "FX": "fx",
    # Podcast
    "Host": "speech",
    "Guest": "speech",
    "Music": "music",
    # Live Band
    "Overheads": "overheads",
    "Bass DI": "bass",
    "Guitar 1": "guitar",
    "Guitar 2": "guitar",
}

OTHER_NAMES = {
    "Lead Vocal": "vocals",
    "LeadVox_2": "vocals",
    "BV 2": "vocals",
    "Backing Vocals": "vocals",
    "Kick Drum": "kick",
    "Bass Drum": "kick",
    "Snare Top": "snare",
    "HH": "hihat",
    "hihat_closed": "hihat",
    "OH L": "overheads",
    "Synth Bass": "bass",
    "808": "bass",
    "Sub": "bass",
    "Gtr_L": "guitar",
    "Acoustic Gtr": "guitar",
    "keys": "keys",
    "piano": "keys",
    "E-Piano": "keys",
    "Rhodes": "keys",
    "Organ": "keys",
    "Strings": "pad",
    "String Ensemble": "pad",
    "Arp": "synth",
    "Synth": "synth",
    "Pluck Synth": "synth",
    "Brass": "lead",
    "Melody": "lead",
    "Tom 1": "drums",
    "Perc Loop": "drums",
    "Drum Bus": "drums",
    "Riser FX": "fx",
    "Narration": "speech",
    "Audio 1": "other",
    "Track 3": "other",
    "": "other",
    "   ": "other",
}


@pytest.mark.parametrize(("name", "role"), list(TEMPLATE_NAMES.items()) + list(OTHER_NAMES.items()))
def test_infer_role(name: str, role: str) -> None:
    assert infer_role(name) == role
    assert role in ROLES


def test_normalise() -> None:
    assert normalise_track_name("LeadVox_2") == "lead vox 2"
    assert normalise_track_name("Hi-Hats") == "hihats"
    assert normalise_track_name("Guitar1") == "guitar 1"


def test_resolve_roles_with_overrides() -> None:
    roles = resolve_roles(["Drums", "Track 3", "Lead"], {"track 3": "Keys"})
    assert roles == {"Drums": "drums", "Track 3": "keys", "Lead": "lead"}
    with pytest.raises(InvalidParameter, match="unknown role"):
        resolve_roles(["Drums"], {"Drums": "cowbell"})
    with pytest.raises(InvalidParameter, match="names no track"):
        resolve_roles(["Drums"], {"Bass": "bass"})


@pytest.mark.parametrize(
    "name, role",
    [
        ("Beat", "music"),  # a singer's or rapper's backing: the whole instrumental
        ("Beats", "music"),
        ("Backing Track", "music"),
        ("Karaoke", "music"),
        ("Two Track", "music"),
        ("Drum Beat", "drums"),  # a drum track says so
        ("Backing Vox", "vocals"),
        ("Inst 1", "other"),  # Logic's software-instrument track, not an instrumental
    ],
)
def test_a_backing_track_is_music_and_a_drum_beat_still_drums(name: str, role: str) -> None:
    assert infer_role(name) == role


@pytest.mark.parametrize("name", ["Voice Over", "VoiceOver", "Voice-Over", "voice_over 2", "VO"])
def test_a_voice_over_is_speech_not_a_singer(name: str) -> None:
    """ "Voice Over" and "VoiceOver" read the word "voice" (vocals): a voice-over over a music bed then had the
    bed 2.5 LU over it, a song's backing over its singer, and no podcast target."""
    assert infer_role(name) == "speech"
