"""Fit the per-role wetness norms and the too-wet / too-dry models (models/role_space.json).

Data (the TRAINING song sets only; the bench's FluidR3 songs stay held out):

* clean: every stem of data/mixing_train_timgm (TimGM6mb) and data/mixing_train_msgl (MuseScore
  General Lite), rendered by bench/mixing_songs.py with FluidSynth's default reverb and chorus:
  the ambience a rendered part normally has. A stem the soundfont renders bone dry (its effects
  add under NO_EFFECT_DB: MuseScore General Lite's pianos) is no clean example; the rebuilt song's
  part rendered with a reverb send (CC 91 = GIVEN_SEND, about -23 dB of reverb) takes its place;
* wet: each of those stems drowned in a diffuse reverb (bench/mixing_space.drown: RT60 3 s and
  1.5 s, 50 % of the energy wet);
* dry: every stem's dry render in the sets (bench/mixing_songs.py --dry: the same MIDI,
  ``fluidsynth -R 0 -C 0``);
* default / send: every DRY_EVERY-th song rebuilt from its songs.json entry (same groove, tempo
  and chords, MMA seeded) and rendered with the default effects, bone dry and with the reverb
  alone (``-C 0``): how much reverb FluidSynth gives each role (the energy of the reverb-only
  render minus the dry one, over the dry one's: the role's normal send level).

Fitted (see models/role_space.md):

* per role, the percentiles of every measure over the clean stems, the normal send level, and
  how often a clean stem of the role reads as dry;
* a too-wet model: logistic regression on the features of :func:`ai.mixing.space_model.feature_vector`
  and their offsets from the role's clean medians, clean, default and dry renders (0) against
  the drowned stems (1);
* a too-dry model: the same on the dry renders (1) against the clean and default ones (0);
* a reverb-level model: ridge regression of the reverb's energy over the dry sound's (the pairs'
  measured send, 0 dB for the drowned stems);
* the probability thresholds: the lowest that keep the clean training stems' false alarms at
  or under TARGET_FALSE_ALARM (medium) and HIGH_FALSE_ALARM (high), leaving out roles that lean
  wet (p >= WET_LOW on WET_USUAL_SHARE or more of their clean stems).

Both models are cross-validated across soundfonts (fit on one set, score the other) and the
figures printed.

Usage: .venv/bin/python -m training.role_space [--work data/space_train] [--out models/role_space.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from sklearn.linear_model import LogisticRegression, Ridge

from ai.mixing.space_measure import SpaceMeasure, measure_space
from ai.mixing.space_model import FEATURES, feature_vector, reverb_db
from bench.mixing_space import drown, render_song_stems

REPO = Path(__file__).resolve().parent.parent
SETS = ("data/mixing_train_timgm", "data/mixing_train_msgl")
WET_CASES = ((3.0, 0.5), (1.5, 0.5))
"""(RT60 s, wet share) of the too-wet examples."""
DRY_EVERY = 3
"""Every third training song is rebuilt and rendered default, dry and reverb-only (8 songs per set), for
the roles' send levels."""
NO_EFFECT_DB = -40.0
"""A stem whose default effects add less than this (energy over its dry render's) was rendered bone dry:
MuseScore General Lite gives its pianos no reverb or chorus send (-56 to -70 dB), other parts -24 dB or more."""
GIVEN_SEND = 40
"""The reverb send (CC 91) such a part gets for its clean example: -21 to -24 dB of reverb on MuseScore
General Lite's pianos, the level TimGM6mb gives its pianos (-23 to -25 dB)."""
MEASURES_FILE = "measures_v3.json"
"""The cache of measures (v2: with the deep decay and the channels' coherence; v3: the channels balanced to
one energy first, session 32)."""
logger = logging.getLogger("training.role_space")

Row = dict[str, Any]
"""One measured example (set, song, stem, role, kind, measure, and per kind send_db / given_send): JSON-shaped."""
Model = dict[str, Any]
"""A fitted model as written to models/role_space.json (mean, scale, coef, intercept, thresholds...)."""


def _load(path: Path) -> tuple[np.ndarray, int]:
    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T), sr


def _measure(samples: np.ndarray, sr: int) -> dict[str, float | None]:
    return dataclasses.asdict(measure_space(samples=samples, sr=sr))


