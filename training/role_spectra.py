"""Learn the tonal-balance role curves (models/role_spectra.json) from rendered training stems.

For every stem of the training folders (bench/mixing_songs.py's output: songs.json with each stem's
true role) the engine's own measurement runs (``prepare_tracks`` + ``analyse_track``, as
``suggest()`` does) and :func:`ai.mixing.tonal.tonal_curve` reads its long-term spectrum on the
1/6-octave grid. Each song's mix (the sum of its stems at unity, as ``suggest()`` sums them) gives
a "music" curve for the mix bus and the master.

Curves: per role, the stems are aligned to the role's median curve by a weighted-median offset
(:func:`ai.mixing.tonal.role_deviation`, three rounds); the centre is the median of the aligned
curves and the spread 1.4826 x their median absolute deviation (a robust standard deviation),
floored at what the notes alone move a band by (see :func:`note_spread_db`). Roles with few stems have
their spread pulled toward their family's (SHRINK_STEMS). Roles no training stem has are judged by
a related role's curve (FALLBACK).

Thresholds: leave-one-groove-out over the training songs (the curves refitted without every song
of that groove, in both soundfonts), every clean stem's moves are fitted as ``tonal_findings``
fits them; in each group of roles (GROUPS) the "medium" threshold is just above the z-score that
MEDIUM_RATE of its clean stems reach, likewise "high" (HIGH_RATE) and "low" (LOW_RATE). A
resonance is "low" above the RESONANCE_LOW quantile of a role's clean stems' strongest fine-spectrum
peak and "medium" above the RESONANCE_MEDIUM quantile (the group's when the role has fewer than
RESONANCE_MIN_STEMS stems).

Usage: .venv/bin/python -m training.role_spectra [FOLDER ...] [--out models/role_spectra.json]
       [--cache data/cache/role_spectra]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ai.audio.decode import decode_audio
from ai.mixing.auto_level import render_mix
from ai.mixing.eq_curves import GRID_HZ
from ai.mixing.measure import PreparedTrack, TrackInput, analyse_track, prepare_tracks
from ai.mixing.resonance import find_resonances
from ai.mixing.tonal import (
    ACTIVE_RANGE_DB,
    RoleCurve,
    RoleCurves,
    Thresholds,
    role_deviation,
    tonal_curve,
    track_moves,
)

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FOLDERS = ("data/mixing_train_timgm", "data/mixing_train_msgl")
"""The training renderings (TimGM6mb and MuseScore General Lite); the FluidR3 sets are held out."""
GROUPS: dict[str, tuple[str, ...]] = {
    "pitched": ("guitar", "keys", "pad", "lead", "fx", "synth", "other", "vocals", "speech"),
    "bass": ("bass",),
    "drum": ("kick", "snare", "hihat", "drums", "overheads"),
    "music": ("music",),
}
"""Groups of roles that share thresholds (and, pitched and drum, a pooled spread for shrinkage and
a pooled curve for fallbacks). Bass is its own group: its curves fall 60-70 dB from 60 Hz to 4 kHz,
and where a synth bass or a slap bass ends that steep slope makes z-scores no pitched part reaches."""
FALLBACK: dict[str, str] = {
    "vocals": "lead",
    "speech": "lead",
    "synth": "pitched",
    "other": "pitched",
    "overheads": "drums",
}
"""Roles without training stems -> the learned curve they are judged by: a voice is a melodic
line in the lead's register, a synth or an unknown part any pitched part, overheads the cymbals
and toms that the "drums" stems hold."""
SHRINK_STEMS = 10
"""Weight (in stems) of the family's spread in a role's spread: a role with 6 stems gets 6/16 of
its own spread's variance and 10/16 of its family's (roles with 40 stems keep 80 % of theirs)."""
MEDIUM_RATE = 0.015
"""Share of a group's clean training stems (leave-one-groove-out) that may reach "medium": the
brief's budget is 3 % of clean held-out stems for tonal findings; half of it leaves room for a
soundfont the curves never saw."""
HIGH_RATE = 0.003
"""Share of a group's clean training stems that may reach "high"."""
LOW_RATE = 0.15
"""Share of a group's clean training stems that get a "low" tonal note (worth a look, not a problem)."""
RESONANCE_LOW = 0.97
"""Quantile of a role's clean stems' strongest fine-spectrum peak from which a resonance is "low"."""
RESONANCE_MEDIUM = 0.995
"""Quantile from which it is "medium"."""
RESONANCE_MIN_STEMS = 15
"""Roles with fewer clean stems take their group's resonance limits."""
NOTE_SPREAD_ROLES = ("keys", "bass")
"""Roles that one or two programs play in every training song of a soundfont (the piano family,
the bass family): their song-to-song spread within a soundfont is what the notes alone do."""


