"""More real, annotated recordings: a second held-out set in data/real's format (data/real_extra).

Every item is a recording made by people (nothing rendered from MIDI) with human annotations, read
with `git show` from bare mirrors that the search tool's `fetch` brought (MIRRORS/<owner>+<name>/repo),
each pinned to the commit used here. Nobody tuned the analysis on these items: score them, do not
tune on them. ground_truth.json follows ../shared/eval/real/README.md ({file, source, group, note,
duration_s, bpm?, beats_s?, downbeats_s?, meter?, key?, key_contested?, chords?}), so
`bench/analysis_accuracy.py --dataset data/real_extra` scores it.

Sources
  beatles_d2c   The Beatles, studio albums (commercial recordings, EMI; no licence: evaluation only,
                never shipped). Audio: mattmcvicar/death2chroma@6387bd3 mp3s-32k/ (mono, 16 kHz,
                32 kbit/s MP3), whose chordlabs/ are Isophonics' chord annotations (Harte) time-mapped
                onto these MP3s. Beats and downbeats: CPJKU/beat_this_annotations beatles/ (Isophonics
                beats, Davies/Harte), key: Isophonics keylab (copied in rothos/beatlesdb's
                beatles_songs.json), both on Isophonics' own time line. The two time lines differ per
                song by an offset (0.05-1.2 s) and a speed (up to 0.12 %): the map from Isophonics to
                these MP3s is fitted (least squares, t' = a + b t) on the chord boundaries that both
                chord files share label for label, and the beats are mapped through it. A song is kept
                only where the two chord files hold the same labels in the same order and the fit
                leaves every boundary within MAP_TOLERANCE_S. Beats and downbeats are kept only where
                the audio's onsets sit on the mapped beats as they do on data/real's FMP copies
                (ONSET_LAG_RANGE_MS); tempo, meter, key and chords need no such check.

Songs already in data/real (five FMP copies and mirdata's 2-s clip) are left out.

Usage:  python bench/real_extra.py --mirrors /work/.mirror --out data/real_extra [--all-beatles]
        python bench/real_extra.py --mirrors /work/.mirror --out data/beatles_tune --tune   # the tuning set
Needs:  git, numpy, soundfile (libsndfile 1.1+ for MP3), librosa (the onset check on beats).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

D2C = "mattmcvicar/death2chroma"
D2C_COMMIT = "6387bd313778038da798900ba8002b89aafeb77c"  # "First commit. Uploaded files" (later commits drop mp3s-32k/)
BT = "CPJKU/beat_this_annotations"
BT_COMMIT = "c3c47fd37d3074d9f8119f18bbf460f909609f22"
BDB = "rothos/beatlesdb"
BDB_COMMIT = "4a726ef0c0f50c2bcb07595ec914ee8fbd70cddb"  # the last commit whose beatles_songs.json (2.9 MB) is stored

MAP_TOLERANCE_S = 0.02
"""The largest residual of the fitted Isophonics -> MP3 time map at a shared chord boundary."""

MIN_DURATION_S = 6.0

ONSET_LAG_RANGE_MS = (-10, 40)
"""Beats are kept only where the onset strength at the mapped beats peaks within this lag (ms, onset
after beat > 0): on the five FMP copies of data/real, whose beats are right, it peaks at 0-30 ms. The
chord map is good to a few tens of ms at best: over all 145 mapped songs the peak lies at -75..+115 ms
(pooled 0 ms), so a third of them would score beats against annotations 40-110 ms off."""

# death2chroma album folder -> beat_this_annotations album prefix (Isophonics numbering).
ALBUMS = {
    "Please_Please_Me": "01_Please_Please_Me",
    "With_The_Beatles": "02_With_the_Beatles",
    "A_Hard_Day_s_Night": "03_A_Hard_Days_Night",
    "Beatles_For_Sale": "04_Beatles_for_Sale",
    "Help_": "05_Help",
    "Rubber_Soul": "06_Rubber_Soul",
    "Revolver": "07_Revolver",
    "Sgt_Pepper_s_Lonely_Hearts_Club_Band": "08_Sgt_Peppers_Lonely_Hearts_Club_Band",
    "Magical_Mystery_Tour": "09_Magical_Mystery_Tour",
    "The_White_Album_Disc_1": "10_CD1_The_Beatles",
    "The_White_Album_Disc_2": "10_CD2_The_Beatles",
    "Abbey_Road": "11_Abbey_Road",
    "Let_It_Be": "12_Let_It_Be",
}

# Songs whose recording is already in data/real (FMP copies, mirdata's clip): not new, left out.
IN_DATA_REAL = {
    "Abbey_Road/07-Here_Comes_The_Sun",
    "Let_It_Be/06-Let_It_Be",
    "The_White_Album_Disc_1/04-Ob-La-Di_Ob-La-Da",
    "Magical_Mystery_Tour/09-Penny_Lane",
    "A_Hard_Day_s_Night/12-You_Can_t_Do_That",
    "Please_Please_Me/11-Do_You_Want_To_Know_A_Secret",
}

# Isophonics modes -> the major/minor key the engine can name; such keys are marked contested.
MODE_TO_KEY = {"mixolydian": "major", "ionian": "major", "dorian": "minor", "aeolian": "minor", "phrygian": "minor"}


class SourceMissing(SystemExit):
    """A mirror or a pinned commit is not there: the set cannot be built as documented."""


def mirror_dir(mirrors: Path, repo: str) -> Path:
    """The git directory of a fetched mirror: MIRRORS/<owner>+<name>/repo (bare) or its .git."""
    root = mirrors / repo.replace("/", "+") / "repo"
    for git_dir in (root / ".git", root):
        if (git_dir / "objects").is_dir():
            return git_dir
    raise SourceMissing(f"missing mirror {root}: fetch github:{repo} first")


def git_show(mirrors: Path, repo: str, commit: str, path: str) -> bytes:
    git_dir = mirror_dir(mirrors, repo)
    done = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"], capture_output=True)
    if done.returncode != 0:
        raise SourceMissing(f"{repo}@{commit[:12]}:{path}: {done.stderr.decode().strip()}")
    return done.stdout


def git_ls(mirrors: Path, repo: str, commit: str, folder: str) -> list[str]:
    git_dir = mirror_dir(mirrors, repo)
    done = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "--name-only", commit, folder], capture_output=True
    )
    if done.returncode != 0:
        raise SourceMissing(f"{repo}@{commit[:12]}: {done.stderr.decode().strip()}")
    return done.stdout.decode().split("\n")[:-1]


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    label: str


def read_lab(text: str) -> list[Segment]:
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out.append(Segment(float(parts[0]), float(parts[1]), parts[2]))
    return out


def bar_mode(beats: np.ndarray, downbeats: np.ndarray) -> int | None:
    """Beats per bar: the most common count of beats from one downbeat to the next."""
    counts = [
        int(((beats >= s - 1e-3) & (beats < e - 1e-3)).sum())
        for s, e in zip(downbeats[:-1], downbeats[1:], strict=False)
    ]
    counts = [c for c in counts if c > 0]
    return int(np.bincount(counts).argmax()) if counts else None


def read_beat_positions(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(beat times, beat positions in the bar) of a .beats file ("time position" lines)."""
    times, positions = [], []
    for line in text.splitlines():
        parts = line.split()
        if parts and not line.startswith("#"):
            times.append(float(parts[0]))
            positions.append(int(float(parts[1])) if len(parts) > 1 else 0)
    return np.asarray(times), np.asarray(positions)


