"""Dataset encoding, training, held-out evaluation and bundle export with Magenta's own code.

The steps are Magenta's (pipelines -> SequenceExample TFRecords -> ``events_rnn_train`` ->
``create_bundle_file``); what is ours is the configuration (a deep copy of the standard config of
the bundle's generator id, with smaller layers where the model card says so), the corpora, the
held-out evaluation in one pass, and a generation smoke test through the standard generator map.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.tfsetup import setup_tensorflow

logger = logging.getLogger(__name__)

EVAL_METRICS = (
    "loss",
    "metrics/perplexity",
    "metrics/accuracy",
    "metrics/event_accuracy",
    "metrics/no_event_accuracy",
    "metrics/loss_per_step",
)


@dataclass
class ModelSpec:
    """One shipped model: which Magenta family and config id, and what we change in it."""

    name: str  # CLI name: drums, bass, melody, melody_improv
    family: str  # drums_rnn, improv_rnn, melody_rnn
    config_id: str  # standard Magenta generator id, kept in the bundle
    bundle_file: str  # file name in models/
    description: str  # stored as generator_details.description and bundle_details.description
    hparams: dict[str, Any] = field(default_factory=dict)
    min_bars: int = 7
    max_steps: int = 512
    min_unique_pitches: int = 3


def _family(family: str) -> tuple[Any, Any]:
    """(model module, sequence generator module) of a Magenta model family."""
    setup_tensorflow()
    if family == "drums_rnn":
        from magenta.models.drums_rnn import drums_rnn_model as model
        from magenta.models.drums_rnn import drums_rnn_sequence_generator as gen
    elif family == "improv_rnn":
        from magenta.models.improv_rnn import improv_rnn_model as model
        from magenta.models.improv_rnn import improv_rnn_sequence_generator as gen
    elif family == "melody_rnn":
        from magenta.models.melody_rnn import melody_rnn_model as model
        from magenta.models.melody_rnn import melody_rnn_sequence_generator as gen
    else:
        raise ValueError(f"unknown model family {family!r}")
    return model, gen


def make_config(spec: ModelSpec, **hparam_overrides: Any) -> Any:
    """A deep copy of the standard config ``spec.config_id`` with our hparams and description."""
    model_module, _ = _family(spec.family)
    config = copy.deepcopy(model_module.default_configs[spec.config_id])
    values = {**spec.hparams, **hparam_overrides}
    for name, value in values.items():
        if name in config.hparams.values():
            config.hparams.set_hparam(name, value)
        else:
            config.hparams.add_hparam(name, value)
    config.details.description = spec.description
    return config


def make_pipeline(spec: ModelSpec, config: Any) -> Any:
    """Magenta's dataset DAG for the family, without the random train/eval partition.

    The held-out split is ours (whole styles and tunes), so the same DAG encodes either split.
    """
    setup_tensorflow()
    import note_seq
    from magenta.pipelines import (
        dag_pipeline,
        drum_pipelines,
        event_sequence_pipeline,
        lead_sheet_pipelines,
        melody_pipelines,
        note_sequence_pipelines,
    )

    splitter = note_sequence_pipelines.TimeChangeSplitter(name="TimeChangeSplitter")
    quantizer = note_sequence_pipelines.Quantizer(steps_per_quarter=config.steps_per_quarter, name="Quantizer")
    if spec.family == "drums_rnn":
        extractor = drum_pipelines.DrumsExtractor(
            min_bars=spec.min_bars, max_steps=spec.max_steps, gap_bars=1.0, name="DrumsExtractor"
        )
        encoder = event_sequence_pipeline.EncoderPipeline(
            note_seq.DrumTrack, config.encoder_decoder, name="EncoderPipeline"
        )
    elif spec.family == "improv_rnn":
        from magenta.models.improv_rnn import improv_rnn_pipeline

        # all_transpositions=False: the corpus is already in C major / A minor.
        extractor = lead_sheet_pipelines.LeadSheetExtractor(
            min_bars=spec.min_bars,
            max_steps=spec.max_steps,
            min_unique_pitches=spec.min_unique_pitches,
            gap_bars=1.0,
            ignore_polyphonic_notes=False,
            all_transpositions=False,
            name="LeadSheetExtractor",
        )
        encoder = improv_rnn_pipeline.EncoderPipeline(config, name="EncoderPipeline")
    else:
        from magenta.models.melody_rnn import melody_rnn_pipeline

        extractor = melody_pipelines.MelodyExtractor(
            min_bars=spec.min_bars,
            max_steps=spec.max_steps,
            min_unique_pitches=spec.min_unique_pitches,
            gap_bars=1.0,
            ignore_polyphonic_notes=True,
            name="MelodyExtractor",
        )
        encoder = melody_rnn_pipeline.EncoderPipeline(config, name="EncoderPipeline")
    dag = {
        splitter: dag_pipeline.DagInput(note_seq.NoteSequence),
        quantizer: splitter,
        extractor: quantizer,
        encoder: extractor,
        dag_pipeline.DagOutput("examples"): encoder,
    }
    return dag_pipeline.DAGPipeline(dag)


def write_tfrecord(pipeline: Any, sequences: Iterable[Any], path: Path) -> int:
    """Run ``pipeline`` over NoteSequences and write the SequenceExamples to ``path``; returns count.

    Exact duplicate examples (the same groove in two MMA variants, the same tune in two
    collections) are written once.
    """
    tf = setup_tensorflow()
    path.parent.mkdir(parents=True, exist_ok=True)
    seen: set[bytes] = set()
    with tf.io.TFRecordWriter(str(path)) as writer:
        for sequence in sequences:
            outputs = pipeline.transform(sequence)
            for example in outputs["examples"]:
                data = example.SerializeToString()
                digest = hashlib.sha1(data).digest()
                if digest not in seen:
                    seen.add(digest)
                    writer.write(data)
    return len(seen)


def train(
    config: Any, tfrecord: Path, run_dir: Path, *, steps: int, fresh: bool = True, summary_frequency: int = 50
) -> Path:
    """Train with Magenta's ``events_rnn_train.run_training``; returns the train dir (checkpoints)."""
    tf = setup_tensorflow()
    from magenta.models.shared import events_rnn_graph, events_rnn_train

    train_dir = run_dir / "train"
    if fresh and run_dir.exists():
        shutil.rmtree(run_dir)
    train_dir.mkdir(parents=True, exist_ok=True)
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)
    build = events_rnn_graph.get_build_graph_fn("train", config, [str(tfrecord)])
    events_rnn_train.run_training(
        build,
        str(train_dir),
        steps,
        summary_frequency=summary_frequency,
        save_checkpoint_secs=120,
        checkpoints_to_keep=2,
    )
    return train_dir


