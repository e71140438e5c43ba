"""How different a request's variations are: the share of notes two variations have in common.

For each part (rock drums through /generate/midi, a bass line and a melody in C), 10 seeds of a
4-bar request with ``variations=4``, over HTTP in-process as the callers use it. For every pair
of the four clips: the share of the smaller clip's notes (pitch and start, to 1 ms) that the other
plays too (:func:`api.routes.generation.shared_notes` on the clips' note lists); the mean and the
largest over all pairs are printed, with the median time of a request.

Usage: .venv/bin/python bench/variation_overlap.py [--model theory|auto] [--seeds 10]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from main import create_app  # noqa: E402
from utils.settings import Settings  # noqa: E402

REQUESTS = (("midi", {"style": "rock"}), ("bassline", {"key": "C"}), ("melody", {"key": "C"}))


def shared(a: list[dict], b: list[dict]) -> float:
    notes_a = {(n["pitch"], round(n["start"], 3)) for n in a}
    notes_b = {(n["pitch"], round(n["start"], 3)) for n in b}
    return len(notes_a & notes_b) / max(1, min(len(notes_a), len(notes_b)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="theory")
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    settings = Settings(load_magenta=args.model != "theory")
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        for path, extra in REQUESTS:
            body = {**extra, "bars": 4, "variations": 4, "model": args.model}
            client.post(f"/api/v1/generate/{path}", json={**body, "seed": 0})  # warm
            pairs, times, model = [], [], ""
            for seed in range(args.seeds):
                start = time.perf_counter()
                answer = client.post(f"/api/v1/generate/{path}", json={**body, "seed": seed}).json()
                times.append(time.perf_counter() - start)
                model = answer["model"]
                clips = [v["notes"] for v in answer["variations"]]
                pairs += [shared(a, b) for a, b in itertools.combinations(clips, 2)]
            print(
                f"{path:<9} {model:<17} shared notes between variations: mean {statistics.mean(pairs):.3f}, "
                f"max {max(pairs):.3f} ({len(pairs)} pairs); request median {1000 * statistics.median(times):.0f} ms"
            )


if __name__ == "__main__":
    main()
