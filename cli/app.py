"""``dawg-ai``: the engine from a terminal (``python -m cli`` too).

Every command is one or a few calls of the engine's REST API (cli/engine.py): in this process by default
(the app built from the ``DAWG_AI_*`` settings, its lifespan run once for the command), or a running engine
with ``--url``. So parameters, defaults, validation and error messages are the service's own; an error
answer is one red line on stderr and exit code 2 (4xx: the request) or 1 (5xx, or no engine answered).
"""

from __future__ import annotations

import asyncio
import base64
import errno
import io
import logging
import os
import sys
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ai.audio.formats import AUDIO_FILE_EXTENSIONS
from api.missing_upload import detail_for
from cli import output
from cli.engine import (
    EXIT_ENGINE_ERROR,
    EngineError,
    Options,
    Upload,
    request,
    request_json,
    sent_values,
    with_engine,
)
from cli.options import URL_HELP, UrlOption
from cli.options import current as _options
from cli.output import AnalysisRow, Format
from utils.settings import ENV_PREFIX

T = TypeVar("T")

READY_POLL_S = 0.2
ANALYZE_PATH = "/api/v1/analyze/audio"
READY_WAIT_S = 120.0  # models: how long to wait for bundles still loading (then list them as they are)

app = typer.Typer(
    name="dawg-ai",
    help="The DAWG AI Engine from the command line: analysis, MIDI generation, mixing, text commands. The engine "
    "runs in this process (DAWG_AI_* settings) unless --url names a running one.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def global_options(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option("--url", help=URL_HELP)] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the engine's JSON answer (stdout).")] = False,
    timeout: Annotated[float, typer.Option(help="With --url: seconds one request may take.", min=1)] = 600.0,
) -> None:
    ctx.obj = Options(url=url, json=json_out, timeout_s=timeout)


def _run(
    ctx: typer.Context,
    work: Callable[[httpx.AsyncClient], Awaitable[T]],
    *,
    load_magenta: bool = False,
    uploads: Mapping[str, tuple[str, str]] | None = None,
    check: Callable[[], object] | None = None,
) -> T:
    """``work`` against the engine; an engine error ends the command with its message and exit code.
    ``uploads`` words a missing upload with this command's options (api.missing_upload); ``check``: the
    engine's checks of the request, run before an engine starts in this process (cli.engine.with_engine)."""
    try:
        return with_engine(_options(ctx), work, load_magenta=load_magenta, check=check)
    except EngineError as exc:
        detail = detail_for(exc.body, uploads or {})
        status = exc.body.get("status")
        output.error(exc.message if detail is None else f"{exc.body.get('error')} (HTTP {status}): {detail}")
        raise typer.Exit(exc.exit_code) from None


def _print_json(value: Any) -> None:
    typer.echo(output.json_text(value))


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        output.error(f"cannot write '{path}' ({exc.strerror or exc})")
        raise typer.Exit(EXIT_ENGINE_ERROR) from None


def _check_writable(*paths: Path) -> None:
    """End the command, before its work, with the line :func:`_write` would end it with after the work, when
    one of ``paths`` cannot be written: a folder, a file this user may not write, or a place whose nearest
    existing folder is a file or not writable (the folders missing below it, _write makes)."""
    for path in paths:
        problem = _unwritable(path)
        if problem is not None:
            output.error(f"cannot write '{path}' ({problem})")
            raise typer.Exit(EXIT_ENGINE_ERROR)


def _unwritable(path: Path) -> str | None:
    """Why a file cannot be written at ``path`` (the system's words), or None."""
    if path.is_dir():
        return os.strerror(errno.EISDIR)
    if path.exists():
        return None if os.access(path, os.W_OK) else os.strerror(errno.EACCES)
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return os.strerror(errno.ENOTDIR)
    return None if os.access(folder, os.W_OK | os.X_OK) else os.strerror(errno.EACCES)


def _midi(body: dict[str, Any]) -> bytes:
    return base64.b64decode(str(body["midi_base64"]))


