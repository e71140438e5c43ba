"""Parameters and answers of /command (a text or spoken command)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ai.generation.base import SEED_MAX
from api.schemas.common import CallerParams, ErrorBody

MAX_COMMAND_CHARS = 500  # a spoken command is a sentence or two


class CommandParams(CallerParams):
    """A text command and what its action may need besides the words."""

    text: str | None = Field(
        None, max_length=MAX_COMMAND_CHARS, description="What was said: 'a funky bassline in D minor, 8 bars at 96'."
    )
    command: str | None = Field(
        None, max_length=MAX_COMMAND_CHARS, description="Same as text (the field name of Jarvis's command file)."
    )
    dry_run: bool = Field(
        False,
        description="Only parse and check: answer the action and parameters without running it, or the 422 the run "
        "would answer for parameters the endpoint refuses (tempo 999); uploads are not needed.",
    )
    project_id: str | None = Field(None, description="The project whose stems mixing and project commands use.")
    seed: int | None = Field(None, ge=0, le=SEED_MAX, description="Random seed for generation commands.")
    model: str | None = Field(None, description="Generation backend: auto, magenta, theory or a bundle id.")
    send_to_core: bool = Field(False, description="Generation commands: also hand the MIDI to DAWG-CORE.")
    primer: str | None = Field(
        None, description="The MIDI clip that 'continue this' continues, base64 (or upload it as 'primer')."
    )


CORRECTIONS_DESCRIPTION = (
    "Typed words read as the command's key words before the parse, as typed -> as read "
    "({'basline': 'bassline', 'bas line': 'bassline'}): a word one keystroke from an action or part word "
    "(docs/commands.md, 'Typos'); empty when none was."
)


class CommandResponse(BaseModel):
    status: Literal["done", "parsed", "no_audio"] = Field(
        description="done: the action ran; parsed: dry_run, nothing ran; no_audio: a mixing action found no "
        "tracks' audio to work on (no upload, no project with stems) and says in speech how to send it."
    )
    text: str = Field(description="The command as received.")
    action: str = Field(description="generate_drums, generate_bass, analyze_audio, play ... (docs/commands.md).")
    params: dict[str, Any] = Field(description="What the text said, in the endpoints' parameter forms.")
    corrections: dict[str, str] = Field(
        default_factory=dict,
        description=CORRECTIONS_DESCRIPTION,
    )
    request: dict[str, Any] = Field(description="The endpoint the action runs, its parameters and uploads.")
    speech: str | None = Field(
        description="One sentence about the result, for a voice assistant, after what a typo was read as "
        "(\"I read 'basline' as 'bassline'.\"); null on dry_run."
    )
    result: Any = Field(None, description="The endpoint's own answer (as that endpoint documents it).")


class CommandErrorBody(ErrorBody):
    speech: str = Field(description="The failure as a voice assistant can say it (no URL, no field names).")


class CommandRefusal(CommandErrorBody):
    understood: dict[str, Any] = Field(description="What was recognised in the text anyway.")
    suggestions: list[str] = Field(description="The closest commands the engine knows.")
    corrections: dict[str, str] = Field(default_factory=dict, description=CORRECTIONS_DESCRIPTION)
