"""When and how TensorFlow is imported: not at graph build, and without its C++ log."""

from __future__ import annotations

import subprocess
import sys

from hyperspy_symmetry.models.tf_runtime import is_tensorflow_log_line

# The lines TensorFlow 2.21 printed on a CPU-only machine before issue 16.
TF_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796235267.029595    3790 port.cc:153] oneDNN custom operations are on.",
    "I0000 00:00:1796235267.030824    3790 cudart_stub.cc:31] Could not find cuda drivers "
    "on your machine, GPU will not be used.",
    "E0000 00:00:1796235270.430981    3790 cuda_platform.cc:52] failed call to cuInit: "
    "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "2025-09-17 14:44:05.157831: I external/local_xla/xla/tsl/cuda/cudart_stub.cc:32] Could "
    "not find cuda drivers on your machine, GPU will not be used.",
]

CLASSIFY = """
import sys
import numpy as np
import hyperspy.api as hs
print("before", file=sys.stderr)
s = hs.signals.Signal2D(np.random.default_rng(0).random((128, 128)).astype(np.float32))
s.set_signal_type("atomic_resolution")
p = s.classify_symmetry(model=sys.argv[1], window_size=64, stride=32, n_samples=4, seed=0,
                        show_progressbar=False)
print(p.data.shape)
"""


def _run(code, *args, env=None):
    import os

    full_env = dict(os.environ, **(env or {}))
    full_env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=full_env,
    )


def test_log_lines_are_recognised():
    assert all(is_tensorflow_log_line(line) for line in TF_LINES)
    assert not is_tensorflow_log_line(TF_LINES[3], keep_errors=True)  # E: kept with a GPU
    assert is_tensorflow_log_line(TF_LINES[1], keep_errors=True)
    for other in (
        "before",
        "UserWarning: x",
        "Traceback (most recent call last):",
        "I0 is not a log line",
        "E: nothing",
    ):
        assert not is_tensorflow_log_line(other)


def test_classification_prints_no_tensorflow_lines(tiny_aistem):
    done = _run(CLASSIFY, tiny_aistem)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(10, 3, 3)"
    # Other output written while TensorFlow was imported still comes through.
    assert done.stderr.splitlines() == ["before"], done.stderr


def test_tensorflow_lines_come_back_when_asked(tiny_aistem):
    done = _run(CLASSIFY, tiny_aistem, env={"HYPERSPY_SYMMETRY_TF_LOGS": "1"})
    assert done.returncode == 0, done.stderr
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):  # a GPU machine need not print any
        return
    assert any(is_tensorflow_log_line(line) for line in done.stderr.splitlines()), done.stderr


LAZY_GRAPH = """
import sys, time
import numpy as np
import dask.array as da
import hyperspy.api as hs
s = hs.signals.Signal2D(da.zeros((2, 256, 256), chunks=(1, 256, 256))).as_lazy()
s.set_signal_type("atomic_resolution")
kw = dict(model=sys.argv[1], window_size=64, stride=32, n_samples=4, seed=0)
p = s.classify_symmetry(**kw)
u = s.mc_uncertainty(**kw)
d = s.fft_descriptors(model=sys.argv[1], window_size=64, stride=32)
assert p.metadata.Symmetry.precision == "auto"
assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "imported"
print("ok")
"""


def test_building_a_lazy_graph_imports_no_tensorflow(tiny_aistem):
    done = _run(LAZY_GRAPH, tiny_aistem)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