# ---------------------------------------------------------------- serve


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default: DAWG_AI_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: DAWG_AI_PORT, 9000).", min=1, max=65535)] = None,
) -> None:
    """Run the engine as a service (what `python main.py` does)."""
    from api.serving import serve as serve_engine
    from main import create_app
    from utils.settings import Settings

    settings = Settings()
    settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    exit_code = serve_engine(
        create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level.lower()
    )
    if exit_code:
        raise typer.Exit(exit_code)


# ---------------------------------------------------------------- analyze


def audio_files(paths: list[Path], *, recursive: bool) -> list[Path]:
    """The files named, and the audio files in the folders named (sorted; ``recursive``: in sub-folders too)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            found += sorted(p for p in path.glob(pattern) if p.is_file() and p.suffix.lower() in AUDIO_FILE_EXTENSIONS)
        elif path.is_file():
            found.append(path)
        else:
            raise typer.BadParameter(f"no file or folder at '{path}'", param_hint="PATH")
    return found


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=output.stderr(),
        refresh_per_second=2,  # the count moves once a file; the clock needs no more (each redraw costs CPU)
        disable=not enabled,
    )


@app.command()
def analyze(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Audio files and folders of audio files.", show_default=False)],
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Scan folders' sub-folders too.")] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    out: Annotated[Path | None, typer.Option("--output", "-o", help="Write the answer to this file.")] = None,
    progress: Annotated[bool, typer.Option(help="A progress bar on stderr.")] = True,
    jobs: Annotated[
        int,
        typer.Option("--jobs", "-j", help="Files analysed at once (one analysis already keeps two cores busy).", min=1),
    ] = 1,
    url: UrlOption = None,
) -> None:
    """Tempo, meter, key and loudness of audio files (what POST /api/v1/analyze/audio answers for each). A
    file that fails is a row with its error; the exit code is then 1."""
    files = audio_files(paths, recursive=recursive)
    if not files:
        output.error("no audio files found (" + ", ".join(sorted(AUDIO_FILE_EXTENSIONS)) + ")")
        raise typer.Exit(2)
    if out is not None:
        _check_writable(out)

    if _options(ctx).url is None:
        rows = _analyze_here(files, jobs=jobs, progress=progress)
    else:
        rows = _analyze_at_url(ctx, files, jobs=jobs, progress=progress)
    _print_analysis(rows, fmt="json" if _options(ctx).json else fmt, out=out)
    failed = sum(row.error is not None for row in rows)
    if failed:
        output.error(f"{failed} of {len(rows)} files could not be analysed")
        raise typer.Exit(1)


def _analyze_here(files: list[Path], *, jobs: int, progress: bool) -> list[AnalysisRow]:
    """In this process, straight from the files (cli/local_analysis.py: the route's work, without HTTP)."""
    from cli.local_analysis import analyze_files

    with _progress(progress) as bar:
        task = bar.add_task("analysing", total=len(files))
        rows = analyze_files(
            files,
            jobs=jobs,
            started=lambda path: bar.update(task, description=path.name),
            finished=lambda row: bar.advance(task),
        )
        bar.update(task, description="analysed")
    return rows


def _analyze_at_url(ctx: typer.Context, files: list[Path], *, jobs: int, progress: bool) -> list[AnalysisRow]:
    """Each file a POST /api/v1/analyze/audio to the engine at --url."""

    async def work(client: httpx.AsyncClient) -> list[AnalysisRow]:
        slots = asyncio.Semaphore(jobs)
        with _progress(progress) as bar:
            task = bar.add_task("analysing", total=len(files))

            async def one(path: Path) -> AnalysisRow:
                async with slots:
                    bar.update(task, description=path.name)
                    try:
                        upload = [Upload("file", path)]
                        row = AnalysisRow(str(path), await request_json(client, "POST", ANALYZE_PATH, uploads=upload))
                    except EngineError as exc:
                        if "status" not in exc.body:  # no engine answered: the next file will not fare better
                            raise
                        row = AnalysisRow(str(path), error=exc.body)
                    bar.advance(task)
                    return row

            rows = await asyncio.gather(*(one(path) for path in files))
            bar.update(task, description="analysed")
        return list(rows)

    return _run(ctx, work)


def _print_analysis(rows: list[AnalysisRow], *, fmt: Format, out: Path | None) -> None:
    if fmt == "table" and out is None:
        output.stdout().print(output.analysis_table(rows))
        return
    if fmt == "json":
        text = output.json_text([row.as_json() for row in rows]) + "\n"
    elif fmt == "csv":
        text = output.analysis_csv(rows)
    else:  # the table, as a file: plain text, wide enough not to fold
        table = io.StringIO()
        Console(file=table, width=200, no_color=True).print(output.analysis_table(rows))
        text = table.getvalue()
    if out is None:
        sys.stdout.write(text)
    else:
        _write(out, text.encode("utf-8"))


# ---------------------------------------------------------------- generate


class Part(StrEnum):
    drums = "drums"
    bass = "bass"
    melody = "melody"


GENERATION_PATHS = {
    Part.drums: "/api/v1/generate/midi",
    Part.bass: "/api/v1/generate/bassline",
    Part.melody: "/api/v1/generate/melody",
}
ENDPOINT_PARTS: dict[Part, Literal["bass", "melody"] | None] = {
    Part.drums: None,
    Part.bass: "bass",
    Part.melody: "melody",
}
"""The part each of those routes generates (None: /generate/midi, whose ``style`` says)."""


def clip_paths(out: Path, count: int) -> list[Path]:
    """Where ``count`` clips go: ``out`` for one; ``{n}`` in ``out`` replaced by 1..count, else clip-1.mid ..."""
    text = str(out)
    if "{n}" in text:
        return [Path(text.replace("{n}", str(k))) for k in range(1, count + 1)]
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{k}{out.suffix or '.mid'}") for k in range(1, count + 1)]


def _in_key(body: dict[str, Any]) -> str:
    """' in D minor', or nothing for a drum clip (the engine answers no key for drums)."""
    return f" in {body['key']} {body.get('scale')}" if body.get("key") else ""


def generation_summary(body: dict[str, Any]) -> str:
    style = str(body.get("style")) + (f" ({body['genre']})" if body.get("genre") else "")
    text = (
        f"{style}: {body.get('bars')} bars of {body.get('time_signature')} at {output.number(body.get('tempo'))} BPM"
        f"{_in_key(body)}, {len(body.get('notes') or [])} notes; "
        f"model {body.get('model')}, seed {body.get('seed')}"
    )
    if body.get("fallback_reason"):
        text += f" ({body['fallback_reason']})"
    return text


@app.command()
def generate(
    ctx: typer.Context,
    part: Annotated[Part, typer.Argument(help="drums, bass or melody.", show_default=False)],
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="The .mid to write (variations: clip-1.mid ... or {n}).")
    ] = None,
    key: Annotated[str | None, typer.Option(help="C, F#, Bb, Am, 'D dorian' ...")] = None,
    scale: Annotated[str | None, typer.Option(help="major, minor, dorian, blues ...")] = None,
    chords: Annotated[str | None, typer.Option(help="'Am F C G': one per bar, repeating.")] = None,
    tempo: Annotated[float | None, typer.Option(help="BPM, 20-300.")] = None,
    bars: Annotated[int | None, typer.Option(help="1-32.")] = None,
    style: Annotated[str | None, typer.Option(help="rock, funk, jazz, hip-hop, latin ...")] = None,
    time_signature: Annotated[str | None, typer.Option(help="4/4, 3/4, 6/8 ...")] = None,
    seed: Annotated[int | None, typer.Option(help="The same seed gives the same MIDI.")] = None,
    variations: Annotated[int | None, typer.Option(help="Clips to make, 1-8.")] = None,
    temperature: Annotated[float | None, typer.Option(help="0.1-2.0.")] = None,
    density: Annotated[float | None, typer.Option(help="0-1.")] = None,
    swing: Annotated[float | None, typer.Option(help="0-1.")] = None,
    humanize: Annotated[float | None, typer.Option(help="0-1.")] = None,
    microtiming: Annotated[
        float | None, typer.Option(help="Drums: 0 on the grid .. 1 the style's learned human offsets.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="auto, magenta, theory or a bundle id (dawg-ai models).")] = None,
    primer: Annotated[
        Path | None, typer.Option(help="A MIDI clip to continue.", exists=True, dir_okay=False, readable=True)
    ] = None,
    url: UrlOption = None,
) -> None:
    """A drum groove, bass line or melody as MIDI (POST /api/v1/generate/midi, /bassline or /melody)."""
    values: dict[str, Any] = {
        "style": (style or "drums") if part is Part.drums else style,
        "key": key,
        "scale": scale,
        "chords": chords,
        "tempo": tempo,
        "bars": bars,
        "time_signature": time_signature,
        "seed": seed,
        "variations": variations,
        "temperature": temperature,
        "density": density,
        "swing": swing,
        "humanize": humanize,
        "microtiming": microtiming,
        "model": model,
    }
    uploads = [Upload("primer", primer)] if primer is not None else []

    async def work(client: httpx.AsyncClient) -> dict[str, Any]:
        return await request_json(client, "POST", GENERATION_PATHS[part], values, uploads)

    def check() -> None:
        """What the route refuses before it reads the primer or waits for Magenta, on the values as sent."""
        from api.params import validate_params
        from api.routes.generation import check_generation
        from api.schemas import GenerationParams

        params = validate_params(GenerationParams, sent_values(values, form=bool(uploads)))
        check_generation(params, ENDPOINT_PARTS[part], primer=primer is not None)

    target = out or Path(f"{part.value}.mid")
    _check_writable(*clip_paths(target, variations or 1))
    body = _run(ctx, work, load_magenta=(model or "").lower() != "theory", check=check)
    clips = body.get("variations") or [body]
    targets = clip_paths(target, len(clips))
    for clip, target in zip(clips, targets, strict=True):
        _write(target, _midi(clip))
    if _options(ctx).json:
        _print_json(body)
        return
    for clip, target in zip(clips, targets, strict=True):
        typer.echo(f"wrote {target} (seed {clip.get('seed')}, {len(clip.get('notes') or [])} notes)")
    typer.echo(generation_summary(body))


# ---------------------------------------------------------------- mix


RENDER_FORMATS = {".wav": "wav", ".flac": "flac"}


@app.command()
def mix(
    ctx: typer.Context,
    stems: Annotated[
        list[Path],
        typer.Argument(
            help="Audio stems, one per track (the track name is the file name).",
            exists=True,
            dir_okay=False,
            readable=True,
            show_default=False,
        ),
    ],
    target: Annotated[str | None, typer.Option(help="Loudness target: streaming, premaster, club ...")] = None,
    roles: Annotated[str | None, typer.Option(help="Track roles, e.g. 'Gtr=guitar,Vox=vocals'.")] = None,
    tempo: Annotated[float | None, typer.Option(help="The song's BPM (for delay times).")] = None,
    render: Annotated[Path | None, typer.Option(help="Write the mix here (.wav or .flac).")] = None,
    master: Annotated[bool, typer.Option("--master", help="With --render: master to the target.")] = False,
    bit_depth: Annotated[int, typer.Option(help="With --render: 16 or 24.")] = 24,
    url: UrlOption = None,
) -> None:
    """Mixing advice and automatic levels for stems (POST /api/v1/mixing/suggest and /auto_level); with
    --render, the mix with those moves applied (POST /api/v1/mixing/render)."""
    render_format = None
    if render is not None:
        render_format = RENDER_FORMATS.get(render.suffix.lower())
        if render_format is None:
            raise typer.BadParameter("the file must end in .wav or .flac", param_hint="--render")
        _check_writable(render)
    values: dict[str, Any] = {"target": target, "roles": roles, "tempo": tempo}
    uploads = [Upload("files", stem) for stem in stems]

    async def work(client: httpx.AsyncClient) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "suggest": await request_json(client, "POST", "/api/v1/mixing/suggest", values, uploads),
            "auto_level": await request_json(client, "POST", "/api/v1/mixing/auto_level", values, uploads),
        }
        if render is not None:
            extra = {"format": render_format, "master": master, "bit_depth": bit_depth}
            response = await request(client, "POST", "/api/v1/mixing/render", {**values, **extra}, uploads)
            _write(render, response.content)
            headers = response.headers
            answer["render"] = {
                "file": str(render),
                "loudness_lufs": _float(headers.get("x-loudness-lufs")),
                "true_peak_dbtp": _float(headers.get("x-true-peak-dbtp")),
                "target_lufs": _float(headers.get("x-target-lufs")),
                "applied_moves": _float(headers.get("x-applied-moves")),
            }
        return answer

    answer = _run(ctx, work)
    if _options(ctx).json:
        _print_json(answer)
        return
    console = output.stdout()
    console.print(output.suggestions_table(answer["suggest"]))
    console.print(output.levels_table(answer["auto_level"]))
    rendered = answer.get("render")
    if rendered:
        typer.echo(
            f"wrote {rendered['file']}: {output.number(rendered['loudness_lufs'])} LUFS, true peak "
            f"{output.number(rendered['true_peak_dbtp'])} dBTP, {output.number(rendered['applied_moves'], 0)} moves "
            "applied" + (f", mastered to {output.number(rendered['target_lufs'])} LUFS" if master else "")
        )


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


