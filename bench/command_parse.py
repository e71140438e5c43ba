#!/usr/bin/env python3
"""Text-command parser: accuracy and speed of ai.commands.parse_command on the utterance corpus.

Usage:
    .venv/bin/python bench/command_parse.py [--split dev|heldout|late|all] [--show-errors]
        [--dev PATH] [--heldout PATH] [--late PATH] [--repeat 5]

The corpus (tests/data/commands/, one JSON object a line: {"text", "action" | null, "params"})
records the expected parse of each utterance in the form of docs/commands.md. ``dev.jsonl`` is
the tuning split; ``heldout.jsonl`` was written by someone else and is scored only at the end
(the rules were written without it), so its figure is the one that says how the parser does on
phrasings it has not seen; ``heldout_late.jsonl`` was written by a third author after the parser
was finished (split "late"). Each held-out split is also scored without the lines whose text is in
the dev file (bare commands such as "play" that two authors wrote alike). Printed per split:

* accuracy: the whole parse right (the action and every parameter equal, nothing extra);
* action accuracy: the action right, parameters aside;
* per action (expected action; "null" for texts that must be refused): count, whole-parse and
  action accuracy;
* per parameter, over the lines where the expected or the parsed params hold it: right, missed
  (expected, not parsed), spurious (parsed, not expected), wrong value;
* parse time per utterance: median and 99th percentile over ``--repeat`` passes after one warm-up
  pass (one CPU thread, the same call the endpoint makes);
* with --show-errors, each failed line: the text, the expected and the parsed parse.

Corpus lines that break the contract (an unknown action, a parameter the action does not take)
are listed first, and when the held-out split is read, exact text duplicates between the dev and
held-out files (also after lower-casing and dropping punctuation) are listed: they would flatter
the held-out figure.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.commands import ACTIONS, parse_command  # noqa: E402

CORPUS = REPO / "tests" / "data" / "commands"
_LOOSE_RE = re.compile(r"[^\w\s]|_")


@dataclass(frozen=True)
class Line:
    text: str
    action: str | None
    params: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    line: Line
    action: str | None
    params: dict[str, Any]

    @property
    def right(self) -> bool:
        return self.action == self.line.action and self.params == self.line.params

    @property
    def action_right(self) -> bool:
        return self.action == self.line.action


def load(path: Path) -> list[Line]:
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            lines.append(Line(str(item["text"]), item["action"], dict(item.get("params") or {})))
        except (ValueError, KeyError, TypeError) as exc:
            print(f"  {path.name}:{number}: unreadable line ({exc})")
    return lines


def contract_problems(lines: list[Line]) -> list[str]:
    """Lines whose expected parse is not a parse docs/commands.md allows."""
    problems = []
    for line in lines:
        if line.action is None:
            if line.params:
                problems.append(f"{line.text!r}: a refusal with params {line.params}")
            continue
        if line.action not in ACTIONS:
            problems.append(f"{line.text!r}: unknown action {line.action!r}")
            continue
        extra = sorted(set(line.params) - set(ACTIONS[line.action].params))
        if extra:
            problems.append(f"{line.text!r}: {line.action} does not take {', '.join(extra)}")
    return problems


def _loose(text: str) -> str:
    return " ".join(_LOOSE_RE.sub(" ", text.lower()).split())


def duplicates(dev: list[Line], heldout: list[Line]) -> tuple[list[str], list[str]]:
    """(exact duplicates, duplicates after lower-casing and dropping punctuation) between the splits."""
    dev_texts = {line.text for line in dev}
    dev_loose = {_loose(line.text) for line in dev}
    exact = sorted({line.text for line in heldout if line.text in dev_texts})
    loose = sorted({line.text for line in heldout if _loose(line.text) in dev_loose} - set(exact))
    return exact, loose


def run(lines: list[Line], repeat: int) -> tuple[list[Outcome], list[float]]:
    outcomes = []
    for line in lines:  # the warm-up pass gives the outcomes
        parsed = parse_command(line.text)
        outcomes.append(Outcome(line, parsed.action, parsed.params))
    times = []
    for _ in range(repeat):
        for line in lines:
            start = time.perf_counter()
            parse_command(line.text)
            times.append(time.perf_counter() - start)
    return outcomes, times


def _pct(right: int, total: int) -> str:
    return f"{right / total:6.3f}" if total else "     -"


def report(name: str, outcomes: list[Outcome], times: list[float], show_errors: bool) -> None:
    total = len(outcomes)
    print(f"\n== {name}: {total} utterances")
    if not total:
        return
    right = sum(o.right for o in outcomes)
    action_right = sum(o.action_right for o in outcomes)
    print(f"accuracy (whole parse) {_pct(right, total)}  ({right}/{total})")
    print(f"action accuracy        {_pct(action_right, total)}  ({action_right}/{total})")

    print(f"\n{'action':<17}{'n':>4}{'parse':>8}{'action':>8}")
    by_action: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_action.setdefault(outcome.line.action or "null", []).append(outcome)
    for action in [*ACTIONS, "null", *sorted(set(by_action) - set(ACTIONS) - {"null"})]:
        group = by_action.get(action, [])
        if group:
            n = len(group)
            print(
                f"{action:<17}{n:>4}{_pct(sum(o.right for o in group), n):>8}{_pct(sum(o.action_right for o in group), n):>8}"
            )

    counts: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        for param in set(outcome.line.params) | set(outcome.params):
            want, got = outcome.line.params.get(param), outcome.params.get(param)
            kind = (
                "right"
                if param in outcome.line.params and param in outcome.params and want == got
                else "missed"
                if param not in outcome.params
                else "spurious"
                if param not in outcome.line.params
                else "wrong"
            )
            counts.setdefault(param, Counter())[kind] += 1
    print(f"\n{'parameter':<16}{'n':>4}{'right':>8}{'missed':>8}{'spurious':>10}{'wrong':>7}")
    for param in sorted(counts):
        c = counts[param]
        n = sum(c.values())
        print(f"{param:<16}{n:>4}{_pct(c['right'], n):>8}{c['missed']:>8}{c['spurious']:>10}{c['wrong']:>7}")

    micro = sorted(t * 1e6 for t in times)
    p99 = micro[min(len(micro) - 1, int(0.99 * len(micro)))]
    print(
        f"\nparse time per utterance: median {statistics.median(micro):.0f} us, p99 {p99:.0f} us, max {micro[-1]:.0f} us"
    )

    if show_errors:
        errors = [o for o in outcomes if not o.right]
        print(f"\nerrors ({len(errors)}):")
        for o in errors:
            print(f"  {o.line.text!r}\n    want {o.line.action} {o.line.params}\n    got  {o.action} {o.params}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "heldout", "late", "all"), default="dev")
    parser.add_argument("--show-errors", action="store_true", help="print every line parsed wrong")
    parser.add_argument("--dev", type=Path, default=CORPUS / "dev.jsonl")
    parser.add_argument("--heldout", type=Path, default=CORPUS / "heldout.jsonl")
    parser.add_argument("--late", type=Path, default=CORPUS / "heldout_late.jsonl")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over each split")
    args = parser.parse_args()

    splits: dict[str, list[Line]] = {}
    for name in ("dev", "heldout", "late"):
        if args.split in (name, "all"):
            path: Path = getattr(args, name)
            if not path.exists():
                parser.error(f"{path} does not exist")
            splits[name] = load(path)
    for name, lines in splits.items():
        problems = contract_problems(lines)
        if problems:
            print(f"{name}: {len(problems)} line(s) outside docs/commands.md's contract:")
            for problem in problems:
                print(f"  {problem}")
    dev = splits.get("dev") or (load(args.dev) if args.dev.exists() else [])
    for name in [name for name in ("heldout", "late") if name in splits]:
        exact, loose = duplicates(dev, splits[name])
        print(
            f"dev/{name} duplicates: {len(exact)} exact, {len(loose)} more after lower-casing and dropping punctuation"
        )
        for text in exact + loose:
            print(f"  {text!r}")
        seen = {_loose(line.text) for line in dev}
        splits[f"{name} without dev duplicates"] = [line for line in splits[name] if _loose(line.text) not in seen]

    for name, lines in splits.items():
        outcomes, times = run(lines, max(1, args.repeat))
        report(name, outcomes, times, args.show_errors)
    if args.split == "all":
        whole = [splits[name] for name in ("dev", "heldout", "late")]
        outcomes, times = run([line for lines in whole for line in lines], 1)
        report("all", outcomes, times, False)


if __name__ == "__main__":
    main()
