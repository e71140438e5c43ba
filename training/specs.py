"""The shipped models: Magenta family, standard generator id, our hyper-parameters, bundle file.

Layer sizes are smaller than Magenta's defaults so that each model trains in 15-30 minutes on two
shared CPU cores and generates within the service's latency budget (4 bars of drums in 0.15 s,
8 bars of bass in 0.3 s); the model cards give the reasons and the measured figures.
"""

from __future__ import annotations

from training.magenta_train import ModelSpec

SPECS: dict[str, ModelSpec] = {
    "drums": ModelSpec(
        name="drums",
        family="drums_rnn",
        config_id="drum_kit",
        bundle_file="dawg_drums.mag",
        description=(
            "DAWG DrumsRNN (drum_kit encoding, 2x128 LSTM, no attention) trained on the drum "
            "channel of MMA's human-written groove library, held-out styles excluded."
        ),
        hparams={
            "batch_size": 64,
            "rnn_layer_sizes": [128, 128],
            "attn_length": 0,
            "dropout_keep_prob": 0.75,
            "learning_rate": 0.002,
        },
        min_bars=4,
        max_steps=256,
    ),
    "bass": ModelSpec(
        name="bass",
        family="improv_rnn",
        config_id="chord_pitches_improv",
        bundle_file="dawg_bass_improv.mag",
        description=(
            "DAWG bass ImprovRNN (chord_pitches_improv, 2x128 LSTM): bass lines over chord "
            "symbols from MMA grooves, in C major / A minor; transpose chords to C/Am first."
        ),
        hparams={"batch_size": 64, "rnn_layer_sizes": [128, 128], "dropout_keep_prob": 0.75, "learning_rate": 0.002},
        min_bars=4,
        max_steps=256,
        min_unique_pitches=3,
    ),
    "melody": ModelSpec(
        name="melody",
        family="melody_rnn",
        config_id="lookback_rnn",
        bundle_file="dawg_melody.mag",
        description=(
            "DAWG MelodyRNN (lookback_rnn, 2x128 LSTM) trained on folk tunes from music21's "
            "corpus (O'Neill's 1850, Ryan's Mammoth, Essen), in C major / A minor."
        ),
        hparams={"batch_size": 64, "rnn_layer_sizes": [128, 128], "dropout_keep_prob": 0.75, "learning_rate": 0.002},
        min_bars=4,
        max_steps=192,
        min_unique_pitches=4,
    ),
    "melody_improv": ModelSpec(
        name="melody_improv",
        family="improv_rnn",
        config_id="chord_pitches_improv",
        bundle_file="dawg_melody_improv.mag",
        description=(
            "DAWG melody ImprovRNN (chord_pitches_improv, 2x128 LSTM): Bach chorale sopranos "
            "over their chordified harmony, in C major / A minor; transpose chords first."
        ),
        hparams={"batch_size": 64, "rnn_layer_sizes": [128, 128], "dropout_keep_prob": 0.75, "learning_rate": 0.002},
        min_bars=4,
        max_steps=256,
        min_unique_pitches=4,
    ),
}

# --tiny: a few grooves or tunes, a toy network, a few steps (for tests).
TINY_HPARAMS = {"batch_size": 4, "rnn_layer_sizes": [16]}
