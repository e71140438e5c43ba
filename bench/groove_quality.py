"""Do generated parts play like musicians? Issue 13's measures, per style and backend, beside MMA.

    .venv/bin/python bench/groove_quality.py [--seeds 30] [--backends auto,theory,magenta]
                                             [--models DIR] [--parts drums,bass,melody,meter] [--json OUT]

Every clip is requested over HTTP in-process (``/api/v1/generate/midi|bassline|melody``, JSON bodies
as Jarvis sends them) with seeds 0..N-1, 8 bars at 120 bpm (a style's own meter where it has one).
The reference is MMA's human-written grooves rendered by ``mma`` (``data/training/mma``, built by
``training.groove_dynamics`` or ``training.mma_corpus``; the first 8 bars of each): for styles that
have MMA styles in the held-out split (training/split.py: no model or table saw them) those
(``held-out``), for the rest the MMA styles the engine's tables were fitted on (``training``), so
the latter are a closeness check, not a held-out figure. MMA columns give the 10th-90th
percentile range over grooves.

Drum measures (per clip, then averaged; hits on the 16th grid of the bar):
  vel sd       standard deviation of the velocities
  pos share    share of the velocity variance explained by the 16th of the bar (eta squared)
  ghost        share of hits softer than 55 % of the loudest hit of the same instrument class
  k+s          share of bars where kick and snare strike the same 16th; "groove": bars 1-3 of
               each four-bar phrase only (the phrase's last bar holds the fill)
  ride+hat     share of bars where ride and closed hi-hat strike the same 16th
  open+shut    share of bars where an open and a closed (or pedal) hi-hat strike the same 16th: one hi-hat
               can not be both, and a GM synthesizer sounds only one of them (session 38)
  repeat       share of bars 2..8 whose kick/snare 16ths equal bar 1's
  fills        how much likelier bars 4 and 8 hold a fill than the other bars (nan: no other bar
               does); a fill: the hits (instrument and 16th) of the bar's second half more than half
               unlike those of the clip's commonest bar
Bass (Am F C G, a bar each): root on the downbeat, bars with no onset on beat 1, notes per bar, and
the mean L1 distance between styles' onset histograms (16ths). Melody (A harmonic minor, no
chords; temperature 1.0 and 0.3): share of time resting, clips holding a note >= 2 bars, and the
share of leading tones (G#) followed by the tonic. Meter (rock drums in 3/4, 6/8, 12/8, 5/4, 7/8,
``auto`` and each backend): the mean velocity on the downbeat, on the bar's other pulses (6/8 in
two dotted quarters, 7/8 as 2+2+3 eighths) and elsewhere, and which backend ``auto`` used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fastapi.testclient import TestClient  # noqa: E402

from main import create_app  # noqa: E402
from training.groove_dynamics import DRUM_GROUPS as FEATURE_GROUPS  # noqa: E402
from training.groove_dynamics import drum_classes  # noqa: E402
from utils.settings import Settings  # noqa: E402

BARS = 8
TEMPO = 120.0
HELDOUT_MMA = {  # engine style -> held-out MMA styles of that kind
    "rock": ("8beat", "rockballad"),
    "ballad": ("rockballad",),
    "blues": ("blues", "blues128", "slowblues", "boggiewoggie"),
    "latin": ("son", "bolero", "tango"),
    "waltz": ("latinwaltz", "modernjazzwaltz"),
    "jazz": ("68swing", "quickstep"),
}
DRUM_STYLES = (
    "rock",
    "funk",
    "hip-hop",
    "jazz",
    "latin",
    "electronic",
    "reggae",
    "blues",
    "metal",
    "waltz",
    "disco",
    "country",
    "ballad",
    "march",
)
BASS_STYLES = ("rock", "funk", "reggae", "jazz", "latin")
CHORDS = "Am F C G"


def drum_class_of() -> dict[int, str]:
    """GM drum note -> Magenta's nine drum classes (the map the velocity tables were fitted with)."""
    return drum_classes()


