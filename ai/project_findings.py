"""Findings about a project built from what is really there: manifest, roles, stems, live core state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

LOW_END_ROLES = {"kick", "drums", "bass", "overheads"}
SPEECH_ROLES = {"speech"}


def _finding(kind: str, message: str, priority: str, track: str | None = None, **evidence: Any) -> dict[str, Any]:
    return {"type": kind, "message": message, "priority": priority, "track": track, "evidence": evidence}


_NOT_IN_FILE_NAMES = ("/", "\\", "\x00")


def _missing_stem(track: str, stems_dir: Path, unread: str | None) -> dict[str, Any]:
    """A track without a stem, and what to do: render it to where the convention looks, unless a track name no
    file can have ("sub/Bass", "../Kick": the advice named a path outside the stems folder, which is never read)
    or a file in its place that is not read (a link out of the folder: the advice named the link itself)."""
    forbidden = next((c for c in _NOT_IN_FILE_NAMES if c in track), None)
    if forbidden is not None or track.strip() in ("", ".", ".."):
        said = f"its name holds {forbidden!r}" if forbidden else "its name is no file name"
        return _finding(
            "missing_stem",
            f"no rendered stem for '{track}': {said}, so no stem file in {stems_dir} can be named after it; "
            "rename the track for measured advice",
            "medium",
            track,
            expected=None,
        )
    expected = stems_dir / f"{track}.wav"
    if unread is not None:
        return _finding(
            "missing_stem",
            f"no rendered stem for '{track}': {unread}; put the rendered file itself there for measured advice",
            "medium",
            track,
            expected=str(expected),
            unread=unread,
        )
    return _finding(
        "missing_stem",
        f"no rendered stem for '{track}': render it to {expected} for measured advice",
        "medium",
        track,
        expected=str(expected),
    )


def project_findings(
    *,
    tracks: Sequence[str],
    roles: Mapping[str, str],
    stems: Mapping[str, Path],
    stems_dir: Path,
    tempo: float,
    time_signature: str,
    core_tracks: int | None,
    unread_stems: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """What a producer should know about the project before asking for mixing advice.

    ``stems`` maps track name -> rendered stem (extra stems may name tracks not in ``tracks``);
    ``core_tracks`` is DAWG-CORE's live track count, or None when the core is not reachable;
    ``unread_stems`` maps track name -> why the file in its stem's place is not read (a link out of the folder).
    """
    findings: list[dict[str, Any]] = []
    lower_stems = {name.lower() for name in stems}
    missing = [t for t in tracks if t.lower() not in lower_stems]
    for track in missing:
        findings.append(_missing_stem(track, stems_dir, (unread_stems or {}).get(track)))
    known = {t.lower() for t in tracks}
    for name in stems:
        if name.lower() not in known:
            findings.append(
                _finding(
                    "extra_stem",
                    f"stem '{name}' is not a track of the manifest; it is analysed as its own track",
                    "low",
                    name,
                    path=str(stems[name]),
                )
            )
    for track in tracks:
        if roles.get(track) == "other":
            findings.append(
                _finding(
                    "unknown_role",
                    f"the role of '{track}' cannot be told from its name; pass roles={track}=<role> to set it",
                    "low",
                    track,
                )
            )
    seen: dict[str, str] = {}
    for track in tracks:
        if track.lower() in seen:
            findings.append(
                _finding(
                    "duplicate_track_name",
                    f"two tracks are named '{track}': their stems cannot be told apart",
                    "medium",
                    track,
                )
            )
        seen[track.lower()] = track
    present_roles = set(roles.values())
    if len(tracks) >= 3 and not present_roles & (LOW_END_ROLES | SPEECH_ROLES):
        findings.append(
            _finding(
                "no_low_end",
                "no kick, drums or bass track: the arrangement may lack low end",
                "low",
                None,
                roles=sorted(present_roles),
            )
        )
    if core_tracks is not None and core_tracks != len(tracks):
        findings.append(
            _finding(
                "core_track_count_differs",
                f"DAWG-CORE reports {core_tracks} tracks in its open project; this manifest lists {len(tracks)} "
                "(another project is open, or the manifest is not saved)",
                "low",
                None,
                core_tracks=core_tracks,
                manifest_tracks=len(tracks),
            )
        )
    if not 30 <= tempo <= 300:
        findings.append(
            _finding("unusual_tempo", f"the manifest's tempo {tempo:g} BPM is outside 30-300", "medium", None)
        )
    if (why := unusual_meter(time_signature)) is not None:
        findings.append(_finding("unusual_time_signature", why, "low", None, time_signature=time_signature))
    return findings


def unusual_meter(time_signature: str) -> str | None:
    """Why a manifest's time signature is not one a musician writes ('99/4' was taken without a word), or None: a
    numerator of 1-32 beats over a note value of 1, 2, 4, 8, 16 or 32."""
    top, _, bottom = time_signature.strip().partition("/")
    if not (top.isdigit() and bottom.isdigit()):
        return f"the manifest's time signature '{time_signature}' is not a meter (e.g. 4/4, 6/8)"
    if not 1 <= int(top) <= 32 or int(bottom) not in (1, 2, 4, 8, 16, 32):
        return (
            f"the manifest's time signature {time_signature} is unusual: 1-32 beats of a whole, half, quarter, "
            "eighth, 16th or 32nd note are what music is written in"
        )
    return None