def fit_time_map(src: list[Segment], dst: list[Segment]) -> tuple[float, float, float] | None:
    """(a, b, largest residual) of dst = a + b * src over the shared chord boundaries, or None when
    the two annotations do not hold the same labels in the same order (not the same annotation)."""
    if [s.label for s in src] != [s.label for s in dst] or len(src) < 8:
        return None
    # Segment starts after the first: 0.0 in both files and the last end (each file's own duration)
    # are conventions, not boundaries.
    x = np.array([s.start for s in src[1:]])
    y = np.array([s.start for s in dst[1:]])
    b, a = np.polyfit(x, y, 1)
    residual = float(np.max(np.abs(a + b * x - y)))
    return float(a), float(b), residual


def isophonics_key(keylab: list[dict[str, Any]]) -> tuple[str | None, bool]:
    """(the key the song spends most time in as 'A minor', contested) from an Isophonics keylab:
    contested when the song changes key or the key is a mode."""
    spans: dict[str, float] = {}
    for row in keylab:
        if row.get("sectionType") == "Key":
            spans[row["key"]] = spans.get(row["key"], 0.0) + float(row["endTime"]) - float(row["beginTime"])
    if not spans:
        return None, False
    label = max(spans, key=lambda k: spans[k])
    tonic, _, mode = label.partition(":")
    mode = mode or "major"
    contested = len(spans) > 1
    if mode not in ("major", "minor"):
        if mode not in MODE_TO_KEY:
            return None, False
        mode, contested = MODE_TO_KEY[mode], True
    return f"{tonic} {mode}", contested


