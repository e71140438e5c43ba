#!/usr/bin/env bash
# One-command setup: system packages (FluidSynth, GM soundfonts and MMA, for training corpora,
# benchmarks and tests), a virtual environment in .venv with every Python dependency, and
# Magenta 2.1.4 installed with --no-deps (its own pins cannot install on Python 3.11).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  missing=""
  # The GM soundfonts besides FluidR3 render the mixing models' training songs (TimGM6mb, MuseScore
  # General Lite) and an independent held-out set (csound's GM bank); the AVL sampled drum kits go
  # into the beat network's training corpus (training/real_corpus.py); the Hydrogen kits (recorded
  # kits and hand percussion) into the drum transcription's (training/drum_transcription.py), whose
  # tests skip without them.
  # chromium: the browser page's tests (tests/ui) run in Debian's headless Chromium. wamerican: the English
  # dictionary that the command speller's word list is made from and checked against (tests/ai/commands).
  for pkg in fluidsynth fluid-soundfont-gm mma timgm6mb-soundfont musescore-general-soundfont-small csound-soundfont avldrums.lv2-soundfont hydrogen-drumkits chromium wamerican; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
  fi
else
  echo "apt-get not found: install fluidsynth, fluid-soundfont-gm, mma and the soundfonts yourself (training and benchmarks only)" >&2
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt -r requirements-dev.txt
.venv/bin/python -m pip install -q --no-deps -r requirements-magenta.txt
# The project itself, editable and without dependencies (installed above): the dawg-ai-mcp command.
.venv/bin/python -m pip install -q --no-deps -e .
.venv/bin/python -c "import os; os.environ['TF_USE_LEGACY_KERAS']='1'; import magenta, librosa, fastapi; print('setup ok')"
