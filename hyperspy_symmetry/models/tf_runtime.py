"""Importing TensorFlow quietly: the one place where this package first imports it.

TensorFlow 2.21 writes its C++ start-up log (oneDNN notes, CUDA driver probing, and on a
CPU-only machine ``E0000 ... failed call to cuInit: ... CUDA error``) straight to file
descriptor 2, before absl's logging is set up, so ``TF_CPP_MIN_LOG_LEVEL`` no longer
silences it. :func:`import_tensorflow` therefore imports TensorFlow and probes its devices
with file descriptor 2 sent to a temporary file, then writes back every captured line that
is not one of TensorFlow's C++ log lines (so Python warnings and anything else printed
meanwhile still appear, only a little later). Where TensorFlow finds a GPU its C++ errors
are kept too, since they may then matter.

To see TensorFlow's lines, set ``HYPERSPY_SYMMETRY_TF_LOGS=1`` before the first
classification (or before importing TensorFlow yourself): nothing is captured and
``TF_CPP_MIN_LOG_LEVEL`` is left as you set it.

Examples
--------
>>> tf = import_tensorflow()
>>> tf.__name__
'tensorflow'
"""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
import threading
from types import ModuleType

__all__ = ["import_tensorflow", "gpu_available", "is_tensorflow_log_line", "LOGS_VARIABLE"]

#: Environment variable that, set to a true value, lets TensorFlow's C++ log through.
LOGS_VARIABLE = "HYPERSPY_SYMMETRY_TF_LOGS"

# absl format ("I0000 00:00:1796235267.029595    3790 port.cc:153] ..."), the older TSL one
# ("2025-09-17 14:44:05.157831: I external/...:32] ...") and absl's notice about itself.
_LOG_LINE = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\]"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] \S+:\d+\]"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called)"
)
_IMPORT_LOCK = threading.Lock()


def _logs_wanted() -> bool:
    return os.environ.get(LOGS_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


def is_tensorflow_log_line(line: str, keep_errors: bool = False) -> bool:
    """Whether ``line`` is one of TensorFlow's C++ log lines (errors excepted if asked).

    Examples
    --------
    >>> is_tensorflow_log_line("E0000 00:00:1796235270.430981    3790 cuda_platform.cc:52] "
    ...                        "failed call to cuInit: INTERNAL: CUDA error")
    True
    >>> is_tensorflow_log_line("UserWarning: something else")
    False
    """
    if not _LOG_LINE.match(line):
        return False
    if keep_errors:
        level = line[0] if line[0] in "IWEF" and line[1].isdigit() else line[28:29]
        return level not in "EF"
    return True


def import_tensorflow() -> ModuleType:
    """``tensorflow``, imported (and its devices probed) without its C++ start-up log.

    Returns at once if TensorFlow is already imported. See the module documentation for
    what is hidden and how to get it back.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with _IMPORT_LOCK:
        if "tensorflow" in sys.modules:
            return sys.modules["tensorflow"]
        if _logs_wanted():
            import tensorflow as tf

            return tf
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with tempfile.TemporaryFile(mode="w+b") as captured:
            sys.stderr.flush()
            saved = os.dup(2)
            os.dup2(captured.fileno(), 2)
            gpu = False
            try:
                import tensorflow as tf

                # cuInit runs at the first device query; let it happen here.
                gpu = bool(tf.config.list_physical_devices("GPU"))
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
                captured.seek(0)
                text = captured.read().decode(errors="replace")
                kept = [
                    line
                    for line in text.splitlines(keepends=True)
                    if not is_tensorflow_log_line(line, keep_errors=gpu)
                ]
                if kept:
                    sys.stderr.write("".join(kept))
                    sys.stderr.flush()
        return tf


@functools.lru_cache(maxsize=1)
def gpu_available() -> bool:
    """Whether TensorFlow sees a GPU (TensorFlow imported by :func:`import_tensorflow`).

    Examples
    --------
    >>> gpu_available() in (True, False)
    True
    """
    tf = import_tensorflow()

    return bool(tf.config.list_physical_devices("GPU"))
