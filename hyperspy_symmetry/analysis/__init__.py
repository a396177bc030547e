"""Analysis of symmetry maps: grains and interfaces, phase fractions and growth kinetics.

Pure NumPy/SciPy functions on arrays (the signal methods ``u.segment``,
``p.phase_fractions``, ``f.fit_growth`` and ``s.hole_fraction`` are thin layers over them).

- :mod:`.segmentation`: bulk windows below an uncertainty threshold, grains as connected
  bulk regions (split where the predicted class changes), interface bands.
- :mod:`.kinetics`: mean class probability per frame, the intensity-threshold hole
  fraction, the hole area from window coverages, and fits of ``A(t) = A0 exp(rho t) + C``.
- :mod:`.lattice_coverage`: each window's hole coverage from the lattice's Bragg amplitude
  (``p.phase_fractions(hole_area=True, image=movie)``).
- :mod:`.rotation`: local lattice rotation relative to a reference lattice
  (``s.lattice_rotation``).
- :mod:`.latent`: 2D embeddings of the networks' latent features, and their plots
  (``s.latent_features``).

:mod:`.rotation` and :mod:`.latent` are imported when first used; importing this package
imports neither TensorFlow nor matplotlib.
"""

import importlib

from . import lattice_coverage
from .kinetics import (
    GROWTH_EXPRESSION,
    baseline_level,
    covered_area,
    fit_growth,
    growth_law,
    hole_fraction,
    initial_growth_guess,
    lattice_period,
    mean_fractions,
)
from .segmentation import (
    band_spans,
    boundary_bands,
    bulk_mask,
    check_threshold,
    label_grains,
    segment_arrays,
)

__all__ = [
    "GROWTH_EXPRESSION",
    "band_spans",
    "baseline_level",
    "boundary_bands",
    "bulk_mask",
    "check_threshold",
    "covered_area",
    "fit_growth",
    "growth_law",
    "hole_fraction",
    "initial_growth_guess",
    "label_grains",
    "lattice_coverage",
    "lattice_period",
    "mean_fractions",
    "segment_arrays",
]

_SUBMODULES = ("rotation", "latent")


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