def onset_lag_ms(x: np.ndarray, rate: int, beats: np.ndarray) -> tuple[int, float]:
    """(the lag in ms, -150..150 in 5 ms steps, at which the mean standardised onset strength over
    the beats peaks, and that peak): where the audio's onsets sit against the annotated beats."""
    import librosa  # only the build needs it

    hop = rate // 200
    env = librosa.onset.onset_strength(y=x, sr=rate, hop_length=hop, n_fft=1024)
    env = (env - env.mean()) / (env.std() + 1e-9)
    frames = np.round(beats * rate / hop).astype(int)
    lags = np.arange(-30, 31)
    profile = np.array([env[np.clip(frames + lag, 0, len(env) - 1)].mean() for lag in lags])
    return int(5 * lags[profile.argmax()]), float(profile.max())


def squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def beatles_items(mirrors: Path, audio_dir: Path, *, which: str) -> list[dict[str, Any]]:
    """Items of the Beatles songs ``which``: "held-out" (one in three, by crc32), "tune" (the others) or "all"."""
    songs = json.loads(git_show(mirrors, BDB, BDB_COMMIT, "beatles_songs.json"))
    iso = [s for s in songs if s.get("isophonics", {}).get("chordlab")]
    beat_files = git_ls(mirrors, BT, BT_COMMIT, "beatles/annotations/beats")
    items = []
    for lab_path in git_ls(mirrors, D2C, D2C_COMMIT, "chordlabs"):
        name = lab_path.removeprefix("chordlabs/").removesuffix(".lab")
        album, _, song_file = name.partition("/")
        if name in IN_DATA_REAL:
            continue
        held_out = zlib.crc32(name.encode()) % 3 == 0
        if (which == "held-out" and not held_out) or (which == "tune" and held_out):
            continue
        d2c_chords = read_lab(git_show(mirrors, D2C, D2C_COMMIT, lab_path).decode())
        matches = []
        for song in iso:
            iso_chords = [Segment(c["beginTime"], c["endTime"], c["chord"]) for c in song["isophonics"]["chordlab"]]
            fitted = fit_time_map(iso_chords, d2c_chords)
            if fitted is not None:
                matches.append((song, fitted))
        if len(matches) != 1:
            print(f"skip {name}: {len(matches)} Isophonics chord files with its labels")
            continue
        song, (a, b, residual) = matches[0]
        if residual > MAP_TOLERANCE_S:
            print(f"skip {name}: the time map leaves a chord boundary {1000 * residual:.0f} ms off")
            continue
        x, rate = sf.read(io.BytesIO(git_show(mirrors, D2C, D2C_COMMIT, f"mp3s-32k/{name}.mp3")), dtype="float32")
        duration = len(x) / rate
        if duration < MIN_DURATION_S:
            continue
        file = f"beatles_d2c_{slug(album)}_{slug(song_file)}.flac"
        sf.write(audio_dir / file, x, rate, format="FLAC", subtype="PCM_16")
        row: dict[str, Any] = {
            "file": file,
            "source": f"{D2C}@{D2C_COMMIT[:12]}:mp3s-32k/{name}.mp3",
            "group": "beatles_d2c",
            "note": (
                f"The Beatles '{song['title']}' (full track; death2chroma's mono 16 kHz 32 kbit/s MP3, decoded "
                "to FLAC). Commercial recording (EMI), no licence: evaluation only. Chords: death2chroma "
                "chordlabs (Isophonics, Harte, mapped onto this MP3); beats/downbeats: beat_this_annotations "
                f"(Isophonics) mapped by t' = {a:+.3f} s + {b:.5f} t (fitted on the chord boundaries, "
                f"largest residual {1000 * residual:.1f} ms); key: Isophonics keylab (rothos/beatlesdb)"
            ),
            "duration_s": round(duration, 2),
        }
        track, _, title = song_file.partition("-")
        prefix = f"beatles/annotations/beats/beatles_{ALBUMS[album]}_{track}_"
        beat_path = [p for p in beat_files if p.startswith(prefix)]
        lag = None
        # The beat file must be this song (same album and track number, same title).
        beat_title = squash(beat_path[0][len(prefix) :].removesuffix(".beats")) if len(beat_path) == 1 else "-"
        if beat_title.startswith(squash(title)) or squash(title).startswith(beat_title):
            times, positions = read_beat_positions(git_show(mirrors, BT, BT_COMMIT, beat_path[0]).decode())
            mapped = a + b * times
            keep = (mapped >= 0.0) & (mapped < duration)
            beats, positions = mapped[keep], positions[keep]
            if len(beats) >= 8:
                # Tempo and meter need no alignment; beats and downbeats do.
                row["bpm"] = round(60.0 / float(np.median(np.diff(beats))), 2)
                downbeats = beats[positions == 1]
                meter = bar_mode(beats, downbeats) if len(downbeats) >= 4 else None
                if meter:
                    row["meter"] = meter
                lag, peak = onset_lag_ms(x, rate, beats)
                if ONSET_LAG_RANGE_MS[0] <= lag <= ONSET_LAG_RANGE_MS[1]:
                    row["beats_s"] = [round(float(t), 4) for t in beats]
                    if meter:
                        row["downbeats_s"] = [round(float(t), 4) for t in downbeats]
                    row["note"] += f"; onsets peak {lag:+d} ms after the mapped beats"
                else:
                    row["note"] += f"; beats left out: onsets peak {lag:+d} ms after the mapped beats"
            row["source"] += f"; beats {BT}@{BT_COMMIT[:12]}:{beat_path[0]}"
        else:
            print(f"{name}: no beat file of its own ({beat_path})")
        key, contested = isophonics_key(song["isophonics"].get("keylab", []))
        if key:
            row["key"] = key
            if contested:
                row["key_contested"] = True
        # Clipped to the audio: the map put a few labels' edges before 0 s (Dear Prudence) or after the end.
        row["chords"] = [
            {"start": max(s.start, 0.0), "end": min(s.end, duration), "label": s.label}
            for s in d2c_chords
            if min(s.end, duration) > max(s.start, 0.0)
        ]
        items.append(row)
        print(
            f"{file:64s} {duration:7.2f}  bpm={row.get('bpm')} meter={row.get('meter')} key={row.get('key')}"
            f"{'?' if contested else ''}  map {a:+.3f} s x{b:.5f} (max {1000 * residual:.1f} ms)  onset lag {lag} ms"
            f"{'' if 'beats_s' in row else ' (no beats)'}"
        )
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="folder holding <owner>+<name>/repo mirrors")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--all-beatles", action="store_true", help="every Beatles song, not one in three")
    parser.add_argument(
        "--tune",
        action="store_true",
        help="the songs the held-out set leaves out (two in three: data/beatles_tune, a tuning set)",
    )
    args = parser.parse_args()
    audio_dir = args.out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    which = "all" if args.all_beatles else "tune" if args.tune else "held-out"
    items = beatles_items(args.mirrors, audio_dir, which=which)
    (args.out / "ground_truth.json").write_text(json.dumps(items, indent=1))
    print(f"wrote {len(items)} items to {args.out / 'ground_truth.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
