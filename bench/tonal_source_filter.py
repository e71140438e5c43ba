#!/usr/bin/env python3
"""Does a source-filter view separate an EQ fault on a pitched stem from what clean stems of its role do?

Issue 12, item 1 (research probe; nothing of it is shipped). The long-term spectrum of a pitched
stem strays +-10 dB from its role's curve at 280 Hz (models/role_spectra.md), partly because of
WHICH notes a part plays. An EQ is a fixed filter in absolute frequency applied to every note,
while an instrument's spectrum is largely a function of harmonic number. So, per stem:

1. the notes it plays (here the stem's own MIDI, kept next to its WAV by ``bench/mixing_songs.py
   --keep-midi``: an upper bound on what any f0 estimator could give), each note's mean power spectrum over its first
   NOTE_S seconds (4096-point Hann STFT, hop 1024, 44.1 kHz mid signal);
2. the power of harmonics k = 1..K at k * f0 (the peak within +-3 %), dropping partials that
   fall near a partial of another note sounding at the same time, or that do not stand out from
   the spectrum around them;
3. a regularised least-squares fit  log A(n, k) = a(n) + S(k) + H(f),  H on the 1/6-octave grid
   (ai.mixing.eq_curves.GRID_HZ, linear in log frequency between nodes, a second-difference
   penalty), its level and its mean slope pinned to 0 (a tilt is not separable from S and a);
4. the statistic: the gain of the fault's own move (bell or shelf, with a free level and tilt)
   fitted to H minus its role's centre (the median H of the other soundfont's clean stems of the
   role), and, as the baseline, the same on the long-term curve (the engine's method).

Each fault is injected with pedalboard as bench/mixing_tonal.py does; the notes are the same.
Detection: share of faulted stems above the clean stems' 97th percentile (3 % false alarms),
centres from one soundfont, stems of the other (both ways, pooled).

Result (models/role_spectra.md, "Limits and what was tried"): it does not separate. Cross-soundfont at
3 % false alarms H finds mud / harsh / dull 8-10 / 12-20 / 5-15 %, the long-term curve 19 / 22 / 18 %.

Usage: bench/tonal_source_filter.py [--data DIR DIR] [--songs N] [--lam L] [--cache PKL PKL]
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pedalboard
import pretty_midi

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.audio.decode import decode_audio  # noqa: E402
from ai.mixing.eq_curves import GRID_HZ, eq_response_db, smoothed_db  # noqa: E402

SR = 44100
N_FFT = 4096
HOP = 1024
NOTE_S = 0.5
"""Seconds of each note read (after the first frame, which holds the onset)."""
K = 24
"""Harmonics measured per note."""
SEARCH = 0.03
"""A harmonic is the strongest bin within +-3 % of k * f0 (piano partials run sharp)."""
COLLIDE_BINS = 2.5
COLLIDE = 0.005
"""A partial within 2.5 bins or 0.5 % (the larger) of another sounding note's partial is not the note's own."""
RELEASE_S = 0.15
"""A note still sounds this long after its MIDI end (the sample's release)."""
MIN_PROMINENCE_DB = 6.0
"""A partial must stand this far above the median power around it (+-f0/2)."""
MAX_F_HZ = 16000.0
PRIOR_LAM = 1.0
"""Smoothness of H when S is the role's prior (then H is identifiable partial by partial)."""
PITCHED = ("keys", "guitar", "pad", "lead", "fx")
DULL_MIN_DB = -40.0


@dataclass(frozen=True)
class Fault:
    name: str
    roles: tuple[str, ...]
    kind: str
    freq_hz: float
    gain_db: float
    q: float

    def apply(self, x: np.ndarray) -> np.ndarray:
        plugin = (
            pedalboard.PeakFilter(cutoff_frequency_hz=self.freq_hz, gain_db=self.gain_db, q=self.q)
            if self.kind == "bell"
            else pedalboard.HighShelfFilter(cutoff_frequency_hz=self.freq_hz, gain_db=self.gain_db, q=self.q)
        )
        out: np.ndarray = pedalboard.Pedalboard([plugin])(x[None, :].astype(np.float32), SR)[0]
        return out.astype(np.float64)


FAULTS = (
    Fault("mud", ("keys", "guitar", "pad"), "bell", 280.0, 8.0, 1.0),
    Fault("harsh", ("lead", "guitar", "keys"), "bell", 3500.0, 8.0, 1.0),
    Fault("dull", PITCHED, "high_shelf", 6000.0, -10.0, 0.707),
)


@dataclass
class StemResult:
    sf: str
    where: str
    role: str
    notes: int
    partials: int
    h: dict[str, np.ndarray] = field(default_factory=dict)  # "clean", fault names -> H on GRID_HZ (NaN: no data)
    lt: dict[str, np.ndarray] = field(default_factory=dict)  # the same for the long-term curve
    parts: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)  # the partials (idx, k, f, dB)
    s: np.ndarray | None = None  # the clean stem's own S(k), from the free fit


