"""Analysis of symmetry maps: pure NumPy/SciPy science on windows and results.

- :mod:`.rotation`: local lattice rotation relative to a reference lattice.
- :mod:`.latent`: 2D embeddings of the networks' latent features, and their plots.

Submodules are imported when first used; importing this package imports neither
TensorFlow nor matplotlib.
"""

import importlib

_SUBMODULES = ("rotation", "latent")


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
