"""Models: cards, Keras architectures, loading with sha256 checks, and the MC-dropout engine.

Importing this package does not import TensorFlow; when a model is first built or loaded,
:func:`~hyperspy_symmetry.models.tf_runtime.import_tensorflow` imports it without its C++
start-up log (``HYPERSPY_SYMMETRY_TF_LOGS=1`` shows that log).
"""

from .cards import ModelCard, sha256_file
from .registry import (
    ModelNotAvailableError,
    ModelRef,
    SymmetryModel,
    cached_model,
    list_models,
    load_model,
    resolve_model,
    save_model,
)

__all__ = [
    "ModelCard",
    "ModelNotAvailableError",
    "ModelRef",
    "SymmetryModel",
    "cached_model",
    "list_models",
    "load_model",
    "resolve_model",
    "save_model",
    "sha256_file",
]
