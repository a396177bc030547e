"""Analysis of symmetry maps: grains and interfaces, phase fractions and growth kinetics.

Pure NumPy/SciPy functions on arrays (the signal methods ``u.segment``,
``p.phase_fractions``, ``f.fit_growth`` and ``s.hole_fraction`` are thin layers over them).

- :mod:`.segmentation`: bulk windows below an uncertainty threshold, grains as connected
  bulk regions (split where the predicted class changes), interface bands.
- :mod:`.kinetics`: mean class probability per frame, the intensity-threshold hole
  fraction, and fits of ``A(t) = A0 exp(rho t) + C``.
"""

from .kinetics import (
    GROWTH_EXPRESSION,
    baseline_level,
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
    "fit_growth",
    "growth_law",
    "hole_fraction",
    "initial_growth_guess",
    "label_grains",
    "lattice_period",
    "mean_fractions",
    "segment_arrays",
]
