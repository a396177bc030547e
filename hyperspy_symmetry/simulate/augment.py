"""What microscopes do to images: augmentations for simulated training images.

The networks are trained on simulated images only, so the training images must carry what
real instruments add to an image. Both papers used rotations, shear, Gaussian blur and
Gaussian/Poisson noise; here we add scan distortions (row jitter, linear drift), scan-line
intensity offsets, slow intensity gradients and contamination-like background.
``docs/simulation_augmentation.md`` gives the physics and the reasons for the default ranges.

Pure NumPy/SciPy. Every function takes a 2D float array and returns a new float64 array of the
same shape; the input is never modified. Random functions take a ``numpy.random.Generator``
``rng``, so a seed reproduces the result.

Edges
-----
The geometric transforms (:func:`rotate`, :func:`shear`, :func:`linear_drift`,
:func:`row_jitter`) interpolate with cubic splines (``order=3``) about the image centre
``((H - 1) / 2, (W - 1) / 2)``. Output pixels whose sampling position falls outside the input
take the value of the input mirrored about its edge pixels (SciPy ``mode="mirror"``): those pixels
are plausible-looking but not physical. Callers therefore pass a crop larger than what they
keep and keep its centre (``out_size`` of :func:`apply` / :func:`augment`);
:func:`required_margin` says how much larger it must be for a recipe.

Conventions
-----------
Arrays are indexed ``(row, column) = (y, x)`` with row 0 displayed at the top. Angles are in
degrees, counter-clockwise as displayed. Intensity amplitudes of the individual functions are
in the units of the image; :func:`apply` first scales the image to unit range, so there they
are fractions of the signal range.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> image = rng.random((130, 130))
>>> augment(image, rng, out_size=100).shape
(100, 100)
>>> params = draw(AugmentationRecipe.papers(), np.random.default_rng(1))
>>> sorted(params)
['gaussian_blur', 'shear']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from ..windows import central_crop
from ._recipe import RecipeDict

__all__ = [
    "AugmentationRecipe",
    "rotate",
    "shear",
    "gaussian_blur",
    "gaussian_noise",
    "poisson_noise",
    "row_jitter",
    "row_jitter_offsets",
    "scan_line_noise",
    "linear_drift",
    "intensity_gradient",
    "contamination",
    "directional_blur",
    "flyback",
    "slow_modulation",
    "draw",
    "apply",
    "augment",
    "required_margin",
]

#: Spline order of the geometric transforms (cubic: sharp columns, no staircase blur).
_ORDER = 3
#: How SciPy fills sampling positions outside the image: mirrored about the edge pixels
#: ("reflect" would be equivalent but its spline prefilter is inexact on tiny images).
_MODE = "mirror"


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def _as_image(image: np.ndarray) -> np.ndarray:
    """The image as a float64 2D array (not copied if it already is one: nothing writes to it)."""
    a = np.asarray(image, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"image must be a 2D array, got shape {a.shape}.")
    if a.size == 0:
        raise ValueError("image is empty.")
    return a


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator (e.g. np.random.default_rng(seed)), "
            f"got {type(rng).__name__}."
        )
    return rng


def _non_negative(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value}.")
    return value


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value}.")
    return value


def _centre(shape: tuple[int, int]) -> tuple[float, float]:
    return (shape[0] - 1) / 2.0, (shape[1] - 1) / 2.0


# --------------------------------------------------------------------------------------------
# Geometric transforms. Each ``_*_coords`` maps output (row, col) positions to the positions
# sampled in its input, so several of them compose into a single interpolation in ``apply``.
# --------------------------------------------------------------------------------------------


def _shear_coords(rows, cols, amount: float, centre: tuple[float, float]):
    return rows, cols - amount * (rows - centre[0])


def _drift_coords(rows, cols, velocity: tuple[float, float], centre, width: int):
    vx, vy = velocity
    # Time since the centre pixel was recorded, in line times (fast scan along x, flyback
    # neglected): one line per unit, one pixel per 1/width.
    t = (rows - centre[0]) + (cols - centre[1]) / width
    return rows - vy * t, cols - vx * t


def _flyback_coords(rows, cols, amplitude: float, decay: float, start: float):
    # The fast-scan coil lags at the start of each line: a pixel ``x`` px into the line is
    # recorded ``amplitude * exp(-x / decay)`` px further left than nominal.
    return rows, cols - amplitude * np.exp(-(cols + start) / decay)


def _grid(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.indices(shape, dtype=np.float64)  # new arrays: safe to update in place
    return rows, cols


def _sample(image: np.ndarray, rows: np.ndarray, cols: np.ndarray, order: int) -> np.ndarray:
    return ndimage.map_coordinates(image, [rows, cols], order=order, mode=_MODE)


def _check_velocity(velocity: Sequence[float]) -> tuple[float, float]:
    v = tuple(float(c) for c in velocity)
    if len(v) != 2 or not all(np.isfinite(v)):
        raise ValueError(f"velocity must be two finite numbers (vx, vy), got {velocity!r}.")
    if abs(v[1]) >= 1:
        raise ValueError(f"|vy| must be < 1 pixel per line (the scan must outrun it), got {v[1]}.")
    return v


def rotate(image: np.ndarray, angle: float, *, order: int = _ORDER) -> np.ndarray:
    """Rotate the image content counter-clockwise (as displayed) about the image centre.

    Parameters
    ----------
    image
        2D array.
    angle
        Rotation angle in degrees; ``rotate(image, 90)`` equals ``np.rot90(image)`` for a
        square image.
    order
        Spline order of the interpolation (0-5).

    Returns
    -------
    numpy.ndarray
        The rotated image, same shape, float64. Corners sampled from outside the input are
        filled with the mirrored input (see the module notes on edges).

    Examples
    --------
    >>> img = np.arange(16.0).reshape(4, 4)
    >>> np.allclose(rotate(img, 90), np.rot90(img))
    True
    """
    a = _as_image(image)
    theta = np.deg2rad(float(angle))
    # Snap cos/sin of multiples of 90 degrees (6e-17 instead of 0) so that those rotations
    # sample exactly on the grid.
    c, s = (
        float(np.round(v)) if abs(v - np.round(v)) < 1e-12 else float(v)
        for v in (np.cos(theta), np.sin(theta))
    )
    # Output (row, col) relative to the centre -> input position; rows point down, so a
    # counter-clockwise display rotation has this sign pattern.
    matrix = np.array([[c, s], [-s, c]])
    centre = np.array(_centre(a.shape))
    offset = centre - matrix @ centre
    return ndimage.affine_transform(a, matrix, offset=offset, order=order, mode=_MODE)


def shear(image: np.ndarray, shear: float, *, order: int = _ORDER) -> np.ndarray:
    """Horizontal shear about the image centre: row ``y`` moves by ``shear * (y - yc)`` px.

    This is the affine shear the AI-STEM paper applied (±0.05); for such small values it is
    the same as scikit-image's ``AffineTransform(shear=...)`` angle in radians.

    Parameters
    ----------
    image
        2D array.
    shear
        Shear factor (dimensionless): horizontal displacement per pixel of distance from the
        centre row. Positive values move rows below the centre to the right.
    order
        Spline order of the interpolation.

    Returns
    -------
    numpy.ndarray
        The sheared image, same shape, float64. Near the left and right edges, up to
        ``|shear| * H / 2`` px come from the mirrored input.

    Examples
    --------
    >>> img = np.zeros((5, 9)); img[:, 4] = 1.0
    >>> out = shear(img, 1.0, order=1)
    >>> [int(np.argmax(row)) for row in out]
    [2, 3, 4, 5, 6]
    """
    a = _as_image(image)
    rows, cols = _shear_coords(*_grid(a.shape), float(shear), _centre(a.shape))
    return _sample(a, rows, cols, order)


def linear_drift(
    image: np.ndarray, velocity: Sequence[float], *, order: int = _ORDER
) -> np.ndarray:
    """Distortion of a raster scan by a constant specimen drift.

    Model: the image is a raster scan with the fast scan along x (columns) and the slow scan
    along y (rows); pixel ``(i, j)`` of an ``H x W`` image is recorded at time
    ``t = i + j / W`` in units of the line time (flyback neglected). The specimen moves with
    constant velocity ``(vx, vy)`` pixels per line, so the probe at ``(i, j)`` records the
    specimen point that was at ``(i - vy * t', j - vx * t')`` when the centre pixel was
    recorded, with ``t'`` the time since then. Consequences:

    - ``vy`` stretches the image along y by ``1 / (1 - vy)`` (drift along the slow scan makes
      the probe take longer to cross a feature): a period ``P`` along y is imaged as
      ``P / (1 - vy)``.
    - ``vx`` shears the image: row ``y`` is shifted by about ``vx * (y - yc)`` px.
    - Within a line the drift is ``1 / W`` as large; it is included but negligible.

    Parameters
    ----------
    image
        2D array, as it would be recorded without drift.
    velocity
        ``(vx, vy)``: drift in pixels per scan line along x and y; ``|vy| < 1``.
    order
        Spline order of the interpolation.

    Returns
    -------
    numpy.ndarray
        The drifted image, same shape, float64. The centre pixel stays in place; positions
        sampled outside the input come from the mirrored input.

    Examples
    --------
    >>> y = np.arange(200.0)[:, None] * np.ones((1, 50))
    >>> out = linear_drift(np.cos(2 * np.pi * y / 20), (0.0, 0.1))
    >>> out.shape
    (200, 50)
    """
    a = _as_image(image)
    v = _check_velocity(velocity)
    rows, cols = _drift_coords(*_grid(a.shape), v, _centre(a.shape), a.shape[1])
    return _sample(a, rows, cols, order)


def row_jitter_offsets(
    n_rows: int, amplitude: float, correlation: float, rng: np.random.Generator
) -> np.ndarray:
    """Horizontal offsets of the scan lines: a stationary AR(1) process.

    ``o[0] = amplitude * e[0]`` and
    ``o[i] = correlation * o[i - 1] + amplitude * sqrt(1 - correlation**2) * e[i]`` with
    ``e`` standard normal: every offset has standard deviation ``amplitude`` and consecutive
    lines have correlation ``correlation``.

    Parameters
    ----------
    n_rows
        Number of scan lines.
    amplitude
        Standard deviation of the offsets in pixels.
    correlation
        Line-to-line correlation in [0, 1).
    rng
        Random generator; :func:`row_jitter` calls this function first with its ``rng``.

    Returns
    -------
    numpy.ndarray
        ``(n_rows,)`` offsets in pixels.

    Examples
    --------
    >>> o = row_jitter_offsets(10_000, 0.5, 0.9, np.random.default_rng(0))
    >>> round(float(o.std()), 1), round(float(np.corrcoef(o[1:], o[:-1])[0, 1]), 1)
    (0.5, 0.9)
    """
    _check_rng(rng)
    amplitude = _non_negative("amplitude", amplitude)
    rho = float(correlation)
    if not 0.0 <= rho < 1.0:
        raise ValueError(f"correlation must be in [0, 1), got {rho}.")
    e = rng.standard_normal(int(n_rows))
    out = np.empty_like(e)
    if out.size:
        out[0] = e[0]
        innovation = math.sqrt(1.0 - rho * rho)
        for i in range(1, out.size):
            out[i] = rho * out[i - 1] + innovation * e[i]
    return amplitude * out


def row_jitter(
    image: np.ndarray,
    amplitude: float,
    correlation: float,
    rng: np.random.Generator,
    *,
    order: int = _ORDER,
) -> np.ndarray:
    """Scan-line jitter: every row is shifted horizontally by a random sub-pixel offset.

    The offsets come from :func:`row_jitter_offsets` (drawn first from ``rng``), so they are
    correlated from line to line as in the fast-scan position noise of a real scan: row ``i``
    of the output is row ``i`` of the input shifted right by ``offsets[i]`` px.

    Parameters
    ----------
    image
        2D array.
    amplitude
        Standard deviation of the offsets in pixels.
    correlation
        Line-to-line correlation of the offsets in [0, 1).
    rng
        Random generator.
    order
        Spline order of the interpolation.

    Returns
    -------
    numpy.ndarray
        Jittered image, same shape, float64; each row keeps its own content (no mixing of
        rows), and the few pixels shifted in at the row ends come from the mirrored row.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((64, 64))
    >>> row_jitter(img, 0.5, 0.8, np.random.default_rng(1)).shape
    (64, 64)
    """
    a = _as_image(image)
    offsets = row_jitter_offsets(a.shape[0], amplitude, correlation, rng)
    rows, cols = _grid(a.shape)
    return _sample(a, rows, cols - offsets[:, None], order)


# --------------------------------------------------------------------------------------------
# Optics, background and noise
# --------------------------------------------------------------------------------------------


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur: finite source size, residual aberrations, vibrations, defocus spread.

    Parameters
    ----------
    image
        2D array.
    sigma
        Standard deviation of the Gaussian in pixels (0 returns a copy).

    Returns
    -------
    numpy.ndarray
        Blurred image (``scipy.ndimage.gaussian_filter``, mirrored edges), float64.

    Examples
    --------
    >>> img = np.zeros((9, 9)); img[4, 4] = 1.0
    >>> round(float(gaussian_blur(img, 1.0).sum()), 6)
    1.0
    """
    a = _as_image(image)
    sigma = _non_negative("sigma", sigma)
    if sigma == 0:
        return a.copy()
    return ndimage.gaussian_filter(a, sigma, mode="reflect")