def stft_power(x: np.ndarray) -> np.ndarray:
    window = np.hanning(N_FFT)
    n = 1 + max(0, (len(x) - N_FFT) // HOP)
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(x, (0, N_FFT)), N_FFT)[::HOP][:n]
    return np.abs(np.fft.rfft(frames * window, axis=1)) ** 2


def read_notes(mid: Path) -> list[tuple[float, float, float]]:
    """(f0 Hz, start s, end s) of every note of a stem's MIDI."""
    pm = pretty_midi.PrettyMIDI(str(mid))
    return sorted((440.0 * 2 ** ((n.pitch - 69) / 12), n.start, n.end) for inst in pm.instruments for n in inst.notes)


def partials(power: np.ndarray, notes: list[tuple[float, float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(note index, harmonic number, frequency Hz, level dB) of every clean partial, stacked as 3 arrays + levels."""
    df = SR / N_FFT
    idx, ks, fs, lv = [], [], [], []
    starts = np.array([n[1] for n in notes])
    ends = np.array([n[2] for n in notes]) + RELEASE_S
    f0s = np.array([n[0] for n in notes])
    for i, (f0, start, end) in enumerate(notes):
        t0 = start + N_FFT / SR / 2 + HOP / SR  # first frame centre clear of the onset
        t1 = min(end, start + NOTE_S)
        centres = (np.arange(power.shape[0]) * HOP + N_FFT / 2) / SR
        use = (centres >= t0) & (centres <= max(t1, t0))
        if not use.any():
            continue
        spec = power[use].mean(axis=0)
        # Other notes sounding over [t0 - half window, t1 + half window].
        lo, hi = t0 - N_FFT / SR / 2, max(t1, t0) + N_FFT / SR / 2
        others = f0s[(starts < hi) & (ends > lo) & (np.arange(len(notes)) != i)]
        other_partials = (others[:, None] * np.arange(1, K + 2)[None, :]).ravel()
        for k in range(1, K + 1):
            fk = k * f0
            if fk > MAX_F_HZ:
                break
            if other_partials.size and np.min(np.abs(other_partials - fk)) < max(COLLIDE_BINS * df, COLLIDE * fk):
                continue
            reach = max(df, min(SEARCH * fk, f0 / 4))
            b0 = max(1, int(math.floor((fk - reach) / df)))
            b1 = max(b0 + 1, int(math.ceil((fk + reach) / df)))
            b = b0 + int(np.argmax(spec[b0 : b1 + 1]))
            p = float(spec[max(b - 1, 0) : b + 2].sum())
            r0 = max(1, int((fk - f0 / 2) / df))
            r1 = max(r0 + 3, int((fk + f0 / 2) / df))
            around = float(np.median(spec[r0 : r1 + 1]))
            if p <= 0 or 10 * math.log10(spec[b] / max(around, 1e-30)) < MIN_PROMINENCE_DB:
                continue
            idx.append(i)
            ks.append(k)
            fs.append(b * df)
            lv.append(10 * math.log10(p))
    return np.array(idx), np.array(ks), np.array(fs), np.array(lv)  # type: ignore[return-value]


def fit_h(
    idx: np.ndarray, ks: np.ndarray, fs: np.ndarray, lv: np.ndarray, lam: float, s_fixed: np.ndarray | None = None
) -> np.ndarray:
    """H on GRID_HZ (NaN where no partial lies within a node's reach) from log A = a(n) + S(k) + H(f).

    With ``s_fixed`` (S(1..K), dB) S is not fitted but taken as given (a role's prior): H's tilt is then
    measured, not pinned. Without it the result has S appended (the last K values after the grid)."""
    notes = np.unique(idx)
    n_of = {n: j for j, n in enumerate(notes)}
    nn, nk, ng = len(notes), K, len(GRID_HZ)
    x = np.log2(GRID_HZ)
    pos = np.interp(np.log2(fs), x, np.arange(ng))
    lo = np.floor(pos).astype(int)
    w_hi = pos - lo
    rows = len(lv)
    a = np.zeros((rows, nn + nk + ng))
    r = np.arange(rows)
    a[r, [n_of[i] for i in idx]] = 1.0
    a[r, nn + ks - 1] = 1.0
    a[r, nn + nk + lo] += 1 - w_hi
    a[r, nn + nk + np.minimum(lo + 1, ng - 1)] += w_hi
    support = np.zeros(ng)
    np.add.at(support, lo, 1 - w_hi)
    np.add.at(support, np.minimum(lo + 1, ng - 1), w_hi)
    have = support > 0.5
    if have.sum() < 6:
        return np.full(ng, np.nan)
    first, last = np.flatnonzero(have)[[0, -1]]
    # Penalties: smooth H (second differences, scaled by sqrt(rows) so lam is per observation), pin
    # its level and slope over the supported nodes, S(1) = 0, and a tiny ridge on every unknown.
    d2 = np.zeros((ng - 2, a.shape[1]))
    for j in range(ng - 2):
        d2[j, nn + nk + j : nn + nk + j + 3] = (1.0, -2.0, 1.0)
    scale = math.sqrt(lam * rows / ng)
    xs = (x - x[have].mean()) * have
    pins = np.zeros((3, a.shape[1]))
    pins[0, nn + nk :] = have * 100.0
    pins[1, nn + nk :] = xs * 100.0
    pins[2, nn] = 100.0
    if s_fixed is not None:  # S given: pin it there instead (a huge weight on each S(k)), leave the tilt free
        pins = np.zeros((2 + nk, a.shape[1]))
        pins[0, nn + nk :] = have * 100.0
        pins[2:, nn : nn + nk] = np.eye(nk) * 1e4
    fixed = (d2 * scale).T @ (d2 * scale) + pins.T @ pins + np.eye(a.shape[1]) * 1e-6
    y = lv - np.median(lv)
    if s_fixed is not None:
        y = y - np.nan_to_num(s_fixed)[ks - 1]
        keep = np.isfinite(s_fixed)[ks - 1]
    else:
        keep = np.ones(rows, dtype=bool)
    weights = np.ones(rows)
    sol = np.zeros(a.shape[1])
    for _ in range(4):  # IRLS, Huber at 4 dB: a stray partial (a reverb tail, a near collision) counts less
        w = weights * keep
        sol = np.linalg.solve(a.T @ (a * w[:, None]) + fixed, a.T @ (y * w))
        res = np.abs(y - a @ sol)
        weights = np.where(res <= 4.0, 1.0, 4.0 / np.maximum(res, 1e-9))
    h = sol[nn + nk :].copy()
    h[:first] = np.nan
    h[last + 1 :] = np.nan
    return h if s_fixed is not None else np.concatenate([h, sol[nn : nn + nk]])


def long_term(power: np.ndarray) -> np.ndarray:
    freqs = np.arange(power.shape[1]) * SR / N_FFT
    return smoothed_db(spectrum=power.mean(axis=0), freqs=freqs)


def song_list(root: Path) -> list[dict]:
    """songs.json, or (while a build is still running) the finished song folders, roles from their MIDI."""
    if (root / "songs.json").exists():
        return list(json.loads((root / "songs.json").read_text()))
    from bench.mixing_songs import program_stem

    songs = []
    for folder in sorted(root.glob("song*"))[:-1]:  # the last one may be half written
        stems = []
        for mid in sorted(folder.glob("*.mid")):
            inst = pretty_midi.PrettyMIDI(str(mid)).instruments
            if inst and not inst[0].is_drum:
                stems.append(
                    {
                        "name": mid.stem,
                        "file": f"{folder.name}/{mid.stem}.wav",
                        "role": program_stem(inst[0].program)[1],
                    }
                )
        songs.append({"song": folder.name, "stems": stems})
    return songs


def measure_sets(sets: list[Path], songs: int | None, lam: float) -> list[StemResult]:
    out: list[StemResult] = []
    for root in sets:
        for song in song_list(root)[:songs]:
            for s in song["stems"]:
                if s["role"] not in PITCHED:
                    continue
                wav = root / s["file"]
                mid = wav.with_suffix(".mid")
                if not mid.exists():
                    raise SystemExit(f"{mid}: no MIDI (build the set with bench/mixing_songs.py --keep-midi)")
                audio = decode_audio(wav, name=s["name"])
                x = np.asarray(audio.samples, dtype=np.float64).mean(axis=0)  # the mid signal, as suggest() reads it
                notes = read_notes(mid)
                res = StemResult(root.name, f"{root.name}/{s['file']}", s["role"], len(notes), 0)
                for name, fault in [("clean", None), *[(f.name, f) for f in FAULTS if s["role"] in f.roles]]:
                    y = fault.apply(x) if fault else x
                    power = stft_power(y)
                    res.lt[name] = long_term(power)
                    idx, ks, fs, lv = partials(power, notes)
                    if name == "clean":
                        res.partials = len(lv)
                    res.parts[name] = (idx, ks, fs, lv)
                    hs = fit_h(idx, ks, fs, lv, lam) if len(lv) >= 30 else np.full(len(GRID_HZ) + K, np.nan)
                    res.h[name] = hs[: len(GRID_HZ)]
                    if name == "clean":
                        res.s = hs[len(GRID_HZ) :]
                out.append(res)
            print(f"  {root.name}/{song['song']}: {len(out)} pitched stems", file=sys.stderr, flush=True)
    return out


def centre_of(curves: list[np.ndarray]) -> np.ndarray:
    """Median of curves aligned by level and tilt (least squares over each curve's finite nodes)."""
    x = np.log2(GRID_HZ)
    stack = np.array(curves)
    centre = np.nanmedian(stack, axis=0)
    for _ in range(3):
        aligned = []
        for c in stack:
            m = np.isfinite(c) & np.isfinite(centre)
            if m.sum() < 4:
                continue
            coef = np.polyfit(x[m], (c - centre)[m], 1)
            aligned.append(c - np.polyval(coef, x))
        centre = np.nanmedian(np.array(aligned), axis=0)
        counts = np.isfinite(np.array(aligned)).sum(axis=0)
        centre = np.asarray(centre, dtype=np.float64)
        centre[counts < max(3, len(aligned) // 3)] = np.nan
    return centre


def move_gain(curve: np.ndarray, centre: np.ndarray, fault: Fault, span_oct: float | None = None) -> float:
    """Gain of the fault's own move (with a free level and tilt) fitted to curve - centre; NaN without data."""
    x = np.log2(GRID_HZ)
    d = curve - centre
    m = np.isfinite(d)
    if span_oct is not None:
        m &= np.abs(x - math.log2(fault.freq_hz)) <= span_oct
    shape = eq_response_db(kind=fault.kind, freq_hz=fault.freq_hz, gain_db=fault.gain_db, q=fault.q, freqs=GRID_HZ)
    shape = shape / fault.gain_db
    if m.sum() < 6 or np.abs(shape[m]).sum() < 0.25 * np.abs(shape).sum():
        return float("nan")
    design = np.column_stack([shape[m], np.ones(m.sum()), x[m] - x[m].mean()])
    coef = np.linalg.lstsq(design, d[m], rcond=None)[0]
    return float(coef[0])


def curve(r: StemResult, key: str, name: str, prior: np.ndarray) -> np.ndarray:
    """A stem's curve: the long-term one ("lt"), H with its own S ("h"), or H refitted with S = ``prior`` ("hp")."""
    if key != "hp":
        return np.asarray(getattr(r, key)[name])
    idx, ks, fs, lv = r.parts[name]
    if len(lv) < 30:
        return np.full(len(GRID_HZ), np.nan)
    return fit_h(idx, ks, fs, lv, PRIOR_LAM, s_fixed=prior)


def table(results: list[StemResult], span_oct: float | None) -> None:
    sfs = sorted({r.sf for r in results})
    print(f"\nmove fitted over {'the whole curve' if span_oct is None else f'+-{span_oct} oct'}")
    print(
        "| statistic | fault | stems | clean 10th-90th | faulted median | shift | spread (1.48 MAD) | found at 3 % FA |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, key in (("long-term curve", "lt"), ("source-filter H", "h"), ("H, S from the role's prior", "hp")):
        for fault in FAULTS:
            sign = math.copysign(1.0, fault.gain_db)
            clean_all, faulted_all, per_role = [], [], {}
            for test in sfs:
                # Centres from the other soundfont; with one soundfont, from the other songs (leave one song out).
                def held(r: StemResult, t: StemResult) -> bool:
                    return r.sf != t.sf if len(sfs) > 1 else r.where.split("/")[1] != t.where.split("/")[1]

                cache: dict[tuple[str, str], np.ndarray] = {}
                for r in results:
                    if r.sf != test or r.role not in fault.roles:
                        continue
                    if fault.name == "dull":
                        hi = r.lt["clean"][np.greater_equal(GRID_HZ, fault.freq_hz)]
                        if not (np.isfinite(hi).any() and np.nanmax(hi) >= DULL_MIN_DB):
                            continue
                    tag = (r.role, r.sf if len(sfs) > 1 else r.where.split("/")[1])
                    if tag not in cache:
                        pool = [o for o in results if held(o, r) and o.role == r.role]
                        if len(pool) < 3:  # few stems of the role: the pooled pitched centre
                            pool = [o for o in results if held(o, r) and o.role in PITCHED]
                        prior = np.nanmedian(np.array([o.s for o in pool if o.s is not None]), axis=0)
                        cache[(*tag, "s")] = prior
                        cache[tag] = centre_of([curve(o, key, "clean", prior) for o in pool])
                    centre, prior = cache[tag], cache[(*tag, "s")]
                    c = sign * move_gain(curve(r, key, "clean", prior), centre, fault, span_oct)
                    f = sign * move_gain(curve(r, key, fault.name, prior), centre, fault, span_oct)
                    if math.isfinite(c) and math.isfinite(f):
                        clean_all.append(c)
                        faulted_all.append(f)
                        per_role.setdefault(r.role, []).append((c, f))
            if not clean_all:
                continue
            clean, faulted = np.array(clean_all), np.array(faulted_all)
            thr = np.percentile(clean, 97)
            p10, p90 = np.percentile(clean, [10, 90])
            mad = 1.4826 * np.median(np.abs(clean - np.median(clean)))
            roles = ", ".join(
                f"{role} {np.mean([f > thr for _, f in v]):.0%} of {len(v)}" for role, v in sorted(per_role.items())
            )
            print(
                f"| {label} | {fault.name} | {len(clean)} | {sign * p10:+.1f} .. {sign * p90:+.1f} | "
                f"{sign * np.median(faulted):+.1f} | {sign * np.median(faulted - clean):+.1f} | {mad:.1f} | "
                f"{np.mean(faulted > thr):.0%} ({roles}) |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="*", default=["data/mixing_train_timgm", "data/mixing_train_msgl"])
    parser.add_argument("--songs", type=int, default=None)
    parser.add_argument("--lam", type=float, default=1.0, help="smoothness of H (per observation)")
    parser.add_argument(
        "--cache", nargs="*", type=Path, default=None, help="one pickle of measured H per --data folder (reused)"
    )
    args = parser.parse_args()
    started = time.time()
    sets = [(REPO / d).resolve() for d in args.data]
    caches = args.cache or [None] * len(sets)
    if len(caches) != len(sets):
        raise SystemExit("--cache: one file per --data folder")
    results: list[StemResult] = []
    for root, cache in zip(sets, caches, strict=True):
        if cache and cache.exists():
            results += pickle.loads(cache.read_bytes())
            continue
        measured = measure_sets([root], args.songs, args.lam)
        if cache:
            cache.write_bytes(pickle.dumps(measured))
        results += measured
    print(f"{len(results)} pitched stems from {', '.join(d for d in args.data)}; {time.time() - started:.0f} s")
    print(
        "notes per stem median {:.0f}, partials used per stem median {:.0f}; H measured on {:.0%} of stems".format(
            np.median([r.notes for r in results]),
            np.median([r.partials for r in results]),
            np.mean([np.isfinite(r.h["clean"]).any() for r in results]),
        )
    )
    for span in (None, 1.5):
        table(results, span)


if __name__ == "__main__":
    main()
