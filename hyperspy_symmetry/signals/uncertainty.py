"""Uncertainty maps of MC dropout: mutual information, predictive entropy, variation ratio."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hyperspy.signals import LazySignal, Signal2D

from ..checks import check_instance
from ..signal_types import UNCERTAINTY
from ._results import SymmetryResultMixin

__all__ = ["SymmetryUncertainty", "LazySymmetryUncertainty", "Segmentation"]


@dataclass
class Segmentation:
    """Grains and interfaces of an uncertainty map, made by :meth:`SymmetryUncertainty.segment`.

    Attributes
    ----------
    bulk : hyperspy.signals.Signal2D
        Boolean, on the window grid with the uncertainty map's axes: True where the
        uncertainty is below ``threshold`` (NaN windows are not bulk).
    grains : hyperspy.signals.Signal2D
        int32, same axes: 0 for interfaces (not bulk), ``1..N`` for the connected bulk
        regions of each image (4-connectivity), split where the predicted class changes
        when probabilities were given.
    threshold : float
        The threshold used, in the measure's unit.
    measure : str
        The uncertainty measure thresholded.
    grain_classes : list or None
        The class name of every grain (``grain_classes[k - 1]`` for grain ``k``); for a
        stack, nested lists following its navigation axes in array order. None when no
        probabilities were given (grains then have no class).
    """

    bulk: Signal2D
    grains: Signal2D
    threshold: float
    measure: str
    grain_classes: list | None = None

    @property
    def n_grains(self):
        """Number of grains: an int for one image, nested lists for a stack."""
        data = np.asarray(self.grains.data)
        counts = data.reshape((-1,) + data.shape[-2:]).max(axis=(-2, -1), initial=0)
        counts = counts.reshape(data.shape[:-2]).tolist()
        return int(counts) if data.ndim == 2 else counts


class SymmetryUncertainty(SymmetryResultMixin, Signal2D):
    """An uncertainty measure on the window grid, made by ``mc_uncertainty``.

    ``metadata.Signal.quantity`` names the measure and its unit, e.g.
    ``"Mutual information (bits)"``; ``metadata.Symmetry`` records the model, window,
    stride, number of samples and seed.
    """

    _signal_type = UNCERTAINTY

    @property
    def measure(self) -> str:
        """The measure: ``mutual_information``, ``predictive_entropy`` or ``variation_ratio``."""
        return str(self.metadata.get_item("Symmetry.measure"))

    # -- plotting (see hyperspy_symmetry.plotting) ----------------------------------------

    def plot_map(self, image=None, **kwargs):
        """Draw the uncertainty map with a colorbar labelled with the quantity.

        See :func:`hyperspy_symmetry.plotting.plot_uncertainty` for the keyword arguments
        (``ax``, ``cmap``, ``alpha``, ``vmax``, ``index``, ...); returns the matplotlib Axes.

        Examples
        --------
        >>> ax = u.plot_map(image=s)
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
        >>> u.plot()
        """
        from ..plotting import interactive_plot_defaults

        navigator, kwargs, finish = interactive_plot_defaults(self, navigator, kwargs)
        super().plot(navigator=navigator, **kwargs)
        finish()

    def _check_probabilities(self, probabilities) -> None:
        """``probabilities`` must be a class-probability map of the same windows."""
        from .probabilities import SymmetryProbabilities

        check_instance(
            probabilities,
            "probabilities",
            SymmetryProbabilities,
            "the SymmetryProbabilities from classify_symmetry with the same arguments",
        )
        class_axis = probabilities._class_axis("segment(probabilities=...)")
        pshape = probabilities.data.shape
        expected = list(self.data.shape)
        expected.insert(class_axis.index_in_array, len(probabilities.class_names))
        if pshape != tuple(expected):
            raise ValueError(
                f"probabilities have data shape {pshape}, but this uncertainty map needs "
                f"{tuple(expected)} (the same images and window grid, plus a class axis). Use "
                f"the classify_symmetry result of the same signal with the same window_size "
                f"and stride."
            )
        for mine, theirs in zip(
            self.axes_manager.signal_axes, probabilities.axes_manager.signal_axes, strict=False
        ):
            if not (
                np.isclose(mine.scale, theirs.scale)
                and np.isclose(mine.offset, theirs.offset)
                and mine.units == theirs.units
            ):
                raise ValueError(
                    f"probabilities are on another window grid: axis {mine.name!r} has scale "
                    f"{theirs.scale:g} and offset {theirs.offset:g} {theirs.units}, this map "
                    f"{mine.scale:g} and {mine.offset:g} {mine.units}. Use the same window_size "
                    f"and stride for classify_symmetry and mc_uncertainty."
                )

    def _grid_signal(self, data, title: str, quantity: str, extra: dict | None = None) -> Signal2D:
        """An eager plain Signal2D with this signal's axes, metadata and original metadata."""
        return self._derived(data, title, quantity, extra=extra or {}, lazy=False)

    def segment(
        self,
        threshold: float | None = None,
        probabilities=None,
        show_progressbar: bool | None = None,
    ) -> Segmentation:
        """Split the window grid into bulk grains and interfaces.

        Windows whose uncertainty is below ``threshold`` are bulk; connected bulk windows
        (4-connectivity, :func:`scipy.ndimage.label`) form a grain, numbered ``1..N`` in
        each image of a stack or movie separately; everything else (0) is interface,
        defect or unknown structure. With ``probabilities``, grains are also split where
        the predicted class changes and each grain gets its class.

        Parameters
        ----------
        threshold : float, optional
            In the measure's unit. ``None``: the model's interface threshold
            (``interface_threshold`` of its card, recorded in
            ``metadata.Symmetry.interface_threshold``), or AI-STEM's 0.1 bits of mutual
            information where none is recorded. Other measures need an explicit threshold
            that suits them (predictive entropy is at least the mutual information and is
            high for any ambiguous window; the variation ratio is a fraction in [0, 1]).
        probabilities : SymmetryProbabilities, optional
            The ``classify_symmetry`` result with the same arguments (same images and
            window grid). Without it grains have no class (``grain_classes`` is None).
        show_progressbar : bool, optional
            Show a progress bar while a lazy map is computed. Default: HyperSpy's
            preference.

        Returns
        -------
        Segmentation
            ``bulk`` (boolean Signal2D) and ``grains`` (int32 Signal2D) on this signal's
            axes, and ``grain_classes``: the class names of the grains, also stored in
            ``grains.metadata.Symmetry.grain_classes`` (a list per image for a stack).

        Raises
        ------
        ValueError
            For a threshold that is not a positive finite number, or probabilities of
            other images or another window grid.

        Notes
        -----
        A lazy signal is computed here (uncertainty and predicted class together, so the
        network runs once); the result is eager: the window grid is small next to the
        images, and numbering grains needs whole images anyway.

        Examples
        --------
        >>> import numpy as np
        >>> import hyperspy.api as hs
        >>> mi = hs.signals.Signal2D(np.array([[0.0, 0.0, 0.5, 0.0]] * 3))
        >>> mi.set_signal_type("symmetry_uncertainty")
        >>> seg = mi.segment()  # no model recorded: AI-STEM's 0.1 bits
        >>> seg.threshold, seg.grains.data[0], seg.n_grains
        (0.1, array([1, 1, 0, 2], dtype=int32), 2)

        With the class probabilities of the same computation (``u = s.mc_uncertainty(...)``
        and ``p = s.classify_symmetry(...)``, same arguments):

        >>> seg = u.segment(0.1, probabilities=p)
        >>> seg.n_grains, seg.grain_classes
        (1, ['FCC_Cu_100'])
        """
        from ..analysis.segmentation import check_threshold, segment_arrays

        if threshold is None:
            threshold = self.interface_threshold
        threshold = check_threshold(threshold)
        names = None
        if probabilities is not None:
            self._check_probabilities(probabilities)
            names = probabilities.class_names
        uncertainty, classes = self._compute_with(probabilities, show_progressbar)
        bulk, grains, grain_classes = segment_arrays(uncertainty, threshold, classes)
        measure = self.metadata.get_item("Symmetry.measure", "mutual_information")
        named = None
        if names is not None:
            named = _map_nested(grain_classes, lambda i: names[i])
        title = self.metadata.General.title or "Uncertainty"
        record = {"threshold": threshold, "segmented_measure": measure}
        bulk_signal = self._grid_signal(bulk, f"{title} bulk (< {threshold:g})", "Bulk", record)
        if named is not None:
            record = dict(record, grain_classes=named)
        grain_signal = self._grid_signal(grains, f"{title} grains", "Grain label", record)
        return Segmentation(
            bulk=bulk_signal,
            grains=grain_signal,
            threshold=threshold,
            measure=str(measure),
            grain_classes=named,
        )

    @property
    def interface_threshold(self) -> float:
        """The default threshold of :meth:`segment`, in bits of mutual information.

        The model's ``interface_threshold`` as recorded when the map was made, or AI-STEM's
        0.1 bits for maps made before models recorded one.

        Raises
        ------
        ValueError
            For a map of another measure than mutual information: its threshold must be
            given.
        """
        from ..models.cards import PAPER_THRESHOLD

        measure = self.metadata.get_item("Symmetry.measure", "mutual_information")
        if measure != "mutual_information":
            raise ValueError(
                f"This map holds {measure!r}; the model's interface threshold is in bits of "
                "mutual information. Give segment() a threshold in this measure's unit."
            )
        value = self.metadata.get_item("Symmetry.interface_threshold", None)
        return PAPER_THRESHOLD if value is None else float(value)

    def _compute_with(
        self, probabilities, show_progressbar=None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """This map and the predicted class of ``probabilities`` as NumPy arrays, computed
        together when lazy."""
        from ..pipeline import compute_all

        pred = None if probabilities is None else probabilities.predicted_class().data
        arrays = [self.data] + ([] if pred is None else [pred])
        arrays = compute_all(arrays, show_progressbar, desc="segmenting")
        return arrays[0], (arrays[1] if pred is not None else None)


def _map_nested(value, fn):
    if isinstance(value, list):
        return [_map_nested(v, fn) for v in value]
    return fn(value)


class LazySymmetryUncertainty(LazySignal, SymmetryUncertainty):
    """Lazy :class:`SymmetryUncertainty`."""

    _lazy = True