def directional_blur(image: np.ndarray, sigma: float, angle: float) -> np.ndarray:
    """Gaussian smear along one direction: mechanical vibration, drift within a pixel's dwell,
    residual two-fold astigmatism, or columns inclined by a specimen mistilt.

    Parameters
    ----------
    image
        2D array.
    sigma
        Standard deviation (px) of the smear along ``angle``; none across it.
    angle
        Direction of the smear, degrees counter-clockwise from +x as displayed.

    Returns
    -------
    numpy.ndarray
        Smeared image, float64. Filtered in Fourier space (periodic over the array), so the
        ``4 * sigma`` px next to the edges mix with the opposite edge: :func:`apply` keeps
        only the centre.

    Examples
    --------
    >>> img = np.zeros((33, 33)); img[16, 16] = 1.0
    >>> out = directional_blur(img, 2.0, 0.0)
    >>> round(float(out.sum()), 6), bool(out[16, 20] > 0.01), bool(out[20, 16] < 1e-6)
    (1.0, True, True)
    """
    a = _as_image(image)
    sigma = _non_negative("sigma", sigma)
    if sigma == 0:
        return a.copy()
    theta = np.deg2rad(float(angle))
    ky = np.fft.fftfreq(a.shape[0])[:, None]
    kx = np.fft.rfftfreq(a.shape[1])[None, :]
    # rows point down, so a counter-clockwise direction has a negative row component
    along = kx * np.cos(theta) - ky * np.sin(theta)
    transfer = np.exp(-2.0 * np.pi**2 * sigma**2 * along**2)
    return np.fft.irfft2(np.fft.rfft2(a) * transfer, s=a.shape)


