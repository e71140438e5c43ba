"""Drum kits synthesized with random parameters, as sample kits for the drum transcription corpus.

Only a few electronic kits exist among the training sounds (FluidR3_GM's one Electronic and one TR-808
set), so the network learnt those kits, not what makes a kick a kick: it heard a 909-like kick as a
tom. Each kit here is drawn from a seed: every piece is a recipe of the drum machines' kind with its
parameters drawn at random, so thousands of kits teach the shapes the classes share:

* kick: a sine whose pitch falls exponentially (80-250 Hz to 35-60 Hz), 0.1-0.8 s, a click, saturation;
* toms: the same thump pitched at 80-250 Hz (six toms rising), with less drop and a longer ring;
* snare: a 150-250 Hz tone and band-passed noise with their own decays (a quarter of the kits layer a clap);
* hats: six square partials (the TR-808's ratios, jittered) and/or high-passed noise; closed 30-80 ms,
  pedal 30-60 ms, open 200-600 ms, from one source per kit;
* crash, china, splash and ride: long bright metallic noise, the ride with a ping and a bell;
* distractors that are no class: clap, rim click, cowbell, congas, bongos, agogos, guiros, and the
  hat-like ones with 0-3 ms attacks: shakers/maracas/cabasa (noise across 2-12 kHz, short or long),
  claves and wood blocks (a noisy click on a resonant body), triangles (inharmonic partials) and
  tambourine jingles, so that the network also learns what a kick, a snare or a hat is not.

:func:`synth_kit` writes a kit's samples (three velocity layers per piece, the softer ones darker) as
WAV files and returns it as a :class:`training.drumkit_samples.Kit`, which
:func:`training.drumkit_samples.render_kit` plays like a Hydrogen kit. Training data only: nothing
here runs in the service, and every sound is made here (no samples of anyone's).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from training.drumkit_samples import Instrument, Kit, Layer

SYNTH_KIT = "synth:"
"""Prefix of a synthesized kit among the drum sounds: "synth:1234" is the kit of seed 1234."""
SR = 22050
MAX_S = 2.5
"""The longest sample (a crash's ring is cut here)."""
VELOCITY_LAYERS = ((0.0, 0.45, 0.5), (0.45, 0.75, 0.75), (0.75, 1.0, 1.0))
"""(lowest velocity, highest velocity, brightness) of each layer: softer hits are darker and duller."""
TR808_HAT_RATIOS = (1.0, 1.4827, 1.8003, 2.5461, 2.6303, 3.8967)
"""The TR-808 cymbal's six square oscillators (205.3, 304.4, 369.6, 522.7, 540, 800 Hz) over the lowest."""

Voice = Callable[[float, np.random.Generator], np.ndarray]
"""A piece's recipe with its kit's parameters drawn: (brightness 0.5-1, noise generator) -> samples at SR."""


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(min(seconds, MAX_S) * SR)) / SR


def decay(seconds: float, length: float | None = None) -> np.ndarray:
    """An exponential envelope reaching -60 dB after ``seconds`` (over ``length`` s, default the decay)."""
    return np.exp(-6.9 * _t(seconds if length is None else length) / seconds)


def sweep(f_start: float, f_end: float, tau: float, seconds: float) -> np.ndarray:
    """A sine whose frequency falls from ``f_start`` to ``f_end`` with time constant ``tau``."""
    f = f_end + (f_start - f_end) * np.exp(-_t(seconds) / tau)
    return np.sin(2.0 * np.pi * np.cumsum(f) / SR)


def _filter(y: np.ndarray, kind: str, cutoff: float | tuple[float, float], order: int = 2) -> np.ndarray:
    nyquist = SR / 2.0 * 0.95
    edges = np.clip(np.atleast_1d(np.asarray(cutoff, dtype=np.float64)), 20.0, nyquist)
    if kind == "bandpass" and edges[1] <= edges[0] * 1.05:
        edges[0] = edges[1] / 1.05
    sos = signal.butter(order, edges if kind == "bandpass" else edges[0], btype=kind, fs=SR, output="sos")
    return np.asarray(signal.sosfilt(sos, y))


def saturate(y: np.ndarray, drive: float) -> np.ndarray:
    """tanh saturation (drive 1: nearly clean), peak kept at 1 for a peak of 1."""
    return np.asarray(np.tanh(drive * y) / np.tanh(drive))


