"""Audio previews of generated MIDI: FluidSynth through a General MIDI soundfont.

A clip is heard in the browser page and by callers who ask for ``preview=wav|flac`` as the
engine's own rendering, so what they hear does not depend on the player's instruments. The
FluidSynth program (Debian's ``fluidsynth``, installed by scripts/setup.sh) renders each MIDI file
faster than real time; nothing is downloaded and no soundfont is fetched at run time.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

from utils.errors import RendererUnavailable

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
RENDER_TIMEOUT_S = 300  # FluidSynth renders a 3-minute part in about 1 s here
PREVIEW_SAMPLE_RATE = 44100
CLIP_PEAK = 0.89  # -1 dBFS: a clip preview is normalised to this peak, never clipped


def render_midi(midis: Sequence[bytes], sample_rate: int, soundfont: Path = SOUNDFONT) -> np.ndarray:
    """np.ndarray [shape=(2, n), float32]: the sum of ``midis`` rendered by the FluidSynth CLI (with its
    reverb), one process per file at once: the synthesis is the preview's slow step, and the parts
    (drums; bass and pad) render on separate cores."""
    if not soundfont.is_file():
        raise RendererUnavailable(f"the preview's soundfont {soundfont} is missing (scripts/setup.sh installs it)")
    with tempfile.TemporaryDirectory(prefix="dawg_preview_") as tmp:
        running = []
        try:
            for i, midi in enumerate(midis):
                mid_path, wav_path = Path(tmp) / f"part{i}.mid", Path(tmp) / f"part{i}.wav"
                mid_path.write_bytes(midi)
                command = ["fluidsynth", "-ni", "-g", "0.4", "-r", str(sample_rate), "-O", "float", "-T", "wav",
                           "-F", str(wav_path), str(soundfont), str(mid_path)]  # fmt: skip
                process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                running.append((process, wav_path))
            rendered = []
            for process, wav_path in running:
                _, err = process.communicate(timeout=RENDER_TIMEOUT_S)
                if process.returncode:
                    tail = err.decode(errors="replace")[-300:]
                    raise RendererUnavailable(f"fluidsynth failed rendering the preview ({process.returncode}): {tail}")
                data, _ = sf.read(wav_path, dtype="float32", always_2d=True)
                rendered.append(data.T)
        except FileNotFoundError as exc:
            raise RendererUnavailable(
                "the preview needs the fluidsynth program (scripts/setup.sh installs it)"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise RendererUnavailable(f"fluidsynth did not finish the preview within {RENDER_TIMEOUT_S} s") from exc
        finally:
            for process, _ in running:
                if process.poll() is None:
                    process.kill()
                    process.wait()
    out = np.zeros((2, max(r.shape[1] for r in rendered)), dtype=np.float32)
    for r in rendered:
        out[:, : r.shape[1]] += r[:2] if r.shape[0] >= 2 else np.vstack([r, r])
    return out


def clip_preview(midi: bytes, fmt: str) -> bytes:
    """A generated clip (a .mid file's bytes) as a 16-bit WAV or FLAC file at 44.1 kHz, its peak at
    -1 dBFS (a quiet part is brought up to be heard; nothing clips)."""
    from ai.mixing.render import encode_audio  # the mixing stack only when a preview is asked for

    audio = render_midi([midi], PREVIEW_SAMPLE_RATE)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0.0:
        audio *= np.float32(CLIP_PEAK / peak)
    return encode_audio(audio, PREVIEW_SAMPLE_RATE, fmt=fmt, bit_depth=16)


__all__ = ["RENDER_TIMEOUT_S", "SOUNDFONT", "clip_preview", "render_midi"]
