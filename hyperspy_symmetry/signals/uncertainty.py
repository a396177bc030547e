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

    # -- plotting (see hyperspy_symmetry.plotting) ----------------------------------------

    def plot_map(self, image=None, **kwargs):
        """Draw the uncertainty map with a colorbar labelled with the quantity.

        See :func:`hyperspy_symmetry.plotting.plot_uncertainty` for the keyword arguments
        (``ax``, ``cmap``, ``alpha``, ``vmax``, ``index``, ...); returns the matplotlib Axes.

        Examples
        --------
        >>> ax = u.plot_map(image=s)  # doctest: +SKIP
        """
        from ..plotting import plot_uncertainty

        return plot_uncertainty(self, image=image, **kwargs)

    def plot(self, navigator="auto", **kwargs):
        """HyperSpy's interactive plot, with defaults for uncertainty maps.

        Defaults: ``cmap="inferno"`` (perceptually uniform), ``vmin=0``, a colorbar labelled
        with ``metadata.Signal.quantity``. Any keyword argument of
        :meth:`hyperspy.signals.Signal2D.plot` overrides them.

        Examples
        --------
        >>> u.plot()  # doctest: +SKIP
        """
        from ..plotting import interactive_plot_defaults

        navigator, kwargs, finish = interactive_plot_defaults(self, navigator, kwargs)
        super().plot(navigator=navigator, **kwargs)
        finish()


class LazySymmetryUncertainty(LazySignal, SymmetryUncertainty):
    """Lazy :class:`SymmetryUncertainty`."""

    _lazy = True
