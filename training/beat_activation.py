"""Train the beat and downbeat activation network (ai/analysis/beat_net.py) on annotated renders.

Input: one or more corpus folders, each with a ground_truth.json list of {"file" (relative to the
folder), "beats_s", "downbeats_s" (or null: no downbeat loss for that item)}: the format of
``training.real_corpus`` (augmented renders) and of ../shared/eval/build_dataset.py. The network's
input is computed exactly as the service computes it (decode, mono, soxr to 22050 Hz, the shared
STFT and mel projection, :func:`ai.analysis.beat_net.network_input`) and cached per file.

Band-limited audio (``--band-share P``): an 8 kHz file (phone audio, AMR, voice memos, old or
low-rate recordings) has nothing above 4 kHz, so the top of the network's 30 Hz-8 kHz mel input is
empty, which the renders' gentle low-passes never made it. Each item's input is therefore also
computed as the service would read the item saved at ``--band-rate`` Hz (the decoded file resampled
there with soxr HQ, as bench/analysis_accuracy.py --resample does, then the same chain), cached
under its own key, and each training window is cut from that version with probability P (the
validation windows too, so the best epoch is chosen on the same mix).

Fine-tuning (``--init FILE --init-member I``): training starts from network I of a weights file
(the shipped ensemble: member 0 was trained with --seed 1, member 1 with --seed 2, so the same seed
keeps its validation items unseen) instead of random weights; the loss of those weights is the
first candidate for the best epoch.

Targets: 1 on the frame nearest each annotated beat (downbeat), 0.5 on its two neighbours (the
annotations fall between frames; the widening is what madmom's and Beat This!'s trainers do),
0 elsewhere. Loss: binary cross-entropy on both heads; downbeat frames of items without downbeats
are masked. Training crops random windows of CROP_FRAMES each epoch; a tenth of the items (chosen
by --seed) are held out for the best-epoch choice. The Keras weights are then copied into the
numpy network and checked against Keras' own predictions.

Usage (the shipped network: data/real_train and data/real_train2 built by training.real_corpus with
seeds 1 and 2, the held-out quarter of the second kept for choosing the bar-phase weight):
    .venv/bin/python -m training.beat_activation data/real_train data/real_train2@fit \
        --out /tmp/beat_seed1.npz [--epochs 60] [--width 32] [--blocks 8] [--seed 1]
    (again with --seed 2 --out /tmp/beat_seed2.npz), then the ensemble and the bar-phase check:
    .venv/bin/python -m training.beat_activation --combine /tmp/beat_seed1.npz /tmp/beat_seed2.npz
    .venv/bin/python -m training.beat_activation --phase-check data/real_train2@hold
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import time
import zlib
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import soxr

from ai.analysis.beat_net import SHIPPED_MODEL, BeatNet, load, network_input, save
from ai.analysis.constants import ANALYSIS_SR, FRAME_RATE, HOP, N_FFT, N_MELS
from ai.analysis.features import mel_spectrogram, stft_magnitude
from ai.analysis.pipeline import to_analysis_rate
from ai.audio.decode import DecodedAudio, decode_audio
from training.tfsetup import KerasModel

logger = logging.getLogger(__name__)


class CorpusItem(TypedDict):
    """One annotated item: its network input [shape=(T, N_MELS)] and frame targets [shape=(T,)]."""

    name: str
    x: np.ndarray
    x_band: np.ndarray | None
    """The input of the band-limited version (:func:`item_input` with a rate), the length of x; None when unused."""
    beat: np.ndarray
    down: np.ndarray
    has_down: bool


REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "data" / "cache" / "beat_activation"
CROP_FRAMES = 1024
"""Training window (about 24 s at 43 frames/s): longer than the network's reach either side."""
KERNEL = 5
FRONT_KERNEL = 3


def band_limited(audio: DecodedAudio, rate: int) -> DecodedAudio:
    """``audio`` as a file saved at ``rate`` Hz holds it: resampled there (soxr HQ, channel by channel),
    so nothing above rate / 2 is left."""
    samples = soxr.resample(audio.samples.T, audio.sample_rate, rate, quality="HQ").T
    return DecodedAudio(np.ascontiguousarray(samples, dtype=np.float32), rate)