def _send_db(default: np.ndarray, dry: np.ndarray) -> float | None:
    """Energy of what the default effects add (default - dry) over the dry render's, in dB."""
    n = min(default.shape[1], dry.shape[1])
    effect = default[:, :n] - dry[:, :n]
    dry_energy = float(np.sum(dry[:, :n].astype(np.float64) ** 2))
    if dry_energy <= 0:
        return None
    return 10.0 * math.log10(max(float(np.sum(effect.astype(np.float64) ** 2)), 1e-30) / dry_energy)


def _effect_db(default: np.ndarray, dry: np.ndarray) -> float:
    """What the default effects add to a stem (the render minus its dry render) over the dry render's energy, dB."""
    send = _send_db(default, dry)
    return -300.0 if send is None else send


def collect(work: Path) -> list[Row]:
    """Measure every example (cached in ``work``/MEASURES_FILE); one row per stem and kind.

    Kinds: "clean" (the stem as rendered, or, for a stem the soundfont renders bone dry, the rebuilt
    song's part given a reverb send: ``given_send``), "wet3" / "wet1.5" (drowned), "dry" (the set's
    dry render of the stem: bench/mixing_songs.py --dry, the same MIDI) and "default" (a rebuilt
    song's default render, with ``send_db``: every DRY_EVERY-th song).
    """
    cache_file = work / MEASURES_FILE
    cache: dict[str, dict[str, Any]] = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    rows: list[Row] = []

    def remember(key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if key not in cache:
            cache[key] = compute()
            if len(cache) % 25 == 0:
                cache_file.write_text(json.dumps(cache))
        return cache[key]

    for set_dir in SETS:
        folder = REPO / set_dir
        songs = json.loads((folder / "songs.json").read_text())
        for index, song in enumerate(songs):
            for stem in song["stems"]:
                base = {"set": folder.name, "song": song["song"], "stem": stem["name"], "role": stem["role"]}
                path = folder / stem["file"]
                key = f"{folder.name}/{stem['file']}"
                samples: np.ndarray | None = None

                def clean(path: Path = path) -> dict[str, Any]:
                    return {"measure": _measure(*_load(path))}

                dry_path = folder / song["song"] / "dry" / f"{stem['name']}.wav"

                def dry_render(path: Path = path, dry_path: Path = dry_path) -> dict[str, Any]:
                    default, sr = _load(path)
                    dry, _ = _load(dry_path)
                    return {"measure": _measure(dry, sr), "effect_db": _effect_db(default, dry)}

                dry_row = remember(f"{key}|dry", dry_render) if dry_path.exists() else None
                if dry_row is not None:
                    rows.append({**base, "kind": "dry", "measure": dry_row["measure"]})
                if dry_row is not None and dry_row["effect_db"] < NO_EFFECT_DB:
                    # Rendered bone dry (no send in the soundfont): its clean example is the part given one.
                    def given(
                        stem: dict[str, Any] = stem, song: dict[str, Any] = song, folder: Path = folder
                    ) -> dict[str, Any]:
                        out = work / folder.name / song["song"] / "given_send"
                        paths = render_song_stems(song, out, dry=False, names={stem["name"]}, reverb_send=GIVEN_SEND)
                        return {"measure": _measure(*_load(paths[stem["name"]]))} if stem["name"] in paths else {}

                    sent = remember(f"{key}|given_send", given)
                    if sent:
                        rows.append({**base, "kind": "clean", "given_send": True, **sent})
                else:
                    rows.append({**base, "kind": "clean", **remember(f"{key}|clean", clean)})
                for rt60, wet in WET_CASES:

                    def drowned(path: Path = path, rt60: float = rt60, wet: float = wet) -> dict[str, Any]:
                        samples, sr = _load(path)
                        return {"measure": _measure(drown(samples, sr, rt60_s=rt60, wet=wet), sr)}

                    rows.append({**base, "kind": f"wet{rt60:g}", **remember(f"{key}|wet{rt60:g}|{wet:g}", drowned)})
                del samples
            if index % DRY_EVERY:
                continue
            pair_dir = work / folder.name / song["song"]
            for stem in song["stems"]:
                base = {"set": folder.name, "song": song["song"], "stem": stem["name"], "role": stem["role"]}
                key = f"{folder.name}/{song['song']}/{stem['name']}"

                def pair(
                    stem: dict[str, Any] = stem, pair_dir: Path = pair_dir, song: dict[str, Any] = song
                ) -> dict[str, Any]:
                    default = render_song_stems(song, pair_dir / "default", dry=False)
                    dry = render_song_stems(song, pair_dir / "dry", dry=True)
                    reverb = render_song_stems(song, pair_dir / "reverb", dry=False, chorus=False)
                    if any(stem["name"] not in paths for paths in (default, dry, reverb)):
                        return {}
                    a, sr = _load(default[stem["name"]])
                    b, _ = _load(dry[stem["name"]])
                    c, _ = _load(reverb[stem["name"]])
                    return {"default": _measure(a, sr), "send_db": _send_db(c, b)}

                result = remember(f"{key}|pair", pair)
                # A part rendered bone dry is no example of the default effects (its dry render is a "dry" row).
                if result and result["send_db"] is not None and result["send_db"] >= NO_EFFECT_DB:
                    rows.append({**base, "kind": "default", "measure": result["default"], "send_db": result["send_db"]})
            logger.info("%s %s measured", folder.name, song["song"])
    cache_file.write_text(json.dumps(cache))
    return rows


def measure_of(row: Row) -> SpaceMeasure:
    return SpaceMeasure(**row["measure"])


# --- Fitting ---------------------------------------------------------------------------------------

TARGET_FALSE_ALARM = 0.01
"""Share of clean training stems allowed a medium finding (the bench allows 2 % on held-out songs)."""
HIGH_FALSE_ALARM = 0.0025
"""Share of clean training stems allowed a high finding."""
WET_LOW = 0.5
"""Wet probability above which a too-dry finding is not given (the track is not clearly dry)."""
DRY_LOW = 0.5
"""Dry probability of a low too-dry finding (a coin flip's odds that the part is bone dry)."""
C_REGULARISATION = 1.0
"""Inverse L2 strength of the logistic regressions (cross-validated across soundfonts: 0.1-1 within a few points)."""
WET_USUAL_SHARE = 0.2
"""A role whose clean stems reach WET_LOW this often leans wet and does not set the too-wet thresholds."""
RIDGE_ALPHA = 1.0
"""Ridge strength of the reverb-level estimate."""
PERCENTILE_MEASURES = ("tail_db", "decay_s", "early_decay_s", "reverb_db")


def features_of(row: Row) -> np.ndarray:
    return feature_vector(measure_of(row))


def role_medians(rows: list[Row]) -> dict[str, np.ndarray]:
    """Median features of each role's clean stems (and of all of them, "all")."""
    clean = [r for r in rows if r["kind"] == "clean"]
    out = {"all": np.median(np.array([features_of(r) for r in clean]), axis=0)}
    for role in sorted({r["role"] for r in clean}):
        out[role] = np.median(np.array([features_of(r) for r in clean if r["role"] == role]), axis=0)
    return out


def design(rows: list[Row], medians: dict[str, np.ndarray]) -> np.ndarray:
    """[features, features - role medians] per row: np.ndarray [shape=(n, 2 * len(FEATURES))]."""
    out = []
    for r in rows:
        x = features_of(r)
        out.append(np.concatenate([x, x - medians.get(r["role"], medians["all"])]))
    return np.array(out)


def fit_logistic(x: np.ndarray, y: np.ndarray) -> Model:
    """Standardised L2 logistic regression, balanced classes: {"mean", "scale", "coef", "intercept"}."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=C_REGULARISATION, class_weight="balanced", max_iter=10000)
    model.fit((x - mean) / scale, y)
    return {"mean": mean.tolist(), "scale": scale.tolist(), "coef": model.coef_[0].tolist(),
            "intercept": float(model.intercept_[0])}  # fmt: skip


def probabilities(model: Model, x: np.ndarray) -> np.ndarray:
    z: np.ndarray = ((x - np.asarray(model["mean"])) / np.asarray(model["scale"])) @ np.asarray(model["coef"]) + model[
        "intercept"
    ]
    p: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return p


def threshold_for(p_clean: np.ndarray, false_alarm: float) -> float:
    """The lowest probability threshold at which at most ``false_alarm`` of the clean stems reach it."""
    ordered = np.sort(p_clean)[::-1]
    allowed = int(math.floor(false_alarm * ordered.size))
    return float(max(0.5, min(0.999, ordered[allowed] + 1e-6))) if ordered.size else 0.5


def fit(rows: list[Row], wet_kinds: tuple[str, ...]) -> dict[str, Any]:
    """Both models (and their thresholds) on ``rows``."""
    medians = role_medians(rows)
    clean = [r for r in rows if r["kind"] == "clean"]
    wet = [r for r in rows if r["kind"] in wet_kinds]
    default = [r for r in rows if r["kind"] == "default"]
    dry = [r for r in rows if r["kind"] == "dry"]
    # Clean, default and dry renders are all "not too wet" (a dry part must not read as a washed one).
    x_wet = design(clean + default + dry + wet, medians)
    y_wet = np.array([0] * (len(clean) + len(default) + len(dry)) + [1] * len(wet))
    wet_model = fit_logistic(x_wet, y_wet)
    p_clean = probabilities(wet_model, design(clean, medians))
    # Roles whose clean stems often lean wet (GM's FX programs are atmospheres and echoes) do not set
    # the thresholds. Judged at WET_LOW: at a threshold its own stems helped set, a small role would
    # never lean wet. (A finding is low priority where the role's wet_share, role_entries, is high.)
    usually_wet = {
        role
        for role in {r["role"] for r in clean}
        if np.mean([p >= WET_LOW for p, r in zip(p_clean, clean, strict=True) if r["role"] == role]) >= WET_USUAL_SHARE
    }
    calibration = np.array([p for p, r in zip(p_clean, clean, strict=True) if r["role"] not in usually_wet])
    wet_model["thresholds"] = {
        "low": WET_LOW,
        "medium": threshold_for(calibration, TARGET_FALSE_ALARM),
        "high": threshold_for(calibration, HIGH_FALSE_ALARM),
    }
    wet_model["usually_wet"] = sorted(usually_wet)
    x_dry = design(clean + default + dry, medians)
    y_dry = np.array([0] * (len(clean) + len(default)) + [1] * len(dry))
    dry_model = fit_logistic(x_dry, y_dry)
    p_clean_dry = probabilities(dry_model, design(clean, medians))
    dry_model["thresholds"] = {
        "low": DRY_LOW,
        "medium": threshold_for(p_clean_dry, TARGET_FALSE_ALARM),
        "high": threshold_for(p_clean_dry, HIGH_FALSE_ALARM),
    }
    level_rows = [r for r in default if r.get("send_db") is not None] + wet
    level_target = np.array(
        [r["send_db"] for r in default if r.get("send_db") is not None] + [wet_level_db(r) for r in wet]
    )
    level_model = fit_linear(design(level_rows, medians), level_target)
    return {"medians": medians, "wet_model": wet_model, "dry_model": dry_model, "level_model": level_model}


def wet_level_db(row: Row) -> float:
    """The wet-to-dry energy (dB) of a drowned stem: the injected reverb's share over the dry share."""
    wet = dict(WET_CASES)[float(row["kind"].removeprefix("wet"))]
    return 10.0 * math.log10(wet / (1.0 - wet))


def fit_linear(x: np.ndarray, y: np.ndarray) -> Model:
    """Standardised ridge regression: {"mean", "scale", "coef", "intercept"}."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = Ridge(alpha=RIDGE_ALPHA).fit((x - mean) / scale, y)
    return {"mean": mean.tolist(), "scale": scale.tolist(), "coef": model.coef_.tolist(),
            "intercept": float(model.intercept_)}  # fmt: skip


def estimates(model: Model, x: np.ndarray) -> np.ndarray:
    estimate: np.ndarray = ((x - np.asarray(model["mean"])) / np.asarray(model["scale"])) @ np.asarray(
        model["coef"]
    ) + model["intercept"]
    return estimate


def score(fitted: dict[str, Any], rows: list[Row], wet_kinds: tuple[str, ...]) -> dict[str, float]:
    """Detection and false-alarm rates of fitted models on ``rows`` (the role medians of the fit)."""
    medians = fitted["medians"]
    wet_t = fitted["wet_model"]["thresholds"]
    dry_t = fitted["dry_model"]["thresholds"]
    out: dict[str, float] = {}
    by_kind: defaultdict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r)
    for kind, members in by_kind.items():
        x = design(members, medians)
        p_wet = probabilities(fitted["wet_model"], x)
        p_dry = probabilities(fitted["dry_model"], x)
        out[f"{kind}: wet >= medium"] = float(np.mean(p_wet >= wet_t["medium"]))
        out[f"{kind}: dry >= low"] = float(np.mean((p_dry >= dry_t["low"]) & (p_wet < wet_t["low"])))
        out[f"{kind}: dry >= medium"] = float(np.mean((p_dry >= dry_t["medium"]) & (p_wet < wet_t["low"])))
        out[f"{kind}: n"] = len(members)
        truth = (
            [r["send_db"] if kind == "default" else wet_level_db(r) for r in members]
            if kind in ("default", *wet_kinds)
            else None
        )
        if truth is not None and all(t is not None for t in truth):
            error = estimates(fitted["level_model"], x) - np.asarray(truth, dtype=float)
            out[f"{kind}: level error median abs dB"] = float(np.median(np.abs(error)))
    return out


def _percentiles(values: Sequence[float | None]) -> list[float]:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return [math.nan, math.nan, math.nan]
    return [float(np.percentile(finite, q)) for q in (5, 50, 95)]


def role_entries(rows: list[Row], fitted: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per role (and "all"): stems, medians, percentiles, normal send level, share of clean stems read as dry."""
    clean = [r for r in rows if r["kind"] == "clean"]
    pairs = [r for r in rows if r["kind"] == "default" and r.get("send_db") is not None]
    dry_t = fitted["dry_model"]["thresholds"]["low"]
    wet_low = fitted["wet_model"]["thresholds"]["low"]
    out: dict[str, dict[str, Any]] = {}
    for role in ["all", *sorted({r["role"] for r in clean})]:
        members = [r for r in clean if role in ("all", r["role"])]
        measures = [measure_of(r) for r in members]
        x = design(members, fitted["medians"])
        p_dry = probabilities(fitted["dry_model"], x)
        p_wet = probabilities(fitted["wet_model"], x)
        sends = [r["send_db"] for r in pairs if role in ("all", r["role"])]
        wet_t = fitted["wet_model"]["thresholds"]["medium"]
        out[role] = {
            "wet_share": float(np.mean(p_wet >= wet_t)),
            "stems": len(members),
            "medians": fitted["medians"][role].tolist(),
            "percentiles": {
                "tail_db": _percentiles([m.tail_db for m in measures]),
                "decay_s": _percentiles([m.decay_s for m in measures]),
                "early_decay_s": _percentiles([m.early_decay_s for m in measures]),
                "reverb_db": _percentiles([reverb_db(m) for m in measures]),
            },
            "send_db": float(np.median(sends)) if sends else None,
            "pairs": len(sends),
            "dry_share": float(np.mean((p_dry >= dry_t) & (p_wet < wet_low))),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=REPO / "data" / "space_train")
    parser.add_argument("--out", type=Path, default=REPO / "models" / "role_space.json")
    parser.add_argument("--collect-only", action="store_true", help="measure the examples and stop")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.work.mkdir(parents=True, exist_ok=True)
    rows = collect(args.work)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["kind"]] += 1
    logger.info("examples: %s", dict(counts))
    if args.collect_only:
        return
    wet_kinds = tuple(f"wet{rt60:g}" for rt60, _ in WET_CASES)
    figures: dict[str, dict[str, float]] = {}
    sets = sorted({r["set"] for r in rows})
    for fit_set in sets:
        for score_set in sets:
            if fit_set == score_set:
                continue
            fitted = fit([r for r in rows if r["set"] == fit_set], wet_kinds)
            figures[f"fit {fit_set} -> score {score_set}"] = score(
                fitted, [r for r in rows if r["set"] == score_set], wet_kinds
            )
    fitted = fit(rows, wet_kinds)
    figures["fit all -> score all (in sample)"] = score(fitted, rows, wet_kinds)
    for name, values in figures.items():
        logger.info("%s", name)
        for key, value in sorted(values.items()):
            logger.info("  %-28s %s", key, f"{value:.3f}" if isinstance(value, float) else value)
    roles = role_entries(rows, fitted)
    for role, entry in roles.items():
        logger.info(
            "%-7s stems %3d  tail_db %s  decay_s %s  send_db %s  dry_share %.2f",
            role, entry["stems"], np.round(entry["percentiles"]["tail_db"], 1),
            np.round(entry["percentiles"]["decay_s"], 2),
            None if entry["send_db"] is None else round(entry["send_db"], 1), entry["dry_share"],
        )  # fmt: skip
    document = {
        "version": 1,
        "features": list(FEATURES),
        "data": {
            "sets": list(SETS),
            "wet_cases": [{"rt60_s": rt60, "wet": wet} for rt60, wet in WET_CASES],
            "dry_every": DRY_EVERY,
            "examples": dict(counts),
        },
        "wet_model": fitted["wet_model"],
        "dry_model": fitted["dry_model"],
        "level_model": fitted["level_model"],
        "roles": roles,
        "figures": figures,
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
