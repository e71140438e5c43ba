"""Audio previews of generated MIDI: FluidSynth through a General MIDI soundfont.

A clip is heard in the browser page and by callers who ask for ``preview=wav|flac`` as the
engine's own rendering, so what they hear does not depend on the player's instruments. The
FluidSynth program (Debian's ``fluidsynth``, installed by scripts/setup.sh) renders each MIDI file
faster than real time; nothing is downloaded and no soundfont is fetched at run time.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from ai.audio.downmix import SURROUND_CHANNELS, downmix_5_1
from ai.audio.encode import encode_audio
from utils.errors import RendererUnavailable
from utils.scratch import scratch_space

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
RENDER_TIMEOUT_S = 300  # FluidSynth renders a 3-minute part in about 1 s here
PREVIEW_SAMPLE_RATE = 44100
CLIP_PEAK = 0.89  # -1 dBFS: a clip preview is normalised to this peak, never clipped
FLUIDSYNTH_RATES = (8000, 96000)
"""FluidSynth's synth.sample-rate range (2.x): it refuses any other rate, so a part for a recording at
192 kHz (or 4-8 kHz, which decoding accepts) is rendered at the nearest of these and resampled."""
RESAMPLE_BLOCK = 1 << 16  # frames per block when a rendered part is resampled: a long part is never whole
FLUIDSYNTH_LATENCY_FRAMES = 96
"""FluidSynth sounds a note about 1.5 of its 64-frame blocks after the MIDI event (isolated bass notes, FluidSynth
2.3: 2.1 ms on average at 44.1 kHz, 4.3 ms at 22.05 kHz): a part rendered at another rate is moved by the
difference when it is resampled, so its notes sound when a render at the target rate would sound them."""


def render_midi(
    midis: Sequence[bytes],
    sample_rate: int,
    soundfont: Path = SOUNDFONT,
    *,
    max_rates: Sequence[int | None] | None = None,
) -> np.ndarray:
    """np.ndarray [shape=(2, n), float32] at ``sample_rate``: the sum of ``midis`` rendered by the FluidSynth
    CLI (with its reverb), one process per file at once: the synthesis is the preview's slow step, and the
    parts (drums; bass and pad) render on separate cores. ``max_rates``: for each of ``midis``, the highest
    rate worth rendering it at (None: ``sample_rate``), see :func:`rendered_parts`."""
    with rendered_parts(midis, sample_rate, soundfont, max_rates=max_rates) as paths:
        rendered = [sf.read(path, dtype="float32", always_2d=True)[0].T for path in paths]
    out = np.zeros((2, max(r.shape[1] for r in rendered)), dtype=np.float32)
    for r in rendered:
        out[:, : r.shape[1]] += stereo(r)
    return out


def stereo(part: np.ndarray) -> np.ndarray:
    """A rendered part or a recording [shape=(channels, m)] as two channels: a 5.1 one downmixed (ITU-R BS.775,
    :mod:`ai.audio.downmix`; its first two channels dropped the centre, where a lead sits), else its first two, or
    mono twice."""
    if part.shape[0] == SURROUND_CHANNELS:
        return downmix_5_1(part)
    return part[:2] if part.shape[0] >= 2 else np.vstack([part, part])


@contextlib.contextmanager
def rendered_parts(
    midis: Sequence[bytes],
    sample_rate: int,
    soundfont: Path = SOUNDFONT,
    directory: Path | None = None,
    *,
    max_rates: Sequence[int | None] | None = None,
) -> Iterator[list[Path]]:
    """The float WAV files FluidSynth renders of ``midis`` (one process per file at once) at ``sample_rate``, in
    a temporary folder (in ``directory``) that is deleted when the block ends: a long preview is read from them a
    block at a time. ``max_rates``: for each of ``midis``, the highest rate worth rendering it at (None: no
    limit): a part with nothing above half that rate is rendered there, where FluidSynth does less work, and
    resampled. Raises RendererUnavailable without the program or the soundfont, or when a render fails."""
    limits: list[int | None] = [None] * len(midis) if max_rates is None else list(max_rates)
    if len(limits) != len(midis):
        raise ValueError(f"max_rates holds {len(limits)} rates for {len(midis)} MIDI files")
    if not soundfont.is_file():
        raise RendererUnavailable(f"the preview's soundfont {soundfont} is missing (scripts/setup.sh installs it)")
    with scratch_space(directory):  # TemporaryDirectory makes its folder here, not on entering
        folder = tempfile.TemporaryDirectory(prefix="dawg_preview_", dir=directory)
    with folder as tmp:
        yield _render_files(midis, sample_rate, soundfont, Path(tmp), limits)


def render_rate(sample_rate: int, max_rate: int | None = None) -> int:
    """The rate FluidSynth renders a part at for ``sample_rate``: that rate, or ``max_rate`` when lower, within
    the range FluidSynth takes."""
    rate = sample_rate if max_rate is None else min(sample_rate, max_rate)
    return min(max(rate, FLUIDSYNTH_RATES[0]), FLUIDSYNTH_RATES[1])


def _render_files(
    midis: Sequence[bytes], sample_rate: int, soundfont: Path, folder: Path, max_rates: Sequence[int | None]
) -> list[Path]:
    """Each of ``midis`` rendered into ``folder`` by its own FluidSynth process, all at once, and resampled to
    ``sample_rate`` where it was rendered at another rate; the WAVs' paths."""
    running = []
    rates = [render_rate(sample_rate, limit) for limit in max_rates]
    try:
        for i, (midi, rate) in enumerate(zip(midis, rates, strict=True)):
            mid_path, wav_path = folder / f"part{i}.mid", folder / f"part{i}.wav"
            mid_path.write_bytes(midi)
            command = ["fluidsynth", "-ni", "-g", "0.4", "-r", str(rate), "-O", "float", "-T", "wav",
                       "-F", str(wav_path), str(soundfont), str(mid_path)]  # fmt: skip
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            running.append((process, wav_path))
        for process, _ in running:
            _, err = process.communicate(timeout=RENDER_TIMEOUT_S)
            if process.returncode:
                tail = err.decode(errors="replace")[-300:]
                raise RendererUnavailable(f"fluidsynth failed rendering the preview ({process.returncode}): {tail}")
    except FileNotFoundError as exc:
        raise RendererUnavailable("the preview needs the fluidsynth program (scripts/setup.sh installs it)") from exc
    except subprocess.TimeoutExpired as exc:
        raise RendererUnavailable(f"fluidsynth did not finish the preview within {RENDER_TIMEOUT_S} s") from exc
    finally:
        for process, _ in running:
            if process.poll() is None:
                process.kill()
                process.wait()
    paths = [wav_path for _, wav_path in running]
    for path, rate in zip(paths, rates, strict=True):
        if rate != sample_rate:
            _resample_file(path, rate, sample_rate)
    return paths


