"""The global options (``--url``, ``--json``, ``--timeout``) as every command reads them."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from cli.engine import Options

URL_HELP = "A running engine to call, e.g. http://127.0.0.1:9000."


def current(ctx: typer.Context) -> Options:
    """The options given to ``dawg-ai`` (the root command's), or the defaults."""
    options = ctx.find_root().obj
    return options if isinstance(options, Options) else Options()


def _url_after_the_command(ctx: typer.Context, value: str | None) -> None:
    """``dawg-ai analyze song.wav --url URL`` means ``dawg-ai --url URL analyze song.wav`` (it was "No such
    option: --url"): the value goes where every command reads it, the root command's options."""
    if value is not None:
        ctx.find_root().obj = dataclasses.replace(current(ctx), url=value)


UrlOption = Annotated[
    str | None, typer.Option("--url", help=URL_HELP, callback=_url_after_the_command, expose_value=False)
]
"""``--url`` after a command's name: a parameter of every command that calls the engine (its value is never
passed to the command: the root command's options hold it)."""
