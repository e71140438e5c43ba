"""Findings about a project built from what is really there: manifest, roles, stems, live core state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

LOW_END_ROLES = {"kick", "drums", "bass", "overheads"}
SPEECH_ROLES = {"speech"}


def _finding(kind: str, message: str, priority: str, track: str | None = None, **evidence: Any) -> dict[str, Any]:
    return {"type": kind, "message": message, "priority": priority, "track": track, "evidence": evidence}


def project_findings(
    *,
    tracks: Sequence[str],
    roles: Mapping[str, str],
    stems: Mapping[str, Path],
    stems_dir: Path,
    tempo: float,
    time_signature: str,
    core_tracks: int | None,
) -> list[dict[str, Any]]:
    """What a producer should know about the project before asking for mixing advice.

    ``stems`` maps track name -> rendered stem (extra stems may name tracks not in ``tracks``);
    ``core_tracks`` is DAWG-CORE's live track count, or None when the core is not reachable.
    """
    findings: list[dict[str, Any]] = []
    lower_stems = {name.lower() for name in stems}
    missing = [t for t in tracks if t.lower() not in lower_stems]
    for track in missing:
        findings.append(
            _finding(
                "missing_stem",
                f"no rendered stem for '{track}': render it to {stems_dir / (track + '.wav')} for measured advice",
                "medium",
                track,
                expected=str(stems_dir / f"{track}.wav"),
            )
        )
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
    return findings
