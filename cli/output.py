"""What the commands print: rich tables for people, JSON and CSV for programs (stdout), messages and
progress on stderr so that a pipe gets only the answer."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rich.console import Console
from rich.markup import escape
from rich.table import Table

Format = Literal["table", "json", "csv"]


def stdout() -> Console:
    # Built per call: the streams are looked up when a command runs (a test runner swaps them).
    return Console(highlight=False, soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def error(message: str) -> None:
    """One red line on stderr."""
    stderr().print(f"[bold red]error:[/bold red] [red]{escape(message)}[/red]", soft_wrap=True)


def note(message: str) -> None:
    """A line for the person at the terminal (stderr: stdout is the answer)."""
    stderr().print(escape(message), soft_wrap=True)


def json_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def number(value: Any, digits: int = 1, unit: str = "") -> str:
    return f"{value:.{digits}f}{unit}" if isinstance(value, int | float) and not isinstance(value, bool) else "-"


# ---------------------------------------------------------------- analysis


@dataclass
class AnalysisRow:
    """One file's analysis: the endpoint's body, or the error that refused it."""

    file: str
    body: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, **(self.body if self.error is None else self.error)}


CSV_COLUMNS = ("file", "duration", "tempo", "time_signature", "key", "loudness_lufs", "true_peak_dbtp", "error")


def analysis_csv(rows: Sequence[AnalysisRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = [row.file, *(row.body.get(name) for name in CSV_COLUMNS[1:-1])]
        problem = "" if row.error is None else f"{row.error.get('error')}: {row.error.get('detail')}"
        writer.writerow(["" if value is None else value for value in values] + [problem])
    return buffer.getvalue()


def analysis_table(rows: Sequence[AnalysisRow]) -> Table:
    """One row a file, named from the folder all of them are in (the title says which)."""
    folder = os.path.commonpath([os.path.dirname(os.path.abspath(row.file)) for row in rows]) if rows else ""
    title = f"{len(rows)} file{'s' if len(rows) != 1 else ''} analysed" + (f" in {folder}" if folder else "")
    table = Table(title=escape(title), title_justify="left")
    table.add_column("file", overflow="fold")
    for name in ("duration", "tempo"):
        table.add_column(name, justify="right")
    table.add_column("meter")
    table.add_column("key")
    for name in ("LUFS", "true peak"):
        table.add_column(name, justify="right")
    failed = any(row.error is not None for row in rows)
    if failed:
        table.add_column("error", overflow="fold", style="red")
    for row in rows:
        if row.error is not None:
            problem = f"{row.error.get('error')}: {row.error.get('detail')}"
            table.add_row(escape(_shown(row.file, folder)), "", "", "", "", "", "", escape(problem))
            continue
        b = row.body
        table.add_row(
            escape(_shown(row.file, folder)),
            number(b.get("duration"), 1, " s"),
            number(b.get("tempo"), 1),
            str(b.get("time_signature") or "-"),
            str(b.get("key") or "-"),
            number(b.get("loudness_lufs"), 1),
            number(b.get("true_peak_dbtp"), 1, " dBTP"),
            *([""] if failed else []),
        )
    return table


def _shown(file: str, folder: str) -> str:
    return os.path.relpath(os.path.abspath(file), folder) if folder else file


# ---------------------------------------------------------------- models, mixing


def models_table(body: dict[str, Any]) -> Table:
    """Every backend and model of /api/v1/models: name, what it is for, loaded, and details or the reason."""
    table = Table(title="models", title_justify="left")
    for name in ("name", "kind", "loaded", "details"):
        table.add_column(name, overflow="fold")
    default_for = body.get("default_for") or {}
    sections = ("models", "analysis", "mixing", "generation")
    for section in sections:
        for entry in body.get(section) or []:
            if not isinstance(entry, dict):
                continue
            name = str(entry.get("name", "?"))
            kind = str(entry.get("family") or section)
            loaded = entry.get("loaded")
            details = entry.get("error") or entry.get("reason") or entry.get("serves") or ""
            if entry.get("parts"):
                parts = ", ".join(str(part) for part in entry["parts"])
                defaults = [part for part, chosen in default_for.items() if chosen == name]
                details = f"parts: {parts}" + (f" (default for {', '.join(defaults)})" if defaults else "")
            mark = "[green]yes[/green]" if loaded else "[red]no[/red]" if loaded is False else "-"
            table.add_row(escape(name), escape(kind), mark, escape(str(details)))
    if body.get("loading"):
        table.caption = "Magenta bundles are still loading"
    return table


def suggestions_table(body: dict[str, Any]) -> Table:
    table = Table(
        title=f"mix quality {number(body.get('mix_quality_score'), 0, '/100')}: {body.get('quality_summary') or ''}",
        title_justify="left",
    )
    table.add_column("priority")
    table.add_column("track")
    table.add_column("message", overflow="fold")
    colours = {"high": "red", "medium": "yellow", "low": "green"}
    for item in body.get("suggestions") or []:
        priority = str(item.get("priority", ""))
        track = item.get("track")
        track_text = ", ".join(track) if isinstance(track, list) else str(track or "mix")
        colour = colours.get(priority, "white")
        table.add_row(f"[{colour}]{escape(priority)}[/{colour}]", escape(track_text), escape(str(item.get("message"))))
    return table


def levels_table(body: dict[str, Any]) -> Table:
    """Gain, its balance part (what the level findings speak of) and pan per track; the common makeup below.
    Without the balance column "Bass is 6.6 dB louder than its role" stood beside a gain of +6.6 dB."""
    makeup = body.get("makeup_db")
    caption = None
    if isinstance(makeup, int | float):
        caption = f"gain = balance {makeup:+.1f} dB, the makeup common to every track (it sets the mix's loudness)"
    table = Table(title="auto-level", title_justify="left", caption=caption)
    table.add_column("track")
    table.add_column("gain", justify="right")
    table.add_column("balance", justify="right")
    table.add_column("pan", justify="right")
    for name, level in (body.get("levels") or {}).items():
        if isinstance(level, dict):
            table.add_row(
                escape(str(name)),
                number(level.get("gain_db"), 1, " dB"),
                number(level.get("balance_db"), 1, " dB"),
                number(level.get("pan"), 2),
            )
    return table