# --- per-clip measures ------------------------------------------------------------------------


def _grid(notes: list[dict], seconds_per_16th: float, steps_per_bar: int) -> list[tuple[int, int, dict]]:
    """(bar, 16th of the bar, note) for every note."""
    out = []
    for n in notes:
        index = int(round(n["start"] / seconds_per_16th))
        out.append((index // steps_per_bar, index % steps_per_bar, n))
    return out


def drum_measures(notes: list[dict], *, steps_per_bar: int, bars: int, classes: dict[int, str]) -> dict:
    sixteenth = 60.0 / TEMPO / 4.0
    placed = [(bar, step, n) for bar, step, n in _grid(notes, sixteenth, steps_per_bar) if bar < bars]
    if len(placed) < 4:
        return {}
    velocity = np.array([n["velocity"] for *_, n in placed], dtype=float)
    steps = np.array([step for _, step, _ in placed])
    total = float(((velocity - velocity.mean()) ** 2).sum())
    within = sum(float(((velocity[steps == s] - velocity[steps == s].mean()) ** 2).sum()) for s in set(steps))
    loudest: dict[str, float] = defaultdict(float)
    for *_, n in placed:
        name = classes.get(n["pitch"], "other")
        loudest[name] = max(loudest[name], n["velocity"])
    ghosts = sum(n["velocity"] < 0.55 * loudest[classes.get(n["pitch"], "other")] for *_, n in placed)
    per_bar: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for bar, step, n in placed:
        per_bar[bar][classes.get(n["pitch"], "other")].add(step)
    patterns = [
        frozenset(("k", s) for s in per_bar[b]["kick"]) | frozenset(("s", s) for s in per_bar[b]["snare"])
        for b in range(bars)
    ]
    full = [frozenset((name, s) for name, steps in per_bar[b].items() for s in steps) for b in range(bars)]
    common = Counter(full).most_common(1)[0][0]
    half = steps_per_bar // 2
    ends = [b for b in range(bars) if (b + 1) % 4 == 0]
    others = [b for b in range(bars) if (b + 1) % 4 != 0]

    def is_fill(b: int) -> bool:
        mine = {hit for hit in full[b] if hit[1] >= half}
        usual = {hit for hit in common if hit[1] >= half}
        return len(mine ^ usual) / max(1, len(mine | usual)) > 0.5

    end_rate = float(np.mean([is_fill(b) for b in ends])) if ends else 0.0
    other_rate = float(np.mean([is_fill(b) for b in others])) if others else 0.0
    return {
        "vel_sd": float(velocity.std()),
        "pos_share": 1.0 - within / total if total > 0 else 1.0,
        "ghost": ghosts / len(placed),
        "ks": float(np.mean([bool(per_bar[b]["kick"] & per_bar[b]["snare"]) for b in range(bars)])),
        "ks_groove": float(np.mean([bool(per_bar[b]["kick"] & per_bar[b]["snare"]) for b in others] or [0.0])),
        "ride_hat": float(np.mean([bool(per_bar[b]["ride"] & per_bar[b]["closed_hat"]) for b in range(bars)])),
        "open_shut": float(np.mean([bool(per_bar[b]["open_hat"] & per_bar[b]["closed_hat"]) for b in range(bars)])),
        "repeat": float(np.mean([patterns[b] == patterns[0] for b in range(1, bars)])),
        "fill_end": end_rate,
        "fill_other": other_rate,
    }


def drum_features(notes: list[dict], *, bars: int, classes: dict[int, str]) -> np.ndarray:
    """A 4/4 clip's style fingerprint: per instrument group, the share of bars with a hit at each
    16th (6 groups x 16), and the group's mean velocity over 127 where it plays (6)."""
    onsets = np.zeros((len(FEATURE_GROUPS), 16))
    loud = np.zeros(len(FEATURE_GROUPS))
    count = np.zeros(len(FEATURE_GROUPS))
    group_of = {c: i for i, members in enumerate(FEATURE_GROUPS.values()) for c in members}
    seen = set()
    for bar, step, n in _grid(notes, 60.0 / TEMPO / 4.0, 16):
        g = group_of.get(classes.get(n["pitch"], ""))
        if g is None or bar >= bars:
            continue
        if (g, bar, step) not in seen:
            seen.add((g, bar, step))
            onsets[g, step] += 1.0 / bars
        loud[g] += n["velocity"] / 127.0
        count[g] += 1
    return np.concatenate([onsets.ravel(), np.divide(loud, np.maximum(count, 1))])


def style_accuracy(
    features: dict[str, list[np.ndarray]], reference: dict[str, list[np.ndarray]] | None = None
) -> float:
    """Share of clips whose nearest style centroid (Euclidean) is their own style. Centroids from
    ``reference`` (another set, e.g. MMA's grooves) or, without it, from the same clips leaving
    each clip out of its own style's centroid."""
    hits = total = 0
    for style, clips in features.items():
        for i, clip in enumerate(clips):
            best, best_style = float("inf"), None
            for other, pool in (reference or features).items():
                members = pool if reference is not None or other != style else clips[:i] + clips[i + 1 :]
                if not members:
                    continue
                distance = float(np.linalg.norm(clip - np.mean(members, axis=0)))
                if distance < best:
                    best, best_style = distance, other
            hits += best_style == style
            total += 1
    return hits / total if total else float("nan")


def _mean_measures(rows: list[dict]) -> dict:
    rows = [r for r in rows if r]
    if not rows:
        return {}
    out = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    out["clips"] = len(rows)
    return out


def _range(rows: list[dict], key: str) -> str:
    values = [r[key] for r in rows if r]
    if not values:
        return "-"
    low, high = np.percentile(values, [10, 90])
    return f"{low:.2f}-{high:.2f}" if high < 10 else f"{low:.1f}-{high:.1f}"


# --- MMA reference ----------------------------------------------------------------------------


def mma_drum_rows(style: str, classes: dict[int, str]) -> tuple[str, list[dict], list[np.ndarray]]:
    from training import mma_corpus
    from training.primers import STYLE_MAP

    held = HELDOUT_MMA.get(style)
    wanted = set(held) if held else set(STYLE_MAP.get(style, STYLE_MAP["rock"] if style == "metal" else ()))
    kind = "held-out" if held else "training"
    renderings = mma_corpus.build_renderings(
        REPO / "data" / "training" / "mma",
        per_groove=1,
        grooves=[g for g in mma_corpus.list_grooves() if g.style in wanted],
    )
    rows, features = [], []
    for rendering in renderings:
        scale = rendering.tempo / TEMPO  # re-time to 120 bpm
        notes = [
            {"pitch": int(n.pitch), "start": n.start_time * scale, "velocity": int(n.velocity)}
            for n in mma_corpus.drum_sequence(rendering).notes
        ]
        steps = int(round(rendering.numerator * 16 / rendering.denominator))
        rows.append(drum_measures(notes, steps_per_bar=steps, bars=min(BARS, rendering.bars), classes=classes))
        if steps == 16:
            features.append(drum_features(notes, bars=min(BARS, rendering.bars), classes=classes))
    return kind, rows, features


# --- generation over HTTP ---------------------------------------------------------------------


def _post(client: TestClient, path: str, body: dict) -> dict:
    answer = client.post(f"/api/v1/generate/{path}", json=body)
    answer.raise_for_status()
    return answer.json()


def bench_drums(client: TestClient, backends: list[str], seeds: range, classes: dict[int, str]) -> dict:
    results: dict = {}
    header = f"{'style':<11}{'backend':<9}" + "".join(
        f"{h:>11}"
        for h in ("vel sd", "pos share", "ghost", "k+s", "k+s groove", "ride+hat", "open+shut", "repeat", "fills")
    )
    print(
        f"\nDRUMS (8 bars, seeds {seeds.start}-{seeds.stop - 1}): engine mean; MMA mean and 10th-90th percentile over grooves"
    )
    print(header)
    features: dict[str, dict[str, list[np.ndarray]]] = defaultdict(dict)
    for style in DRUM_STYLES:
        kind, mma_rows, mma_features = mma_drum_rows(style, classes)
        if mma_features:
            features["MMA"][style] = mma_features
        mma = _mean_measures(mma_rows)
        results[style] = {"mma": {"kind": kind, "grooves": len([r for r in mma_rows if r]), **mma}}
        if mma:
            keys = ("vel_sd", "pos_share", "ghost", "ks", "ks_groove", "ride_hat", "open_shut", "repeat")
            means = "".join(f"{mma[k]:>11.2f}" for k in keys)
            ranges = "".join(f"{_range(mma_rows, k):>11}" for k in keys)
            print(f"{style:<11}{'MMA mean':<9}{means}   ({kind}, {mma['clips']} grooves)")
            print(f"{'':<11}{'p10-90':<9}{ranges}")
        for backend in backends:
            rows = []
            meter = "4/4"
            for seed in seeds:
                answer = _post(
                    client, "midi", {"style": style, "bars": BARS, "tempo": TEMPO, "seed": seed, "model": backend}
                )
                meter = answer["time_signature"]
                num, den = (int(x) for x in meter.split("/"))
                rows.append(drum_measures(answer["notes"], steps_per_bar=num * 16 // den, bars=BARS, classes=classes))
                if meter == "4/4":
                    features[backend].setdefault(style, []).append(
                        drum_features(answer["notes"], bars=BARS, classes=classes)
                    )
            m = _mean_measures(rows)
            if m.get("fill_other"):
                ratio = m["fill_end"] / m["fill_other"]
            else:  # no bar but the phrase ends fills: infinitely likelier there (nan: none anywhere)
                ratio = float("inf") if m.get("fill_end") else float("nan")
            results[style][backend] = {**m, "fill_ratio": ratio, "meter": meter}
            values = "".join(
                f"{m[k]:>11.2f}"
                for k in ("vel_sd", "pos_share", "ghost", "ks", "ks_groove", "ride_hat", "open_shut", "repeat")
            )
            print(f"{'':<11}{backend:<9}{values}{ratio:>11.1f}")
    print(
        "\nstyle classification (4/4 styles, nearest centroid): the backend's own clips leave-one-out, "
        "on onsets and velocities / on onsets only; MMA's grooves as centroids"
    )
    mma_reference = features.pop("MMA", {})
    onsets_only = 16 * len(FEATURE_GROUPS)
    for backend, by_style in [("MMA", mma_reference), *features.items()]:
        own = style_accuracy(by_style)
        own_onsets = style_accuracy({s: [c[:onsets_only] for c in clips] for s, clips in by_style.items()})
        common = {s: c for s, c in by_style.items() if s in mma_reference}
        against = style_accuracy(common, mma_reference) if backend != "MMA" else float("nan")
        results.setdefault("style_classification", {})[backend] = {"own": own, "own_onsets": own_onsets, "mma": against}
        print(f"{backend:<9}{own:>8.2f}{own_onsets:>8.2f}{against:>8.2f}   ({len(by_style)} styles)")
    return results


def bass_measures(
    notes: list[dict], roots: list[int], *, steps_per_bar: int = 16
) -> tuple[list[bool], list[bool], int]:
    """Per bar: root of its chord on the downbeat (bars with a downbeat note), no note on beat 1;
    and the number of onsets. ``roots``: the chord root of each bar."""
    placed = _grid(notes, 60.0 / TEMPO / 4.0, steps_per_bar)
    root_hits, empty = [], []
    for bar in range(len(roots)):
        first = [n for b, s, n in placed if b == bar and s == 0]
        empty.append(not first)
        if first:
            root_hits.append(min(first, key=lambda n: n["pitch"])["pitch"] % 12 == roots[bar])
    return root_hits, empty, sum(1 for b, _, _ in placed if b < len(roots))


def mma_bass_rows(style: str) -> tuple[str, dict]:
    """MMA's bass lines of the style's grooves (held-out styles where MMA has them), first 8 bars."""
    from ai.music_theory import parse_chord
    from training import mma_corpus
    from training.primers import STYLE_MAP

    held = HELDOUT_MMA.get(style)
    wanted = set(held) if held else set(STYLE_MAP.get(style, ()))
    renderings = mma_corpus.build_renderings(
        REPO / "data" / "training" / "mma",
        per_groove=1,
        grooves=[g for g in mma_corpus.list_grooves() if g.style in wanted],
    )
    roots_hit, empty, counts, hist = [], [], [], np.zeros(16)
    for rendering in renderings:
        if rendering.numerator != 4 or rendering.denominator != 4:
            continue
        scale = rendering.tempo / TEMPO
        notes = [
            {"pitch": p + rendering.shift, "start": start * scale}
            for p, start, _end, _v in mma_corpus.bass_notes(rendering)
        ]
        if not notes:
            continue
        bars = min(BARS, rendering.bars)
        roots = [parse_chord(c).root for c in rendering.chords[:bars]]
        r, e, n = bass_measures(notes, roots)
        roots_hit += r
        empty += e
        counts.append(n / bars)
        for _, s, _ in _grid(notes, 60.0 / TEMPO / 4.0, 16):
            hist[s] += 1
    return ("held-out" if held else "training"), {
        "root_on_downbeat": float(np.mean(roots_hit)) if roots_hit else float("nan"),
        "bars_without_beat_one": float(np.mean(empty)) if empty else float("nan"),
        "notes_per_bar": float(np.mean(counts)) if counts else float("nan"),
        "grooves": len(counts),
        "histogram": hist / max(1.0, hist.sum()),
    }


def bench_bass(client: TestClient, backends: list[str], seeds: range) -> dict:
    from ai.music_theory import parse_chord

    roots = [parse_chord(c).root for c in CHORDS.split()]
    results: dict = {}
    print(f"\nBASS (8 bars over {CHORDS}, key A minor; MMA: its grooves' own progressions)")
    print(f"{'backend':<9}{'style':<8}{'root on 1':>10}{'no beat 1':>10}{'notes/bar':>10}")
    mma_hist = {}
    for style in BASS_STYLES:
        kind, r = mma_bass_rows(style)
        mma_hist[style] = r.pop("histogram")
        results.setdefault("mma", {})[style] = {**r, "kind": kind}
        print(
            f"{'MMA':<9}{style:<8}{r['root_on_downbeat']:>10.2f}{r['bars_without_beat_one']:>10.2f}"
            f"{r['notes_per_bar']:>10.2f}   ({kind}, {r['grooves']} grooves)"
        )
    pairs = [
        float(np.abs(mma_hist[a] - mma_hist[b]).sum()) for i, a in enumerate(BASS_STYLES) for b in BASS_STYLES[i + 1 :]
    ]
    print(f"{'MMA':<9}styles' onset histograms: mean L1 distance {np.mean(pairs):.2f}, least {min(pairs):.2f}")
    for backend in backends:
        histograms = {}
        for style in BASS_STYLES:
            root_hits, empty, counts, hist = [], [], [], np.zeros(16)
            for seed in seeds:
                body = {"key": "A", "scale": "minor", "chords": CHORDS, "bars": BARS, "tempo": TEMPO}
                answer = _post(client, "bassline", {**body, "style": style, "seed": seed, "model": backend})
                r, e, n = bass_measures(answer["notes"], [roots[b % len(roots)] for b in range(BARS)])
                root_hits += r
                empty += e
                counts.append(n / BARS)
                for _, s, _ in _grid(answer["notes"], 60.0 / TEMPO / 4.0, 16):
                    hist[s] += 1
            histograms[style] = hist / max(1.0, hist.sum())
            results.setdefault(backend, {})[style] = {
                "root_on_downbeat": float(np.mean(root_hits)) if root_hits else 0.0,
                "bars_without_beat_one": float(np.mean(empty)),
                "notes_per_bar": float(np.mean(counts)),
            }
            r = results[backend][style]
            print(
                f"{backend:<9}{style:<8}{r['root_on_downbeat']:>10.2f}{r['bars_without_beat_one']:>10.2f}"
                f"{r['notes_per_bar']:>10.2f}"
            )
        pairs = [
            float(np.abs(histograms[a] - histograms[b]).sum())
            for i, a in enumerate(BASS_STYLES)
            for b in BASS_STYLES[i + 1 :]
        ]
        results[backend]["style_distance"] = float(np.mean(pairs))
        print(f"{backend:<9}styles' onset histograms: mean L1 distance {np.mean(pairs):.2f}, least {min(pairs):.2f}")
    return results


METERS = ((3, 4, "waltz"), (3, 4, "rock"), (6, 8, "rock"), (12, 8, "rock"), (5, 4, "rock"), (7, 8, "rock"))


def _accents(
    notes: list[dict], steps: int, starts: set[int], bars: int
) -> tuple[list[float], list[float], list[float]]:
    """Per bar, the summed velocity of the hits on the downbeat, on each other pulse start and on
    each other 16th that has a hit (more drums at once sound louder, as loud hits do)."""
    loud: dict[tuple[int, int], float] = defaultdict(float)
    for bar, step, n in _grid(notes, 60.0 / TEMPO / 4.0, steps):
        if bar < bars:
            loud[(bar, step)] += n["velocity"]
    down = [loud[(b, 0)] for b in range(bars)]
    pulse = [loud[(b, s)] for b in range(bars) for s in starts if s]
    other = [v for (b, s), v in loud.items() if s not in starts]
    return down, pulse, other


def bench_meters(client: TestClient, backends: list[str], seeds: range) -> dict:
    """Accent structure per meter: the summed velocity of the hits on the downbeat, on the other
    pulse starts (feel.pulse_groups: 6/8 in two, 7/8 as 2+2+3) and on the other 16ths that are
    played, a bar's mean; right when downbeat >= pulses > elsewhere. MMA: its 3/4 held-out waltzes."""
    from ai.generation.feel import pulse_groups
    from training import mma_corpus

    results: dict = {}
    print("\nMETER (drums, 8 bars): summed velocity on the downbeat / other pulses / elsewhere")
    print(f"{'meter':<13}{'backend':<9}{'downbeat':>10}{'pulses':>8}{'else':>7}  right  used")
    for num, den, style in METERS:
        pulses = pulse_groups(num, den)
        starts = {int(x) for x in np.cumsum((0, *pulses[:-1]))}
        steps = sum(pulses)
        rows: dict[str, tuple[list, list, list, Counter]] = {}
        if style == "waltz":
            acc: tuple[list, list, list, Counter] = ([], [], [], Counter())
            waltzes = [g for g in mma_corpus.list_grooves() if g.style in HELDOUT_MMA["waltz"]]
            for rendering in mma_corpus.build_renderings(
                REPO / "data" / "training" / "mma", per_groove=1, grooves=waltzes
            ):
                if (rendering.numerator, rendering.denominator) != (3, 4):
                    continue
                scale = rendering.tempo / TEMPO
                notes = [
                    {"pitch": int(n.pitch), "start": n.start_time * scale, "velocity": int(n.velocity)}
                    for n in mma_corpus.drum_sequence(rendering).notes
                ]
                for part, values in zip(
                    acc[:3], _accents(notes, steps, starts, min(BARS, rendering.bars)), strict=True
                ):
                    part.extend(values)
                acc[3]["MMA"] += 1
            rows["MMA"] = acc
        for backend in ["auto", *backends]:
            acc = ([], [], [], Counter())
            for seed in seeds:
                body = {"style": style, "bars": BARS, "tempo": TEMPO, "seed": seed, "model": backend}
                answer = _post(client, "midi", {**body, "time_signature": f"{num}/{den}"})
                acc[3][answer["model"]] += 1
                for part, values in zip(acc[:3], _accents(answer["notes"], steps, starts, BARS), strict=True):
                    part.extend(values)
            rows[backend] = acc
        for backend, (down, pulse, other, used) in rows.items():
            v = [float(np.mean(x)) if x else float("nan") for x in (down, pulse, other)]
            right = v[0] >= v[1] > v[2] if len(starts) > 1 else v[0] > v[2]
            results.setdefault(f"{num}/{den} {style}", {})[backend] = {
                "downbeat": v[0],
                "pulses": v[1],
                "elsewhere": v[2],
                "right": bool(right),
                "models": dict(used),
            }
            print(
                f"{f'{num}/{den} {style}':<13}{backend:<9}{v[0]:>10.1f}{v[1]:>8.1f}{v[2]:>7.1f}  {'yes' if right else 'NO ':<5}  "
                + ", ".join(f"{k} {c}" for k, c in used.items())
            )
    return results


def bench_melody(client: TestClient, backends: list[str], seeds: range) -> dict:
    results: dict = {}
    bar = 4 * 60.0 / TEMPO
    print("\nMELODY (8 bars, A harmonic minor, no chords)")
    print(f"{'backend':<9}{'temp':>5}{'rest':>7}{'held>=2 bars':>14}{'G# -> A':>9}")
    for backend in backends:
        for temperature in (1.0, 0.3):
            rests, held, resolved = [], 0, []
            for seed in seeds:
                body = {"key": "A", "scale": "harmonic_minor", "bars": BARS, "tempo": TEMPO}
                answer = _post(client, "melody", {**body, "seed": seed, "temperature": temperature, "model": backend})
                notes = sorted(answer["notes"], key=lambda n: n["start"])
                sounding = np.zeros(BARS * 48, dtype=bool)  # 1/12 of a beat
                for n in notes:
                    a, b = int(n["start"] / bar * 48), int(np.ceil(n["end"] / bar * 48))
                    sounding[a : min(b, sounding.size)] = True
                rests.append(1.0 - float(sounding.mean()))
                held += any(n["end"] - n["start"] >= 2 * bar - 1e-6 for n in notes)
                for a, b in zip(notes, notes[1:], strict=False):
                    if a["pitch"] % 12 == 8:
                        resolved.append(b["pitch"] % 12 == 9)
            r = {
                "rest_share": float(np.mean(rests)),
                "held_clips": int(held),
                "leading_tone_resolved": float(np.mean(resolved)) if resolved else float("nan"),
            }
            results.setdefault(backend, {})[str(temperature)] = r
            print(
                f"{backend:<9}{temperature:>5}{r['rest_share']:>7.2f}{held:>8}/{len(seeds):<5}"
                f"{r['leading_tone_resolved']:>9.2f}"
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first..first+N-1 (a fresh range: 1000)")
    parser.add_argument("--backends", default="auto,theory,magenta")
    parser.add_argument("--parts", default="drums,bass,melody,meter")
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: the repository's)")
    parser.add_argument(
        "--no-dynamics", action="store_true", help="serve without models/groove_dynamics.json (the before figures)"
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    backends = args.backends.split(",")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    models = args.models or REPO / "models"
    keep = tempfile.TemporaryDirectory()
    if args.no_dynamics:  # the same models without the velocity tables
        folder = Path(keep.name)
        for item in models.iterdir():
            if item.name != "groove_dynamics.json":
                os.symlink(item.resolve(), folder / item.name)
        models = folder
    settings = Settings(load_magenta=bool({"auto", "magenta"} & set(backends)), models_dir=models)
    classes = drum_class_of()
    results: dict = {}
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        parts = args.parts.split(",")
        if "drums" in parts:
            results["drums"] = bench_drums(client, backends, seeds, classes)
        if "bass" in parts:
            results["bass"] = bench_bass(client, backends, seeds)
        if "melody" in parts:
            results["melody"] = bench_melody(client, backends, seeds)
        if "meter" in parts:
            results["meter"] = bench_meters(client, backends, seeds)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
