"""Every action a text command can name (docs/commands.md): what it does, an example, its parameters
and who runs it (the engine, DAWG-CORE, or nobody yet and why)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Runner = Literal["engine", "core", "unavailable"]


@dataclass(frozen=True)
class ActionInfo:
    name: str
    description: str
    example: str  # a phrase the parser reads as this action
    params: tuple[str, ...]  # the parameters a parse of this action may carry
    runs_in: Runner  # "engine": an engine route; "core": forwarded to DAWG-CORE; "unavailable": understood only
    route: str | None  # the route that runs it
    missing: str | None = None  # for "unavailable": what is missing

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without the name (the caller keys it): what `help` lists."""
        return {
            "description": self.description,
            "example": self.example,
            "params": list(self.params),
            "runs_in": self.runs_in,
            "route": self.route,
            "missing": self.missing,
        }


GENERATE_PARAMS = (
    "style",
    "key",
    "scale",
    "chords",
    "tempo",
    "bars",
    "time_signature",
    "variations",
    "density",
    "swing",
    "humanize",
    "microtiming",
    "seed",
    "send_to_core",
)
"""What the generation actions take (the drums all but key, scale and chords): the endpoints' parameters and
send_to_core."""
_NO_CORE_ROUTE = "DAWG-CORE's REST API has no {} route"

ACTIONS: dict[str, ActionInfo] = {
    info.name: info
    for info in (
        ActionInfo(
            "generate_drums",
            "generate a drum groove",
            "give me a funky drum beat, four bars at 100",
            tuple(name for name in GENERATE_PARAMS if name not in ("key", "scale", "chords")),  # a groove has no key
            "engine",
            "POST /api/v1/generate/midi",
        ),
        ActionInfo(
            "generate_bass",
            "generate a bass line",
            "make a bassline in D minor over Dm Bb F C",
            GENERATE_PARAMS,
            "engine",
            "POST /api/v1/generate/bassline",
        ),
        ActionInfo(
            "generate_melody",
            "generate a melody",
            "write a melody in C major, eight bars",
            GENERATE_PARAMS,
            "engine",
            "POST /api/v1/generate/melody",
        ),
        ActionInfo(
            "continue",
            "continue the uploaded clip (the primer)",
            "continue this bassline for eight bars",
            (
                "part",
                "style",
                "key",
                "scale",
                "tempo",
                "bars",
                "variations",
                "density",
                "swing",
                "humanize",
                "microtiming",
                "seed",
            ),
            "engine",
            "POST /api/v1/generate/{part} with the primer",
        ),
        ActionInfo(
            "analyze_audio",
            "analyse the uploaded audio: key, tempo, chords, meter, loudness",
            "what key is this?",
            ("question",),
            "engine",
            "POST /api/v1/analyze/audio",
        ),
        ActionInfo(
            "transcribe",
            "turn the uploaded recording into MIDI: its notes, or its drum hits",
            "transcribe this to midi",
            ("instrument",),
            "engine",
            "POST /api/v1/transcribe",
        ),
        ActionInfo(
            "accompany",
            "drums, bass and a pad that follow the uploaded recording",
            "accompany this recording",
            (
                "style",
                "parts",
                "harmony",
                "seed",
                "key",
                "scale",
                "chords",
                "density",
                "swing",
                "humanize",
                "microtiming",
            ),
            "engine",
            "POST /api/v1/generate/accompaniment",
        ),
        ActionInfo(
            "mixing_suggest",
            "mixing advice for the tracks",
            "how's my mix?",
            ("target", "project_id"),
            "engine",
            "POST /api/v1/mixing/suggest",
        ),
        ActionInfo(
            "auto_level",
            "balance the tracks' levels",
            "balance my levels",
            ("project_id",),
            "engine",
            "POST /api/v1/mixing/auto_level",
        ),
        ActionInfo(
            "render_mix",
            "render the mix, mastered if asked",
            "render a master for streaming",
            ("master", "target", "loudness", "format", "project_id"),
            "engine",
            "POST /api/v1/mixing/render",
        ),
        ActionInfo(
            "analyze_project",
            "analyse a DAWG project",
            "analyse project demo",
            ("project_id",),
            "engine",
            "POST /api/v1/analyze/project",
        ),
        ActionInfo("play", "start DAWG-CORE's playback", "hit play", (), "core", "POST /api/v1/transport/play"),
        ActionInfo("stop", "stop DAWG-CORE's playback", "stop playback", (), "core", "POST /api/v1/transport/stop"),
        ActionInfo(
            "record", "start recording", "start recording", (), "unavailable", None, _NO_CORE_ROUTE.format("record")
        ),
        ActionInfo(
            "add_track",
            "add a track to the project",
            "add a track called Vocals",
            ("name",),
            "unavailable",
            None,
            _NO_CORE_ROUTE.format("add-track"),
        ),
        ActionInfo(
            "mute_track",
            "mute a track",
            "mute track 3",
            ("track",),
            "unavailable",
            None,
            _NO_CORE_ROUTE.format("mute"),
        ),
        ActionInfo(
            "unmute_track",
            "unmute a track",
            "unmute the drums",
            ("track",),
            "unavailable",
            None,
            _NO_CORE_ROUTE.format("mute"),
        ),
        ActionInfo(
            "solo_track",
            "solo a track",
            "solo the vocals",
            ("track",),
            "unavailable",
            None,
            _NO_CORE_ROUTE.format("solo"),
        ),
        ActionInfo(
            "export_project",
            "export the project",
            "export the project as mp3",
            ("format",),
            "unavailable",
            None,
            _NO_CORE_ROUTE.format("export"),
        ),
        ActionInfo(
            "create_project",
            "create a new project",
            "create a new project called Demo",
            ("name", "template"),
            "unavailable",
            None,
            _NO_CORE_ROUTE.format("create-project"),
        ),
        ActionInfo("help", "list what can be said", "what can you do?", (), "engine", None),
    )
}