def squares(freqs: np.ndarray, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Sum of square waves at ``freqs`` with random phases (the analogue machines' metallic source)."""
    t = _t(seconds)
    phases = rng.uniform(0.0, 2.0 * np.pi, len(freqs))
    return np.asarray(
        np.sum([np.sign(np.sin(2.0 * np.pi * f * t + p)) for f, p in zip(freqs, phases, strict=True)], axis=0)
    )


def _u(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high))


def _log_u(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _noise(rng: np.random.Generator, seconds: float) -> np.ndarray:
    return rng.standard_normal(_t(seconds).size)


def kick_voice(p: np.random.Generator) -> Voice:
    """A sine with an exponential pitch drop, a click and saturation."""
    f_start, f_end = _u(p, 80, 250), _u(p, 35, 60)
    tau, seconds = _u(p, 0.008, 0.04), _u(p, 0.1, 0.8)
    click, click_hp, click_s = _u(p, 0.0, 0.6) * float(p.random() < 0.8), _u(p, 1000, 5000), _u(p, 0.002, 0.01)
    drive = _log_u(p, 1.0, 6.0)

    def play(bright: float, rng: np.random.Generator) -> np.ndarray:
        y = sweep(f_start * (0.9 + 0.1 * bright), f_end, tau, seconds) * decay(seconds)
        burst = _filter(_noise(rng, click_s), "highpass", click_hp) * decay(click_s)
        y[: burst.size] += click * bright * burst / max(float(np.max(np.abs(burst))), 1e-9)
        return saturate(y, 1.0 + (drive - 1.0) * bright)

    return play


def tom_voices(p: np.random.Generator) -> dict[int, Voice]:
    """Six toms (GM 41, 43, 45, 47, 48, 50) rising from a low tom at 80-130 Hz to 150-250 Hz: a pitched
    thump with less pitch drop than the kick, a longer ring and some skin noise."""
    low, high = _u(p, 80, 130), _u(p, 150, 250)
    drop, tau, seconds = _u(p, 1.05, 1.6), _u(p, 0.02, 0.1), _u(p, 0.25, 0.8)
    noise, drive = _u(p, 0.0, 0.3), _log_u(p, 1.0, 3.0)

    def tom(f: float) -> Voice:
        def play(bright: float, rng: np.random.Generator) -> np.ndarray:
            y = sweep(f * (1.0 + (drop - 1.0) * bright), f, tau, seconds) * decay(seconds)
            skin = _filter(_noise(rng, 0.05), "bandpass", (f * 2, f * 12)) * decay(0.05)
            y[: skin.size] += noise * bright * skin / max(float(np.max(np.abs(skin))), 1e-9)
            return saturate(y, drive)

        return play

    pitches = np.geomspace(low, high, 6)
    return {note: tom(float(f)) for note, f in zip((41, 43, 45, 47, 48, 50), pitches, strict=True)}


def clap_bursts(p: np.random.Generator) -> Voice:
    """3-4 band-passed noise bursts 8-15 ms apart and a tail."""
    count, gap = int(p.integers(3, 5)), _u(p, 0.008, 0.015)
    centre, width = _u(p, 800, 2500), _u(p, 1.5, 3.0)
    burst_s, tail_s, tail = _u(p, 0.005, 0.012), _u(p, 0.1, 0.4), _u(p, 0.3, 0.8)

    def play(bright: float, rng: np.random.Generator) -> np.ndarray:
        env = np.zeros(_t(count * gap + tail_s).size)
        for i in range(count):
            a = int((i * gap + rng.uniform(-0.002, 0.002) * (i > 0)) * SR)
            piece = decay(burst_s) if i < count - 1 else tail * decay(tail_s) + (1 - tail) * decay(burst_s, tail_s)
            env[a : a + piece.size] += piece[: env.size - a]
        band = (centre / width, centre * width * (0.7 + 0.3 * bright))
        return _filter(rng.standard_normal(env.size), "bandpass", band) * env

    return play


def snare_voice(p: np.random.Generator, clap: Voice | None) -> Voice:
    """A 150-250 Hz tone (and an overtone) under band-passed noise, each with its own decay; ``clap``
    layered on when given (electronic snares often are)."""
    f, drop, overtone, level2 = _u(p, 150, 250), _u(p, 1.0, 1.3), _u(p, 1.45, 1.75), _u(p, 0.2, 0.7)
    tone_s, noise_s, noise = _u(p, 0.05, 0.2), _u(p, 0.1, 0.35), _log_u(p, 0.5, 3.0)
    centre, width = _u(p, 1500, 6000), _u(p, 1.5, 4.0)
    highpass = p.random() < 0.3
    drive, clap_level = _log_u(p, 1.0, 4.0), _u(p, 0.4, 1.0)

    def play(bright: float, rng: np.random.Generator) -> np.ndarray:
        body = sweep(f * drop, f, 0.015, noise_s) + level2 * sweep(f * drop * overtone, f * overtone, 0.015, noise_s)
        body *= np.pad(decay(tone_s), (0, max(0, _t(noise_s).size - _t(tone_s).size)))[: _t(noise_s).size]
        top = centre * width * (0.6 + 0.4 * bright)
        n = _noise(rng, noise_s)
        n = _filter(n, "highpass", centre / width) if highpass else _filter(n, "bandpass", (centre / width, top))
        n = n / max(float(np.max(np.abs(n))), 1e-9) * decay(noise_s)
        y = body / (1.0 + level2) + noise * n
        if clap is not None:
            c = clap(bright, rng)
            c = clap_level * noise * c / max(float(np.max(np.abs(c))), 1e-9)
            y = np.pad(y, (0, max(0, c.size - y.size)))
            y[: c.size] += c
        return saturate(y / max(float(np.max(np.abs(y))), 1e-9), drive)

    return play


def metal(p: np.random.Generator, base: tuple[float, float], cutoff: tuple[float, float], seconds: float) -> Voice:
    """A metallic hit: six square partials (the TR-808's ratios, jittered) and/or noise, high-passed, with
    an exponential decay of ``seconds`` (a hat, a cymbal)."""
    freqs = _u(p, *base) * np.asarray(TR808_HAT_RATIOS) * p.uniform(0.93, 1.07, len(TR808_HAT_RATIOS))
    hp, mix = _u(p, *cutoff), float(p.random())
    band = p.random() < 0.5

    def play(bright: float, rng: np.random.Generator) -> np.ndarray:
        source = mix * squares(freqs, seconds, rng) / 3.0 + (1.0 - mix) * _noise(rng, seconds)
        y = _filter(source, "bandpass", (hp, hp * 1.6)) if band else _filter(source, "highpass", hp, order=4)
        if bright < 1.0:
            y = _filter(y, "lowpass", hp * (1.2 + 3.0 * bright))
        return np.asarray(y * decay(seconds))

    return play


def hat_voices(p: np.random.Generator) -> dict[int, Voice]:
    """Closed (30-80 ms), pedal (30-60 ms) and open (200-600 ms) hats from one metallic source."""
    state = p.bit_generator.state
    voices = {}
    for note, seconds in ((42, _u(p, 0.03, 0.08)), (44, _u(p, 0.03, 0.06)), (46, _u(p, 0.2, 0.6))):
        after = p.bit_generator.state
        p.bit_generator.state = state  # the same cymbals, closed or open
        voices[note] = metal(p, (150, 450), (5000, 9000), seconds)
        p.bit_generator.state = after
    return voices


def cymbal_voices(p: np.random.Generator) -> dict[int, Voice]:
    """Crashes (49, 57), china (52), splash (55): long bright metallic noise; ride (51) with a ping and
    its bell (53)."""
    voices = {
        49: metal(p, (250, 600), (2500, 6000), _u(p, 1.2, 2.5)),
        57: metal(p, (250, 600), (2500, 6000), _u(p, 1.2, 2.5)),
        52: metal(p, (300, 700), (1500, 4000), _u(p, 0.8, 1.8)),
        55: metal(p, (400, 800), (4000, 7000), _u(p, 0.4, 1.0)),
    }
    wash = metal(p, (300, 700), (2500, 5000), _u(p, 0.8, 2.0))
    bell_f, bell_s, ping = _u(p, 600, 1400), _u(p, 0.5, 1.5), _u(p, 0.2, 0.8)

    def ride(bell: float) -> Voice:
        def play(bright: float, rng: np.random.Generator) -> np.ndarray:
            y = wash(bright, rng)
            y = y / max(float(np.max(np.abs(y))), 1e-9)
            tone = np.sum([np.sin(2 * np.pi * bell_f * r * _t(bell_s)) / r for r in (1.0, 2.1, 2.9, 4.1)], axis=0)
            y = np.pad(y, (0, max(0, tone.size - y.size)))
            y[: tone.size] += (ping + bell) * bright * tone * decay(bell_s) / 2.0
            return y

        return play

    voices[51], voices[53] = ride(0.0), ride(1.5)
    return voices


def tone_voice(p: np.random.Generator, freq: tuple[float, float], seconds: tuple[float, float], drop: float) -> Voice:
    """A short pitched hit (congas, bongos, a rim click): a sine with a little pitch drop."""
    f, s = _u(p, *freq), _u(p, *seconds)
    return lambda bright, rng: sweep(f * (1.0 + drop * bright), f, 0.01, s) * decay(s)


SHAKER_BAND_HZ = (2000.0, 12000.0)
"""Where a shaker's noise lies: across the hats' own band, so that brightness alone cannot tell them."""
SHARP_ATTACK_S = 0.003
"""The longest attack of the hat-like distractors: real maracas and claves start as fast as a hat."""


def _attack(seconds: float, attack: float, length: float) -> np.ndarray:
    """A linear rise over ``attack`` s, then an exponential decay reaching -60 dB after ``seconds``."""
    t = _t(length)
    rise = np.minimum(t / attack, 1.0) if attack > 0 else np.ones(t.size)
    return np.asarray(rise * np.exp(-6.9 * np.maximum(t - attack, 0.0) / seconds))


def shaker_voice(p: np.random.Generator) -> Voice:
    """A shaker, maracas or cabasa: noise band-passed somewhere across 2-12 kHz, a 0-3 ms attack, short
    (15-60 ms) or long (80-300 ms), some with grains (beads hitting the shell) riding on the envelope."""
    low = _log_u(p, SHAKER_BAND_HZ[0], 6000.0)
    high = min(low * _u(p, 1.5, 4.0), SHAKER_BAND_HZ[1])
    attack = _u(p, 0.0, SHARP_ATTACK_S)
    seconds = _u(p, 0.015, 0.06) if p.random() < 0.5 else _u(p, 0.08, 0.3)
    grains, grain_rate = _u(p, 0.0, 0.8) * float(p.random() < 0.5), _u(p, 150.0, 600.0)

    def play(bright: float, rng: np.random.Generator) -> np.ndarray:
        env = _attack(seconds, attack, seconds)
        if grains > 0:
            clicks = (rng.random(env.size) < grain_rate / SR).astype(np.float64)
            clicks[0] = 1.0  # every bead hits the shell as the shake starts
            env = env * (1.0 - grains + grains * np.minimum(np.convolve(clicks, decay(0.004))[: env.size] * 3.0, 1.0))
        band = (low * (0.8 + 0.2 * bright), high * (0.7 + 0.3 * bright))
        return np.asarray(_filter(rng.standard_normal(env.size), "bandpass", band) * env)

    return play


def block_voice(p: np.random.Generator, freq: tuple[float, float]) -> Voice:
    """Claves or a wood block: a noisy click (band-passed 1-8 kHz, 1-6 ms) over a resonant body of two
    or three inharmonic modes (20-100 ms)."""
    f = _u(p, *freq)
    modes = [(f, 1.0), (f * _u(p, 2.3, 3.1), _u(p, 0.1, 0.5)), (f * _u(p, 3.8, 5.5), _u(p, 0.0, 0.3))]
    body_s, click_s, click = _u(p, 0.02, 0.1), _u(p, 0.001, 0.006), _log_u(p, 0.5, 2.0)
    click_band = (_u(p, 1000, 3000), _u(p, 4000, 8000))

    def play(bright: float, rng: np.random.Generator) -> np.ndarray:
        t = _t(body_s)
        body = np.sum(
            [
                level * np.sin(2 * np.pi * fm * t) * decay(body_s / (1 + k), body_s)
                for k, (fm, level) in enumerate(modes)
            ],
            axis=0,
        )
        noise = _filter(_noise(rng, body_s), "bandpass", click_band) * _attack(click_s, 0.0, body_s)
        noise = noise / max(float(np.max(np.abs(noise))), 1e-9)
        return np.asarray(body / max(float(np.max(np.abs(body))), 1e-9) + click * bright * noise)

    return play


def bell_voice(p: np.random.Generator, freq: tuple[float, float], seconds: tuple[float, float]) -> Voice:
    """A triangle, agogo or small bell: five inharmonic partials with their own decays and a strike's
    high-passed noise click, the attack sharp."""
    f, s = _u(p, *freq), _u(p, *seconds)
    ratios = np.concatenate([[1.0], np.sort(p.uniform(1.8, 6.5, 4))])
    levels = np.concatenate([[1.0], p.uniform(0.2, 0.9, 4)])
    strike = _u(p, 0.0, 0.5)

    def play(bright: float, rng: np.random.Generator) -> np.ndarray:
        t = _t(s)
        y = np.sum(
            [
                lv * bright**k * np.sin(2 * np.pi * f * r * t) * decay(s / (1 + 0.5 * k), s)
                for k, (r, lv) in enumerate(zip(ratios, levels, strict=True))
            ],
            axis=0,
        )
        click = _filter(_noise(rng, 0.01), "highpass", 4000.0) * decay(0.01)
        y[: click.size] += strike * click
        return np.asarray(y)

    return play


def tambourine_voice(p: np.random.Generator) -> Voice:
    """Jingles: 1-4 metallic bursts (inharmonic partials at 4-10 kHz over high-passed noise) a few ms
    apart, each with a sharp attack, and a 50-300 ms shimmer."""
    count, gap = int(p.integers(1, 5)), _u(p, 0.003, 0.015)
    partials = p.uniform(4000.0, 10000.0, 6)
    seconds, tone, hp = _u(p, 0.05, 0.3), _u(p, 0.2, 0.8), _u(p, 3000, 7000)

    def play(bright: float, rng: np.random.Generator) -> np.ndarray:
        n = _t(count * gap + seconds).size
        out = np.zeros(n)
        t = _t(seconds)
        for i in range(count):
            a = int(i * gap * SR)
            jingle = tone * np.sum([np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3)) for f in partials], axis=0) / 3.0
            jingle = jingle + (1.0 - tone) * _filter(rng.standard_normal(t.size), "highpass", hp * (0.8 + 0.2 * bright))
            out[a : a + t.size] += (0.6**i) * jingle * decay(seconds)
        return out

    return play


