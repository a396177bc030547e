"""Class-probability maps: the mean softmax output over Monte-Carlo dropout samples."""

from __future__ import annotations

import numpy as np
from hyperspy.signals import LazySignal, Signal2D

from ..signal_types import PROBABILITIES
from ._results import SymmetryResultMixin

__all__ = ["SymmetryProbabilities", "LazySymmetryProbabilities"]


class SymmetryProbabilities(SymmetryResultMixin, Signal2D):
    """Mean class probabilities on the window grid, made by ``classify_symmetry``.

    The first navigation axis, ``class``, runs over :attr:`class_names`; the other
    navigation axes are those of the classified images; the signal axes are the window grid.
    The methods find the class axis by its name, so they keep working after ``transpose``,
    ``isig``/``inav`` slicing of the other axes, ``rebin`` or ``as_lazy``; where the class
    axis is gone (``p.inav[3]``, ``p.sum("class")``) they raise a clear ``ValueError``.
    """

    _signal_type = PROBABILITIES

    def predicted_class(self) -> Signal2D:
        """The index of the most probable class of each window.

        Returns
        -------
        hyperspy.signals.Signal2D
            Integer map (int16) on the window grid, with this signal's navigation axes
            less ``class``; windows whose probabilities are NaN get -1. Look the index up
            in :attr:`class_names`.

        Examples
        --------
        >>> labels = p.predicted_class()
        >>> p.class_names[int(labels.data[0, 0])]
        'FCC_Cu_100'
        """
        class_axis = self._class_axis("predicted_class")
        if self._lazy:
            import dask.array as xp
        else:
            xp = np
        axis = class_axis.index_in_array
        nan = xp.isnan(self.data)
        label = xp.argmax(xp.where(nan, -1.0, self.data), axis=axis)
        label = xp.where(nan.any(axis=axis), -1, label).astype(np.int16)
        title = f"{self.metadata.General.title} predicted class"
        return self._derived(label, title, "Class index", drop=class_axis)

    def class_map(self, name: str) -> Signal2D:
        """The probability map of one class.

        Parameters
        ----------
        name
            One of :attr:`class_names`.

        Returns
        -------
        hyperspy.signals.Signal2D

        Examples
        --------
        >>> p.class_map("FCC_Cu_100").plot()
        """
        index = self._class_index(name)
        class_axis = self._class_axis("class_map")
        data = self.data[(slice(None),) * class_axis.index_in_array + (index,)]
        out = self._derived(
            data,
            f"{self.metadata.General.title}: {name}",
            f"Probability of {name}",
            drop=class_axis,
        )
        out.metadata.set_item("Symmetry.class_name", name)
        return out

    def plot_class_map(self, image=None, **kwargs):
        """Draw the predicted-class map with a named legend, optionally over ``image``.

        See :func:`hyperspy_symmetry.plotting.plot_class_map` for the keyword arguments
        (``ax``, ``alpha``, ``index``, ``legend``, ...); returns the matplotlib Axes.

        Examples
        --------
        >>> ax = p.plot_class_map(image=s)
        """
        from ..plotting import plot_class_map

        return plot_class_map(self, image=image, **kwargs)

    def plot(self, navigator="auto", **kwargs):
        """HyperSpy's interactive plot, with defaults for probabilities.

        Defaults: colour range fixed to 0-1, ``cmap="viridis"``, a colorbar, the navigator's
        class axis labelled with the class names and the title naming the class shown. Any
        keyword argument of :meth:`hyperspy.signals.Signal2D.plot` overrides them.

        Examples
        --------
        >>> p.plot()
        >>> p.plot(cmap="magma", vmax=0.5)
        """
        from ..plotting import interactive_plot_defaults

        navigator, kwargs, finish = interactive_plot_defaults(self, navigator, kwargs)
        super().plot(navigator=navigator, **kwargs)
        finish()

    def lattice_check(self) -> dict:
        """Check each frame's dominant lattice class against its measured lattice.

        For results of scale-free classification (a scale-free model such as ``bravais`` at
        default ``window_size``), which record the lattice measured from each frame's Bragg
        peaks (``metadata.Symmetry.measured_lattices``): the class that at least three
        quarters of a frame's lattice windows get is ruled out when its ideal cell is more
        than 0.1 from that lattice (:func:`hyperspy_symmetry.class_geometry.check_class_geometry`).
        ``classify_symmetry`` runs it on eager results and records it in
        ``metadata.Symmetry.lattice_check``; call it on a lazy result (it computes the
        predicted classes) or on a loaded one.

        Returns
        -------
        dict
            ``ok`` (``False`` if a class is ruled out, ``None`` if no frame could be
            checked), ``frames_checked``, ``ruled_out`` (per frame: ``frame``, ``class``,
            ``share``, ``distance``, ``closest_class``, ``a``, ``b``, ``gamma``),
            ``tolerance`` and ``dominant_share``.

        Raises
        ------
        ValueError
            If the result records no measured lattices (explicit window, or a model that is
            not scale-free), or its frames no longer match them (sliced).

        Warns
        -----
        hyperspy_symmetry.class_geometry.LatticeGeometryWarning
            Once, when a frame's class is ruled out.

        Examples
        --------
        >>> from hyperspy_symmetry.simulate import bravais_image
        >>> p = bravais_image("square", 256, seed=0, a=12.0).classify_symmetry(
        ...     "bravais", n_samples=5, seed=0, show_progressbar=False)
        >>> check = p.lattice_check()
        >>> check["ok"], check["frames_checked"]
        (True, 1)
        """
        return self._lattice_check(stacklevel=3)

    def _lattice_check(self, stacklevel: int) -> dict:
        import warnings

        from ..class_geometry import LatticeGeometryWarning, check_class_geometry

        lattices = self.metadata.get_item("Symmetry.measured_lattices")
        if lattices is None:
            raise ValueError(
                "This result records no measured lattices: only scale-free classification "
                "(a scale-free model such as 'bravais' at default window_size) measures the "
                "lattice of each frame."
            )
        lattices = np.asarray(lattices, dtype=float)
        labels = self.predicted_class().data
        labels = np.asarray(labels.compute() if self._lazy else labels)
        if labels.shape[:-2] != lattices.shape[:-1]:
            raise ValueError(
                f"The result's frames {labels.shape[:-2]} no longer match the "
                f"{lattices.shape[:-1]} frames whose lattices were measured (sliced along "
                f"the navigation axes?); check the whole result."
            )
        check = check_class_geometry(labels, self.class_names, lattices)
        if check.ok is False:
            message = check.message(self.metadata.Symmetry.model, int(np.prod(labels.shape[:-2])))
            warnings.warn(message, LatticeGeometryWarning, stacklevel=stacklevel)
        return check.metadata()

    def phase_fractions(
        self, hole_area: bool = False, image=None, show_progressbar: bool | None = None
    ):
        """The mean probability of every class per frame of a movie (NaN windows ignored).

        Vasudevan et al. (2018) call this the phase fraction: its change over a movie
        follows transformations and beam damage (the ``noise`` class).

        Parameters
        ----------
        hole_area
            ``False`` (default): every fraction is the mean probability over the frame's
            windows, as the paper defines it. ``True``: the ``noise`` fraction is instead
            the area fraction of the frame that is hole, estimated from each window's
            ``noise`` probability read as the Hann-weighted hole coverage of that window
            (:func:`~hyperspy_symmetry.analysis.covered_area`): the mean over windows
            weights the frame's middle more than its edges, which this undoes. The other
            classes are scaled so that the fractions still sum to one. Needs a ``noise``
            class and the ``window_size`` and ``stride`` (pixels) in
            ``metadata.Symmetry``, as ``classify_symmetry`` writes them; a lazy signal
            is computed here.
        image
            With ``hole_area=True``: the movie these probabilities were computed from
            (the same frames and pixels). Each window's hole coverage is then read from
            the lattice's own Bragg amplitude instead of the value of its ``noise``
            probability: the sum of the magnitudes of the window's Fourier coefficients at
            the frame's three strongest Bragg peaks, divided by that of a whole-lattice
            window, is the share of the window's weight that holds the lattice
            (:mod:`~hyperspy_symmetry.analysis.lattice_coverage`). The network sets the
            reference: in each frame, the median of the amplitudes of the windows
            whose ``noise`` probability is below 0.01 (of all frames together when a frame
            has fewer than three). Far closer to the true hole area than the probabilities
            on simulated damage movies (per-frame error 0.001-0.008 against 0.009-0.051,
            docs/benchmarks.md). It assumes one lattice whose contrast is the same over
            the frame: windows of another phase, or where the lattice fades (thickness,
            focus), read as partly hole.
        show_progressbar
            Show a progress bar while ``image`` is read and its windows measured.
            Default: HyperSpy's preference.

        Returns
        -------
        PhaseFractions or LazyPhaseFractions
            Data shape ``(n_classes, n_frames)``: the signal axis is this signal's frame
            axis (name, scale, units and offset copied), the navigation axis ``class``;
            ``metadata.Symmetry`` is copied, so ``class_names`` works. Lazy in, lazy out.

        Raises
        ------
        ValueError
            If this signal has no frame axis (one image) or more than one navigation axis
            besides ``class``: select one movie first, e.g. ``p.inav[:, :, 0]``. If
            ``image`` is given without ``hole_area=True``, or does not match these
            probabilities' frames and window grid.

        Examples
        --------
        >>> p = movie.classify_symmetry(model="bravais", n_samples=10, seed=0)  # 3 frames
        >>> f = p.phase_fractions()
        >>> f.axes_manager.signal_axes[0].name, f.data.shape
        ('time', (6, 3))
        >>> ax = f.plot_fractions()
        >>> rho = f.fit_growth("noise", baseline_until=10.0)["rho"]
        >>> h = p.phase_fractions(hole_area=True)  # the noise row: hole area per frame
        >>> h.metadata.Signal.quantity, h.fraction("noise").data.shape
        ('Hole area fraction (from noise probabilities)', (3,))
        >>> h = p.phase_fractions(hole_area=True, image=movie)  # from the Bragg amplitude
        >>> h.metadata.Signal.quantity
        'Hole area fraction (from Bragg amplitudes)'
        """
        from ..analysis.kinetics import mean_fractions
        from .phase_fractions import LazyPhaseFractions, PhaseFractions

        class_axis = self._class_axis("phase_fractions")
        if not class_axis.navigate:
            raise ValueError(
                "phase_fractions needs `class` as a navigation axis and the window grid as "
                "the signal axes; transpose back, e.g. p.transpose(signal_axes=2)."
            )
        others = [ax for ax in self.axes_manager.navigation_axes if ax is not class_axis]
        if len(others) != 1:
            if not others:
                raise ValueError(
                    "phase_fractions needs a movie: this signal has no frame axis besides "
                    "`class` (it classifies one image). Classify a movie or stack of frames."
                )
            raise ValueError(
                f"phase_fractions needs exactly one frame axis besides `class`; this signal "
                f"has {len(others)}: {[ax.name for ax in others]}. Select one series first, "
                f"e.g. p.inav[:, :, 0] for the first index of the last axis."
            )
        frame = others[0]
        frame_axis = frame.get_axis_dictionary()
        frame_axis["navigate"] = False
        class_dict = class_axis.get_axis_dictionary()
        class_dict["navigate"] = True
        data = self.data
        if class_axis.index_in_array < frame.index_in_array:  # (class, frame, gy, gx)
            data = data.transpose(1, 0, 2, 3)
        if image is not None and not hole_area:
            raise ValueError(
                "image is used only to read the hole area: call "
                "phase_fractions(hole_area=True, image=movie)."
            )
        reading = None
        if hole_area:
            data, reading = self._hole_area_fractions(data, image, frame.size, show_progressbar)
        else:
            data = mean_fractions(data).T  # (n_classes, n_frames)
        metadata = self.metadata.as_dictionary()
        metadata["General"]["title"] = f"{self.metadata.General.title} phase fractions"
        metadata.setdefault("Signal", {})["quantity"] = (
            "Phase fraction (mean probability)"
            if not hole_area
            else "Hole area fraction (from Bragg amplitudes)"
            if image is not None
            else "Hole area fraction (from noise probabilities)"
        )
        if hole_area:
            metadata.setdefault("Symmetry", {})["phase_fractions"] = "hole_area"
            metadata["Symmetry"]["hole_area_reading"] = reading
        metadata["Signal"].pop("signal_type", None)
        cls = LazyPhaseFractions if self._lazy else PhaseFractions
        out = cls(
            data,
            axes=[class_dict, frame_axis],
            metadata=metadata,
            original_metadata=self.original_metadata.as_dictionary(),
        )
        return out

    def _hole_area_fractions(self, data, image, n_frames: int, show_progressbar):
        """``(n_classes, n_frames)`` fractions with the ``noise`` row replaced by the hole
        area of each frame (``data``: ``(n_frames, n_classes, gy, gx)``), and how the
        windows' coverage was read (``metadata.Symmetry.hole_area_reading``)."""
        from ..analysis.kinetics import covered_area, mean_fractions

        names = list(self.metadata.get_item("Symmetry.class_names", []))
        if "noise" not in names:
            raise ValueError(
                f"phase_fractions(hole_area=True) needs a `noise` class; this model's "
                f"classes are {names}."
            )
        window = self.metadata.get_item("Symmetry.window_size")
        stride = self.metadata.get_item("Symmetry.stride")
        if window is None or stride is None:
            raise ValueError(
                "phase_fractions(hole_area=True) needs metadata.Symmetry.window_size and "
                "stride (pixels), as classify_symmetry writes them."
            )
        window, stride = int(window), int(stride)
        data = np.asarray(data, dtype=float)  # computes a lazy signal
        fractions = mean_fractions(data)  # (n_frames, n_classes)
        noise = names.index("noise")
        if image is None:
            coverage, reading = data[:, noise], {"from": "noise_probability"}
        else:
            coverage, reading = self._bragg_coverage(
                image, data[:, noise], window, stride, n_frames, show_progressbar
            )
        area = covered_area(coverage, window, stride)
        others = 1.0 - fractions[:, noise]
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(others > 0, (1.0 - area) / others, 0.0)
        fractions = fractions * scale[:, None]
        fractions[:, noise] = area
        if self._lazy:
            import dask.array as da

            return da.from_array(fractions.T), reading
        return fractions.T, reading

    @staticmethod
    def _bragg_coverage(image, noise, window, stride, n_frames, show_progressbar):
        """Each window's hole coverage from ``image``'s Bragg amplitude, calibrated on the
        windows whose ``noise`` probability (``(n_frames, gy, gx)``) reads whole lattice."""
        from .. import pipeline
        from ..analysis.lattice_coverage import (
            INTACT_BELOW,
            MIN_REFERENCE_WINDOWS,
            N_PEAKS,
            REFERENCE_QUANTILE,
            lattice_coverage,
        )
        from ..windows import window_grid_shape

        axes = getattr(image, "axes_manager", None)
        if axes is None or axes.signal_dimension != 2:
            raise ValueError(
                f"image must be the HyperSpy image signal (two signal axes) these "
                f"probabilities were computed from, got {type(image).__name__}."
            )
        if len(axes.navigation_axes) != 1 or axes.navigation_axes[0].size != n_frames:
            raise ValueError(
                f"image has navigation shape {axes.navigation_shape}; these probabilities "
                f"have {n_frames} frames. Pass the movie they were computed from."
            )
        grid = window_grid_shape(axes.signal_shape[::-1], window, stride)
        if grid != noise.shape[-2:]:
            raise ValueError(
                f"image's {axes.signal_shape[::-1]} px frames give a {grid} window grid with "
                f"window {window} and stride {stride} px; these probabilities have "
                f"{noise.shape[-2:]}. Pass the movie they were computed from."
            )
        images = pipeline.as_image_dask(image.data, getattr(image, "_lazy", False))
        amplitude = pipeline.compute(
            pipeline.bragg_amplitude_array(images, window, stride),
            show_progressbar,
            desc="reading Bragg amplitudes",
        )
        intact = noise < INTACT_BELOW
        coverage, reference = lattice_coverage(amplitude, intact)
        reading = {
            "from": "bragg_amplitude",
            "n_peaks": N_PEAKS,
            "intact_below": INTACT_BELOW,
            "reference_quantile": REFERENCE_QUANTILE,
            "min_reference_windows": MIN_REFERENCE_WINDOWS,
            "reference_amplitudes": np.round(reference, 6).tolist(),
        }
        return coverage, reading

    # -- plotting (see hyperspy_symmetry.plotting) ----------------------------------------


class LazySymmetryProbabilities(LazySignal, SymmetryProbabilities):
    """Lazy :class:`SymmetryProbabilities`."""

    _lazy = True
