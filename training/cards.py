"""Model cards (models/<bundle>.md) written from a training run's results."""

from __future__ import annotations

from pathlib import Path

from training.magenta_train import ModelSpec

NOTES = {
    "drums": (
        "Input/output: GM drum notes (channel 10); `drum_kit` maps every drum pitch onto 9 classes "
        "(kick, snare, closed/open hi-hat, 3 toms, crash, ride). Prime it with a style's grooves "
        "(models/drum_style_primers.json) to steer the style."),
    "bass": (
        "Trained in C major / A minor only (chords given to MMA in 7 keys, transposed back). At "
        "serving time: transpose the chord progression to C/Am, generate, transpose the notes back. "
        "The standard `chord_pitches_improv` encoding squashes melodies into MIDI 48-83, so the "
        "bass comes out 1-2 octaves high: move it down by octaves into the bass register (E1-G3)."),
    "melody": (
        "Melodies are transposed to C major / A minor before encoding (our normalisation, then "
        "Magenta's own `transpose_to_key=0`); the generator transposes a primer into C and back."),
    "melody_improv": (
        "Trained in C major / A minor only: transpose chords to C/Am, generate, transpose back."),
}


def write_card(spec: ModelSpec, results: dict, path: Path) -> Path:
    """Write the Markdown model card for ``spec`` from ``results`` (see training/__main__.py)."""
    held = results.get("heldout_metrics") or {}
    trained = results.get("train_metrics") or {}

    def metric(values: dict, key: str) -> str:
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
        "## Evaluation (Magenta eval-mode graph, latest checkpoint)",
        "",
        "| split | examples | loss | perplexity | accuracy | event accuracy | no-event accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    for split, values in (("held-out", held), ("training (sample)", trained)):
        if values:
            lines.append(f"| {split} | {int(values.get('examples', 0))} | {metric(values, 'loss')} | "
                         f"{metric(values, 'perplexity')} | {metric(values, 'accuracy')} | "
                         f"{metric(values, 'event_accuracy')} | {metric(values, 'no_event_accuracy')} |")
    lines += [
        "",
        "Accuracy is per time step (argmax of the softmax equals the label); event accuracy counts "
        "only steps where something happens, no-event accuracy only the silent/held steps.",
        "",
        "## Why this size",
        "",
        "Magenta's default is 3 layers of 256 (drum_kit, chord_pitches_improv) or 2 of 128 "
        "(attention_rnn). Two layers of 128 train in 15-30 minutes on 2 shared CPU cores, keep the "
        "bundle small (the repository ships all bundles, budget ~40 MB) and keep generation at "
        "batch size 1 fast enough for the service's latency goals (4 bars of drums <= 0.15 s, "
        "8 bars of bass <= 0.3 s). The corpus is small (about a thousand grooves or a few thousand "
        "tunes), so a larger network would mostly memorise it.",
        "",
        "## Serving notes",
        "",
        NOTES[spec.name],
        "",
    ]
    path.write_text("\n".join(lines))
    return path