# ---------------------------------------------------------------- transcribe, models, command


@app.command()
def transcribe(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="An audio file.", exists=True, dir_okay=False, readable=True, show_default=False)
    ],
    out: Annotated[Path | None, typer.Option("--output", "-o", help="The .mid to write (default: FILE.mid).")] = None,
    instrument: Annotated[
        str | None,
        typer.Option(
            help="pitched (default), melody (one line: a voice, a horn), drums, or auto (the engine hears which)."
        ),
    ] = None,
    quantize: Annotated[str | None, typer.Option(help="none, or a step of the beat grid: 1/8, 1/16 ...")] = None,
    url: UrlOption = None,
) -> None:
    """Audio to MIDI notes (POST /api/v1/transcribe)."""
    values = {"instrument": instrument, "quantize": quantize}

    async def work(client: httpx.AsyncClient) -> dict[str, Any]:
        return await request_json(client, "POST", "/api/v1/transcribe", values, uploads=[Upload("file", file)])

    target = out or file.with_suffix(".mid")
    _check_writable(target)
    body = _run(ctx, work)
    if body.get("midi_base64"):
        _write(target, _midi(body))
    if _options(ctx).json:
        _print_json(body)
        return
    if not body.get("midi_base64"):
        _print_json(body)
        return
    notes = body.get("notes")
    count = f"{len(notes)} notes" if isinstance(notes, list) else "the notes"
    typer.echo(f"wrote {target}: {count}" + (f", tempo {output.number(body['tempo'])}" if body.get("tempo") else ""))


