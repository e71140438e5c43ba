"""The fixed tune / held-out split of the real development set (data/real).

Rule: an item is held out when ``zlib.crc32(file name as UTF-8) % 3 == 0``, otherwise it is for
tuning. The hash depends on the file name alone, so the split never changes when items are added,
removed or reordered, and about a third of the set is held out.

Checked on the 53 items of ground_truth.json (``python bench/real_split.py data/real`` prints the
counts): outside the "tiny" groups every measure has items on both sides (held out / tune: tempo
5 / 12, beats 5 / 10, downbeats 4 / 5, meter 4 / 5, key 11 / 13, chords 1 / 3). The tiny items are
reported apart and are too few to balance (their two beat-annotated items are both held out);
no other rule was needed.

Usage:
    python bench/real_split.py data/real
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path
from typing import Any

SPLITS = ("all", "tune", "heldout")
RULE = "crc32(file) % 3 == 0 -> heldout"

MEASURES: dict[str, str] = {
    "tempo": "bpm",
    "beats": "beats_s",
    "downbeats": "downbeats_s",
    "meter": "meter",
    "key": "key",
    "chords": "chords",
}
"""Measure -> the ground-truth field that it needs."""


def split_of(file: str) -> str:
    """'heldout' or 'tune' for an item's file name."""
    return "heldout" if zlib.crc32(file.encode("utf-8")) % 3 == 0 else "tune"


def in_split(truth: dict[str, Any], split: str) -> bool:
    """Whether a ground-truth item belongs to ``split`` ('all', 'tune' or 'heldout')."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return split == "all" or split_of(truth["file"]) == split


def is_tiny(truth: dict[str, Any]) -> bool:
    """Items shorter than 6 s (groups named tiny...), reported apart."""
    return str(truth.get("group", "")).startswith("tiny")


def has_measure(truth: dict[str, Any], measure: str) -> bool:
    """Whether the item is annotated for ``measure`` (a contested key does not count)."""
    if not truth.get(MEASURES[measure]):
        return False
    return not (measure == "key" and truth.get("key_contested"))


def split_counts(truths: list[dict[str, Any]]) -> dict[tuple[bool, str], dict[str, int]]:
    """(tiny, measure) -> {'tune': n, 'heldout': n} for the annotated items."""
    counts: dict[tuple[bool, str], dict[str, int]] = {}
    for tiny in (False, True):
        for measure in MEASURES:
            cell = {"tune": 0, "heldout": 0}
            for truth in truths:
                if is_tiny(truth) == tiny and has_measure(truth, measure):
                    cell[split_of(truth["file"])] += 1
            counts[(tiny, measure)] = cell
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path, help="folder with ground_truth.json")
    args = parser.parse_args()
    truths = json.loads((args.dataset / "ground_truth.json").read_text())
    print(f"split rule: {RULE}")
    print(f"{'items':<8}{'measure':<11}{'tune':>6}{'heldout':>9}")
    for (tiny, measure), cell in split_counts(truths).items():
        flag = "  <- one side empty" if min(cell.values()) == 0 and max(cell.values()) > 0 else ""
        print(f"{'tiny' if tiny else 'main':<8}{measure:<11}{cell['tune']:>6}{cell['heldout']:>9}{flag}")


if __name__ == "__main__":
    main()
