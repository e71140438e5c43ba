"""What every route's schemas share: the error body, the base of caller parameters, key and chord checks."""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ai.music_theory import parse_chart, parse_key
from utils.errors import InvalidParameter

MAX_CHORDS = 64  # twice the longest clip: a progression longer than that is not one a clip can play
MAX_CHORDS_TEXT = 1024  # characters: 64 chords of the longest spellings with separators fit


class ErrorBody(BaseModel):
    error: str = Field(description="Machine-readable error code, e.g. invalid_parameter.")
    detail: str = Field(description="What is wrong, for a person.")


class CallerParams(BaseModel):
    """Parameters a caller sends (query string, form or JSON): unknown names are refused, and so is
    JSON true/false for a number (pydantic reads it as 1/0: `{"bars": true}` was one bar), and NaN or an
    infinity ('NaN', 'inf', '1e309', JSON's NaN) for any number: "not a number", not a range it is outside."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _numbers_not_booleans(cls, values: Any) -> Any:
        if isinstance(values, dict):
            for name, field in cls.model_fields.items():
                kinds = get_args(field.annotation) or (field.annotation,)
                if isinstance(values.get(name), bool) and bool not in kinds and {int, float} & set(kinds):
                    raise InvalidParameter(name, "must be a number, not true or false")
        return values

    @model_validator(mode="before")
    @classmethod
    def _choices_as_typed(cls, values: Any) -> Any:
        """A choice ('MIDI', ' wav', 'Drums') or a yes/no (' true') as people type it: stripped, and a choice
        lower-cased, as key, scale and style already are (they were 422 unless typed exactly)."""
        if not isinstance(values, dict):
            return values
        read = dict(values)
        for name, field in cls.model_fields.items():
            said = field.alias or name
            value = read.get(said)
            if not isinstance(value, str):
                continue
            annotation = field.annotation
            kinds = (annotation,) if get_origin(annotation) is Literal else get_args(annotation) or (annotation,)
            choices = [c for kind in kinds if get_origin(kind) is Literal for c in get_args(kind)]
            if choices and all(isinstance(c, str) and c == c.lower() for c in choices):
                read[said] = value.strip().lower()
            elif bool in kinds:
                read[said] = value.strip()
        return read


def valid_key(value: str | None) -> str | None:
    """A key as a request gives it ("A minor", "F#", "D dorian"), stripped; ValueError when no key reads it."""
    if value is None:
        return None
    parse_key(value)
    return value.strip()


def valid_chords(value: str | list[str] | None) -> str | None:
    """A chord progression as a request gives it, as one text: a text ('Am F C G', one chord per bar; with bar lines
    a bar may hold two, 'Dm7 G7 | Cmaj7') or a list, one bar per item (['Dm7 G7', 'Cmaj7']). ValueError when a
    chord does not parse, a bar holds more than two or there are too many."""
    if value is None:
        return None
    if isinstance(value, list) and len(value) > MAX_CHORDS:
        raise ValueError(f"{len(value)} bars of chords; at most {MAX_CHORDS} (repeating)")
    # A list is a chart, one bar per item: a bar line after a list of one too (['Dm7 G7'] was two bars).
    text = (" | ".join(value) + (" |" if len(value) == 1 else "")) if isinstance(value, list) else value
    if len(text) > MAX_CHORDS_TEXT:
        raise ValueError(f"{len(text)} characters; at most {MAX_CHORDS_TEXT} (one chord per bar, repeating)")
    if len(parse_chart(text).bars) > MAX_CHORDS:
        raise ValueError(f"more than {MAX_CHORDS} bars of chords (repeating)")
    return text
