"""Uncertainty maps of Monte-Carlo dropout: mutual information, predictive entropy, variation ratio."""

from __future__ import annotations

from hyperspy._signals.lazy import LazySignal
from hyperspy._signals.signal2d import Signal2D

from ._results import SymmetryResultMixin

__all__ = ["SymmetryUncertainty", "LazySymmetryUncertainty"]


class SymmetryUncertainty(SymmetryResultMixin, Signal2D):
    """An uncertainty measure on the window grid, made by ``mc_uncertainty``.

    ``metadata.Signal.quantity`` names the measure and its unit, e.g.
    ``"Mutual information (bits)"``; ``metadata.Symmetry`` records the model, window,
    stride, number of samples and seed.
    """

    _signal_type = "symmetry_uncertainty"

    @property
    def measure(self) -> str:
        """The measure mapped: ``mutual_information``, ``predictive_entropy`` or ``variation_ratio``."""
        return str(self.metadata.get_item("Symmetry.measure"))


class LazySymmetryUncertainty(LazySignal, SymmetryUncertainty):
    """Lazy :class:`SymmetryUncertainty`."""

    _lazy = True