def slow_modulation(
    image: np.ndarray, amplitude: float, length: float, rng: np.random.Generator
) -> np.ndarray:
    """Multiply by a slowly varying intensity: thickness steps, bending, beam-current drift.

    The modulation is ``1 + amplitude * f`` with ``f`` a random field of unit variance made
    of six plane waves whose wavelengths lie within 0.7-1.5 ``length``; over a window much
    smaller than ``length`` it shows as a curved ramp. Unlike a field filtered over the
    array, its scale does not depend on the array size.

    Parameters
    ----------
    image
        2D array.
    amplitude
        Relative depth of the modulation (0.2: +/-20 % for one standard deviation);
        the factor is kept above 0.05.
    length
        Typical wavelength of the modulation in px.
    rng
        Random generator.

    Examples
    --------
    >>> out = slow_modulation(np.ones((50, 50)), 0.2, 400.0, np.random.default_rng(0))
    >>> out.shape, bool(0.3 < out.min() <= out.max() < 1.7)
    ((50, 50), True)
    """
    a = _as_image(image)
    _check_rng(rng)
    amplitude = _non_negative("amplitude", amplitude)
    length = _positive("length", length)
    n = 6
    k = 2.0 * np.pi / (length * rng.uniform(0.7, 1.5, n))
    direction = rng.uniform(0.0, 2.0 * np.pi, n)
    phase = rng.uniform(0.0, 2.0 * np.pi, n)
    rows, cols = np.indices(a.shape, dtype=np.float64)
    field = sum(
        np.cos(k[i] * (cols * np.cos(direction[i]) + rows * np.sin(direction[i])) + phase[i])
        for i in range(n)
    ) * math.sqrt(2.0 / n)
    return a * np.maximum(1.0 + amplitude * field, 0.05)


def flyback(
    image: np.ndarray, amplitude: float, decay: float, start: float = 0.0, *, order: int = _ORDER
) -> np.ndarray:
    """Fly-back distortion: the start of every scan line is compressed as the fast-scan coil
    settles after its return.

    Parameters
    ----------
    image
        2D array (rows are scan lines, scanned along +x).
    amplitude
        Lag (px) at the start of the line.
    decay
        Length (px) over which the lag decays exponentially.
    start
        Distance (px) from the start of the scan line to the image's first column: a window
        cut from the middle of a frame sees only the tail of the distortion.
    order
        Spline order of the interpolation.

    Examples
    --------
    >>> img = np.tile(np.arange(40.0), (4, 1))
    >>> out = flyback(img, 2.0, 5.0, order=1)
    >>> round(float(out[0, 3]), 2), round(float(out[0, 30]), 2)
    (1.9, 30.0)
    """
    a = _as_image(image)
    amplitude = _non_negative("amplitude", amplitude)
    decay = _positive("decay", decay)
    rows, cols = _flyback_coords(*_grid(a.shape), amplitude, decay, _non_negative("start", start))
    return _sample(a, rows, cols, order)