@app.command()
def models(ctx: typer.Context, url: UrlOption = None) -> None:
    """The generation backends and analysis models, loaded or why not (GET /api/v1/models)."""

    async def work(client: httpx.AsyncClient) -> dict[str, Any]:
        # In process, the bundles load now: the list is the one a started service gives once they have.
        deadline = time.monotonic() + READY_WAIT_S
        while not (await request_json(client, "GET", "/health")).get("ready", True) and time.monotonic() < deadline:
            await asyncio.sleep(READY_POLL_S)
        return await request_json(client, "GET", "/api/v1/models")

    body = _run(ctx, work, load_magenta=True)
    if _options(ctx).json:
        _print_json(body)
        return
    output.stdout().print(output.models_table(body))


COMMAND_UPLOADS: dict[str, tuple[str, str]] = {
    "file": ("--file", "pass it with --file PATH"),
    "audio": ("--file", "pass it with --file PATH"),
    "primer": ("--primer", "pass the MIDI clip with --primer PATH"),
    "files": ("--stem", "pass each stem with --stem PATH"),
    "master": ("--master", "pass the finished mix with --master PATH"),
    "reference": ("--reference", "pass the reference track with --reference PATH"),
}
"""A missing upload of ``dawg-ai command``, or one its action does not read, in its own options' words, not the
multipart field's."""


