"""hyperspy-symmetry: local crystal-symmetry maps of atomic-resolution images.

A HyperSpy extension: ``s.set_signal_type("atomic_resolution")`` gives an image (or movie,
or stack) the methods ``classify_symmetry``, ``mc_uncertainty`` and ``fft_descriptors``.

Importing this package does not import TensorFlow; it is imported when a model runs.

Examples
--------
>>> import hyperspy_symmetry as hss
>>> {"aistem", "bravais"} <= set(hss.list_models())  # the shipped models
True
"""

from importlib.metadata import PackageNotFoundError, version

from .models import ModelCard, list_models, load_model, save_model

try:
    __version__ = version("hyperspy-symmetry")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["ModelCard", "list_models", "load_model", "save_model", "__version__"]
