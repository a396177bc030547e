"""Atomic-resolution images (HAADF-STEM, HR-TEM, STM): the input signal type.

A thin layer over :mod:`hyperspy_symmetry.pipeline`: it reads the axes, checks the
arguments, builds the dask graph, and wraps the result in calibrated signals. Importing
this module does not import TensorFlow.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from hyperspy.defaults_parser import preferences
from hyperspy.signals import LazySignal, Signal2D

from .. import pipeline
from ..checks import check_instance, check_number
from ..descriptors import DESCRIPTORS, MIN_WINDOW, reciprocal_axis
from ..models.registry import resolve_model
from ..signal_types import IMAGE
from ..uncertainty import MEASURE_QUANTITIES, check_measure
from ..windows import grid_axis, length_unit, to_pixels, window_grid_shape

__all__ = ["AtomicResolution2D", "LazyAtomicResolution2D"]

#: Lattice periods measured for scale-free windows, by input dask name (the latest input).
_PERIODS: dict[tuple[str, float | None], np.ndarray] = {}
#: Calibration checks, by input dask name, window and model classes (the latest input).
_CALIBRATION: dict[tuple, Any] = {}


_COMMON_PARAMETERS = """
        window_size : int, str or pint.Quantity, optional
            Window side in pixels (int) or as a length (``"12 Å"``, ``"1.2 nm"``), converted
            through the signal axes' scale and units. Default: the model card's (for
            ``aistem``, its 12 Å field of view).
        stride : int, str or pint.Quantity, optional
            Step between windows, in pixels or as a length. Default: the model card's.
        n_samples : int, default 100
            Number of Monte-Carlo dropout samples T per window.
        seed : int, optional
            Seed of the dropout masks. The same seed gives bit-identical results on any
            scheduler and for any chunking. ``None`` uses a seed drawn once per session
            (recorded in ``metadata.Symmetry.seed``).
        lazy_output : bool, optional
            Return a lazy signal. Default: lazy if this signal is lazy.
        show_progressbar : bool, optional
            Show a progress bar while computing. Default: HyperSpy's preference.
        precision : {"auto", "float32", "bfloat16"}, default "auto"
            Arithmetic of the network. ``"auto"`` uses bfloat16 where the hardware runs it
            natively (a CPU with AVX512-BF16/AMX, or a GPU), float32 elsewhere; each
            process decides when it loads the model, so building a lazy result imports no
            TensorFlow. Lazy results record ``"auto"``, computed ones what was used.
        adaptive : bool, optional
            Stop sampling a window once its mean probabilities and mutual information have
            converged to ``tolerance`` (and its predicted class is settled); the others get
            all ``n_samples``. Default (``None``): the model card's ``adaptive_sampling``
            (``aistem`` yes; ``bravais`` no, since a few of its sample networks carry much
            of every window's mutual information and its samples are cheap).
            ``precision="float32", adaptive=False`` is the exact mode.
        tolerance : float, default 0.01
            Standard error allowed on each mean class probability and on the mutual
            information (bits) in adaptive mode.
        dropout : {"model", "all"}, default "model"
            Which dropout layers the Monte-Carlo samples draw from: ``"model"``, those the
            model card names (``sampled_dropout``: the third convolution's and the dense
            layer's of ``bravais``, the first drawn from its Gaussian at the dense layer
            (``gaussian_dropout``); all of ``aistem``'s), so the layers before them run once
            per window; ``"all"``, every dropout layer with masks, as in training.
            ``precision="float32", adaptive=False, dropout="all"`` is the exact mode."""

_CALIBRATION_WARNS = """
        Warns
        -----
        hyperspy_symmetry.calibration.CalibrationWarning
            Once per input, for a model trained at a fixed pixel size whose classes are
            crystals (``aistem``), when the lattice spacings at the centre of the first frame
            match none of its classes within 15 % at the scale the model sees: likely nm read
            as Å, a wrong scale, or a material outside the classes. The check is recorded in
            ``metadata.Symmetry.calibration`` (user guide, "Calibration check").
        hyperspy_symmetry.class_geometry.LatticeGeometryWarning
            ``classify_symmetry`` with scale-free windows (``bravais`` at default window),
            eager results: when most lattice windows of a frame get a class that the
            lattice measured from the frame's FFT peaks rules out (its ideal cell more than
            0.1 away), e.g. a rhombic cell read as square. Recorded in
            ``metadata.Symmetry.lattice_check``; lazy results: ``p.lattice_check()``.
"""


def _shared_docs(doc: str) -> str:
    """``doc`` with the parameters and the warning shared by ``classify_symmetry`` and
    ``mc_uncertainty`` filled in."""
    return doc.replace("{common}", _COMMON_PARAMETERS.strip()).replace(
        "{warns}", _CALIBRATION_WARNS.strip()
    )


class AtomicResolution2D(Signal2D):
    """Atomic-resolution image(s): one image, a movie, or any stack of images.

    Set with ``s.set_signal_type("atomic_resolution")`` (aliases ``"STEM"``, ``"HAADF"``,
    ``"STM"``) or ``hs.load(..., signal_type="atomic_resolution")``.

    Examples
    --------
    >>> import numpy as np
    >>> import hyperspy.api as hs
    >>> s = hs.signals.Signal2D(np.random.random((256, 256)))
    >>> s.set_signal_type("atomic_resolution")
    >>> s  # doctest: +ELLIPSIS
    <AtomicResolution2D, title: , dimensions: (|256, 256)>
    """

    _signal_type = IMAGE

    # -- argument handling --------------------------------------------------------------

    def _pixel_axes(self) -> tuple[tuple[float, float], tuple[float, float], tuple, tuple]:
        """(scales, offsets, units, names) of the image's (y, x) axes."""
        ax_x, ax_y = self.axes_manager.signal_axes
        for ax in (ax_x, ax_y):
            if not ax.is_uniform:
                raise ValueError(
                    f"The signal axis {ax.name!r} is not uniform; the sliding window needs "
                    f"evenly spaced pixels. Interpolate the image onto a uniform axis first."
                )
        return (
            (ax_y.scale, ax_x.scale),
            (ax_y.offset, ax_x.offset),
            (ax_y.units, ax_x.units),
            (ax_y.name, ax_x.name),
        )

    def _pixel_size_angstrom(self) -> float | None:
        """The x axis' pixel size in Å; ``None`` without a length calibration."""
        scales, _, units, _ = self._pixel_axes()
        unit = length_unit(units[1])
        return None if unit is None else float((scales[1] * unit).to("angstrom").m)

    def _max_lattice_frequency(self) -> float | None:
        """Highest frequency (cycles/px) of a specimen's Bragg peak at the axes' pixel size
        (:func:`hyperspy_symmetry.fft_lattice.max_lattice_frequency`); ``None`` without a
        length calibration."""
        from ..fft_lattice import max_lattice_frequency

        return max_lattice_frequency(self._pixel_size_angstrom())

    def _check_data(self) -> None:
        if np.issubdtype(self.data.dtype, np.complexfloating):
            raise TypeError(
                "The image data are complex; symmetry classification needs real images. "
                "Use the amplitude or the real part, e.g. s.amplitude or s.real."
            )
        if not (
            np.issubdtype(self.data.dtype, np.number) or np.issubdtype(self.data.dtype, np.bool_)
        ):
            raise TypeError(
                f"The image data have dtype {self.data.dtype}; a numeric dtype is needed."
            )

    def _geometry(self, window_size, stride, card) -> tuple[int, int]:
        """Window and stride in pixels, checked against the image."""
        window, step = self._window_pixels(window_size, stride, card)
        self._check_window(window, window_size)
        return window, step

    def _window_pixels(self, window_size, stride, card) -> tuple[int, int]:
        """Window and stride in pixels (defaults from the card), not yet checked."""
        scales, _, units, _ = self._pixel_axes()
        calibrated = all(length_unit(u) is not None for u in units)
        if window_size is None:
            window_size = card.default_window
            if isinstance(window_size, str) and not calibrated:
                raise ValueError(
                    f"window_size=None uses the {card.name!r} model's default of {window_size}, "
                    f"but the image axes have no length units ({units[1]!r}, {units[0]!r}). "
                    f"Give window_size in pixels (the model was trained at "
                    f"{card.pixel_size or 'a fixed pixel size'} per pixel), or calibrate the axes."
                )
        if stride is None:
            stride = card.default_stride
            if isinstance(stride, str) and not calibrated:
                raise ValueError(
                    f"stride=None uses the {card.name!r} model's default of {stride}, but the "
                    f"image axes have no length units; give stride in pixels."
                )
        window = to_pixels(window_size, scales, units, "window_size")
        step = to_pixels(stride, scales, units, "stride")
        return window, step

    def _check_window(self, window: int, window_size) -> None:
        """A clear error for a window larger than the image or too small for a descriptor."""
        h, w = self.axes_manager.signal_shape[::-1]
        if window > min(h, w):
            raise ValueError(
                f"window_size={window_size!r} ({window} px) is larger than the image "
                f"({w} x {h} px); use a window_size of at most {min(h, w)} px."
            )
        if window < MIN_WINDOW:
            raise ValueError(
                f"window_size={window_size!r} ({window} px) is too small: a descriptor needs "
                f"at least {MIN_WINDOW} px (upsample the image or use a larger window)."
            )

    @staticmethod
    def _check_sampling(precision, adaptive, tolerance, dropout) -> dict[str, Any]:
        from ..models.mc_dropout import check_dropout, check_precision

        if adaptive is not None and not isinstance(adaptive, (bool, np.bool_)):
            raise TypeError(f"`adaptive` must be True, False or None, not {adaptive!r}.")
        tolerance = check_number(
            tolerance,
            "tolerance",
            low=0,
            high=1,
            low_open=True,
            high_open=True,
            hint="(standard error of the probabilities)",
        )
        return {
            "precision": check_precision(precision),
            "adaptive": None if adaptive is None else bool(adaptive),
            "tolerance": tolerance,
            "dropout": check_dropout(dropout),
        }

    def _scale_free_geometry(self, card, stride, images):
        """Windows scaled to the measured lattice period of each frame (scale-free models).

        The periods are measured when the method is called, also for lazy signals (one FFT
        per frame, see :mod:`hyperspy_symmetry.scale_free`), and kept per input and process.
        """
        from ..scale_free import scale_free_geometry

        scales, _, units, _ = self._pixel_axes()
        step = None if stride is None else to_pixels(stride, scales, units, "stride")
        max_frequency = self._max_lattice_frequency()
        key = (images.name, max_frequency)
        periods = _PERIODS.get(key)
        if periods is None:
            periods = pipeline.compute(pipeline.period_array(images, max_frequency), False)
            _PERIODS.clear()  # one input at a time: enough for classify + uncertainty
            _PERIODS[key] = periods
        return scale_free_geometry(
            periods,
            self.axes_manager.signal_shape[::-1],
            int(card.default_window),
            int(card.default_stride),
            tuple(card.period_range),
            MIN_WINDOW,
            step,
        )

    def _calibration_check(self, card, window: int, images):
        """Check the image's lattice spacings against the model's classes
        (:mod:`hyperspy_symmetry.calibration`); warn once per input if none matches.

        Runs for models trained at a fixed field of view whose classes are known crystals
        (``aistem``); ``None`` for others. The model sees ``field_of_view / window`` Å per
        px. Measured on the central 512 x 512 px of the first frame, or its central
        1024 x 1024 px if that holds no lattice (only that is read and computed of a lazy
        signal), once per input and window.
        """
        from ..calibration import (
            CalibrationCheck,
            CalibrationWarning,
            check_calibration,
            class_spacings,
        )
        from ..windows import _as_quantity

        if not card.field_of_view or card.period_range:
            return None
        classes = class_spacings(card.classes)
        if classes is None:
            return None
        key = (images.name, int(window), str(card.field_of_view), tuple(card.classes))
        check = _CALIBRATION.get(key)
        if check is not None:
            return check
        fov = _as_quantity(card.field_of_view, "field_of_view").to("angstrom").magnitude
        # From the input's own chunks: ``images`` holds whole frames per block.
        first = self.data[(0,) * (self.data.ndim - 2)]
        try:
            check = check_calibration(first, fov / window, classes)
        except Exception as err:  # advisory: a damaged chunk fails where the data are computed
            check = CalibrationCheck.unchecked(
                fov / window,
                f"not checked: the centre of the first frame could not be read "
                f"({type(err).__name__}: {err})",
            )
        _CALIBRATION.clear()  # one input at a time: enough for classify + uncertainty
        _CALIBRATION[key] = check
        if check.ok is False:
            warnings.warn(check.message(card.name), CalibrationWarning, stacklevel=5)
        return check

    def _plan(
        self,
        model,
        window_size,
        stride,
        n_samples,
        seed,
        precision="auto",
        adaptive=None,
        tolerance=0.01,
        dropout="model",
        images=None,
    ):
        """``(card, plan, scale, calibration)``: ``scale`` is the
        :class:`~..scale_free.ScaleFreeGeometry` when a scale-free model (card
        ``period_range``) runs without ``window_size``, else ``None``; the periods are
        measured on ``images`` (default this signal's data). ``calibration`` is the
        :class:`~..calibration.CalibrationCheck` of models trained at a fixed scale whose
        classes are known crystals, else ``None``."""
        self._check_data()
        n_samples = check_number(n_samples, "n_samples", low=1, integer=True)
        sampling = self._check_sampling(precision, adaptive, tolerance, dropout)
        card, ref = resolve_model(model)
        if sampling["adaptive"] is None:
            sampling["adaptive"] = bool(card.adaptive_sampling)
        scale = calibration = None
        if images is None:
            images = pipeline.as_image_dask(self.data, self._lazy)
        if window_size is None and card.period_range:
            scale = self._scale_free_geometry(card, stride, images)
            window, step = scale.window, scale.stride
        else:
            window, step = self._window_pixels(window_size, stride, card)
            # Before the window's own checks: a 10x scale error often gives a window
            # larger than the image, and the warning says why.
            calibration = self._calibration_check(card, window, images)
            self._check_window(window, window_size)
        plan = pipeline.MCPlan(
            model=ref,
            descriptor=card.descriptor,
            window=window,
            stride=step,
            n_samples=n_samples,
            seed=pipeline.resolve_seed(seed),
            n_classes=card.n_classes,
            **sampling,
        )
        return card, plan, scale, calibration

    # -- building results -------------------------------------------------------------

    def _grid_axes(self, window: int, stride: int) -> list[dict]:
        """Axis dictionaries of the window grid, in array order (y, x)."""
        scales, offsets, units, names = self._pixel_axes()
        grid = window_grid_shape(self.axes_manager.signal_shape[::-1], window, stride)
        return [
            grid_axis(scales[i], offsets[i], window, stride, grid[i], names[i], units[i])
            for i in range(2)
        ]

    def _navigation_axes(self) -> list[dict]:
        axes = [ax.get_axis_dictionary() for ax in self.axes_manager.navigation_axes[::-1]]
        for ax in axes:  # in array order
            ax["navigate"] = True
        return axes

    def _symmetry_metadata(self, card, plan, scale=None, calibration=None) -> dict[str, Any]:
        scales, _, units, _ = self._pixel_axes()
        md = {
            "model": card.name,
            "model_version": card.version,
            "model_sha256": card.sha256,
            "class_names": list(card.classes),
            "descriptor": card.descriptor,
            "window_size": plan.window,
            "stride": plan.stride,
            "n_samples": plan.n_samples,
            "seed": plan.seed,
            "precision": plan.precision,
            "adaptive": plan.adaptive,
            "tolerance": plan.tolerance,
            "dropout": plan.dropout,
            "sampled_dropout": (
                "all"
                if plan.dropout == "all" or card.sampled_dropout is None
                else list(card.sampled_dropout)
            ),
            "gaussian_dropout": (
                list(card.gaussian_dropout or []) if plan.dropout == "model" else []
            ),
            "interface_threshold": card.threshold,
        }
        if length_unit(units[1]) is not None:
            md["window_size_length"] = f"{plan.window * scales[1]:g} {units[1]}"
            md["stride_length"] = f"{plan.stride * scales[1]:g} {units[1]}"
        if scale is not None:
            md.update(scale.metadata())
            md["lattice"] = self._lattice_readout(scale.periods)
        if calibration is not None:
            md["calibration"] = calibration.metadata()
        return md

    def _lattice_readout(self, periods: np.ndarray) -> dict | None:
        """The median measured lattice, calibrated, with its distances from each class."""
        from ..fft_lattice import lattice_readout

        periods = np.asarray(periods).reshape(-1, 3)
        periods = periods[np.isfinite(periods).all(axis=1)]
        if not len(periods):
            return None
        scales, _, units, _ = self._pixel_axes()
        unit = units[1] if length_unit(units[1]) is not None else "px"
        a, b, gamma = np.median(periods, axis=0)
        return lattice_readout(a, b, gamma, scales[1] if unit != "px" else 1.0, unit)

    def _result(
        self, cls_name: str, data, axes, quantity: str, title: str, symmetry, lazy, progress
    ):
        from . import probabilities, uncertainty

        classes = {
            "probabilities": (
                probabilities.SymmetryProbabilities,
                probabilities.LazySymmetryProbabilities,
            ),
            "uncertainty": (uncertainty.SymmetryUncertainty, uncertainty.LazySymmetryUncertainty),
        }[cls_name]
        if not lazy:
            from ..models.mc_dropout import resolve_precision

            data = pipeline.compute(data, progress)
            # "auto" was resolved where the model ran; this process resolves it alike.
            symmetry = dict(symmetry, precision=resolve_precision(symmetry["precision"]))
        return classes[1 if lazy else 0](
            data, axes=axes, **self._result_metadata(title, quantity, symmetry)
        )

    def _result_metadata(self, title: str, quantity: str, symmetry: dict) -> dict[str, dict]:
        """``metadata`` and ``original_metadata`` of a result: the input's metadata
        (``General``, ``Acquisition_instrument``, ``Sample``, ...) with the result's title,
        quantity and ``Symmetry`` record, and the input's original metadata."""
        metadata = self.metadata.as_dictionary()
        for key in ("Symmetry", "_HyperSpy"):  # not the input's record, folding state
            metadata.pop(key, None)
        metadata.setdefault("General", {})["title"] = title
        metadata["Signal"] = {"quantity": quantity}
        metadata["Symmetry"] = symmetry
        return {"metadata": metadata, "original_metadata": self.original_metadata.as_dictionary()}

    def _statistics(self, model, window_size, stride, n_samples, seed, **sampling):
        images = pipeline.as_image_dask(self.data, self._lazy)  # whole frames: periods
        card, plan, scale, calibration = self._plan(
            model, window_size, stride, n_samples, seed, images=images, **sampling
        )
        windows = scale.windows if scale is not None and scale.per_frame else None
        if windows is None:  # tiles are cut from the input's own chunks
            images = pipeline.as_image_source(self.data, self._lazy)
        stats = pipeline.statistics_array(images, plan, windows)
        return card, plan, scale, calibration, stats

    def _resolve_output(self, lazy_output, show_progressbar) -> tuple[bool, bool]:
        lazy = self._lazy if lazy_output is None else bool(lazy_output)
        if show_progressbar is None:
            show_progressbar = preferences.General.show_progressbar
        return lazy, bool(show_progressbar)

    # -- public methods -----------------------------------------------------------------

    def classify_symmetry(
        self,
        model: str = "aistem",
        window_size=None,
        stride=None,
        n_samples: int = 100,
        seed: int | None = None,
        lazy_output: bool | None = None,
        show_progressbar: bool | None = None,
        *,
        precision: str = "auto",
        adaptive: bool | None = None,
        tolerance: float = 0.01,
        dropout: str = "model",
    ):
        """Map the mean class probabilities of a Bayesian CNN over a sliding window.

        Each window becomes an FFT descriptor; the network runs ``n_samples`` times with
        Monte-Carlo dropout; the mean of the T softmax outputs is the class probability.

        Parameters
        ----------
        model : str or path, default "aistem"
            A shipped model's name (see :func:`hyperspy_symmetry.list_models`) or the path
            of a model folder.
        {common}

        Returns
        -------
        SymmetryProbabilities or LazySymmetryProbabilities
            Data shape ``s.data.shape[:-2] + (n_classes, gy, gx)``: signal axes on the
            window grid (``scale = stride * pixel scale``, ``offset = pixel offset +
            (window - 1) / 2 * pixel scale``, same names and units), navigation axes
            ``class`` followed by this signal's navigation axes.

        {warns}

        See Also
        --------
        mc_uncertainty : the uncertainty of the same computation.

        Examples
        --------
        >>> p = s.classify_symmetry(model="aistem", window_size="12 Å", stride="2.4 Å",
        ...                         seed=0)
        >>> p.class_names  # doctest: +ELLIPSIS
        ['BCC_Fe_100', 'BCC_Fe_110', ...]
        >>> p.predicted_class().plot()
        """
        lazy, progress = self._resolve_output(lazy_output, show_progressbar)
        card, plan, scale, calibration, stats = self._statistics(
            model,
            window_size,
            stride,
            n_samples,
            seed,
            precision=precision,
            adaptive=adaptive,
            tolerance=tolerance,
            dropout=dropout,
        )
        axes = self._navigation_axes()
        axes.append({"name": "class", "units": "", "size": card.n_classes, "navigate": True})
        axes += self._grid_axes(plan.window, plan.stride)
        data = stats[..., : card.n_classes, :, :]
        title = f"{self.metadata.General.title or 'Image'} class probabilities ({card.name})"
        result = self._result(
            "probabilities",
            data,
            axes,
            "Probability",
            title,
            self._symmetry_metadata(card, plan, scale, calibration),
            lazy,
            progress,
        )
        if scale is not None and not lazy:  # the lattice geometry check, recorded
            result.metadata.Symmetry.lattice_check = result._lattice_check(stacklevel=4)
        return result

    def mc_uncertainty(
        self,
        model: str = "aistem",
        measure: str = "mutual_information",
        window_size=None,
        stride=None,
        n_samples: int = 100,
        seed: int | None = None,
        lazy_output: bool | None = None,
        show_progressbar: bool | None = None,
        *,
        precision: str = "auto",
        adaptive: bool | None = None,
        tolerance: float = 0.01,
        dropout: str = "model",
    ):
        """Map the Monte-Carlo dropout uncertainty of a Bayesian CNN over a sliding window.

        With the same arguments as :meth:`classify_symmetry`, both share one computation.

        Parameters
        ----------
        model : str or path, default "aistem"
            A shipped model's name or the path of a model folder.
        measure : str, default "mutual_information"
            ``"mutual_information"`` (bits): ``H[mean_t p_t] - mean_t H[p_t]``, high where
            the sampled networks disagree (interfaces, defects, unseen structures);
            ``"predictive_entropy"`` (bits): ``H[mean_t p_t]``; ``"variation_ratio"``:
            the fraction of samples whose top class is not the modal one.
        {common}

        Returns
        -------
        SymmetryUncertainty or LazySymmetryUncertainty
            Data shape ``s.data.shape[:-2] + (gy, gx)``, the same window-grid signal axes
            as :meth:`classify_symmetry`; ``metadata.Signal.quantity`` names the measure
            and its unit.

        {warns}

        Examples
        --------
        >>> u = s.mc_uncertainty(window_size="12 Å", stride="2.4 Å", seed=0)
        >>> u.metadata.Signal.quantity
        'Mutual information (bits)'
        """
        column = check_measure(measure)
        lazy, progress = self._resolve_output(lazy_output, show_progressbar)
        card, plan, scale, calibration, stats = self._statistics(
            model,
            window_size,
            stride,
            n_samples,
            seed,
            precision=precision,
            adaptive=adaptive,
            tolerance=tolerance,
            dropout=dropout,
        )
        axes = self._navigation_axes() + self._grid_axes(plan.window, plan.stride)
        data = stats[..., card.n_classes + column, :, :]
        symmetry = self._symmetry_metadata(card, plan, scale, calibration)
        symmetry["measure"] = measure
        title = (
            f"{self.metadata.General.title or 'Image'} {measure.replace('_', ' ')} ({card.name})"
        )
        return self._result(
            "uncertainty",
            data,
            axes,
            MEASURE_QUANTITIES[measure],
            title,
            symmetry,
            lazy,
            progress,
        )

    def lattice_rotation(
        self,
        model: str = "aistem",
        window_size=None,
        stride=None,
        mask=None,
        n_samples: int = 100,
        seed: int | None = None,
        probabilities=None,
        min_quality: float = 0.6,
        lazy_output: bool | None = None,
        show_progressbar: bool | None = None,
    ):
        """Map the local lattice rotation: each window's lattice against its class's reference.

        The class of each window is the most probable one of :meth:`classify_symmetry`
        (computed with the same arguments, so it shares that computation and its cache, or
        taken from ``probabilities``). The rotation is the angle, counter-clockwise as
        displayed, that turns the class's *reference lattice* onto the window's lattice,
        measured from the strongest Bragg peaks of the window's power spectrum
        (:func:`hyperspy_symmetry.analysis.rotation.window_rotations`, about 0.01° on clean
        simulated crystals).

        Reference convention: the Bragg peaks of a clean simulated image of the class at
        ``rotation=0`` (:func:`hyperspy_symmetry.simulate.crystal_image`: the projection of
        the first cell vector not parallel to the zone axis along +x); those of the
        ``aistem`` classes ship with the model (simulated at 0.12 Å/px, band-limited to this
        image's pixel size: no abTEM needed, see
        :func:`~hyperspy_symmetry.analysis.rotation.class_reference`), those of classes added
        with ``extend_model`` are simulated (abTEM). So a crystal simulated with
        ``rotation=θ`` reads ``θ``. The rotation is reduced modulo the rotational period of
        the reference's diffraction pattern (derived from its peaks: 90° for square ones
        such as fcc/bcc [100], 60° for hexagonal ones such as fcc [111] and hcp [0001], else
        180°) into ``[-period/2, period/2)``.

        Parameters
        ----------
        model : str or path, default "aistem"
            A model whose classes are crystals: ``aistem`` or a model extended from it
            (whose card records the new crystals). ``bravais`` classes have no reference.
        window_size, stride : int, str or pint.Quantity, optional
            As in :meth:`classify_symmetry`; with ``probabilities``, taken from it.
        mask : array-like of bool or hyperspy signal, optional
            True where the rotation is wanted, on the window grid (shape ``(gy, gx)`` or
            broadcastable to the result, e.g. a bulk mask from a segmentation); NaN
            elsewhere.
        n_samples, seed : optional
            Of the MC-dropout classification, as in :meth:`classify_symmetry`.
        probabilities : SymmetryProbabilities, optional
            Existing class probabilities of this signal; nothing is classified again.
        min_quality : float, default 0.6
            Windows whose lattice matches the reference less clearly (about 1 for a crystal
            of the class, below 0.5 for amorphous or noise windows) get NaN.
        lazy_output, show_progressbar : bool, optional
            As in :meth:`classify_symmetry`.

        Returns
        -------
        hyperspy.signals.Signal2D
            Degrees, shape ``s.data.shape[:-2] + (gy, gx)`` with the window-grid signal axes
            of :meth:`classify_symmetry` and this signal's navigation axes;
            ``metadata.Signal.quantity`` is ``"Lattice rotation (degrees)"`` and
            ``metadata.Symmetry`` records the model, window, stride and reference
            convention, and (eager results) ``periods``, the period of each class met. NaN
            outside ``mask``, for windows whose class has no reference, and for windows
            without a measurable lattice.

        Examples
        --------
        >>> from hyperspy_symmetry.simulate import bicrystal
        >>> s, truth = bicrystal("FCC_Cu_100", 22.0, size=200, rotation=15.0, seed=0)
        >>> r = s.lattice_rotation(stride=20, n_samples=10, seed=0)
        >>> r.metadata.Signal.quantity
        'Lattice rotation (degrees)'
        """
        import dask.array as da

        from ..analysis import rotation as _rotation
        from ..windows import _as_quantity
        from .probabilities import SymmetryProbabilities

        self._check_data()
        lazy, progress = self._resolve_output(lazy_output, show_progressbar)
        min_quality = check_number(
            min_quality,
            "min_quality",
            low=0,
            hint="About 1 keeps clean crystal windows only; 0 keeps every window.",
        )
        if probabilities is None:
            probabilities = self.classify_symmetry(
                model,
                window_size,
                stride,
                n_samples,
                seed,
                lazy_output=True,
                show_progressbar=False,
            )
        check_instance(
            probabilities,
            "probabilities",
            SymmetryProbabilities,
            "the SymmetryProbabilities that classify_symmetry returned",
        )
        p_md = probabilities.metadata.get_item("Symmetry")
        if p_md is None:
            raise ValueError(
                "`probabilities` has no metadata.Symmetry; pass the signal that "
                "classify_symmetry returned (or that was saved and loaded from it)."
            )
        window, step = int(p_md.window_size), int(p_md.stride)
        card, _ = resolve_model(model)
        if window_size is not None or stride is not None:
            w, st = self._geometry(window_size, stride, card)
            if (window_size is not None and w != window) or (stride is not None and st != step):
                raise ValueError(
                    f"window_size/stride ({w}, {st} px) differ from those of `probabilities` "
                    f"({window}, {step} px); leave them out to use those of `probabilities`."
                )
        grid = window_grid_shape(self.axes_manager.signal_shape[::-1], window, step)
        expected = self.data.shape[:-2] + (len(probabilities.class_names),) + grid
        if tuple(probabilities.data.shape) != expected:
            raise ValueError(
                f"`probabilities` has shape {tuple(probabilities.data.shape)}, but this signal "
                f"with {window} px windows and a {step} px stride gives {expected}."
            )
        if p_md.get_item("model") != card.name:
            try:
                card, _ = resolve_model(p_md.get_item("model"))
            except (ValueError, TypeError):
                pass  # only the built-in classes get references then

        pixel_size = self._pixel_size_angstrom()
        if pixel_size is None and card.pixel_size:
            pixel_size = float(_as_quantity(card.pixel_size, "pixel_size").to("angstrom").m)
        elif pixel_size is None:
            raise ValueError(
                "The image axes have no length units and the model card no pixel size: "
                "calibrate the axes (scale and units) to measure lattice rotations."
            )
        sources = _rotation.reference_sources(probabilities.class_names, card)
        if all(r is None for r in sources):
            raise ValueError(
                f"None of the classes of {card.name!r} ({probabilities.class_names}) is a "
                f"crystal with a reference lattice; lattice_rotation needs a model such as "
                f"'aistem' (or one extended from it)."
            )

        labels = probabilities.predicted_class().data
        images = pipeline.as_image_dask(self.data, self._lazy)
        labels = da.asarray(labels).rechunk(images.chunks[:-2] + (-1, -1))
        nav = "abcdefgh"[: images.ndim - 2]
        angles = da.blockwise(
            _rotation.rotation_map,
            nav + "ij",
            images,
            nav + "yx",
            labels,
            nav + "ij",
            concatenate=True,
            dtype=np.float32,
            meta=np.empty((0,) * (len(nav) + 2), dtype=np.float32),
            references=sources,
            window=window,
            stride=step,
            pixel_size=pixel_size,
            min_quality=min_quality,
        )
        if mask is not None:
            mask = np.asarray(getattr(mask, "data", mask))
            if mask.dtype != bool or mask.shape[-2:] != grid:
                raise ValueError(
                    f"`mask` must be boolean on the window grid {grid} (shape (..., gy, gx)), "
                    f"got dtype {mask.dtype} and shape {mask.shape}."
                )
            angles = da.where(mask, angles, np.float32(np.nan))

        symmetry = {
            key: p_md.get_item(key)
            for key in (
                "model",
                "model_version",
                "model_sha256",
                "class_names",
                "descriptor",
                "window_size",
                "stride",
                "n_samples",
                "seed",
                "window_size_length",
                "stride_length",
            )
            if p_md.has_item(key)
        }
        symmetry.update(
            {
                "angle_convention": "degrees, counter-clockwise as displayed, from the class's "
                "reference lattice, in [-period/2, period/2)",
                "reference": "Bragg peaks of crystal_image(class, rotation=0), "
                f"{_rotation.REFERENCE_SIZE} px, below 0.4 cycles/px at {pixel_size:g} Å/px",
                "min_quality": float(min_quality),
                "masked": mask is not None,
            }
        )
        meta = self._result_metadata(
            f"{self.metadata.General.title or 'Image'} lattice rotation "
            f"({symmetry.get('model', card.name)})",
            "Lattice rotation (degrees)",
            symmetry,
        )
        axes = self._navigation_axes() + self._grid_axes(window, step)
        if lazy:
            from hyperspy.signals import LazySignal2D

            return LazySignal2D(angles, axes=axes, **meta)
        angles, labels = pipeline.compute(da.stack([angles, labels.astype(np.float32)]), progress)
        # The periods of the classes met (their references are cached by now).
        symmetry["periods"] = {
            probabilities.class_names[k]: _rotation.class_reference(
                sources[k][0], pixel_size, sources[k][1]
            ).period
            for k in np.unique(labels[labels >= 0]).astype(int)
            if sources[k] is not None
        }
        return Signal2D(angles, axes=axes, **meta)

    def latent_features(
        self,
        model: str = "aistem",
        window_size=None,
        stride=None,
        layer: str | None = None,
        lazy_output: bool | None = None,
        show_progressbar: bool | None = None,
    ):
        """The latent vector the network computes for each window (its learned representation).

        One deterministic forward pass per window **with dropout off** (the mean network):
        MC-dropout sampling is what class probabilities and uncertainties need, not a
        representation. See :mod:`hyperspy_symmetry.models.features`.

        Parameters
        ----------
        model : str or path, default "aistem"
            A shipped model's name or the path of a model folder.
        window_size, stride : int, str or pint.Quantity, optional
            As in :meth:`classify_symmetry`.
        layer : str, optional
            The layer to read, by name; default the penultimate layer (the 128-unit
            ``dense`` layer of ``aistem`` and ``bravais``).
        lazy_output, show_progressbar : bool, optional
            As in :meth:`classify_symmetry`.

        Returns
        -------
        hyperspy.signals.Signal1D
            Data shape ``s.data.shape[:-2] + (gy, gx, n_features)``: the signal axis is
            ``feature``; the navigation axes are the window grid (calibrated as in
            :meth:`classify_symmetry`) and this signal's navigation axes.
            ``metadata.Symmetry`` records the model, layer, window, stride and ``dropout``.

        See Also
        --------
        hyperspy_symmetry.analysis.latent.latent_embedding : a 2D embedding of the vectors.

        Examples
        --------
        >>> f = s.latent_features(window_size="12 Å", stride="2.4 Å")
        >>> f.axes_manager.signal_shape
        (128,)
        """
        from hyperspy.signals import LazySignal1D, Signal1D

        from ..models.features import cached_extractor, features_array

        self._check_data()
        card, ref = resolve_model(model)
        window, step = self._geometry(window_size, stride, card)
        lazy, progress = self._resolve_output(lazy_output, show_progressbar)
        images = pipeline.as_image_dask(self.data, self._lazy)
        data = features_array(images, ref, card.descriptor, window, step, layer)
        extractor = cached_extractor(ref, layer)
        grid = self._grid_axes(window, step)
        for ax in grid:
            ax["navigate"] = True
        axes = self._navigation_axes() + grid
        axes.append(
            {"name": "feature", "units": "", "size": extractor.n_features, "navigate": False}
        )
        symmetry = {
            key: value
            for key, value in self._symmetry_metadata(
                card, pipeline.MCPlan(ref, card.descriptor, window, step, 1, 0, card.n_classes)
            ).items()
            if key not in ("n_samples", "seed")
        }
        symmetry.update(
            {
                "layer": extractor.layer,
                "n_features": extractor.n_features,
                "dropout": "off (deterministic forward pass)",
            }
        )
        meta = self._result_metadata(
            f"{self.metadata.General.title or 'Image'} latent features "
            f"({card.name}, {extractor.layer})",
            f"Activation of {extractor.layer!r}",
            symmetry,
        )
        if lazy:
            return LazySignal1D(data, axes=axes, **meta)
        return Signal1D(pipeline.compute(data, progress), axes=axes, **meta)

    def fft_descriptors(
        self,
        model: str | None = "aistem",
        descriptor: str | None = None,
        window_size=None,
        stride=None,
        lazy_output: bool | None = None,
        show_progressbar: bool | None = None,
    ):
        """The FFT descriptor of every window, as the network sees it.

        Parameters
        ----------
        model : str or path, optional
            Take the descriptor and the default window and stride from this model's card.
        descriptor : str, optional
            ``"fft_haadf"`` or ``"fft_amplitude"``; overrides the model's. With
            ``model=None``, ``descriptor``, ``window_size`` and ``stride`` are required.
        window_size, stride : int, str or pint.Quantity, optional
            As in :meth:`classify_symmetry`.
        lazy_output, show_progressbar : bool, optional
            As in :meth:`classify_symmetry`.

        Returns
        -------
        hyperspy.signals.Signal2D
            Data shape ``s.data.shape[:-2] + (gy, gx, 64, 64)``: the window grid is added to
            the navigation axes (calibrated as in :meth:`classify_symmetry`) and the signal
            axes are spatial frequencies (``1 / <units>``).

        Examples
        --------
        >>> d = s.fft_descriptors(descriptor="fft_haadf", window_size=100, stride=50,
        ...                       model=None)
        >>> d.axes_manager.signal_shape
        (64, 64)
        """
        from hyperspy.signals import LazySignal2D

        self._check_data()
        if model is None:
            if descriptor is None or window_size is None or stride is None:
                raise ValueError("With model=None, give `descriptor`, `window_size` and `stride`.")
            from types import SimpleNamespace

            card = SimpleNamespace(
                name="none",
                descriptor=descriptor,
                default_window=window_size,
                default_stride=stride,
                pixel_size=None,
            )
        else:
            card, _ = resolve_model(model)
        name = descriptor or card.descriptor
        if name not in DESCRIPTORS:
            raise ValueError(f"Unknown descriptor {name!r}; choose one of {sorted(DESCRIPTORS)}.")
        window, step = self._geometry(window_size, stride, card)
        lazy, progress = self._resolve_output(lazy_output, show_progressbar)
        images = pipeline.as_image_dask(self.data, self._lazy)
        data = pipeline.descriptor_array(images, name, window, step)
        scales, _, units, names = self._pixel_axes()
        grid = self._grid_axes(window, step)
        for ax in grid:
            ax["navigate"] = True
        axes = self._navigation_axes() + grid
        axes += [
            reciprocal_axis(window, scales[i], units[i], f"k{names[i] or 'yx'[i]}")
            for i in range(2)
        ]
        meta = self._result_metadata(
            f"{self.metadata.General.title or 'Image'} {name} descriptors",
            f"{name} (normalised)",
            {"descriptor": name, "window_size": window, "stride": step},
        )
        if lazy:
            return LazySignal2D(data, axes=axes, **meta)
        return Signal2D(pipeline.compute(data, progress), axes=axes, **meta)

    def lattice_parameters(
        self,
        model: str = "bravais",
        window_size=None,
        stride=None,
        lazy_output: bool | None = None,
        show_progressbar: bool | None = None,
    ):
        """The lattice of every window from the Bragg peaks of its power spectrum.

        A network-free readout beside :meth:`classify_symmetry`, on the same window grid:
        the reduced spacings ``a <= b`` in the axes' units and the angle ``gamma`` between
        them (:func:`hyperspy_symmetry.fft_lattice.plausible_spacings`: a cell over 4x longer
        than wide is no lattice, and on calibrated axes no peak finer than 1 Å counts, so
        that scan interference is not read as one). A hexagonal lattice
        drifted by a few percent reads as what it physically is (``b != a``,
        ``gamma != 60``); :func:`hyperspy_symmetry.fft_lattice.lattice_readout` gives its
        distance from each class and its distortion.

        Parameters
        ----------
        model : str or path, default "bravais"
            Whose default window and stride to use (scale-free models: scaled to the
            image's period, as in :meth:`classify_symmetry`; with a per-frame window, the
            grid's window for every frame).
        window_size, stride : int, str or pint.Quantity, optional
            As in :meth:`classify_symmetry`.
        lazy_output, show_progressbar : bool, optional
            As in :meth:`classify_symmetry`.

        Returns
        -------
        hyperspy.signals.Signal2D
            Data shape ``s.data.shape[:-2] + (3, gy, gx)``: navigation axis ``parameter``
            (``a``, ``b``, ``gamma``; names in ``metadata.Symmetry.parameters``, units in
            ``metadata.Symmetry.parameter_units``), signal axes the window grid. NaN for
            windows without a lattice.

        Examples
        --------
        >>> from hyperspy_symmetry.simulate import bravais_image
        >>> s = bravais_image("hexagonal", 256, seed=0, a=10.0)
        >>> lp = s.lattice_parameters(show_progressbar=False)
        >>> lp.metadata.Symmetry.parameters, lp.data.shape[0]
        (['a', 'b', 'gamma'], 3)
        """
        from hyperspy.signals import LazySignal2D, Signal2D

        self._check_data()
        lazy, progress = self._resolve_output(lazy_output, show_progressbar)
        card, _ = resolve_model(model)
        images = pipeline.as_image_dask(self.data, self._lazy)
        if window_size is None and card.period_range:
            scale = self._scale_free_geometry(card, stride, images)
            window, step = scale.window, scale.stride
        else:
            window, step = self._geometry(window_size, stride, card)
        data = pipeline.lattice_array(images, window, step, self._max_lattice_frequency())
        scales, _, units, _ = self._pixel_axes()
        unit = units[1] if length_unit(units[1]) is not None else "px"
        if unit != "px":
            data = data * np.asarray([scales[1], scales[1], 1.0], np.float32)[:, None, None]
        axes = self._navigation_axes()
        axes.append({"name": "parameter", "units": "", "size": 3, "navigate": True})
        axes += self._grid_axes(window, step)
        metadata = {
            "General": {"title": f"{self.metadata.General.title or 'Image'} lattice parameters"},
            "Signal": {"quantity": "Lattice parameter"},
            "Symmetry": {
                "parameters": ["a", "b", "gamma"],
                "parameter_units": [unit, unit, "degrees"],
                "window_size": window,
                "stride": step,
                "method": "Bragg peaks of each window's power spectrum",
            },
        }
        if lazy:
            return LazySignal2D(data, axes=axes, metadata=metadata)
        return Signal2D(pipeline.compute(data, progress), axes=axes, metadata=metadata)

    def hole_fraction(
        self,
        sigma: float | None = None,
        threshold: float | None = None,
        show_progressbar: bool | None = None,
    ):
        """Fraction of each frame darker than a threshold after Gaussian smoothing.

        A network-free cross-check of the ``noise`` phase fraction in beam-damage movies:
        smoothing with a Gaussian of about one lattice period turns the lattice into a
        flat grey, in which holes stay dark. See
        :func:`hyperspy_symmetry.analysis.hole_fraction`.

        Parameters
        ----------
        sigma : float, optional
            Gaussian sigma in pixels. Default: the strongest lattice period of the first
            frame.
        threshold : float, optional
            Intensity threshold of the smoothed frames. Default: Otsu's threshold of all
            smoothed frames together (one threshold for the whole movie).
        show_progressbar : bool, optional
            Show a progress bar while a lazy signal is read. Default: HyperSpy's preference.

        Returns
        -------
        hyperspy.signals.Signal1D
            The hole fraction over this signal's frame axis (the navigation axes become
            the signal axis; a single image gives a one-point signal);
            ``metadata.Symmetry`` records ``sigma`` and ``threshold``. A lazy signal is
            computed (Otsu needs the intensities of all frames).

        Examples
        --------
        >>> from hyperspy_symmetry.simulate import damage_movie
        >>> movie, truth = damage_movie(n_frames=3, seed=0, size=64, A0=0.1)
        >>> h = movie.hole_fraction()
        >>> h.axes_manager.signal_axes[0].name, h.data.shape
        ('time', (3,))
        """
        from hyperspy.signals import Signal1D

        from ..analysis.kinetics import hole_fraction

        self._check_data()
        nav = self.axes_manager.navigation_axes
        if len(nav) > 1:
            raise ValueError(
                "hole_fraction needs one frame axis; this signal has "
                f"{len(nav)} navigation axes. Select one series first with s.inav[...]."
            )
        data = pipeline.compute(self.data, show_progressbar, desc="reading frames")
        fraction, sigma, threshold = hole_fraction(data, sigma, threshold)
        if nav:
            axes = [dict(nav[0].get_axis_dictionary(), navigate=False)]
        else:
            axes = [{"name": "frame", "size": 1, "navigate": False}]
        meta = self._result_metadata(
            f"{self.metadata.General.title or 'Image'} hole fraction",
            "Hole fraction",
            {"hole_sigma": sigma, "hole_threshold": threshold},
        )
        return Signal1D(np.atleast_1d(fraction), axes=axes, **meta)

    classify_symmetry.__doc__ = _shared_docs(classify_symmetry.__doc__)
    mc_uncertainty.__doc__ = _shared_docs(mc_uncertainty.__doc__)


class LazyAtomicResolution2D(LazySignal, AtomicResolution2D):
    """Lazy atomic-resolution image(s); methods build dask graphs and compute nothing."""

    _lazy = True