@app.command()
def command(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What to do, in words: 'a funky bassline in D minor'.")],
    file: Annotated[
        Path | None,
        typer.Option(help="A recording the command is about ('what key is this').", exists=True, dir_okay=False),
    ] = None,
    primer: Annotated[Path | None, typer.Option(help="A MIDI clip to continue.", exists=True, dir_okay=False)] = None,
    stem: Annotated[
        list[Path] | None, typer.Option(help="Stems for mixing commands (repeat).", exists=True, dir_okay=False)
    ] = None,
    master: Annotated[
        Path | None,
        typer.Option(help="A finished mix, for mastering commands ('master it louder').", exists=True, dir_okay=False),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(help="A reference track for mixing commands ('mix it like this').", exists=True, dir_okay=False),
    ] = None,
    project: Annotated[str | None, typer.Option(help="The DAWG-CORE project mixing commands use.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for generation commands.")] = None,
    model: Annotated[str | None, typer.Option(help="Generation backend: auto, magenta, theory, a bundle id.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what the text was understood as.")] = False,
    out: Annotated[Path | None, typer.Option("--output", "-o", help="Write a MIDI result here.")] = None,
    url: UrlOption = None,
) -> None:
    """A spoken or typed command, run by the engine (POST /api/v1/command); prints what it says back."""
    values: dict[str, Any] = {
        "text": text,
        "project_id": project,
        "seed": seed,
        "model": model,
        "dry_run": dry_run or None,
    }
    uploads = [Upload("files", path) for path in stem or []]
    named = (("file", file), ("primer", primer), ("master", master), ("reference", reference))
    uploads += [Upload(field, path) for field, path in named if path is not None]

    async def work(client: httpx.AsyncClient) -> dict[str, Any]:
        return await request_json(client, "POST", "/api/v1/command", values, uploads)

    if out is not None:
        _check_writable(out)
    magenta = not dry_run and (model or "").lower() != "theory" and _generates(text)
    body = _run(ctx, work, load_magenta=magenta, uploads=COMMAND_UPLOADS)
    result = body.get("result")
    midi = result if isinstance(result, dict) and result.get("midi_base64") else None
    if midi is not None and out is not None:
        _write(out, _midi(midi))
    if _options(ctx).json:
        _print_json(body)
        return
    typer.echo(body.get("speech") or f"{body.get('action')}: {body.get('status')} {output.json_text(body['params'])}")
    if midi is not None:
        output.note(f"wrote {out}" if out is not None else "the answer is a MIDI clip: -o FILE.mid saves it")


