"""Phase fractions of a movie: the mean probability of every class per frame."""

from __future__ import annotations

from typing import Any

import numpy as np
from hyperspy.signals import LazySignal, Signal1D

from ..pipeline import compute
from ..signal_types import PHASE_FRACTIONS
from ._results import SymmetryResultMixin

__all__ = ["PhaseFractions", "LazyPhaseFractions"]


class PhaseFractions(SymmetryResultMixin, Signal1D):
    """Mean class probability per frame, made by ``SymmetryProbabilities.phase_fractions``.

    Data shape ``(n_classes, n_frames)``: the signal axis is the movie's calibrated frame
    axis (e.g. ``time`` in s), the navigation axis ``class`` runs over :attr:`class_names`
    (found by name: ``f.T`` or ``f.isig[a:b]`` work too; ``f.inav[0]`` has no class axis).

    Examples
    --------
    >>> import numpy as np
    >>> import hyperspy.api as hs
    >>> f = hs.signals.Signal1D(np.array([[0.9, 0.8], [0.1, 0.2]]))
    >>> f.set_signal_type("symmetry_phase_fractions")
    >>> f.metadata.set_item("Symmetry.class_names", ["hexagonal", "noise"])
    >>> f.axes_manager[0].name = "class"
    >>> f.class_names, f.fraction("noise").data
    (['hexagonal', 'noise'], array([0.1, 0.2]))
    """

    _signal_type = PHASE_FRACTIONS

    def fraction(self, class_name: str, show_progressbar: bool | None = None) -> Signal1D:
        """One class's fraction against time, as an eager plain ``Signal1D``.

        ``show_progressbar`` (default: HyperSpy's preference) shows a progress bar while
        lazy fractions are computed.

        Examples
        --------
        >>> c = f.fraction("FCC_Cu_100")  # f: the phase fractions of a 3-frame movie
        >>> c.axes_manager[0].name, c.data.shape
        ('time', (3,))
        """
        index = self._class_index(class_name)
        rows, time = self._rows("fraction", show_progressbar)
        out = Signal1D(rows[index].copy(), axes=[time.get_axis_dictionary()])
        out.metadata.General.title = f"{self.metadata.General.title}: {class_name}"
        out.metadata.set_item("Signal.quantity", f"Fraction of {class_name}")
        return out

    def _rows(self, needed_by: str, show_progressbar: bool | None = False):
        """``(n_classes, n_frames)`` float array, computed, and the frame axis; the class
        axis found by name, so a transposed signal works too."""
        class_axis = self._class_axis(needed_by)
        others = [
            ax
            for ax in (*self.axes_manager.navigation_axes, *self.axes_manager.signal_axes)
            if ax is not class_axis
        ]
        if len(others) != 1:
            raise ValueError(
                f"{needed_by} needs phase fractions against one frame axis; this signal has "
                f"{len(others)} axes besides `class`: {[ax.name for ax in others]}."
            )
        data = np.asarray(
            compute(self.data, show_progressbar, desc="phase fractions"), dtype=float
        )
        if class_axis.index_in_array == 1:
            data = data.T
        return data, others[0]

    def fit_growth(
        self, class_name: str, baseline_until: float, show_progressbar: bool | None = None
    ) -> dict[str, Any]:
        """Fit the growth of one class's fraction with ``A(t) = A0 exp(rho t) + C``.

        As in Vasudevan et al. (2018), ``C`` is fixed to the mean fraction of the frames
        before ``baseline_until``; ``A0`` and ``rho`` are fitted with HyperSpy's model
        (``create_model`` with an ``Expression`` component, Levenberg-Marquardt, analytical
        gradients) over all frames, from starting values of a log-linear fit. See
        :func:`hyperspy_symmetry.analysis.fit_growth`.

        Parameters
        ----------
        class_name : str
            One of :attr:`class_names`, e.g. ``"noise"`` for beam damage.
        baseline_until : float
            Time, in the frame axis' units, before which the fraction is the baseline.
        show_progressbar : bool, optional
            Show a progress bar while lazy fractions are computed. Default: HyperSpy's
            preference.

        Returns
        -------
        dict
            ``A0``, ``rho`` (per time unit), ``C``, ``A0_std``, ``rho_std`` (standard
            errors), ``n_frames``, ``n_baseline``, ``residual_rms``, ``baseline_until``,
            ``time_units``, ``success``, ``class_name``.

        Raises
        ------
        ValueError
            For an unknown class, or a ``baseline_until`` that leaves no frame before it
            or fewer than two at or after it.

        Examples
        --------
        >>> p = movie.classify_symmetry(model="bravais", n_samples=10, seed=0)  # 3 frames
        >>> fit = p.phase_fractions().fit_growth("noise", baseline_until=10.0)
        >>> rate, error = fit["rho"], fit["rho_std"]
        >>> fit["n_frames"], fit["n_baseline"], fit["time_units"]
        (3, 1, 's')
        """
        from ..analysis.kinetics import fit_growth

        result = fit_growth(self.fraction(class_name, show_progressbar), baseline_until)
        result["class_name"] = class_name
        return result

    def plot_fractions(self, ax=None, show_progressbar: bool | None = None):
        """Plot every class's fraction against the calibrated frame axis.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw in; default a new figure.
        show_progressbar : bool, optional
            Show a progress bar while lazy fractions are computed. Default: HyperSpy's
            preference.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import numpy as np
        >>> import hyperspy.api as hs
        >>> f = hs.signals.Signal1D(np.array([[0.9, 0.8], [0.1, 0.2]]))
        >>> f.set_signal_type("symmetry_phase_fractions")
        >>> f.metadata.set_item("Symmetry.class_names", ["hexagonal", "noise"])
        >>> f.axes_manager[0].name = "class"
        >>> f.axes_manager[-1].name, f.axes_manager[-1].units = "time", "s"
        >>> ax = f.plot_fractions()
        >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
        ('time (s)', ['hexagonal', 'noise'])
        >>> from hyperspy_symmetry.plotting import class_colors
        >>> ax.lines[1].get_color() == class_colors(2)[1]
        True
        """
        import matplotlib.pyplot as plt

        from ..plotting import class_colors

        if ax is None:
            _, ax = plt.subplots()
        data, axis = self._rows("plot_fractions", show_progressbar)
        colors = class_colors(len(self.class_names))  # as in the class maps
        for name, row, color in zip(self.class_names, data, colors, strict=False):
            ax.plot(axis.axis, row, label=name, color=color)
        units = "" if _undefined(axis.units) else str(axis.units)
        label = "frame" if _undefined(axis.name) else str(axis.name)
        ax.set_xlabel(f"{label} ({units})" if units else label)
        ax.set_ylabel("Phase fraction (mean probability)")
        if self.metadata.General.title:
            ax.set_title(self.metadata.General.title)
        ax.legend(title="class")
        return ax


def _undefined(value) -> bool:
    return value is None or str(value) in ("", "<undefined>")


class LazyPhaseFractions(LazySignal, PhaseFractions):
    """Lazy :class:`PhaseFractions`."""

    _lazy = True
