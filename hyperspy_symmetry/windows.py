"""Sliding-window geometry: sizes from pixels or lengths, the window grid and its axes.

Pure NumPy (plus pint for units). Everything here works on plain arrays and numbers, so it
is tested directly; the signal classes only pass their axes' scale, offset and units in.

The geometry is fixed by the design contract: windows lie fully inside the image, with
``gy = (H - window) // stride + 1`` (same for x); a window grid axis has
``scale = stride * pixel_scale`` and ``offset = pixel_offset + (window - 1) / 2 * pixel_scale``,
i.e. each grid point sits at the centre of its window.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "length_unit",
    "to_pixels",
    "window_grid_shape",
    "grid_axis",
    "sliding_windows",
    "central_crop",
]

#: Strings HyperSpy and file readers use for "no unit".
_UNDEFINED_UNITS = {"", "<undefined>", "undefined", "none", "px", "pixel", "pixels"}


def _normalise_unit_text(text: str) -> str:
    """Spell micro as ``u`` and both Å code points (U+00C5, U+212B) as ``angstrom`` for pint."""
    text = str(text).replace("µ", "u").replace("μ", "u")
    return text.replace("\u00c5", " angstrom").replace("\u212b", " angstrom").strip()


@lru_cache(maxsize=1)
def _ureg():
    import pint

    return pint.UnitRegistry()


def length_unit(units: str | None):
    """Return the pint unit of an axis' ``units`` string if it is a length, else ``None``.

    Parameters
    ----------
    units
        The axis units, e.g. ``"Å"``, ``"nm"``, ``"pm"``, ``"µm"``.

    Examples
    --------
    >>> length_unit("nm")
    <Unit('nanometer')>
    >>> length_unit("<undefined>") is None
    True
    """
    if units is None or str(units).strip().lower() in _UNDEFINED_UNITS:
        return None
    ureg = _ureg()
    text = _normalise_unit_text(units)
    if text == "A":
        text = "angstrom"
    try:
        unit = ureg.Unit(text)
    except Exception:
        return None
    if unit.dimensionality != ureg.meter.dimensionality:
        return None
    return unit


def _as_quantity(value: Any, name: str):
    """Parse a length given as a string (``"12 Å"``) or a pint quantity."""
    ureg = _ureg()
    if isinstance(value, str):
        try:
            q = ureg.Quantity(_normalise_unit_text(value))
        except Exception as exc:
            raise ValueError(
                f"`{name}`={value!r} is not a length that can be read; give an integer number "
                f"of pixels or a length such as '12 Å' or '1.2 nm'."
            ) from exc
    elif hasattr(value, "magnitude") and hasattr(value, "units"):
        q = ureg.Quantity(value.magnitude, str(value.units))
    else:
        raise TypeError(
            f"`{name}` must be an int (pixels) or a length (a string such as '12 Å' or a pint "
            f"quantity), not {type(value).__name__}."
        )
    if q.dimensionality != ureg.meter.dimensionality:
        raise ValueError(
            f"`{name}`={value!r} has units of {q.units}, not of length; give a length such as "
            f"'12 Å' or '1.2 nm', or an integer number of pixels."
        )
    return q


def to_pixels(
    value: int | str | Any,
    scales: tuple[float, float],
    units: tuple[str | None, str | None],
    name: str,
) -> int:
    """Convert a window size or stride to whole pixels.

    Parameters
    ----------
    value
        An int (pixels), a string with a length (``"12 Å"``, ``"1.2 nm"``) or a pint quantity.
    scales, units
        Scale and units of the image's (y, x) axes.
    name
        The argument name, used in error messages.

    Returns
    -------
    int
        The number of pixels, rounded to the nearest integer; always >= 1.

    Raises
    ------
    ValueError
        For values <= 0, a length on uncalibrated axes, a non-length unit, or a length that
        comes to different pixel counts on the two axes (non-square pixels).

    Examples
    --------
    >>> to_pixels("12 Å", (0.12, 0.12), ("Å", "Å"), "window_size")
    100
    >>> to_pixels("1.2 nm", (0.012, 0.012), ("nm", "nm"), "window_size")
    100
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be an int (pixels) or a length, not a bool.")
    if isinstance(value, (int, np.integer)):
        pixels = int(value)
    elif isinstance(value, (float, np.floating)):
        if not float(value).is_integer():
            raise TypeError(
                f"`{name}`={value} is a float; give an integer number of pixels or a length "
                f"with its unit, e.g. '{value} Å'."
            )
        pixels = int(value)
    else:
        q = _as_quantity(value, name)
        counts = []
        for scale, unit in zip(scales, units, strict=False):
            axis_unit = length_unit(unit)
            if axis_unit is None:
                raise ValueError(
                    f"`{name}`={value!r} is a length, but the image axes have no length units "
                    f"(units={unit!r}); give `{name}` in pixels, or calibrate the axes, e.g. "
                    f"s.axes_manager.signal_axes[0].units = 'Å' and set their scale."
                )
            counts.append(int(round(float((q / (scale * axis_unit)).to("dimensionless").m))))
        if counts[0] != counts[1]:
            raise ValueError(
                f"`{name}`={value!r} is {counts[1]} px along x but {counts[0]} px along y "
                f"(non-square pixels); give `{name}` in pixels or resample the image to square "
                f"pixels first."
            )
        pixels = counts[0]
    if pixels <= 0:
        raise ValueError(f"`{name}` must be positive, got {value!r} ({pixels} px).")
    return pixels