@dataclass
class Stem:
    folder: str
    song: str
    groove: str
    name: str
    role: str
    curve: np.ndarray
    peak_db: float
    """Strongest fine-spectrum peak's prominence (dB), see ai.mixing.resonance.find_resonances."""


def _read(track: PreparedTrack) -> tuple[np.ndarray, float]:
    spectra = analyse_track(track).spectra
    curve = tonal_curve(spectrum=spectra.spectrum, freqs=spectra.freqs)
    found = find_resonances(spectrum=spectra.spectrum, freqs=spectra.freqs)
    return curve, found[0].prominence_db if found else 0.0


def _in_memory(track: PreparedTrack) -> np.ndarray:
    """A prepared track's samples: an array here, as prepare_tracks keeps decoded (in-memory) audio."""
    if not isinstance(track.samples, np.ndarray):
        raise TypeError(f"{track.name}: prepare_tracks gave a stem file for in-memory audio")
    return track.samples


def measure_folder(folder: Path, cache: Path | None) -> list[Stem]:
    """Every stem's and every mix's curves in ``folder`` (cached in ``cache`` as .npz)."""
    cached = cache / f"{folder.name}.npz" if cache else None
    if cached and cached.exists() and cached.stat().st_mtime >= (folder / "songs.json").stat().st_mtime:
        data = np.load(cached, allow_pickle=False)
        return [
            Stem(folder.name, m[0], m[1], m[2], m[3], c, float(p))
            for m, c, p in zip(data["meta"].tolist(), data["curves"], data["peaks"], strict=True)
        ]
    stems: list[Stem] = []
    for song in json.loads((folder / "songs.json").read_text()):
        inputs = [
            TrackInput(s["name"], decode_audio(folder / s["file"], name=s["name"]), s["role"]) for s in song["stems"]
        ]
        prepared = prepare_tracks(inputs)
        mix = render_mix([_in_memory(p) for p in prepared], [0.0] * len(prepared))
        for track in [*prepared, PreparedTrack("mix", "music", mix, prepared[0].sample_rate, 2)]:
            stems.append(Stem(folder.name, song["song"], song["groove"], track.name, track.role, *_read(track)))
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            cached,
            meta=np.array([[s.song, s.groove, s.name, s.role] for s in stems]),
            curves=np.array([s.curve for s in stems]),
            peaks=np.array([s.peak_db for s in stems]),
        )
    return stems


def group_of(role: str) -> str:
    return next((g for g, roles in GROUPS.items() if role in roles), "*")