def gaussian_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add white Gaussian noise (detector and amplifier read-out noise).

    Parameters
    ----------
    image
        2D array.
    sigma
        Standard deviation of the noise, in image units.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        ``image + sigma * N(0, 1)``, float64.

    Examples
    --------
    >>> out = gaussian_noise(np.zeros((200, 200)), 0.1, np.random.default_rng(0))
    >>> round(float(out.std()), 2)
    0.1
    """
    a = _as_image(image)
    _check_rng(rng)
    sigma = _non_negative("sigma", sigma)
    return a + sigma * rng.standard_normal(a.shape)


def poisson_noise(image: np.ndarray, dose: float, rng: np.random.Generator) -> np.ndarray:
    """Shot noise: Poisson counts at a mean of ``dose`` counts per pixel.

    The image (negative values clipped to 0) is scaled so that its mean is ``dose``, each
    pixel is replaced by a Poisson draw with that mean, and the counts are scaled back, so
    the output has the input's mean and, at every pixel, variance ``value * mean / dose``.

    Parameters
    ----------
    image
        2D array of (non-negative) intensities.
    dose
        Mean number of counts per pixel (> 0); lower is noisier.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        The noisy image in the input's intensity units, float64. An all-zero (or all
        negative) image gives zeros.

    Examples
    --------
    >>> out = poisson_noise(np.full((200, 200), 2.0), 100.0, np.random.default_rng(0))
    >>> round(float(out.mean()), 1), round(float(out.var() * 100 / 2.0 ** 2))
    (2.0, 1)
    """
    a = _as_image(image)
    _check_rng(rng)
    dose = _positive("dose", dose)
    a = np.clip(a, 0.0, None)
    mean = a.mean()
    if mean == 0:
        return np.zeros_like(a)
    scale = dose / mean
    return rng.poisson(a * scale) / scale


def scan_line_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Scan-line noise: a random intensity offset per scan line (row).

    Detector and amplifier baselines wander between lines, which shows up as horizontal
    stripes in STEM images. Offsets are independent between lines.

    Parameters
    ----------
    image
        2D array.
    sigma
        Standard deviation of the per-line offsets, in image units.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        ``image + offsets[:, None]``, float64.

    Examples
    --------
    >>> out = scan_line_noise(np.zeros((4, 3)), 1.0, np.random.default_rng(0))
    >>> bool(np.all(out == out[:, :1]))
    True
    """
    a = _as_image(image)
    _check_rng(rng)
    sigma = _non_negative("sigma", sigma)
    return a + sigma * rng.standard_normal(a.shape[0])[:, None]


def _ramp(shape: tuple[int, int], angle: float) -> np.ndarray:
    """Linear ramp rising from 0 to 1 across the image along ``angle`` (degrees, CCW)."""
    theta = np.deg2rad(float(angle))
    cy, cx = _centre(shape)
    y = np.arange(shape[0], dtype=np.float64)[:, None] - cy
    x = np.arange(shape[1], dtype=np.float64)[None, :] - cx
    # Rows point down, so "up" on screen is -y.
    proj = x * np.cos(theta) - y * np.sin(theta)
    span = proj.max() - proj.min()
    if span == 0:
        return np.zeros(shape)
    return (proj - proj.min()) / span


