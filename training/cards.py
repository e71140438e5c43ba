"""Model cards (models/<bundle>.md) written from a training run's results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.magenta_train import ModelSpec

COMMON_SIZE = (
    "Two LSTM layers of 128 train in about 15-30 minutes on the 2 shared CPU cores here, keep the "
    "bundle small (all bundles ship in the repository, budget ~40 MB) and keep batch-size-1 "
    "generation within the service's latency goals (4 bars of drums <= 0.15 s, 8 bars of bass "
    "<= 0.3 s). The corpus is small, so a bigger network would mostly memorise it."
)
SIZE_NOTES = {
    "drums": (
        "Magenta's `drum_kit` default is 3x256 LSTM with attention over 32 steps. A first 2x128 "
        "model with attention trained at ~0.55 steps/s here and generated 4 bars in ~150 ms under "
        "load, at the latency limit; without attention the same net trains several times faster "
        "and the drum_kit encoding's binary step counters still give it the position in the bar. " + COMMON_SIZE
    ),
    "bass": (
        "Magenta's `chord_pitches_improv` default is 3x256 LSTM; 2x256 trained at ~1.2 steps/s "
        "here, 2x128 at ~3.5 steps/s. " + COMMON_SIZE
    ),
    "melody": (
        "Magenta's `lookback_rnn` default is 2x128 LSTM (kept). lookback_rnn instead of "
        "attention_rnn: the attention wrapper is several times slower per step on this CPU. " + COMMON_SIZE
    ),
    "melody_improv": (
        "Magenta's `chord_pitches_improv` default is 3x256 LSTM. Only ~440 training windows exist "
        "(354 four-part chorales), so 2x128 with 800 steps (under 2 minutes here) is already ~115 "
        "epochs; the held-out figure rests on 14 chorales (19 windows) and is a rough one. Two "
        "layers of 128 also keep the bundle small and batch-size-1 generation fast."
    ),
}

NOTES = {
    "drums": (
        "Input/output: GM drum notes (channel 10); `drum_kit` maps every drum pitch onto 9 classes "
        "(kick, snare, closed/open hi-hat, 3 toms, crash, ride). Prime it with a style's grooves "
        "(models/drum_style_primers.json): unprimed, it starts sparse (10-14 notes in 4 bars for 7 "
        "of 8 seeds, measured on the 3000-step bundle); primed, it keeps the groove's density (the "
        "first rock primer, 30 notes in 2 bars, was continued with 57-61 notes in 4 bars; latin, "
        "49 notes, with 61-70)."
    ),
    "bass": (
        "Trained in C major / A minor only (chords given to MMA in 7 keys, transposed back). At "
        "serving time: transpose the chord progression to C/Am, generate, transpose the notes back. "
        "The standard `chord_pitches_improv` encoding squashes melodies into MIDI 48-83, so the "
        "bass comes out 1-2 octaves high: move it down by octaves into the bass register (E1-G3). "
        "Without primer notes start the generate section at 0.01 s (see training/README.md)."
    ),
    "melody": (
        "Melodies are transposed to C major / A minor before encoding (our normalisation, then "
        "Magenta's own `transpose_to_key=0`); the generator transposes a primer into C and back."
    ),
    "melody_improv": (
        "Trained in C major / A minor only: transpose chords to C/Am, generate, transpose back. "
        "Without primer notes start the generate section at 0.01 s (see training/README.md)."
    ),
}


def write_card(spec: ModelSpec, results: dict[str, Any], path: Path) -> Path:
    """Write the Markdown model card for ``spec`` from ``results`` (see training/__main__.py)."""
    held = results.get("heldout_metrics") or {}
    trained = results.get("train_metrics") or {}

    def metric(values: dict[str, float], key: str) -> str:
        return f"{values[key]:.4f}" if key in values else "n/a"

    hp = results["hparams"]
    lines = [
        f"# {Path(spec.bundle_file).stem} ({spec.family}, generator id `{spec.config_id}`)",
        "",
        spec.description,
        "",
        f"- Bundle: `models/{spec.bundle_file}`, {results['bundle_bytes'] / 1e6:.2f} MB "
        "(generation graph with batch size 1; weights only, no optimiser slots).",
        f"- Command: `{results['command']}` (from the repository root; `nice -n 5` in practice).",
        f"- Training: {results['steps']} steps of batch {hp['batch_size']}, "
        f"{results['train_seconds'] / 60:.1f} min wall time on 2 shared CPU cores "
        f"(corpus build and encoding: {results['data_seconds']:.0f} s).",
        f"- Configuration: standard `{spec.config_id}` encoding; rnn_layer_sizes {hp['rnn_layer_sizes']}, "
        f"attn_length {hp.get('attn_length', 0)}, dropout_keep_prob {hp['dropout_keep_prob']}, "
        f"learning_rate {hp['learning_rate']}, clip_norm {hp['clip_norm']}.",
        "",
        "## Data",
        "",
        results["corpus"] + ".",
        f"Encoded examples (Magenta pipeline, min_bars {spec.min_bars}, max_steps {spec.max_steps}, exact "
        f"duplicates removed): {results['train_examples']} training, {results['heldout_examples']} held-out.",
        "The held-out split is whole MMA styles / whole tunes chosen by a fixed hash "
        "(training/split.py); `python -m training.heldout DIR` writes it as MIDI.",
        "",
        "## Evaluation (Magenta's eval-mode graph and metrics, dropout off, final checkpoint)",
        "",
        "| split | examples | loss | perplexity | accuracy | event accuracy | no-event accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    for split, values in (("held-out", held), ("training (sample)", trained)):
        if values:
            lines.append(
                f"| {split} | {int(values.get('examples', 0))} | {metric(values, 'loss')} | "
                f"{metric(values, 'perplexity')} | {metric(values, 'accuracy')} | "
                f"{metric(values, 'event_accuracy')} | {metric(values, 'no_event_accuracy')} |"
            )
    lines += [
        "",
        "Accuracy is per time step (argmax of the softmax equals the label); event accuracy counts "
        "only steps where something happens, no-event accuracy only the silent/held steps. One pass "
        "over the full batches of each split (Magenta's input queue leaves the remainder out), "
        "with dropout off (Magenta's own eval mode keeps the training dropout on).",
        "",
        "## Why this size",
        "",
        SIZE_NOTES[spec.name],
        "",
        "## Serving notes",
        "",
        NOTES[spec.name],
        "",
    ]
    path.write_text("\n".join(lines))
    return path