def window_grid_shape(image_shape: tuple[int, int], window: int, stride: int) -> tuple[int, int]:
    """Number of windows along (y, x): ``(H - window) // stride + 1`` for each axis.

    Examples
    --------
    >>> window_grid_shape((256, 256), 100, 20)
    (8, 8)
    """
    h, w = image_shape
    return ((h - window) // stride + 1, (w - window) // stride + 1)


def grid_axis(
    pixel_scale: float, pixel_offset: float, window: int, stride: int, size: int, name: str, units
) -> dict:
    """HyperSpy axis dictionary of one window-grid axis, each point at a window's centre.

    Examples
    --------
    >>> ax = grid_axis(0.12, 0.0, 100, 20, 8, "x", "Å")
    >>> round(ax["scale"], 6), round(ax["offset"], 6)
    (2.4, 5.94)
    """
    return {
        "name": name,
        "units": units,
        "size": int(size),
        "scale": stride * pixel_scale,
        "offset": pixel_offset + (window - 1) / 2 * pixel_scale,
        "navigate": False,
    }


def sliding_windows(images: np.ndarray, window: int, stride: int) -> np.ndarray:
    """All windows of a stack of images as a strided view, without copying.

    Parameters
    ----------
    images
        Array of shape ``(..., H, W)``.
    window, stride
        Window size and stride in pixels.

    Returns
    -------
    numpy.ndarray
        Read-only view of shape ``(..., gy, gx, window, window)``.

    Examples
    --------
    >>> sliding_windows(np.zeros((3, 256, 256)), 100, 20).shape
    (3, 8, 8, 100, 100)
    """
    view = np.lib.stride_tricks.sliding_window_view(images, (window, window), axis=(-2, -1))
    return view[..., ::stride, ::stride, :, :]


def central_crop(images: np.ndarray, size: int) -> np.ndarray:
    """The central ``size x size`` square of each image of ``(..., H, W)``, as a view.

    It starts at row ``(H - size) // 2`` and column ``(W - size) // 2``: for an odd
    difference the extra pixel is left after the square (``(N - size) // 2`` equals
    ``N // 2 - size // 2`` for even sizes, the centre of an fftshifted spectrum).

    Examples
    --------
    >>> central_crop(np.arange(25).reshape(5, 5), 2)
    array([[ 6,  7],
           [11, 12]])
    >>> central_crop(np.zeros((3, 100, 90)), 64).shape
    (3, 64, 64)
    """
    r0 = (images.shape[-2] - size) // 2
    c0 = (images.shape[-1] - size) // 2
    return images[..., r0 : r0 + size, c0 : c0 + size]