def evaluate(config: Any, tfrecord: Path, train_dir: Path, *, num_examples: int) -> dict[str, float]:
    """Magenta's eval metrics (eval-mode graph) of the latest checkpoint over the held-out records.

    One pass over ``num_examples // batch`` full batches (the batch is shrunk to fit small sets;
    Magenta's input queue leaves the remainder out), with dropout off.
    """
    tf = setup_tensorflow()
    import tf_slim
    from magenta.models.shared import events_rnn_graph

    eval_config = copy.deepcopy(config)
    batch = max(1, min(config.hparams.batch_size, num_examples))
    eval_config.hparams.batch_size = batch
    # Magenta's eval graph keeps the training dropout on; we measure the network as it generates.
    eval_config.hparams.dropout_keep_prob = 1.0
    num_batches = max(1, num_examples // batch)
    checkpoint = tf.train.latest_checkpoint(str(train_dir))
    with tf.Graph().as_default():
        events_rnn_graph.get_build_graph_fn("eval", eval_config, [str(tfrecord)])()
        tf.compat.v1.train.get_or_create_global_step()
        final = {name: tf.compat.v1.get_collection(name)[0] for name in EVAL_METRICS}
        values = tf_slim.evaluation.evaluate_once(
            "",
            checkpoint,
            str(train_dir.parent / "eval"),
            num_evals=num_batches,
            eval_op=tf.compat.v1.get_collection("eval_ops"),
            final_op=final,
            summary_op=None,
        )
    result = {name.split("/")[-1]: float(value) for name, value in values.items()}
    result["examples"] = float(num_batches * batch)
    return result


def export_bundle(spec: ModelSpec, config: Any, train_dir: Path, bundle_path: Path) -> Path:
    """Write a .mag bundle (generation graph with batch size 1, weights, our description)."""
    tf = setup_tensorflow()
    _, gen_module = _family(spec.family)
    gen_config = copy.deepcopy(config)
    gen_config.hparams.batch_size = 1
    gen_config.hparams.dropout_keep_prob = 1.0
    checkpoint = tf.train.latest_checkpoint(str(train_dir))
    factory = gen_module.get_generator_map()[spec.config_id]
    generator = factory.func(gen_config, checkpoint=checkpoint)
    generator.initialize()
    bundle_path.parent.mkdir(parents=True, exist_ok=True)
    generator.create_bundle_file(str(bundle_path), spec.description)
    generator.close()
    return bundle_path


def load_bundle_generator(spec: ModelSpec, bundle_path: Path) -> Any:
    """Load a bundle the way the service does: the standard generator map entry of its id."""
    setup_tensorflow()
    from magenta.models.shared import sequence_generator_bundle

    _, gen_module = _family(spec.family)
    bundle = sequence_generator_bundle.read_bundle_file(str(bundle_path))
    generator = gen_module.get_generator_map()[bundle.generator_details.id](checkpoint=None, bundle=bundle)
    generator.initialize()
    return generator


def smoke_generate(spec: ModelSpec, bundle_path: Path, *, bars: int = 4, seed: int = 1) -> Any:
    """Generate ``bars`` bars of 4/4 at 120 bpm from a loaded bundle; returns the NoteSequence.

    Improv models get C-Am-F-G chords; the others start from an empty primer.
    """
    import note_seq
    import numpy as np
    from note_seq.protobuf import generator_pb2, music_pb2

    generator = load_bundle_generator(spec, bundle_path)
    try:
        np.random.seed(seed)  # Magenta samples with numpy's global generator
        bar = 2.0
        primer = music_pb2.NoteSequence()
        primer.tempos.add(qpm=120.0)
        primer.ticks_per_quarter = note_seq.STANDARD_PPQ
        options = generator_pb2.GeneratorOptions()
        options.args["temperature"].float_value = 1.0
        if spec.family == "improv_rnn":
            for i, chord in enumerate(["C", "Am", "F", "G"] * bars):
                if i < bars:
                    primer.text_annotations.add(
                        time=i * bar, text=chord, annotation_type=music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL
                    )
            primer.total_time = bars * bar
        # Improv generators only extend, and without primer notes the start must quantise to step 1
        # (quantize_cutoff 0 rounds up): any later start trips Magenta's chord/melody alignment assert.
        start = 0.01 if spec.family == "improv_rnn" else 0.0
        options.generate_sections.add(start_time=start, end_time=bars * bar)
        return generator.generate(primer, options)
    finally:
        generator.close()