def item_input(path: Path, band_rate: int | None = None) -> np.ndarray:
    """The network input of one audio file [shape=(T, N_MELS)], or of the file read at ``band_rate``
    Hz (:func:`band_limited`); cached by path, size, mtime and rate."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{int(stat.st_mtime)}" + (f"|{band_rate} Hz" if band_rate else "")
    digest = hashlib.sha1(key.encode()).hexdigest()[:20]
    cached = CACHE / f"{digest}.npy"
    if cached.exists():
        cached_input: np.ndarray = np.load(cached)
        return cached_input
    audio = decode_audio(path)
    y = to_analysis_rate(band_limited(audio, band_rate) if band_rate else audio)
    x = network_input(mel_spectrogram(stft_magnitude(y, n_fft=N_FFT, hop_length=HOP), sr=ANALYSIS_SR, n_fft=N_FFT))
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(cached, x)
    return x


def targets(times: list[float] | None, n_frames: int) -> np.ndarray:
    """Frame targets [shape=(n_frames,)] for annotated times (s): 1 at the nearest frame, 0.5 beside."""
    out = np.zeros(n_frames, dtype=np.float32)
    if not times:
        return out
    idx = np.round(np.asarray(times) * FRAME_RATE).astype(np.int64)
    idx = idx[(idx >= 0) & (idx < n_frames)]
    for side in (-1, 1):
        near = idx + side
        near = near[(near >= 0) & (near < n_frames)]
        out[near] = np.maximum(out[near], 0.5)
    out[idx] = 1.0
    return out


def held_out(file: str) -> bool:
    """The quarter of a corpus (by a stable hash of the item's file name) that ``FOLDER@fit`` leaves
    out of training and ``FOLDER@hold`` keeps: data for choosing what is built on the activations
    (the bar-phase weights) on items the network never saw."""
    return zlib.crc32(file.encode()) % 4 == 0


def corpus_entries(spec: str) -> tuple[Path, list[dict[str, Any]]]:
    """``FOLDER``, ``FOLDER@fit`` or ``FOLDER@hold`` -> (folder, its annotated ground-truth entries)."""
    name, _, part = spec.partition("@")
    if part not in ("", "fit", "hold"):
        raise SystemExit(f"{spec}: the part after @ must be fit or hold")
    folder = Path(name)
    truth = json.loads((folder / "ground_truth.json").read_text())
    if part:
        truth = [entry for entry in truth if held_out(entry["file"]) == (part == "hold")]
    return folder, [entry for entry in truth if entry.get("beats_s")]


def _fit_length(x: np.ndarray, n_frames: int) -> np.ndarray:
    """``x`` [shape=(T, N_MELS)] cut or zero-padded to n_frames (a resampled version may differ by a frame)."""
    out = np.zeros((n_frames, x.shape[1]), dtype=np.float32)
    k = min(n_frames, x.shape[0])
    out[:k] = x[:k]
    return out


def load_corpus(specs: list[str], band_rate: int | None = None) -> list[CorpusItem]:
    """Every annotated item: {"name", "x" [T, N_MELS], "x_band" (the input at ``band_rate``, or
    None), "beat" [T], "down" [T], "has_down"}."""
    items: list[CorpusItem] = []
    for spec in specs:
        folder, truth = corpus_entries(spec)
        for entry in truth:
            x = item_input(folder / entry["file"])
            x_band = _fit_length(item_input(folder / entry["file"], band_rate), x.shape[0]) if band_rate else None
            items.append(
                {
                    "name": f"{folder.name}/{entry['file']}",
                    "x": x,
                    "x_band": x_band,
                    "beat": targets(entry["beats_s"], x.shape[0]),
                    "down": targets(entry.get("downbeats_s"), x.shape[0]),
                    "has_down": bool(entry.get("downbeats_s")),
                }
            )
        logger.info("%s: %d items", spec, len(items))
    return items


def crops(
    items: list[CorpusItem], rng: np.random.Generator, band_share: float = 0.0
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One random CROP_FRAMES window per item: inputs, targets and per-frame loss weights. With
    ``band_share`` > 0 a window comes from the item's band-limited input with that probability."""
    n = len(items)
    x = np.zeros((n, CROP_FRAMES, N_MELS), dtype=np.float32)
    y_beat = np.zeros((n, CROP_FRAMES, 1), dtype=np.float32)
    y_down = np.zeros((n, CROP_FRAMES, 1), dtype=np.float32)
    w_beat = np.zeros((n, CROP_FRAMES), dtype=np.float32)
    w_down = np.zeros((n, CROP_FRAMES), dtype=np.float32)
    for i, item in enumerate(items):
        length = item["x"].shape[0]
        start = int(rng.integers(0, max(1, length - CROP_FRAMES + 1)))
        stop = min(length, start + CROP_FRAMES)
        k = stop - start
        source = item["x"]
        if band_share > 0.0 and item["x_band"] is not None and rng.random() < band_share:
            source = item["x_band"]
        x[i, :k] = source[start:stop]
        y_beat[i, :k, 0] = item["beat"][start:stop]
        y_down[i, :k, 0] = item["down"][start:stop]
        w_beat[i, :k] = 1.0
        w_down[i, :k] = 1.0 if item["has_down"] else 0.0
    return x, {"beat": y_beat, "down": y_down}, {"beat": w_beat, "down": w_down}


def build_model(width: int, blocks: int, dropout: float) -> KerasModel:
    """The Keras graph that :class:`ai.analysis.beat_net.BeatNet` evaluates."""
    from training.tfsetup import setup_tensorflow

    tf = setup_tensorflow()
    layers = tf.keras.layers
    inp = layers.Input(shape=(None, N_MELS))
    h = layers.Conv1D(width, FRONT_KERNEL, padding="same", activation="elu", name="front0")(inp)
    h = layers.Conv1D(width, FRONT_KERNEL, padding="same", activation="elu", name="front1")(h)
    h = layers.SpatialDropout1D(dropout)(h)
    for b in range(blocks):
        r = layers.Conv1D(width, KERNEL, padding="same", dilation_rate=2**b, activation="elu", name=f"block{b}")(h)
        r = layers.SpatialDropout1D(dropout)(r)
        r = layers.Conv1D(width, 1, name=f"block{b}_mix")(r)
        h = layers.Add()([h, r])
    beat = layers.Dense(1, activation="sigmoid", name="beat")(h)
    down = layers.Dense(1, activation="sigmoid", name="down")(h)
    return tf.keras.Model(inp, [beat, down])


def export(model: KerasModel, blocks: int) -> BeatNet:
    """Copy the Keras weights into the numpy network."""

    def weights(name: str) -> tuple[np.ndarray, np.ndarray]:
        kernel, bias = model.get_layer(name).get_weights()
        return kernel.astype(np.float32), bias.astype(np.float32)

    front = tuple(weights(f"front{i}") for i in range(2))
    block_list = []
    for b in range(blocks):
        kernel, bias = weights(f"block{b}")
        mix, mix_bias = weights(f"block{b}_mix")
        block_list.append((2**b, kernel, bias, mix, mix_bias))
    (kb, bb), (kd, bd) = weights("beat"), weights("down")
    head = (np.concatenate([kb, kd], axis=1), np.concatenate([bb, bd]))
    return BeatNet(front, tuple(block_list), head, float(FRAME_RATE))


def import_weights(model: KerasModel, net: BeatNet) -> None:
    """Set the Keras graph's weights to a numpy network's (the inverse of :func:`export`)."""
    if len(net.blocks) != sum(layer.name.endswith("_mix") for layer in model.layers):
        raise SystemExit("the initial network has another number of blocks than --blocks")
    for i, (kernel, bias) in enumerate(net.front):
        model.get_layer(f"front{i}").set_weights([kernel, bias])
    for b, (_, kernel, bias, mix, mix_bias) in enumerate(net.blocks):
        model.get_layer(f"block{b}").set_weights([kernel, bias])
        model.get_layer(f"block{b}_mix").set_weights([mix, mix_bias])
    kernel, bias = net.head
    model.get_layer("beat").set_weights([kernel[:, :1], bias[:1]])
    model.get_layer("down").set_weights([kernel[:, 1:], bias[1:]])


def train(args: argparse.Namespace) -> None:
    items = load_corpus(args.corpora, args.band_rate if args.band_share > 0.0 else None)
    if len(items) < 10:
        raise SystemExit(f"only {len(items)} annotated items in {args.corpora}")
    order = list(range(len(items)))
    random.Random(args.seed).shuffle(order)
    n_val = max(2, len(items) // 10)
    val = [items[i] for i in order[:n_val]]
    fit = [items[i] for i in order[n_val:]]
    print(f"{len(fit)} training items, {len(val)} validation items")
    model = build_model(args.width, args.blocks, args.dropout)
    from training.tfsetup import setup_tensorflow

    tf = setup_tensorflow()
    tf.random.set_seed(args.seed)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(args.learning_rate, clipnorm=1.0),
        loss={"beat": "binary_crossentropy", "down": "binary_crossentropy"},
        sample_weight_mode="temporal",
    )
    print(f"parameters: {model.count_params()}")
    rng = np.random.default_rng(args.seed)
    val_rng = np.random.default_rng(args.seed + 1)
    val_sets = [crops(val, val_rng, args.band_share) for _ in range(3)]

    def val_loss() -> np.ndarray:
        return np.asarray(
            np.mean([model.evaluate(vx, vy, sample_weight=vw, verbose=0) for vx, vy, vw in val_sets], axis=0)
        )

    best, best_weights, stale = np.inf, model.get_weights(), 0
    if args.init is not None:
        import_weights(model, load(args.init).members[args.init_member])
        parts = val_loss()
        print(
            f"initial ({args.init} member {args.init_member}): val {parts[0]:.4f} (beat {parts[1]:.4f}, downbeat {parts[2]:.4f})"
        )
        best, best_weights = float(parts[0]), model.get_weights()
    for epoch in range(args.epochs):
        start = time.perf_counter()
        x, y, w = crops(fit * args.crops, rng, args.band_share)
        history = model.fit(x, y, sample_weight=w, batch_size=args.batch, epochs=1, verbose=0, shuffle=True)
        parts = val_loss()
        loss = float(parts[0])
        print(
            f"epoch {epoch + 1:3d}  train {history.history['loss'][0]:.4f}  val {loss:.4f} "
            f"(beat {parts[1]:.4f}, downbeat {parts[2]:.4f})  "
            f"({time.perf_counter() - start:.1f} s)",
            flush=True,
        )
        if loss < best - 1e-4:
            best, best_weights, stale = loss, model.get_weights(), 0
        else:
            stale += 1
            if stale >= args.patience:
                break
    model.set_weights(best_weights)
    net = export(model, args.blocks)
    probe = val[0]["x"][None, :2000]
    keras_out = np.concatenate([np.asarray(o)[0] for o in model.predict(probe, verbose=0)], axis=1)
    diff = float(np.abs(net.activations(probe[0]) - keras_out).max())
    print(f"best validation loss {best:.4f}; numpy vs Keras max difference {diff:.2e}")
    if diff > 1e-3:
        raise SystemExit("the numpy network does not reproduce Keras' output")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save(args.out, [net])
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")


def phase_check(specs: list[str], model: Path, weights: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 4.0)) -> None:
    """How often the bar phase is right, on the annotated beats of ``specs`` (use FOLDER@hold: items
    the network never saw), for each weight of the downbeat activation in the bar-phase evidence
    (:data:`ai.analysis.rhythm.meter.DOWNBEAT_WEIGHT` is chosen from this print)."""
    from ai.analysis import rhythm
    from ai.analysis.beat_net import beat_activations
    from ai.analysis.features import compute_features

    net = load(model)
    rows = []
    for spec in specs:
        folder, truth = corpus_entries(spec)
        for entry in truth:
            if not entry.get("downbeats_s"):
                continue
            features = compute_features(to_analysis_rate(decode_audio(folder / entry["file"])), ANALYSIS_SR)
            beats = np.asarray(entry["beats_s"]) * FRAME_RATE
            beats = beats[beats < features.n_frames - 1]
            if beats.size < 12:
                continue
            onset, low = features.onset_env, features.low_onset_env
            activations = beat_activations(features, net)
            if activations is None:  # the analysis features' frame rate is not the one it was trained at
                raise SystemExit(f"{model}: the network does not run at the analysis frame rate")
            feats = rhythm._beat_features(
                beats,
                onset=onset / rhythm._spread(onset),
                low=low / rhythm._spread(low),
                chroma=features.chroma,
                downbeat=activations.downbeat,
            )
            first = int(np.argmin(np.abs(np.asarray(entry["beats_s"]) - entry["downbeats_s"][0])))
            rows.append((feats, int(str(entry["meter"]).split("/")[0]), first))
    print(f"{len(rows)} items with downbeats")
    for weight in weights:
        rhythm.meter.DOWNBEAT_WEIGHT = weight  # read by downbeat_phase in rhythm/meter.py
        right = sum(rhythm.downbeat_phase(feats, bar)[0] == first % bar for feats, bar, first in rows)
        print(
            f"downbeat weight {weight:4.1f}: bar phase right in {right}/{len(rows)} ({100 * right / len(rows):.1f} %)"
        )