def guiro_voice(p: np.random.Generator) -> Voice:
    """A guiro: a scrape of 5-15 short band-passed noise grains 8-25 ms apart."""
    count, gap, band = int(p.integers(5, 16)), _u(p, 0.008, 0.025), (_u(p, 1500, 3000), _u(p, 5000, 10000))

    def play(bright: float, rng: np.random.Generator) -> np.ndarray:
        env = np.zeros(_t(count * gap + 0.02).size)
        grain = _attack(0.006, 0.0005, 0.01)
        for i in range(count):
            a = int(i * gap * SR)
            env[a : a + grain.size] += grain[: env.size - a]
        return np.asarray(_filter(rng.standard_normal(env.size), "bandpass", band) * env)

    return play


DISTRACTORS = (37, 39, 54, 56, 60, 61, 62, 63, 64, 67, 68, 69, 70, 73, 74, 75, 76, 77, 80, 81, 82)
"""The GM notes a synthesized kit plays that are no class (what a hat, a snare or a kick is not)."""


def distractor_voices(p: np.random.Generator) -> dict[int, Voice]:
    """Percussion that is no class: rim click, clap, tambourine, cowbell, congas, bongos, agogos,
    shakers, maracas and cabasa, guiros, claves, wood blocks and triangles. The shakers, claves,
    blocks, triangles and tambourine start within 3 ms and fill the hats' band: sampled maracas and
    claves are like that, and soft ones only taught the network that any sharp bright noise is a hat."""
    rim = tone_voice(p, (400, 1800), (0.01, 0.04), 0.1)
    cowbell_f, cowbell_s = _u(p, 450, 650), _u(p, 0.1, 0.3)

    def cowbell(bright: float, rng: np.random.Generator) -> np.ndarray:
        y = squares(np.asarray([cowbell_f, cowbell_f * 1.48]), cowbell_s, rng)
        return np.asarray(_filter(y, "bandpass", (cowbell_f * 0.8, cowbell_f * (3 + 3 * bright))) * decay(cowbell_s))

    triangle_f = (_u(p, 2500, 6000),) * 2
    return {
        37: rim,
        39: clap_bursts(p),
        54: tambourine_voice(p),
        56: cowbell,
        60: tone_voice(p, (380, 520), (0.06, 0.15), 0.1),
        61: tone_voice(p, (280, 380), (0.06, 0.15), 0.1),
        62: tone_voice(p, (250, 450), (0.05, 0.12), 0.15),
        63: tone_voice(p, (250, 450), (0.1, 0.25), 0.15),
        64: tone_voice(p, (180, 300), (0.1, 0.25), 0.15),
        67: bell_voice(p, (700, 1100), (0.1, 0.4)),
        68: bell_voice(p, (500, 800), (0.1, 0.4)),
        69: shaker_voice(p),
        70: shaker_voice(p),
        73: guiro_voice(p),
        74: guiro_voice(p),
        75: block_voice(p, (1800, 3000)),
        76: block_voice(p, (700, 1500)),
        77: block_voice(p, (500, 1100)),
        80: bell_voice(p, triangle_f, (0.1, 0.3)),
        81: bell_voice(p, triangle_f, (0.8, 2.0)),
        82: shaker_voice(p),
    }


