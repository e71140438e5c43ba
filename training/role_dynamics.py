"""Fit the per-role dynamics norms and thresholds (models/role_dynamics.json) on the training multitracks.

Data: the training sets of bench/mixing_songs.py (MMA grooves split into stems, rendered with
FluidSynth and the TimGM6mb and MuseScore General Lite soundfonts, seeds 101 and 102); never the
held-out FluidR3 sets. Every song gives one track per stem (its true role from songs.json), the
sum of its drum stems (kick, snare, hi-hats, drums) as a drum bus (role "drums": a full kit on one
track, which is what the role means in a session) and the sum of all its stems as the mix bus
(role "music"). Each track is measured with :func:`ai.mixing.dynamics_measure.measure_dynamics`.

Norms: per role, and per family (percussive, tonal, music: ai.mixing.dynamics_norms.ROLE_FAMILY), the
percentiles NORM_PERCENTILES of crest factor, PLR, loudness range and transient strength.

Thresholds. Over-compression is judged on drums and the mix bus, uncontrolled dynamics on the
tonal parts (ai.mixing.dynamics.OVER_COMPRESSION_FAMILIES / UNCONTROLLED_FAMILIES), so every
track faces one check. The issue bounds false alarms: <= 2 % of clean held-out stems with a
medium/high dynamics finding, on a soundfont the norms never saw. The training data can play
that out: every clean track is scored against norms fitted on the other soundfont only (leave one
soundfont out): its over-compression z (mean z below the norm over crest factor, PLR, envelope
depth and block crest) or its loudness-range z above the norm. Each flag threshold is the
FALSE_ALARM_QUANTILE (98 %) quantile of those clean scores, so each check flags 2 % of the clean
tracks it judges when the soundfont changes; the "high" thresholds are the largest clean score
of all (no clean training track reaches high priority, whichever norms judge it).

Diagnostics printed (not used to fit): the clean tracks flagged with norms fitted without the
track's song (leave one song out: the same soundfont), and the share of injected faults
(bench/mixing_dynamics.py's over-compression and swings, on the training songs) found with the
shipped norms and with the other soundfont's norms.

Usage: .venv/bin/python -m training.role_dynamics [--data FOLDER ...] [--out models/role_dynamics.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ai.mixing.dynamics import OVER_COMPRESSION_FAMILIES, UNCONTROLLED_FAMILIES, over_compression_z
from ai.mixing.dynamics_measure import DynamicsMeasure, measure_dynamics
from ai.mixing.dynamics_norms import MEASURES, SHIPPED_NORMS, MeasureNorm, RoleDynamics, RoleNorm
from bench.mixing_dynamics import DRUM_ROLES, SWING_ROLES, over_compress, song_tracks, swing

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
TRAINING_SETS = (REPO / "data" / "mixing_train_timgm", REPO / "data" / "mixing_train_msgl")
NORM_PERCENTILES = (2, 5, 10, 25, 50, 75, 90, 95, 98)
"""Percentiles of each measure kept per role (10/50/90 set the spreads; the rest describe the norm)."""
FALSE_ALARM_QUANTILE = 0.98
"""Quantile of the clean tracks' leave-one-soundfont-out scores that becomes a flag threshold
(the issue's bound: 2 % of clean stems flagged)."""
INJECT_SEED = 5
"""Seed of the diagnostic fault injections on the training songs."""


@dataclass(frozen=True)
class Row:
    """One measured training track."""

    group: str
    soundfont: str
    name: str
    role: str
    measure: DynamicsMeasure


def measure_folder(folder: Path) -> list[Row]:
    """A :class:`Row` for every stem, drum bus and mix bus of the songs in ``folder``."""
    songs = json.loads((folder / "songs.json").read_text())
    rows = []
    for song in songs:
        tracks, sr = song_tracks(folder, song)
        for name, role, samples in tracks:
            measure = measure_dynamics(samples=samples, sr=sr)
            if measure.integrated_lufs is None:
                continue
            rows.append(Row(f"{folder.name}/{song['song']}", song["soundfont"], name, role, measure))
    return rows


def fit_norm(name: str, rows: list[Row]) -> RoleNorm:
    """Percentiles of every measure over ``rows`` (a measure undefined on a track is left out)."""
    measures = {}
    for measure in MEASURES:
        values = np.array([r.measure.value(measure) for r in rows if r.measure.value(measure) is not None])
        if values.size:
            measures[measure] = MeasureNorm(
                {p: float(v) for p, v in zip(NORM_PERCENTILES, np.percentile(values, NORM_PERCENTILES), strict=True)}
            )
    return RoleNorm(name, len(rows), measures)


def fit_norms(rows: list[Row], *, thresholds: tuple[float, float, float, float]) -> RoleDynamics:
    by_role: dict[str, list[Row]] = defaultdict(list)
    by_family: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_role[row.role].append(row)
        by_family[RoleDynamics.family(row.role)].append(row)
    return RoleDynamics(
        roles={role: fit_norm(role, rs) for role, rs in by_role.items()},
        families={family: fit_norm(family, rs) for family, rs in by_family.items()},
        over_compressed_z=thresholds[0],
        over_compressed_high_z=thresholds[1],
        uncontrolled_z=thresholds[2],
        uncontrolled_high_z=thresholds[3],
    )


def scores(row: Row, norms: RoleDynamics) -> tuple[float | None, float | None]:
    """(over-compression z, loudness-range z) of ``row`` against ``norms``; None where the role's
    family is not judged for it (OVER_COMPRESSION_FAMILIES, UNCONTROLLED_FAMILIES)."""
    norm = norms.norm(row.role)
    family = norms.family(row.role)
    squash = over_compression_z(measure=row.measure, norm=norm)[0] if family in OVER_COMPRESSION_FAMILIES else None
    lra = row.measure.lra_lu
    swing = None if lra is None or family not in UNCONTROLLED_FAMILIES else norm.above("lra_lu", lra)
    return squash, swing


def leave_one_out(rows: list[Row], key: str) -> list[tuple[Row, float | None, float | None]]:
    """(row, over-compression z, loudness-range z) of every row, scored against norms fitted on the
    rows that differ from it in ``key`` ("group": the song, "soundfont")."""
    out: list[tuple[Row, float | None, float | None]] = []
    for value in sorted({getattr(r, key) for r in rows}):
        norms = fit_norms([r for r in rows if getattr(r, key) != value], thresholds=(math.inf,) * 4)
        out.extend((r, *scores(r, norms)) for r in rows if getattr(r, key) == value)
    return out


def quantile(values: list[float], q: float) -> float:
    return float(np.quantile(np.array(values), q))


def flagged_share(scored: list[tuple[Row, float | None, float | None]], thresholds: tuple[float, ...]) -> float:
    """Share of ``scored`` clean tracks that a threshold flags."""
    hits = [(s is not None and s >= thresholds[0]) or (u is not None and u >= thresholds[2]) for _, s, u in scored]
    return float(np.mean(hits))


def injected_found(folders: list[Path], rows: list[Row], norms: RoleDynamics) -> dict[str, dict[str, list[bool]]]:
    """Over-compression / swing injections (bench/mixing_dynamics.py's) on the training songs, found?

    Returns {"shipped" | "other soundfont": {"over_compressed <role>" | "uncontrolled <role>": [found]}}:
    judged by the shipped norms, and by norms fitted on the other soundfont only.
    """
    rng = np.random.default_rng(INJECT_SEED)
    other = {
        sf: fit_norms([r for r in rows if r.soundfont != sf], thresholds=(math.inf,) * 4)
        for sf in {r.soundfont for r in rows}
    }
    found: dict[str, dict[str, list[bool]]] = {"shipped": defaultdict(list), "other soundfont": defaultdict(list)}
    for folder in folders:
        for song in json.loads((folder / "songs.json").read_text()):
            tracks, sr = song_tracks(folder, song)
            for name, role, samples in tracks:
                faults = []
                if role in DRUM_ROLES or role == "music":
                    faults.append(("over_compressed", over_compress(samples, sr, rng)[0]))
                if role in SWING_ROLES:
                    faults.append(("uncontrolled", swing(samples, sr, rng)[0]))
                for problem, faulty in faults:
                    row = Row(
                        f"{folder.name}/{song['song']}",
                        song["soundfont"],
                        name,
                        role,
                        measure_dynamics(samples=faulty, sr=sr),
                    )
                    for label, judge in (("shipped", norms), ("other soundfont", other[song["soundfont"]])):
                        squash, swung = scores(row, judge)
                        hit = (
                            squash is not None and squash >= norms.over_compressed_z
                            if problem == "over_compressed"
                            else swung is not None and swung >= norms.uncontrolled_z
                        )
                        found[label][f"{problem} {role}"].append(hit)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, nargs="+", default=list(TRAINING_SETS))
    parser.add_argument("--out", type=Path, default=SHIPPED_NORMS)
    parser.add_argument("--no-inject", action="store_true", help="skip the injected-fault diagnostic")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    rows = [row for folder in args.data for row in measure_folder(folder)]
    by_soundfont = leave_one_out(rows, "soundfont")
    squash_clean = [s for _, s, _ in by_soundfont if s is not None]
    swing_clean = [u for _, _, u in by_soundfont if u is not None]
    by_song = leave_one_out(rows, "group")
    thresholds = (
        round(quantile(squash_clean, FALSE_ALARM_QUANTILE), 2),
        round(max(s for _, s, _ in by_song + by_soundfont if s is not None), 2),
        round(quantile(swing_clean, FALSE_ALARM_QUANTILE), 2),
        round(max(u for _, _, u in by_song + by_soundfont if u is not None), 2),
    )
    norms = fit_norms(rows, thresholds=thresholds)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.role] += 1
    logger.info("%d tracks from %d songs: %s", len(rows), len({r.group for r in rows}), dict(sorted(counts.items())))
    for role, norm in sorted(norms.roles.items()):
        used = norms.norm(role).name
        logger.info(
            "  %-7s n=%3d%s",
            role,
            norm.n,
            "" if used == role else f" (judged by the {used} family's norm)",
        )
        logger.info(
            "    %s",
            "  ".join(
                f"{m} {mn.percentiles[10]:.1f}/{mn.median:.1f}/{mn.percentiles[90]:.1f}"
                for m, mn in norm.measures.items()
            ),
        )
    logger.info(
        "thresholds (%.0f%% quantile of the clean tracks' leave-one-soundfont-out scores; high: the largest "
        "clean score): over_compressed_z %.2f (high %.2f) on %d tracks, uncontrolled_z %.2f (high %.2f) on %d tracks",
        100 * FALSE_ALARM_QUANTILE, thresholds[0], thresholds[1], len(squash_clean), thresholds[2], thresholds[3],
        len(swing_clean),
    )  # fmt: skip
    fp_song = flagged_share(by_song, thresholds)
    fp_soundfont = flagged_share(by_soundfont, thresholds)
    logger.info(
        "clean training tracks flagged: %.1f%% with norms without their song, %.1f%% with norms without their soundfont",
        100 * fp_song,
        100 * fp_soundfont,
    )
    source: dict[str, Any] = {
        "data": [str(folder.relative_to(REPO)) if folder.is_relative_to(REPO) else str(folder) for folder in args.data],
        "tracks": len(rows),
        "songs": len({r.group for r in rows}),
        "soundfonts": sorted({r.soundfont for r in rows}),
        "command": "python -m training.role_dynamics",
        "clean_flagged_leave_one_song_out": round(fp_song, 4),
        "clean_flagged_leave_one_soundfont_out": round(fp_soundfont, 4),
    }
    if not args.no_inject:
        found = injected_found(args.data, rows, norms)
        for label, by_kind in found.items():
            every = [v for values in by_kind.values() for v in values]
            logger.info(
                "injected faults on the training songs found, %s norms: %.1f%% (%s)",
                label,
                100 * np.mean(every),
                ", ".join(f"{kind} {100 * np.mean(values):.0f}%" for kind, values in sorted(by_kind.items())),
            )
            source[f"injected_found_{label.replace(' ', '_')}"] = round(float(np.mean(every)), 4)
    shipped = RoleDynamics(
        norms.roles,
        norms.families,
        norms.over_compressed_z,
        norms.over_compressed_high_z,
        norms.uncontrolled_z,
        norms.uncontrolled_high_z,
        source,
    )
    args.out.write_text(json.dumps(shipped.to_dict(), indent=1) + "\n")
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