def combine(members: list[Path], out: Path) -> None:
    """Write the networks in ``members`` (files this module wrote) as one ensemble file."""
    nets = [net for path in members for net in load(path).members]
    out.parent.mkdir(parents=True, exist_ok=True)
    save(out, nets)
    print(f"wrote {out}: an ensemble of {len(nets)} networks ({out.stat().st_size / 1024:.0f} KiB)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="*", help="corpus folders; FOLDER@fit leaves out its held-out quarter")
    parser.add_argument("--out", type=Path, default=SHIPPED_MODEL)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crops", type=int, default=2, help="random windows per item and epoch")
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--band-share", type=float, default=0.0, help="share of the windows cut from the band-limited inputs"
    )
    parser.add_argument(
        "--band-rate", type=int, default=8000, help="the band-limited inputs are read at this rate (Hz)"
    )
    parser.add_argument(
        "--init", type=Path, default=None, help="fine-tune from a weights file instead of random weights"
    )
    parser.add_argument("--init-member", type=int, default=0, help="which network of --init to start from")
    parser.add_argument("--combine", type=Path, nargs="+", help="write these trained networks as one ensemble to --out")
    parser.add_argument(
        "--phase-check", action="store_true", help="print the bar-phase accuracy of the network in --out on the corpora"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.combine:
        combine(args.combine, args.out)
    elif not args.corpora:
        parser.error("name the corpus folders to train on (or --combine files)")
    elif args.phase_check:
        phase_check(args.corpora, args.out)
    else:
        train(args)


if __name__ == "__main__":
    main()