VOLUME = {36: (0.7, 1.0), 38: (0.6, 1.0), 42: (0.3, 0.8), 44: (0.25, 0.6), 46: (0.3, 0.8), 51: (0.3, 0.7)}
"""Each piece's level in its kit (a range to draw from); the others (0.4, 0.9)."""


def kit_voices(seed: int) -> tuple[dict[int, Voice], dict[int, float], Callable[[np.ndarray], np.ndarray]]:
    """A kit's recipes by GM note, their levels, and the kit's colour (a low-pass, a bit crusher or
    nothing) applied to every sample; all drawn from ``seed``."""
    p = np.random.default_rng(seed)
    voices: dict[int, Voice] = {36: kick_voice(p)}
    voices.update(tom_voices(p))
    clap = clap_bursts(p)
    voices[38] = snare_voice(p, clap if p.random() < 0.25 else None)
    voices.update(hat_voices(p))
    voices.update(cymbal_voices(p))
    voices.update(distractor_voices(p))
    volumes = {note: _u(p, *VOLUME.get(note, (0.4, 0.9))) for note in voices}
    colour = float(p.random())
    cutoff, bits, hold = _u(p, 5000, 10000), int(p.integers(6, 11)), int(p.integers(1, 4))

    def finish(y: np.ndarray) -> np.ndarray:
        if colour < 0.25:
            return _filter(y, "lowpass", cutoff)
        if colour < 0.4:  # a lo-fi machine: fewer bits and a lower sample rate
            held = np.repeat(y[::hold], hold)[: y.size]
            return np.asarray(np.round(held * 2 ** (bits - 1)) / 2 ** (bits - 1))
        return y

    return voices, volumes, finish


def synth_kit(seed: int, folder: Path) -> Kit:
    """The kit of ``seed`` written to ``folder`` (a WAV per piece and velocity layer, at SR) as a
    :class:`Kit` for :func:`training.drumkit_samples.render_kit`."""
    folder.mkdir(parents=True, exist_ok=True)
    voices, volumes, finish = kit_voices(seed)
    noise = np.random.default_rng([seed, 1])
    pieces: dict[int, tuple[Instrument, ...]] = {}
    for note, voice in voices.items():
        layers = []
        for i, (low, high, bright) in enumerate(VELOCITY_LAYERS):
            y = finish(voice(bright, noise))
            y = (0.7 + 0.3 * bright) * y / max(float(np.max(np.abs(y))), 1e-9)
            path = folder / f"{note}_{i}.wav"
            sf.write(path, y.astype(np.float32), SR, subtype="FLOAT")
            layers.append(Layer(low, high, 1.0, path))
        pieces[note] = (Instrument(f"synth {note}", note, volumes[note], tuple(layers)),)
    return Kit(f"{SYNTH_KIT}{seed}", pieces)
