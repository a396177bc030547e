"""Wrap simulated arrays as calibrated HyperSpy signals (one place for axes and metadata)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["as_atomic_resolution", "as_labels"]


def _calibrate(signal, pixel_size: float | None, units: str | None) -> None:
    names = ("x", "y")
    for axis, name in zip(signal.axes_manager.signal_axes, names, strict=False):
        axis.name = name
        if pixel_size is not None:
            axis.scale = float(pixel_size)
            axis.units = units or ""


def _time_axis(signal, frame_time: float | None) -> None:
    if frame_time is None or signal.axes_manager.navigation_dimension == 0:
        return
    axis = signal.axes_manager.navigation_axes[0]
    axis.name = "time"
    axis.units = "s"
    axis.scale = float(frame_time)


def as_atomic_resolution(
    data: np.ndarray,
    pixel_size: float | None = 0.12,
    units: str | None = "Å",
    *,
    title: str = "",
    simulation: dict[str, Any] | None = None,
    frame_time: float | None = None,
):
    """An ``AtomicResolution2D`` signal of simulated image(s) with calibrated axes.

    Parameters
    ----------
    data
        Image ``(H, W)`` or movie ``(n_frames, H, W)``.
    pixel_size, units
        Calibration of both signal axes; ``pixel_size=None`` leaves them uncalibrated (pixels).
    title
        ``metadata.General.title``.
    simulation
        Parameters of the simulation, stored in ``metadata.Simulation`` (JSON-like values).
    frame_time
        Seconds between frames; names the first navigation axis ``time`` in ``s``.
    """
    import hyperspy.api as hs

    s = hs.signals.Signal2D(np.asarray(data, dtype=np.float32))
    _calibrate(s, pixel_size, units)
    _time_axis(s, frame_time)
    s.metadata.General.title = title
    s.metadata.Signal.quantity = "Intensity (a.u.)"
    if simulation:
        s.metadata.set_item("Simulation", _jsonable(simulation))
    s.set_signal_type("atomic_resolution")
    return s


def as_labels(
    labels: np.ndarray,
    class_names: Sequence[str],
    pixel_size: float | None = 0.12,
    units: str | None = "Å",
    *,
    title: str = "Ground truth",
    frame_time: float | None = None,
    extra: dict[str, Any] | None = None,
):
    """A ``Signal2D`` of integer per-pixel labels indexing ``class_names`` (-1: no class).

    ``labels.metadata.Symmetry.class_names`` holds the names; ``extra`` items go to
    ``metadata.Symmetry`` as well.
    """
    import hyperspy.api as hs

    s = hs.signals.Signal2D(np.asarray(labels, dtype=np.int16))
    _calibrate(s, pixel_size, units)
    _time_axis(s, frame_time)
    s.metadata.General.title = title
    s.metadata.Signal.quantity = "Class label"
    s.metadata.set_item("Symmetry.class_names", list(class_names))
    for key, value in _jsonable(extra or {}).items():
        s.metadata.set_item(f"Symmetry.{key}", value)
    return s


def _jsonable(value):
    """Numbers, strings, lists and dicts only, so the metadata saves to any format."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