def _centre(curves: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """(centre, robust spread) of np.ndarray [shape=(n_stems, n_grid)] after three rounds of
    aligning every curve to the median (role_deviation's weighted-median offset)."""
    with np.errstate(all="ignore"):
        centre = np.nanmedian(curves, axis=0)
        spread = np.full_like(centre, floor)
        for _ in range(3):
            provisional = RoleCurve("", centre, spread, len(curves), 0)
            offsets = np.array([role_deviation(curve=c, role_curve=provisional)[3] for c in curves])
            aligned = curves - offsets[:, None]
            centre = np.nanmedian(aligned, axis=0)
            spread = np.maximum(1.4826 * np.nanmedian(np.abs(aligned - centre), axis=0), floor)
    return centre, spread


def note_spread_db(stems: list[Stem]) -> float:
    """How much the notes alone move a band (dB): the median, over the training folders and the
    NOTE_SPREAD_ROLES, of the role's robust spread over its active bands within one folder (one
    soundfont: the same one or two programs in every song, so what varies is what is played).
    No role's spread is allowed below it: a band cannot be judged tighter than the notes move it."""
    values = []
    for folder in sorted({s.folder for s in stems}):
        for role in NOTE_SPREAD_ROLES:
            members = np.array([s.curve for s in stems if s.folder == folder and s.role == role])
            if len(members) < 5:
                continue
            centre, spread = _centre(members, 0.0)
            values.append(float(np.median(spread[centre >= np.nanmax(centre) - ACTIVE_RANGE_DB])))
    if not values:
        raise ValueError(f"no folder has 5 stems of {' or '.join(NOTE_SPREAD_ROLES)}: cannot set the spread floor")
    return float(np.median(values))


def fit_curves(stems: list[Stem], floor: float) -> dict[str, RoleCurve]:
    """Role curves, the pooled "pitched" and "drum" curves, and "music", from ``stems``."""
    by_role: dict[str, list[Stem]] = {}
    for s in stems:
        by_role.setdefault(s.role, []).append(s)
    pools = dict(by_role)
    for family in ("pitched", "drum"):
        members = [s for r in GROUPS[family] for s in by_role.get(r, [])]
        if members:
            pools[family] = members
    raw = {role: _centre(np.array([s.curve for s in members]), floor) for role, members in pools.items()}
    out: dict[str, RoleCurve] = {}
    for role, (centre, spread) in raw.items():
        n = len(pools[role])
        family = group_of(role)
        if family in ("pitched", "drum") and family in raw and family != role:
            spread = np.sqrt((n * spread**2 + SHRINK_STEMS * raw[family][1] ** 2) / (n + SHRINK_STEMS))
        out[role] = RoleCurve(role, centre, spread, n, len({(s.folder, s.song) for s in pools[role]}))
    return out


def _fallback(stems: list[Stem]) -> dict[str, str]:
    roles = {s.role for s in stems}
    return {role: other for role, other in FALLBACK.items() if role not in roles}


def _groups() -> dict[str, str]:
    return {role: group for group, roles in GROUPS.items() for role in roles}


def max_z(stem: Stem, curves: RoleCurves) -> float:
    """The largest z-score among a stem's fitted moves (0 when its role has no curve)."""
    role_curve = curves.for_role(stem.role)
    if role_curve is None:
        return 0.0
    moves = track_moves(curve=stem.curve, role_curve=role_curve, nyquist_hz=22050.0)
    return max((m.z for m in moves), default=0.0)


def cross_validated_z(stems: list[Stem], floor: float) -> np.ndarray:
    """Largest move z-score of every stem, every song of its groove left out of the curves."""
    out = np.zeros(len(stems))
    empty = Thresholds({"*": (0.0, 0.0, 0.0)})
    for groove in sorted({s.groove for s in stems}):
        train = [s for s in stems if s.groove != groove]
        curves = RoleCurves(GRID_HZ, fit_curves(train, floor), _fallback(train), _groups(), empty)
        for k, s in enumerate(stems):
            if s.groove == groove:
                out[k] = max_z(s, curves)
    return out


def z_thresholds(stems: list[Stem], z: np.ndarray) -> dict[str, tuple[float, float, float]]:
    """group (and "*": all stems) -> (low, medium, high) z-scores at LOW_RATE, MEDIUM_RATE, HIGH_RATE."""
    groups = np.array([group_of(s.role) for s in stems])
    out: dict[str, tuple[float, float, float]] = {}
    for group in [*GROUPS, "*"]:
        values = z if group == "*" else z[groups == group]
        if values.size:
            low, medium, high = (
                round(float(np.quantile(values, 1 - rate, method="higher")) + 0.01, 2)
                for rate in (LOW_RATE, MEDIUM_RATE, HIGH_RATE)
            )
            out[group] = (low, medium, high)
    return out


def resonance_limits(stems: list[Stem]) -> dict[str, tuple[float, float]]:
    """role (group, "*") -> (low, medium) prominence thresholds (dB), see RESONANCE_LOW / _MEDIUM."""

    def limits(values: list[float]) -> tuple[float, float]:
        return (
            round(float(np.quantile(values, RESONANCE_LOW)), 2),
            round(float(np.quantile(values, RESONANCE_MEDIUM)), 2),
        )

    peaks: dict[str, list[float]] = {}
    for s in stems:
        peaks.setdefault(s.role, []).append(s.peak_db)
    out = {"*": limits([s.peak_db for s in stems])}
    for group, roles in GROUPS.items():
        values = [p for r in roles for p in peaks.get(r, [])]
        if values:
            out[group] = limits(values)
    for role, values in peaks.items():
        out[role] = limits(values) if len(values) >= RESONANCE_MIN_STEMS else out.get(group_of(role), out["*"])
    return dict(sorted(out.items()))


def train(folders: list[Path], *, cache: Path | None) -> tuple[RoleCurves, dict[str, Any]]:
    """The role curves and the calibration figures."""
    started = time.time()
    stems = [s for folder in folders for s in measure_folder(folder, cache)]
    logger.info("measured %d stems and mixes in %.0f s", len(stems), time.time() - started)
    floor = round(note_spread_db(stems), 2)
    z = cross_validated_z(stems, floor)
    thresholds = Thresholds(z_thresholds(stems, z), resonance_limits(stems))
    curves = fit_curves(stems, floor)
    groups = np.array([group_of(s.role) for s in stems])
    is_mix = groups == "music"
    model = RoleCurves(
        GRID_HZ,
        curves,
        _fallback(stems),
        _groups(),
        thresholds,
        {
            "folders": [str(f.relative_to(REPO)) if f.is_relative_to(REPO) else str(f) for f in folders],
            "stems": int((~is_mix).sum()),
            "mixes": int(is_mix.sum()),
            "spread_floor_db": floor,
            "command": "python -m training.role_spectra",
        },
    )
    rates: dict[str, dict[str, Any]] = {}
    for group in GROUPS:
        low, medium, high = thresholds.z.get(group, thresholds.z["*"])
        values = z[groups == group]
        rates[group] = {
            "stems": int(values.size),
            "z": [low, medium, high],
            "low": round(float(np.mean(values >= low)), 4),
            "medium+": round(float(np.mean(values >= medium)), 4),
            "high": round(float(np.mean(values >= high)), 4),
        }
    clean = ~is_mix
    medium_any = np.array([z[k] >= thresholds.for_group(groups[k])[1] for k in range(len(stems))])
    figures = {
        "stems": int(clean.sum()),
        "mixes": int(is_mix.sum()),
        "roles": {r: c.stems for r, c in sorted(curves.items())},
        "spread_floor_db": floor,
        "cv_medium_or_high_share_of_clean_stems": round(float(np.mean(medium_any[clean])), 4),
        "cv_by_group": rates,
        "resonance_db": thresholds.resonance_db,
    }
    return model, figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", default=list(DEFAULT_FOLDERS))
    parser.add_argument("--out", default="models/role_spectra.json")
    parser.add_argument("--cache", default="data/cache/role_spectra", help="'' to measure again")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folders = [(REPO / f).resolve() for f in args.folders]
    model, figures = train(folders, cache=(REPO / args.cache) if args.cache else None)
    out = REPO / args.out
    out.write_text(json.dumps(model.to_json(), indent=1) + "\n")
    logger.info("wrote %s (%.0f kB)", out, out.stat().st_size / 1024)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
