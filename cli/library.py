"""``dawg-ai library scan FOLDER`` and ``dawg-ai library search ...``: the library routes from a terminal.

A scan is a job (POST /api/v1/library/scan answers 202): the command follows it until it ends, showing
its stage (files done/total, errors so far), then prints the counts. A search prints a table of the
closest files (GET /api/v1/library/search; with --clip, POST with the clip uploaded: the files that fit it).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
import typer
from rich.markup import escape
from rich.table import Table

from cli import output
from cli.engine import Upload, request_json
from cli.options import UrlOption
from cli.options import current as _options

library_app = typer.Typer(help="Scan a sample library into the engine's database and search it.", no_args_is_help=True)
POLL_S = 0.5
FINISHED = frozenset({"succeeded", "failed", "cancelled"})


async def follow_job(client: httpx.AsyncClient, accepted: dict[str, Any]) -> dict[str, Any]:
    """Poll a 202's job until it ends, showing its stage on stderr; the final job body."""
    status_url = str(accepted.get("status_url") or f"/api/v1/jobs/{accepted['job_id']}")
    with output.stderr().status("scanning") as shown:
        while True:
            job = await request_json(client, "GET", status_url)
            shown.update(escape(str(job.get("stage") or job.get("state"))))
            if job.get("state") in FINISHED:
                return job
            await asyncio.sleep(POLL_S)


@library_app.command("scan")
def scan(
    ctx: typer.Context,
    folder: Annotated[
        str, typer.Argument(help="A folder inside DAWG_AI_LIBRARY_ROOTS (or relative to the first root).")
    ],
    url: UrlOption = None,
) -> None:
    """Analyse every audio file under FOLDER into the library (unchanged files are skipped)."""
    from cli.app import _print_json, _run

    async def work(client: httpx.AsyncClient) -> dict[str, Any]:
        return await follow_job(client, await request_json(client, "POST", "/api/v1/library/scan", {"folder": folder}))

    job = _run(ctx, work)
    if _options(ctx).json:
        _print_json(job)
    if job.get("state") != "succeeded":
        error = job.get("error") or {}
        output.error(f"the scan {job.get('state')}: {error.get('detail') if isinstance(error, dict) else error}")
        raise typer.Exit(1)
    if not _options(ctx).json:
        counts = job.get("result") or {}
        output.stdout().print(", ".join(f"{name} {value}" for name, value in counts.items() if isinstance(value, int)))


@library_app.command("search")
def search(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Option(help="A key ('Am', 'A minor') or a Camelot code ('8A').")] = None,
    exact_key: Annotated[bool, typer.Option("--exact-key", help="Only the key itself, not compatible keys.")] = False,
    tempo: Annotated[float | None, typer.Option(help="Target tempo (BPM); half and double time match too.")] = None,
    tempo_min: Annotated[float | None, typer.Option(help="Lowest tempo (BPM).")] = None,
    tempo_max: Annotated[float | None, typer.Option(help="Highest tempo (BPM).")] = None,
    meter: Annotated[str | None, typer.Option(help="Time signature, e.g. 4/4.")] = None,
    text: Annotated[str | None, typer.Option("--text", "-q", help="Text the path contains.")] = None,
    project: Annotated[str | None, typer.Option(help="Files that fit this project's tempo and meter.")] = None,
    clip: Annotated[
        Path | None,
        typer.Option(
            help="Files that fit this audio clip: its key, tempo and meter as the engine hears them.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    page: Annotated[int, typer.Option(help="Page, from 1.")] = 1,
    page_size: Annotated[int, typer.Option(help="Rows per page.")] = 20,
    url: UrlOption = None,
) -> None:
    """The library files closest to what you ask for: key (with compatible keys), tempo, meter, path text, or
    what fits a project or a clip (the options given win over the clip's key, tempo and meter)."""
    from cli.app import _print_json, _run

    query = {
        "key": key,
        "compatible": "false" if exact_key else None,
        "tempo": tempo,
        "tempo_min": tempo_min,
        "tempo_max": tempo_max,
        "meter": meter,
        "q": text,
        "project_id": project,
        "page": page,
        "page_size": page_size,
    }
    given = {k: v for k, v in query.items() if v is not None}

    async def work(client: httpx.AsyncClient) -> dict[str, Any]:
        if clip is not None:
            return await request_json(client, "POST", "/api/v1/library/search", given, [Upload("file", clip)])
        return await request_json(client, "GET", "/api/v1/library/search?" + urlencode(given))

    body = _run(ctx, work)
    if _options(ctx).json:
        _print_json(body)
        return
    heard = clip_line(body)
    if heard is not None:
        output.stdout().print(escape(f"fitting {heard}"), soft_wrap=True)
    output.stdout().print(search_table(body))


def clip_line(body: dict[str, Any]) -> str | None:
    """What the engine heard in the uploaded clip, e.g. 'idea.wav: G major (9B), 114.0 BPM, 4/4'."""
    heard = body.get("clip")
    if not isinstance(heard, dict):
        return None
    return (
        f"{heard.get('filename')}: {heard.get('key') or 'no key'} ({heard.get('camelot') or '-'}), "
        f"{output.number(heard.get('tempo'))} BPM, {heard.get('meter') or 'no meter'}"
    )


def search_table(body: dict[str, Any]) -> Table:
    """One row per file: path, key (and how it matched), tempo, meter, duration, loudness."""
    total = body.get("total") or 0
    title = f"{total} file{'' if total == 1 else 's'} (page {body.get('page')} of {body.get('pages')})"
    table = Table(title=title if total else "no file matches", title_justify="left")  # was "page 1 of 0"
    for name in ("path", "key", "tempo", "meter", "duration", "LUFS"):
        table.add_column(name, overflow="fold")
    for item in body.get("items") or []:
        key = f"{item.get('key') or '-'} ({item.get('camelot') or '-'})"
        if item.get("key_match") not in (None, "exact"):
            key += f" {item['key_match']}"
        tempo = output.number(item.get("tempo"))
        if item.get("tempo_factor") not in (None, 1, 1.0):
            tempo += f" (x{item['tempo_factor']:g})"
        table.add_row(
            escape(str(item.get("path"))),
            escape(key),
            tempo,
            escape(str(item.get("meter") or "-")),
            output.number(item.get("duration"), 1, " s"),
            output.number(item.get("loudness_lufs")),
        )
    return table