def _generates(text: str) -> bool:
    """Whether ``text`` asks for a clip: only then does the in-process engine load Magenta (seconds of
    TensorFlow that 'play' or 'what key is this' would wait for in vain). The engine parses it again."""
    from ai.commands import parse_command  # the engine's own parser: pure, no model

    action = parse_command(text).action
    return action is not None and action.startswith("generate")


def quiet_start(level: str) -> None:
    """Keep other libraries' start-up noise off stderr, where the command's answer and errors go; before
    anything imports TensorFlow or pydub (the in-process engine does, to load Magenta).

    pydub (imported by Magenta's note_seq) warns that it found no ffmpeg: the engine decodes with its own
    libraries and never calls pydub's. TensorFlow logs a failed cuInit as an ERROR on a machine without a GPU
    (the engine runs on the CPU): its C++ log is held to fatal lines unless DAWG_AI_LOG_LEVEL asks for more
    than errors, or TF_CPP_MIN_LOG_LEVEL is set (the lines TensorFlow logs through absl while it loads, which
    that variable does not reach, by :func:`ai.tensorflow_import.native_log_filtered`, which this process asks
    for). Errors that matter still reach the command: a model that fails to load raises, and the engine answers
    503 with the reason.
    """
    from ai.tensorflow_import import filter_native_log

    filter_native_log()
    warnings.filterwarnings("ignore", message="Couldn't find ffmpeg or avconv", category=RuntimeWarning)
    if level in ("ERROR", "CRITICAL"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    """The ``dawg-ai`` console script."""
    # The engine logs every refused request; here the red line says it. DAWG_AI_LOG_LEVEL shows more.
    level = os.environ.get(f"{ENV_PREFIX}LOG_LEVEL", "error").upper()
    quiet_start(level)
    logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s")
    app(prog_name="dawg-ai")


from cli.library import library_app  # noqa: E402  (its commands run through this module's helpers)

app.add_typer(library_app, name="library")
