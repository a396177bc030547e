"""Models: cards, Keras architectures, loading with sha256 checks, and the MC-dropout engine.

Importing this package does not import TensorFlow.
"""

import os

# TensorFlow's C++ start-up chatter (CUDA probing on CPU machines, oneDNN notes) says nothing
# a user of this package can act on; warnings and errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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
