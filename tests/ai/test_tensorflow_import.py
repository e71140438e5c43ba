"""TensorFlow's start-up log is held to TF_CPP_MIN_LOG_LEVEL (ai/tensorflow_import.py): TensorFlow 2.21 logs through
absl before ``absl::InitializeLog()``, which that variable does not reach, so ``dawg-ai generate`` printed 6 lines
of it on stderr though the CLI sets the level to 3."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from ai import tensorflow_import
from ai.tensorflow_import import kept_log, native_log_filtered
from utils.settings import REPO_ROOT

ONEDNN = (
    b"I0000 00:00:1796675300.584054   31587 port.cc:153] oneDNN custom operations are on. You may see slightly "
    b"different numerical results due to floating-point round-off errors from different computation orders.\n"
)
CUDA = b"I0000 00:00:1796675300.588244   31587 cudart_stub.cc:31] Could not find cuda drivers on your machine.\n"
PRE_INIT = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
ABSL_WARNING = b"W1207 20:26:37.123456   31587 loader.cc:12] a warning\n"
ABSL_ERROR = b"E1207 20:26:37.123456   31587 loader.cc:13] an error\n"
OTHER = b"UserWarning: something a library says in Python\n"


def test_absl_lines_under_the_level_are_left_out_and_the_rest_kept() -> None:
    text = PRE_INIT + ONEDNN + CUDA + ABSL_WARNING + ABSL_ERROR + OTHER
    assert kept_log(text, 0) == text
    assert kept_log(text, 1) == ABSL_WARNING + ABSL_ERROR + OTHER
    assert kept_log(text, 2) == ABSL_ERROR + OTHER
    assert kept_log(text, 3) == OTHER
    # A line that only mentions such a line is no log line of absl's.
    quoted = b"error: the log said I0000 00:00:1.0 1 port.cc:153] something\n"
    assert kept_log(quoted, 3) == quoted


def test_what_is_written_to_stderr_inside_the_block_comes_out_filtered(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_log_filtered():  # a process that did not ask (the service): its stderr is never held
        os.write(2, ONEDNN)
    assert capfd.readouterr().err == ONEDNN.decode()
    monkeypatch.setattr(tensorflow_import, "_filtering", True)  # as the CLI asks (filter_native_log)
    with native_log_filtered():
        os.write(2, PRE_INIT + ONEDNN + CUDA)
        os.write(2, OTHER)
    assert capfd.readouterr().err == OTHER.decode()
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL")  # no level: nothing held or dropped
    with native_log_filtered():
        os.write(2, ONEDNN)
    assert capfd.readouterr().err == ONEDNN.decode()


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow is not installed")
def test_importing_tensorflow_for_magenta_prints_nothing_at_level_3() -> None:
    """TensorFlow itself, in a fresh process (its start-up log comes once per process)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO_ROOT)}
    code = (
        "from ai.tensorflow_import import filter_native_log; filter_native_log(); "
        "from ai.generation.magenta_models import _import_tensorflow; _import_tensorflow()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stderr.decode(errors="replace") == ""
