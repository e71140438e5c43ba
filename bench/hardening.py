"""Issue 14's figures against a real `python main.py`: malformed files, a loaded loop, memory.

    .venv/bin/python bench/hardening.py [--port 9138]

Prints:
  * a corpus of malformed and edge-case audio files (>= 40: empty, text, truncated WAV/MP3/FLAC at
    several points, broken headers, 8 Hz and 3 Hz rates, NaN and infinity, 8-bit, 1 sample,
    5.1, a lying data chunk ...) sent to every upload endpoint (analyze/audio, mixing/suggest,
    mixing/auto_level, mixing/render) and a corpus of malformed MIDI primers to generate/midi:
    how many answers per status code, and every 5xx (goal: none);
  * /health latency (median, p99, max) while 4 analyses of a 3-minute file and a 10 MB chords body
    run (goal: p99 <= 50 ms);
  * the server's resident memory before and after a 537 kB FLAC that holds 30 minutes of 5.1
    silence, and after the largest analysis of the run (goal: growth <= 300 MB for one request);
  * what a DAWG-CORE that answers "not implemented" does to send_to_core (goal: delivered false).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_server import engine_env, free_port, start_engine, wait_ready  # noqa: E402
from service_startup import three_minute_song  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
UPLOADS = (
    ("/api/v1/analyze/audio", "file"),
    ("/api/v1/mixing/suggest", "files"),
    ("/api/v1/mixing/auto_level", "files"),
    ("/api/v1/mixing/render", "files"),
)


def _write(y: np.ndarray, sr: int, fmt: str = "WAV", subtype: str | None = None) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format=fmt, **({"subtype": subtype} if subtype else {}))
    return buffer.getvalue()


def malformed_audio() -> dict[str, bytes]:
    """Named malformed or awkward files (see the module doc)."""
    sr = 44_100
    t = np.arange(sr * 2) / sr
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    wav, mp3, flac, ogg = (_write(tone, sr, f) for f in ("WAV", "MP3", "FLAC", "OGG"))
    files: dict[str, bytes] = {"empty.wav": b"", "text.wav": b"these are my notes, not audio\n" * 40}
    for name, data in (("wav", wav), ("mp3", mp3), ("flac", flac), ("ogg", ogg)):
        for cut in (0.01, 0.1, 0.5, 0.9):
            files[f"cut{int(cut * 100)}.{name}"] = data[: max(1, int(len(data) * cut))]
    files["header_only.wav"] = wav[:44]
    lying = bytearray(wav)
    lying[40:44] = (10**9).to_bytes(4, "little")  # a data chunk of a gigabyte that is not there
    files["lying_size.wav"] = bytes(lying)
    garbled = bytearray(wav)
    garbled[20:36] = b"\xff" * 16  # the fmt chunk: format, channels, rate, block align all nonsense
    files["garbled_fmt.wav"] = bytes(garbled)
    zero_channels = bytearray(wav)
    zero_channels[22:24] = (0).to_bytes(2, "little")
    files["zero_channels.wav"] = bytes(zero_channels)
    files["rate_8hz.wav"] = _write(np.zeros(64, np.float32), 8)
    files["rate_3hz.wav"] = _write(np.zeros(16, np.float32), 3)
    files["rate_1khz.wav"] = _write(np.zeros(1000, np.float32), 1000)
    nan = tone.copy()
    nan[100] = np.nan
    files["nan.wav"] = _write(nan, sr, subtype="FLOAT")
    inf = tone.copy()
    inf[100] = np.inf
    files["inf.wav"] = _write(inf, sr, subtype="FLOAT")
    files["loud_float.wav"] = _write(tone * 40, sr, subtype="FLOAT")
    files["pcm_u8.wav"] = _write(tone, sr, subtype="PCM_U8")
    files["pcm_24.wav"] = _write(tone, sr, subtype="PCM_24")
    files["one_sample.wav"] = _write(np.zeros(1, np.float32), sr)
    files["two_ms.wav"] = _write(tone[:88], sr)
    files["silence.wav"] = _write(np.zeros(sr * 3, np.float32), sr)
    files["dc.wav"] = _write(np.full(sr * 2, 0.5, np.float32), sr)
    files["surround.wav"] = _write(np.tile(tone[:, None], (1, 6)), sr)
    files["rate_384k.wav"] = _write(np.zeros(384_000, np.float32), 384_000)
    files["midi_as_audio.wav"] = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x04\x00\xff/\x00"
    files["riff_only.wav"] = b"RIFF\x00\x00\x00\x00WAVE"
    files["random.bin"] = np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    files["random_riff.wav"] = b"RIFF" + np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    files["id3_only.mp3"] = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 100
    files["flac_magic.flac"] = b"fLaC" + b"\x00" * 64
    files["ogg_magic.ogg"] = b"OggS" + b"\x00" * 64
    files["aiff.aiff"] = _write(tone, sr, "AIFF")
    files["cut50.aiff"] = files["aiff.aiff"][: len(files["aiff.aiff"]) // 2]
    return files


def malformed_midi() -> dict[str, bytes]:
    good = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x0c\x00\x90<d\x83`\x80<\x00\x00\xff/\x00"
    return {
        "empty.mid": b"",
        "text.mid": b"not a midi file" * 20,
        "header_only.mid": good[:14],
        "cut_track.mid": good[:26],
        "huge_track_length.mid": good[:18] + b"\x7f\xff\xff\xff" + good[22:],
        "zero_ppq.mid": good[:12] + b"\x00\x00" + good[14:],
        "no_notes.mid": b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x04\x00\xff/\x00",
        "wav_as_midi.mid": _write(np.zeros(100, np.float32), 44_100),
    }


class _NotImplementedCore(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = b'{"status": "not implemented"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def long_surround_flac(path: Path, seconds: int = 1790, channels: int = 6, sr: int = 44_100) -> None:
    with sf.SoundFile(path, "w", samplerate=sr, channels=channels, format="FLAC", subtype="PCM_16") as out:
        block = np.zeros((sr * 10, channels), dtype=np.int16)
        for _ in range(seconds // 10):
            out.write(block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    port = args.port or free_port()
    core = HTTPServer(("127.0.0.1", 0), _NotImplementedCore)
    threading.Thread(target=core.serve_forever, daemon=True).start()
    tmp = Path(tempfile.mkdtemp())
    proc = start_engine(engine_env(port, tmp, core_url=f"http://127.0.0.1:{core.server_address[1]}"))
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=300) as client:
            wait_ready(client)

            statuses: Counter[int] = Counter()
            errors = []
            corpus = malformed_audio()
            for path, field in UPLOADS:
                for name, data in corpus.items():
                    answer = client.post(path, files={field: (name, data, "application/octet-stream")})
                    statuses[answer.status_code] += 1
                    if answer.status_code >= 500:
                        errors.append(f"{path} {name}: {answer.status_code} {answer.text[:120]}")
            for name, data in malformed_midi().items():
                answer = client.post("/api/v1/generate/midi", files={"primer": (name, data, "audio/midi")})
                statuses[answer.status_code] += 1
                if answer.status_code >= 500:
                    errors.append(f"generate/midi primer {name}: {answer.status_code} {answer.text[:120]}")
            total = sum(statuses.values())
            print(
                f"malformed corpus: {len(corpus)} audio files x {len(UPLOADS)} upload endpoints + "
                f"{len(malformed_midi())} MIDI primers = {total} requests; answers "
                + ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
            )
            print(f"5xx answers: {len(errors)}" + "".join(f"\n  {e}" for e in errors))

            before = rss_mb(proc.pid)
            flac = tmp / "long_surround.flac"
            long_surround_flac(flac)
            answer = client.post(
                "/api/v1/analyze/audio", files={"file": ("long.flac", flac.read_bytes(), "audio/flac")}
            )
            after = rss_mb(proc.pid)
            print(
                f"537 kB-class FLAC ({flac.stat().st_size / 1e3:.0f} kB, 30 min of 5.1 silence) on analyze: "
                f"{answer.status_code}; RSS {before:.0f} -> {after:.0f} MB"
            )

            song = three_minute_song()
            chords = {"chords": "C " * 5_000_000}  # 10 MB
            latencies: list[float] = []
            rss_peak = [rss_mb(proc.pid)]

            def load() -> None:
                with httpx.Client(base_url=base, timeout=300) as other:
                    other.post("/api/v1/analyze/audio", files={"file": ("song.wav", song, "audio/wav")})

            def chords_body() -> None:
                with httpx.Client(base_url=base, timeout=300) as other:
                    answer = other.post("/api/v1/generate/midi", json=chords)
                    print(f"10 MB chords body: {answer.status_code} {answer.text[:100]}")

            workers = [threading.Thread(target=load) for _ in range(4)] + [threading.Thread(target=chords_body)]
            rss_start = rss_mb(proc.pid)
            for w in workers:
                w.start()
            while any(w.is_alive() for w in workers):
                t0 = time.perf_counter()
                client.get("/health")
                latencies.append(time.perf_counter() - t0)
                rss_peak.append(rss_mb(proc.pid))
                time.sleep(0.02)
            for w in workers:
                w.join()
            ms = sorted(1000 * x for x in latencies)
            p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
            print(
                f"/health while 4 analyses of a 3-minute file and a 10 MB chords body run: median "
                f"{statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms over {len(ms)} calls"
            )
            print(f"RSS during that load: {rss_start:.0f} -> peak {max(rss_peak):.0f} MB (4 analyses at once)")

            sent = client.post("/api/v1/generate/midi", json={"bars": 1, "send_to_core": True}).json()
            print(
                f'send_to_core against a core answering {{"status": "not implemented"}}: delivered '
                f"{sent['delivered']} ({sent['delivery_reason']})"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        core.shutdown()


if __name__ == "__main__":
    main()