def intensity_gradient(
    image: np.ndarray, strength: float, angle: float, *, multiplicative: bool = False
) -> np.ndarray:
    """A slow linear intensity ramp (thickness wedge, detector or illumination non-uniformity).

    With ``p`` a plane rising from 0 to 1 across the image along ``angle``:
    additive ``image + strength * p``; multiplicative ``image * (1 + strength * p)``.

    Parameters
    ----------
    image
        2D array.
    strength
        Additive: peak-to-peak height of the ramp in image units. Multiplicative: relative gain
        change across the image (0.2: the brightest side is 20 % brighter).
    angle
        Direction in which the intensity rises, in degrees counter-clockwise from +x as
        displayed (90: brighter towards the top).
    multiplicative
        Scale the image instead of adding the ramp.

    Returns
    -------
    numpy.ndarray
        Image with the ramp, float64.

    Examples
    --------
    >>> out = intensity_gradient(np.zeros((3, 5)), 1.0, 0.0)
    >>> out[0].tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    a = _as_image(image)
    strength = float(strength)
    if not np.isfinite(strength):
        raise ValueError(f"strength must be finite, got {strength}.")
    ramp = strength * _ramp(a.shape, angle)
    return a * (1.0 + ramp) if multiplicative else a + ramp


def _smooth_field(shape: tuple[int, int], length: float, rng: np.random.Generator) -> np.ndarray:
    """White noise low-pass filtered by a Gaussian of ``length`` px, min-max scaled to [0, 1].

    Filtered in Fourier space (periodic over the array), which costs the same for any length;
    a real-space filter of sigma 40 px would be ~30 times slower.
    """
    white = rng.standard_normal(shape)
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.rfftfreq(shape[1])[None, :]
    transfer = np.exp(-2.0 * np.pi**2 * length**2 * (ky**2 + kx**2))
    transfer[0, 0] = 0.0  # the mean is irrelevant after scaling
    field = np.fft.irfft2(np.fft.rfft2(white) * transfer, s=shape)
    span = field.max() - field.min()
    if not span > 0:
        return np.zeros(shape)
    return (field - field.min()) / span


def contamination(
    image: np.ndarray, amplitude: float, length: float, rng: np.random.Generator
) -> np.ndarray:
    """Add a smooth, positive, random background (amorphous contamination, carbon film).

    The background is a Gaussian random field with correlation length ``length`` (white noise
    filtered by a Gaussian of standard deviation ``length`` px, periodic over the image),
    scaled to run from 0 to exactly ``amplitude``.

    Parameters
    ----------
    image
        2D array.
    amplitude
        Peak height of the background in image units (its minimum is 0).
    length
        Correlation length in pixels; choose it larger than the lattice spacing so that the
        background adds no spurious Fourier peaks.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        Image plus background, float64.

    Examples
    --------
    >>> bg = contamination(np.zeros((64, 64)), 0.3, 10.0, np.random.default_rng(0))
    >>> round(float(bg.min()), 6), round(float(bg.max()), 6)
    (0.0, 0.3)
    """
    a = _as_image(image)
    _check_rng(rng)
    amplitude = _non_negative("amplitude", amplitude)
    length = _positive("length", length)
    return a + amplitude * _smooth_field(a.shape, length, rng)


# --------------------------------------------------------------------------------------------
# Recipes
# --------------------------------------------------------------------------------------------

_PROBABILITIES = (
    "shear_p", "drift_p", "jitter_p", "blur_p", "gradient_p", "gradient_multiplicative_p",
    "contamination_p", "poisson_p", "scan_line_p", "gaussian_p", "directional_blur_p",
    "flyback_p", "modulation_p",
)  # fmt: skip
_RANGES = (
    "shear_range", "drift_range", "jitter_amplitude", "jitter_correlation", "blur_sigma",
    "gradient_strength", "contamination_amplitude", "contamination_length", "poisson_dose",
    "scan_line_sigma", "gaussian_sigma", "directional_blur_sigma", "flyback_amplitude",
    "flyback_decay", "flyback_start", "modulation_amplitude", "modulation_length",
)  # fmt: skip
#: Ranges that must not go below 0 (or, for the dose, reach 0).
_NON_NEGATIVE = (
    "jitter_amplitude", "jitter_correlation", "blur_sigma", "gradient_strength",
    "contamination_amplitude", "scan_line_sigma", "gaussian_sigma", "directional_blur_sigma",
    "flyback_amplitude", "flyback_start", "modulation_amplitude",
)  # fmt: skip


def check_recipe_fields(
    recipe: Any, probabilities: Sequence[str], ranges: Sequence[str], optional: Sequence[str] = ()
) -> None:
    """Check and normalise the fields of a frozen recipe dataclass in place: each of
    ``probabilities`` a float in [0, 1], each of ``ranges`` a finite ``(low, high)`` float
    pair with ``low <= high``; the ranges named in ``optional`` may also be ``None``."""
    for name in probabilities:
        p = float(getattr(recipe, name))
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1], got {p}.")
        object.__setattr__(recipe, name, p)
    for name in ranges:
        value = getattr(recipe, name)
        if value is None and name in optional:
            continue
        try:
            low, high = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a (low, high) pair, got {value!r}.") from None
        if not (np.isfinite(low) and np.isfinite(high) and low <= high):
            raise ValueError(f"{name} must satisfy low <= high (finite), got {value!r}.")
        object.__setattr__(recipe, name, (low, high))


@dataclass(frozen=True)
class AugmentationRecipe(RecipeDict):
    """Probability and range of each augmentation; the defaults are :meth:`realistic`.

    Each augmentation is applied with its probability ``*_p``; its parameters are then drawn
    uniformly from the ``(low, high)`` ranges (the dose log-uniformly). Intensity amplitudes
    are fractions of the signal range (:func:`apply` scales the image to unit range first);
    lengths are in pixels.

    Attributes
    ----------
    shear_p, shear_range
        Horizontal shear factor (:func:`shear`).
    drift_p, drift_range
        Range of each component ``vx``, ``vy`` of the drift velocity, in px per scan line
        (:func:`linear_drift`).
    jitter_p, jitter_amplitude, jitter_correlation
        Row jitter offset standard deviation (px) and line-to-line correlation
        (:func:`row_jitter`).
    blur_p, blur_sigma
        Gaussian blur standard deviation in px (:func:`gaussian_blur`).
    gradient_p, gradient_strength, gradient_multiplicative_p
        Intensity ramp height and the probability that it is multiplicative; its direction
        is uniform in [0, 360) degrees (:func:`intensity_gradient`).
    contamination_p, contamination_amplitude, contamination_length
        Contamination background peak height and correlation length in px
        (:func:`contamination`).
    poisson_p, poisson_dose
        Mean counts per pixel, drawn log-uniformly (:func:`poisson_noise`).
    scan_line_p, scan_line_sigma
        Standard deviation of per-line offsets (:func:`scan_line_noise`).
    gaussian_p, gaussian_sigma
        Standard deviation of white noise (:func:`gaussian_noise`).
    noise_exclusive
        If true, Gaussian noise is only considered for images without Poisson noise, as in
        the AI-STEM training set.
    directional_blur_p, directional_blur_sigma
        Smear along a uniformly random direction, standard deviation in px
        (:func:`directional_blur`).
    flyback_p, flyback_amplitude, flyback_decay, flyback_start
        Fly-back lag (px), its decay length (px) and the window's distance from the start of
        the scan line (px) (:func:`flyback`).
    modulation_p, modulation_amplitude, modulation_length
        Slow multiplicative intensity modulation: depth and wavelength in px
        (:func:`slow_modulation`).

    The last three default to probability 0, so :meth:`realistic` draws exactly what it drew
    before they existed; :meth:`haadf_stem` uses them.

    Examples
    --------
    >>> import json
    >>> r = AugmentationRecipe.realistic()
    >>> AugmentationRecipe.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    True
    >>> AugmentationRecipe.papers().drift_p
    0.0
    """

    shear_p: float = 0.5
    shear_range: tuple[float, float] = (-0.05, 0.05)
    drift_p: float = 0.5
    drift_range: tuple[float, float] = (-0.03, 0.03)
    jitter_p: float = 0.5
    jitter_amplitude: tuple[float, float] = (0.1, 0.7)
    jitter_correlation: tuple[float, float] = (0.0, 0.9)
    blur_p: float = 0.7
    blur_sigma: tuple[float, float] = (0.5, 2.0)
    gradient_p: float = 0.5
    gradient_strength: tuple[float, float] = (0.05, 0.4)
    gradient_multiplicative_p: float = 0.5
    contamination_p: float = 0.3
    contamination_amplitude: tuple[float, float] = (0.05, 0.3)
    contamination_length: tuple[float, float] = (15.0, 40.0)
    poisson_p: float = 0.8
    poisson_dose: tuple[float, float] = (20.0, 2000.0)
    scan_line_p: float = 0.5
    scan_line_sigma: tuple[float, float] = (0.005, 0.04)
    gaussian_p: float = 0.7
    gaussian_sigma: tuple[float, float] = (0.01, 0.06)
    noise_exclusive: bool = False
    directional_blur_p: float = 0.0
    directional_blur_sigma: tuple[float, float] = (0.5, 3.0)
    flyback_p: float = 0.0
    flyback_amplitude: tuple[float, float] = (0.3, 2.0)
    flyback_decay: tuple[float, float] = (3.0, 20.0)
    flyback_start: tuple[float, float] = (0.0, 40.0)
    modulation_p: float = 0.0
    modulation_amplitude: tuple[float, float] = (0.05, 0.3)
    modulation_length: tuple[float, float] = (150.0, 500.0)

    def __post_init__(self) -> None:
        check_recipe_fields(self, _PROBABILITIES, _RANGES)
        for name in _NON_NEGATIVE:
            if getattr(self, name)[0] < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)!r}.")
        if self.jitter_correlation[1] >= 1:
            raise ValueError("jitter_correlation must stay below 1.")
        if self.poisson_dose[0] <= 0:
            raise ValueError("poisson_dose must be > 0.")
        for name in ("contamination_length", "flyback_decay", "modulation_length"):
            if getattr(self, name)[0] <= 0:
                raise ValueError(f"{name} must be > 0.")
        if max(abs(v) for v in self.drift_range) >= 1:
            raise ValueError("drift_range must stay within (-1, 1) px per line.")
        object.__setattr__(self, "noise_exclusive", bool(self.noise_exclusive))

    @classmethod
    def realistic(cls) -> AugmentationRecipe:
        """The papers' augmentations plus scan distortions, background and scan-line noise.

        Ranges are moderate: at their extremes the lattice is still recognisable by eye.

        Examples
        --------
        >>> AugmentationRecipe.realistic() == AugmentationRecipe()
        True
        """
        return cls()

    @classmethod
    def haadf_stem(cls) -> AugmentationRecipe:
        """What real HAADF-STEM images carry, over the ranges real instruments produce.

        At 0.12 Å/px (the ``aistem`` training pixel size): blur up to sigma 4.3 px, i.e. an
        effective resolution down to 1.2 Å FWHM (source size, vibration, drift and frame
        registration), while 35 % of the images stay sharp and 30 % noise-free, so that
        clean, high-dose images are as familiar as degraded ones; a smear along one direction
        (mistilt, vibration, astigmatism); drift
        of up to 5 % per axis (shear and stretch along the slow axis), line jitter and
        fly-back; slow intensity modulations over 18-60 Å; contamination; doses from 2 to
        5,000 counts per pixel and detector noise. ``docs/training.md`` gives each range and
        where it comes from. The probe aberrations, mistilt, thickness, non-linear column
        intensities and amorphous layers act on the simulated specimen instead
        (:class:`~hyperspy_symmetry.simulate.imaging.ImagingRecipe`).

        Examples
        --------
        >>> AugmentationRecipe.haadf_stem().blur_sigma
        (0.3, 4.3)
        """
        return cls(
            shear_p=0.5, shear_range=(-0.05, 0.05),
            drift_p=0.5, drift_range=(-0.05, 0.05),
            jitter_p=0.5, jitter_amplitude=(0.1, 0.8), jitter_correlation=(0.0, 0.95),
            blur_p=0.65, blur_sigma=(0.3, 4.3),
            directional_blur_p=0.3, directional_blur_sigma=(0.5, 3.0),
            flyback_p=0.2, flyback_amplitude=(0.3, 2.0), flyback_decay=(3.0, 20.0),
            flyback_start=(0.0, 40.0),
            gradient_p=0.4, gradient_strength=(0.05, 0.4), gradient_multiplicative_p=0.5,
            modulation_p=0.4, modulation_amplitude=(0.05, 0.3),
            modulation_length=(150.0, 500.0),
            contamination_p=0.3, contamination_amplitude=(0.05, 0.4),
            contamination_length=(15.0, 40.0),
            poisson_p=0.7, poisson_dose=(2.0, 5000.0),
            scan_line_p=0.4, scan_line_sigma=(0.005, 0.05),
            gaussian_p=0.5, gaussian_sigma=(0.01, 0.08),
        )  # fmt: skip

    @classmethod
    def papers(cls) -> AugmentationRecipe:
        """Only what the papers did: shear (±0.05, every image), blur, Gaussian or Poisson noise.

        Values follow the AI-STEM training set: blur sigma 2-4 px, Gaussian noise variance
        0.005-0.01 on [0, 1] images (sigma 0.071-0.1), Poisson noise on images without
        Gaussian noise. scikit-image's ``random_noise(mode="poisson")`` on a float image uses
        ~10^4 levels, i.e. a high dose; here 10^3-10^4 counts per pixel. Rotation is not
        part of the recipe: the training-set builder rotates the atoms themselves.

        Examples
        --------
        >>> AugmentationRecipe.papers().shear_p
        1.0
        """
        return cls(
            shear_p=1.0,
            shear_range=(-0.05, 0.05),
            drift_p=0.0,
            jitter_p=0.0,
            blur_p=0.5,
            blur_sigma=(2.0, 4.0),
            gradient_p=0.0,
            contamination_p=0.0,
            poisson_p=0.5,
            poisson_dose=(1e3, 1e4),
            scan_line_p=0.0,
            gaussian_p=0.5,
            gaussian_sigma=(math.sqrt(0.005), math.sqrt(0.01)),
            noise_exclusive=True,
        )


# --------------------------------------------------------------------------------------------
# Draw and apply
# --------------------------------------------------------------------------------------------

#: Keys of a parameter dict, in the order :func:`apply` applies them.
_STEPS = (
    "shear", "linear_drift", "row_jitter", "flyback", "gaussian_blur", "directional_blur",
    "intensity_gradient", "slow_modulation", "contamination", "poisson_noise",
    "scan_line_noise", "gaussian_noise",
)  # fmt: skip


def draw(recipe: AugmentationRecipe, rng: np.random.Generator) -> dict[str, dict[str, Any]]:
    """Draw which augmentations to apply and their parameters.

    Parameters
    ----------
    recipe
        Probabilities and ranges.
    rng
        Random generator.

    Returns
    -------
    dict
        ``{function name: {keyword: value}}`` for the selected augmentations only, with plain
        Python floats/lists/bools (JSON-ready, to be recorded with the image). Pass it to
        :func:`apply`.

    Examples
    --------
    >>> p = draw(AugmentationRecipe(shear_p=1.0, shear_range=(0.02, 0.02), drift_p=0,
    ...      jitter_p=0, blur_p=0, gradient_p=0, contamination_p=0, poisson_p=0,
    ...      scan_line_p=0, gaussian_p=0), np.random.default_rng(0))
    >>> p
    {'shear': {'shear': 0.02}}
    """
    if not isinstance(recipe, AugmentationRecipe):
        raise TypeError(f"recipe must be an AugmentationRecipe, got {type(recipe).__name__}.")
    _check_rng(rng)
    r = recipe

    def uniform(bounds: tuple[float, float]) -> float:
        return float(rng.uniform(bounds[0], bounds[1]))

    def chosen(p: float) -> bool:
        return bool(rng.random() < p)

    params: dict[str, dict[str, Any]] = {}
    if chosen(r.shear_p):
        params["shear"] = {"shear": uniform(r.shear_range)}
    if chosen(r.drift_p):
        params["linear_drift"] = {"velocity": [uniform(r.drift_range), uniform(r.drift_range)]}
    if chosen(r.jitter_p):
        params["row_jitter"] = {
            "amplitude": uniform(r.jitter_amplitude),
            "correlation": uniform(r.jitter_correlation),
        }
    if chosen(r.blur_p):
        params["gaussian_blur"] = {"sigma": uniform(r.blur_sigma)}
    if chosen(r.gradient_p):
        params["intensity_gradient"] = {
            "strength": uniform(r.gradient_strength),
            "angle": float(rng.uniform(0.0, 360.0)),
            "multiplicative": chosen(r.gradient_multiplicative_p),
        }
    if chosen(r.contamination_p):
        params["contamination"] = {
            "amplitude": uniform(r.contamination_amplitude),
            "length": uniform(r.contamination_length),
        }
    if chosen(r.poisson_p):
        lo, hi = np.log(r.poisson_dose)
        params["poisson_noise"] = {"dose": float(np.exp(rng.uniform(lo, hi)))}
    if chosen(r.scan_line_p):
        params["scan_line_noise"] = {"sigma": uniform(r.scan_line_sigma)}
    if not (r.noise_exclusive and "poisson_noise" in params) and chosen(r.gaussian_p):
        params["gaussian_noise"] = {"sigma": uniform(r.gaussian_sigma)}
    # Drawn last, and only when possible, so that recipes without them draw as before.
    if r.directional_blur_p > 0 and chosen(r.directional_blur_p):
        params["directional_blur"] = {
            "sigma": uniform(r.directional_blur_sigma),
            "angle": float(rng.uniform(0.0, 180.0)),
        }
    if r.flyback_p > 0 and chosen(r.flyback_p):
        params["flyback"] = {
            "amplitude": uniform(r.flyback_amplitude),
            "decay": uniform(r.flyback_decay),
            "start": uniform(r.flyback_start),
        }
    if r.modulation_p > 0 and chosen(r.modulation_p):
        params["slow_modulation"] = {
            "amplitude": uniform(r.modulation_amplitude),
            "length": uniform(r.modulation_length),
        }
    return params


def _unit_range(a: np.ndarray) -> np.ndarray:
    """Scale to unit range; non-negative images keep their pedestal (shot noise needs it)."""
    lo = min(float(a.min()), 0.0)
    span = float(a.max() - a.min())
    if not span > 0:
        return a - a.min()
    return (a - lo) / span


# Not descriptors._minmax: one whole image, a NaN gives zeros, and it divides (that one, for
# batches, multiplies by the reciprocal, which can differ in the last bit).
def _minmax(a: np.ndarray) -> np.ndarray:
    lo = a.min()
    span = a.max() - lo
    if not span > 0:
        return np.zeros_like(a)
    return (a - lo) / span


def apply(
    image: np.ndarray,
    params: Mapping[str, Mapping[str, Any]],
    rng: np.random.Generator,
    out_size: int | None = None,
    *,
    order: int = _ORDER,
) -> np.ndarray:
    """Apply drawn augmentation parameters (from :func:`draw`) in a fixed, physical order.

    1. The image is scaled to unit range (``(image - min(image.min(), 0)) / ptp``), so the
       intensity amplitudes of ``params`` are fractions of the signal range.
    2. Geometric distortions: shear, linear drift, row jitter, fly-back, composed into a
       single interpolation (no repeated smoothing).
    3. Gaussian blur, directional blur.
    4. Central ``out_size x out_size`` crop, if asked (steps 2-3 need the surrounding pixels;
       the rest does not, and amplitudes then refer to the kept window).
    5. Background: intensity gradient, slow modulation, contamination.
    6. Noise: Poisson (dose relative to the kept window's mean), scan-line offsets, Gaussian.
    7. Min-max normalisation to [0, 1] (a constant result gives zeros).

    Parameters
    ----------
    image
        2D simulated image, larger than ``out_size`` by :func:`required_margin` on each side.
    params
        ``{function name: {keyword: value}}``, as returned by :func:`draw`; may be empty.
    rng
        Random generator for the noise and the row-jitter offsets.
    out_size
        Side of the central square to return; ``None`` keeps the whole image.
    order
        Spline order of the geometric interpolation.

    Returns
    -------
    numpy.ndarray
        The augmented image in [0, 1], float64.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((130, 130))
    >>> out = apply(img, {"gaussian_blur": {"sigma": 1.0}}, np.random.default_rng(0), 100)
    >>> out.shape, float(out.min()), float(out.max())
    ((100, 100), 0.0, 1.0)
    """
    a = _as_image(image)
    _check_rng(rng)
    unknown = set(params) - set(_STEPS)
    if unknown:
        raise ValueError(f"Unknown augmentation(s) {sorted(unknown)}; known: {list(_STEPS)}.")
    if out_size is not None:
        out_size = int(out_size)
        if not 0 < out_size <= min(a.shape):
            raise ValueError(f"out_size must be in [1, {min(a.shape)}], got {out_size}.")

    a = _unit_range(a)
    shape = a.shape

    # Only the kept window and the blur kernel's reach around it are needed from here on;
    # interpolating just that region gives the same pixels faster. (r0, c0): its corner.
    r0 = c0 = 0
    if out_size is not None:
        reach = 0
        if "gaussian_blur" in params:
            # scipy's kernel radius for the default truncate=4
            reach = int(4.0 * _non_negative("sigma", params["gaussian_blur"]["sigma"]) + 0.5)
        if "directional_blur" in params:
            # the Fourier-space smear wraps around: keep 4 sigma more on each side
            reach += int(
                math.ceil(4.0 * _non_negative("sigma", params["directional_blur"]["sigma"]))
            )
        region = (min(shape[0], out_size + 2 * reach), min(shape[1], out_size + 2 * reach))
        r0, c0 = (shape[0] - region[0]) // 2, (shape[1] - region[1]) // 2
    else:
        region = shape

    if any(k in params for k in ("shear", "linear_drift", "row_jitter", "flyback")):
        centre = _centre(shape)
        rows, cols = _grid(region)
        rows += r0
        cols += c0
        # Coordinates run from the output back to the input, so the last-applied distortion
        # (row jitter, on the integer output rows) maps first.
        if "row_jitter" in params:
            p = params["row_jitter"]
            # drawn for every row of the input, so the offsets do not depend on out_size
            offsets = row_jitter_offsets(shape[0], p["amplitude"], p["correlation"], rng)
            cols -= offsets[r0 : r0 + region[0], None]
        if "flyback" in params:
            p = params["flyback"]
            rows, cols = _flyback_coords(
                rows, cols, float(p["amplitude"]), float(p["decay"]), float(p["start"])
            )
        if "linear_drift" in params:
            v = _check_velocity(params["linear_drift"]["velocity"])
            rows, cols = _drift_coords(rows, cols, v, centre, shape[1])
        if "shear" in params:
            rows, cols = _shear_coords(rows, cols, float(params["shear"]["shear"]), centre)
        a = _sample(a, rows, cols, order)
    else:
        a = a[r0 : r0 + region[0], c0 : c0 + region[1]]
    if "gaussian_blur" in params:
        a = gaussian_blur(a, **params["gaussian_blur"])
    if "directional_blur" in params:
        a = directional_blur(a, **params["directional_blur"])
    if out_size is not None:
        a = central_crop(a, out_size)
    if "intensity_gradient" in params:
        a = intensity_gradient(a, **params["intensity_gradient"])
    if "slow_modulation" in params:
        a = slow_modulation(a, rng=rng, **params["slow_modulation"])
    if "contamination" in params:
        a = contamination(a, rng=rng, **params["contamination"])
    if "poisson_noise" in params:
        a = poisson_noise(a, rng=rng, **params["poisson_noise"])
    if "scan_line_noise" in params:
        a = scan_line_noise(a, rng=rng, **params["scan_line_noise"])
    if "gaussian_noise" in params:
        a = gaussian_noise(a, rng=rng, **params["gaussian_noise"])
    return _minmax(a)


def augment(
    image: np.ndarray,
    rng: np.random.Generator,
    recipe: AugmentationRecipe | None = None,
    out_size: int | None = None,
    *,
    order: int = _ORDER,
) -> np.ndarray:
    """Apply a random draw of ``recipe``: ``apply(image, draw(recipe, rng), rng, out_size)``.

    Parameters
    ----------
    image
        2D simulated image (see :func:`apply` and :func:`required_margin`).
    rng
        Random generator; the same seed gives the same result.
    recipe
        Probabilities and ranges; ``None`` uses :meth:`AugmentationRecipe.realistic`.
    out_size
        Side of the central square to return; ``None`` keeps the whole image.
    order
        Spline order of the geometric interpolation.

    Returns
    -------
    numpy.ndarray
        Augmented image in [0, 1], float64. Use :func:`draw` and :func:`apply` directly to
        record the parameters.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((130, 130))
    >>> a = augment(img, np.random.default_rng(5), out_size=100)
    >>> b = augment(img, np.random.default_rng(5), out_size=100)
    >>> bool(np.array_equal(a, b))
    True
    """
    recipe = AugmentationRecipe.realistic() if recipe is None else recipe
    return apply(image, draw(recipe, rng), rng, out_size, order=order)


def required_margin(recipe: AugmentationRecipe, out_size: int) -> int:
    """Pixels to add on each side of an ``out_size`` window so no edge artefact reaches it.

    Bounds the largest displacement of the geometric distortions at the border of the kept
    window (shear and drift at their range limits, row jitter at 4 standard deviations, the
    fly-back lag) plus 3 blur sigmas and 4 sigmas of the directional blur. Augmentations
    with probability 0 do not count.

    Parameters
    ----------
    recipe
        The recipe that will be used.
    out_size
        Side of the kept central window in pixels.

    Returns
    -------
    int
        Margin ``m``: simulate ``out_size + 2 * m`` pixels and keep the centre.

    Examples
    --------
    >>> required_margin(AugmentationRecipe.realistic(), 100)
    13
    >>> required_margin(AugmentationRecipe.papers(), 100)
    15
    """
    r = recipe
    half = out_size / 2.0
    s = max(abs(v) for v in r.shear_range) if r.shear_p > 0 else 0.0
    v = max(abs(c) for c in r.drift_range) if r.drift_p > 0 else 0.0
    jitter = 4.0 * r.jitter_amplitude[1] if r.jitter_p > 0 else 0.0
    jitter += r.flyback_amplitude[1] if r.flyback_p > 0 else 0.0
    blur = 3.0 * r.blur_sigma[1] if r.blur_p > 0 else 0.0
    blur += 4.0 * r.directional_blur_sigma[1] if r.directional_blur_p > 0 else 0.0
    # Drift moves a border pixel by v * (half + 1) at most (slow plus fast scan time); the
    # shear then acts on the drifted row, up to half * (1 + v) from the centre.
    displacement = v * (half + 1.0) + s * half * (1.0 + v) + jitter
    return int(math.ceil(displacement + blur))