def latency_shift(from_rate: int, to_rate: int) -> int:
    """Frames at ``to_rate`` that a part rendered at the lower ``from_rate`` is moved earlier to sound as a render
    at ``to_rate`` (FluidSynth's latency is a number of frames at either rate). One rendered above the target (a
    recording under FluidSynth's 8 kHz) is not moved later: it keeps the shorter latency, as all its parts do."""
    return max(0, round(FLUIDSYNTH_LATENCY_FRAMES * to_rate / from_rate) - FLUIDSYNTH_LATENCY_FRAMES)


def _resample_file(path: Path, from_rate: int, to_rate: int) -> None:
    """Rewrite the float WAV at ``path`` at ``to_rate`` (soxr), block by block, moved by :func:`latency_shift`."""
    resampled = path.with_name(f"{path.stem}_{to_rate}.wav")
    skip = latency_shift(from_rate, to_rate)
    with sf.SoundFile(path) as source:
        stream = soxr.ResampleStream(from_rate, to_rate, source.channels, dtype="float32", quality="HQ")

        def chunks() -> Iterator[np.ndarray]:
            for block in source.blocks(RESAMPLE_BLOCK, dtype="float32", always_2d=True):
                yield stream.resample_chunk(block)
            yield stream.resample_chunk(np.zeros((0, source.channels), dtype=np.float32), last=True)

        with sf.SoundFile(resampled, "w", to_rate, source.channels, subtype="FLOAT", format="WAV") as out:
            for chunk in chunks():
                dropped = min(skip, chunk.shape[0])  # the extra latency's frames go
                skip -= dropped
                out.write(chunk[dropped:])
    os.replace(resampled, path)


def clip_preview(midi: bytes, fmt: str) -> bytes:
    """A generated clip (a .mid file's bytes) as a 16-bit WAV or FLAC file at 44.1 kHz, its peak at
    -1 dBFS (a quiet part is brought up to be heard; nothing clips)."""

    audio = render_midi([midi], PREVIEW_SAMPLE_RATE)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0.0:
        audio *= np.float32(CLIP_PEAK / peak)
    return encode_audio(audio, PREVIEW_SAMPLE_RATE, fmt=fmt, bit_depth=16)


__all__ = [
    "RENDER_TIMEOUT_S",
    "SOUNDFONT",
    "clip_preview",
    "latency_shift",
    "render_midi",
    "render_rate",
    "rendered_parts",
    "stereo",
]
