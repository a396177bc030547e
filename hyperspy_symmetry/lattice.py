"""Measure a 2D lattice from an atomic-resolution image.

- :func:`measure_lattice`: the reduced primitive vectors of a lattice of atom columns, from a
  least-squares fit of the column positions with integer indices.
- :func:`strongest_fringe`: the spacing of the strongest peak of the power spectrum.

Both take a 2D array or a HyperSpy signal holding one image (its signal axes give the pixel
size). Pure NumPy/SciPy/scikit-image.

:func:`measure_lattice` works in four steps:

1. **Scale and first basis** from the autocorrelation of the image: its peaks lie at the
   lattice vectors whatever the column shape. The shortest peak vector and the shortest one
   not parallel to it form a basis (successive minima of a 2D lattice). Peaks below
   ``min_correlation`` of the zero-lag value are ignored; without two such peaks there is no
   lattice (``ValueError``), which is what happens to strongly disordered images.
2. **Columns**: local maxima of the image smoothed with a Gaussian of ``0.15`` times the
   shortest spacing (flat-topped columns get a single maximum), at least ``0.4`` spacings
   apart and above a quarter of the intensity range; refined to sub-pixel by a quadratic fit
   to their 3 x 3 neighbourhood.
3. **Indexing and fit**: integer indices ``(n, m)`` by rounding in the current basis, then a
   linear least-squares fit ``position = origin + n a + m b``, first for the columns within 3
   spacings of the central one, then 6, 12 and all, so that small errors of the first basis
   never mis-index far columns. Each fit is repeated twice on the column closest to each site
   if within 0.3 spacings of it, so spurious maxima (noise between columns) do not count.
   The result keeps one column per site, the closest.
4. **Reduction** of the fitted basis (Lagrange-Gauss, :func:`~.bravais.reduce_basis`).

The measured lattice is that of single-column motifs; with several columns per cell (e.g.
honeycomb) the fit residual is large.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.ndimage

from .simulate.bravais import CLASSIFY_RTOL, lattice_class, reduce_basis

__all__ = ["LatticeFit", "measure_lattice", "strongest_fringe"]

# Design matrix of a quadratic c0 + c1 x + c2 y + c3 x^2 + c4 xy + c5 y^2 on a 3 x 3 patch,
# rows in C order (y, x); its pseudo-inverse gives the least-squares coefficients.
_YY, _XX = (g.ravel().astype(float) for g in np.mgrid[-1:2, -1:2])
_QUADRATIC = np.linalg.pinv(np.stack([np.ones(9), _XX, _YY, _XX**2, _XX * _YY, _YY**2], axis=1))


@dataclass(frozen=True)
class LatticeFit:
    """A 2D lattice measured from an image; lengths in pixels, coordinates ``(x, y)``.

    Attributes
    ----------
    vectors
        ``(2, 2)`` reduced primitive vectors (rows ``a``, ``b``): ``|a| <= |b|``,
        ``0 <= a.b <= |a|^2 / 2``.
    a, b
        ``|a|`` and ``|b|``, px.
    gamma
        Angle between ``a`` and ``b``, degrees, in [60, 90].
    origin
        Position of the lattice site of index ``(0, 0)``, px.
    residual
        Root-mean-square distance of the columns from their fitted sites, in units of ``a``.
        About ``sqrt(2)`` times the per-coordinate displacement of a crystal; 0.3 or more when
        the columns are not on a lattice.
    n_columns
        Number of lattice sites with a detected column (the closest one is kept per site).
    positions
        ``(n_columns, 2)`` column positions, px.
    indices
        ``(n_columns, 2)`` integer indices of the columns in the basis ``vectors``.
    pixel_size, units
        Calibration of the image (1 and ``""`` for arrays); ``a * pixel_size`` is ``a`` in
        ``units``.
    """

    vectors: np.ndarray
    a: float
    b: float
    gamma: float
    origin: np.ndarray
    residual: float
    n_columns: int
    positions: np.ndarray
    indices: np.ndarray
    pixel_size: float = 1.0
    units: str = ""

    def lattice_class(self, rtol: float = CLASSIFY_RTOL) -> str:
        """Bravais class of the measured lattice (:func:`.simulate.bravais.lattice_class`)."""
        return lattice_class(self.vectors, rtol=rtol)


def _image(image) -> tuple[np.ndarray, float | None, str]:
    """``(float64 array, pixel size or None, units)`` of a 2D array or one-image signal."""
    scale, units = None, ""
    if not isinstance(image, np.ndarray) and hasattr(image, "data"):
        axes = getattr(image, "axes_manager", None)
        if axes is not None:
            if axes.navigation_dimension != 0 or axes.signal_dimension != 2:
                raise ValueError(
                    f"Expected a signal holding one 2D image, got navigation dimension "
                    f"{axes.navigation_dimension} and signal dimension {axes.signal_dimension}."
                )
            ax_x, ax_y = axes.signal_axes
            sx, sy = getattr(ax_x, "scale", None), getattr(ax_y, "scale", None)
            if sx is None or sy is None:
                raise ValueError("The signal axes must be uniform (have a scale).")
            if not math.isclose(sx, sy, rel_tol=1e-6):
                raise ValueError(f"Pixels must be square; the axes scales are {sx} and {sy}.")
            scale = float(sx)
            units = ax_x.units if isinstance(ax_x.units, str) else ""
        image = image.data
    data = np.asarray(image)
    if data.ndim != 2:
        raise ValueError(f"Expected a 2D image, got an array of shape {data.shape}.")
    if np.iscomplexobj(data) or not np.issubdtype(data.dtype, np.number):
        raise ValueError(f"Expected a real-valued image, got dtype {data.dtype}.")
    data = data.astype(float)
    if not np.all(np.isfinite(data)):
        raise ValueError("The image holds NaN or infinite values.")
    if min(data.shape) < 16:
        raise ValueError(f"The image is too small ({data.shape}); both sides must be >= 16 px.")
    return data, scale, units


def _hann_weighted(image: np.ndarray) -> np.ndarray:
    """The image less its Hann-weighted mean, times the 2D Hann window (no DC component)."""
    h, w = image.shape
    window = np.outer(np.hanning(h), np.hanning(w))
    return (image - (image * window).sum() / window.sum()) * window


def _log_parabola_offsets(
    power: np.ndarray, i: np.ndarray, j: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sub-bin offsets ``(rows, cols)``, within +-0.5, of maxima of a power spectrum at
    ``(i, j)``: the vertex of a parabola through the log power of the bin and its two
    neighbours along each axis (wrapping around the edges). No offset where the log power is
    not concave."""
    i, j = np.asarray(i), np.asarray(j)
    i1, j1 = (i + 1) % power.shape[0], (j + 1) % power.shape[1]

    def log(rows, cols):
        return np.log(np.maximum(power[rows, cols].astype(float), 1e-300))

    def vertex(m, c, p):
        curvature = m - 2 * c + p
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(curvature < 0, 0.5 * (m - p) / curvature, 0.0)
        return np.clip(d, -0.5, 0.5)

    di = vertex(log(i - 1, j), log(i, j), log(i1, j))
    dj = vertex(log(i, j - 1), log(i, j), log(i, j1))
    return di, dj


def _quadratic_peaks(values: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Sub-pixel ``(x, y)`` of maxima at integer ``(rows, cols)`` from 3 x 3 quadratic fits."""
    patches = np.stack(
        [values[rows + dy, cols + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=1
    )
    c = patches @ _QUADRATIC.T
    hxx, hxy, hyy = 2 * c[:, 3], c[:, 4], 2 * c[:, 5]
    det = hxx * hyy - hxy**2
    with np.errstate(divide="ignore", invalid="ignore"):
        dx = (-hyy * c[:, 1] + hxy * c[:, 2]) / det
        dy = (hxy * c[:, 1] - hxx * c[:, 2]) / det
    # Only a true maximum (negative-definite Hessian) close to the pixel moves the position.
    ok = (det > 0) & (hxx < 0) & (np.abs(dx) <= 1) & (np.abs(dy) <= 1)
    dx, dy = np.where(ok, dx, 0.0), np.where(ok, dy, 0.0)
    return np.stack([cols + dx, rows + dy], axis=1)


def _local_maxima(values: np.ndarray, min_distance: float, threshold: float, border: float):
    """``(rows, cols)`` of the maxima of their ``(2 d + 1)^2`` neighbourhood above ``threshold``.

    Maxima closer than ``border`` px (at least 1) to the edge are left out.
    """
    from skimage.feature import peak_local_max

    peaks = peak_local_max(
        values,
        min_distance=max(int(min_distance), 1),
        threshold_abs=threshold,
        exclude_border=max(int(border), 1),
    )
    rows, cols = peaks[np.lexsort((peaks[:, 1], peaks[:, 0]))].T  # reading order
    return rows, cols


def _first_basis(data: np.ndarray, min_correlation: float) -> tuple[np.ndarray, np.ndarray]:
    """Shortest two non-collinear peak vectors of the autocorrelation, ``(x, y)`` px."""
    h, w = data.shape
    spectrum = scipy.fft.rfft2(data - data.mean(), s=(2 * h, 2 * w))
    acf = np.fft.fftshift(scipy.fft.irfft2(np.abs(spectrum) ** 2, s=(2 * h, 2 * w)))
    lag = min(h, w) // 3
    acf = acf[h - lag : h + lag + 1, w - lag : w + lag + 1]
    lags = np.arange(-lag, lag + 1)
    # Divide by the number of overlapping pixels: no bias towards short lags.
    acf = acf / np.outer(h - np.abs(lags), w - np.abs(lags))
    # White noise adds a spike at zero lag only; take the zero-lag value from its neighbours.
    zero = 0.25 * (acf[lag - 1, lag] + acf[lag + 1, lag] + acf[lag, lag - 1] + acf[lag, lag + 1])
    if not zero > 0:
        raise ValueError("No lattice found: the image has no contrast.")
    rows, cols = _local_maxima(acf, 2, min_correlation * zero, 1)
    centre = (rows == lag) & (cols == lag)
    rows, cols = rows[~centre], cols[~centre]
    vectors = _quadratic_peaks(acf, rows, cols) - lag
    lengths = np.hypot(vectors[:, 0], vectors[:, 1])
    vectors, lengths = vectors[np.argsort(lengths)], np.sort(lengths)
    vectors, lengths = vectors[lengths > 1.5], lengths[lengths > 1.5]
    if len(vectors):
        a = vectors[0]
        sines = np.abs(a[0] * vectors[:, 1] - a[1] * vectors[:, 0]) / (lengths * lengths[0])
        others = np.flatnonzero(sines > math.sin(math.radians(20)))
        if len(others):
            return reduce_basis(a, vectors[others[0]])
    raise ValueError(
        f"No lattice found: the autocorrelation of the image has no two non-collinear peaks "
        f"above {min_correlation} of its zero-lag value (columns too disordered, or no "
        f"periodic structure within a third of the image)."
    )


def _fit(positions: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares ``positions ~ origin + indices @ basis``; ``(origin, basis rows)``."""
    design = np.column_stack([np.ones(len(indices)), indices])
    if len(indices) < 4 or np.linalg.matrix_rank(design) < 3:
        raise ValueError("No lattice found: too few indexed columns to fit two lattice vectors.")
    coef, *_ = np.linalg.lstsq(design, positions, rcond=None)
    return coef[0], coef[1:]


def _closest_per_site(indices: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """Positions (into ``indices``) of the column closest to each occupied lattice site."""
    order = np.argsort(errors, kind="stable")
    shifted = indices - indices.min(axis=0)
    keys = shifted[:, 0] * (int(shifted[:, 1].max()) + 1) + shifted[:, 1]
    _, first = np.unique(keys[order], return_index=True)
    return np.sort(order[first])


def _robust_fit(positions: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit, then refit on the closest column per site within 0.3 spacings of it (twice).

    Spurious maxima (noise between columns) are then left out of the fit.
    """
    origin, basis = _fit(positions, indices)
    for _ in range(2):
        errors = np.hypot(*(positions - origin - indices @ basis).T)
        keep = _closest_per_site(indices, errors)
        keep = keep[errors[keep] <= 0.3 * np.hypot(*basis).min()]
        if len(keep) < 4 or np.linalg.matrix_rank(indices[keep] - indices[keep].mean(0)) < 2:
            break
        origin, basis = _fit(positions[keep], indices[keep])
    return origin, basis


def measure_lattice(
    image, *, min_correlation: float = 0.3, smoothing: float | None = None
) -> LatticeFit:
    """Measure the lattice of the atom columns of an image.

    Parameters
    ----------
    image
        2D array, or a HyperSpy signal holding one image (its axes' scale and units are
        recorded in the result; lengths are always in pixels).
    min_correlation
        Smallest autocorrelation, relative to the zero-lag value, of a lattice peak.
    smoothing
        Sigma (px) of the Gaussian smoothing before column detection; default 0.15 times the
        shortest lattice spacing found in the autocorrelation.

    Returns
    -------
    LatticeFit
        Reduced primitive vectors, ``a``, ``b``, ``gamma``, the fit residual and the columns.

    Raises
    ------
    ValueError
        If the input is not one real 2D image of at least 16 x 16 px, or no lattice is found.

    Examples
    --------
    >>> from hyperspy_symmetry.simulate.bravais import bravais_array
    >>> img, p = bravais_array("hexagonal", 256, 0, a=12.0, displacement=0.0)
    >>> fit = measure_lattice(img)
    >>> round(fit.a, 1), round(fit.gamma), fit.lattice_class()
    (12.0, 60, 'hexagonal')
    """
    data, scale, units = _image(image)
    if not 0 < min_correlation < 1:
        raise ValueError(f"min_correlation must be in (0, 1), got {min_correlation}.")
    basis = np.array(_first_basis(data, min_correlation))
    spacing = float(np.hypot(*basis[0]))
    sigma = 0.15 * spacing if smoothing is None else float(smoothing)
    if not sigma >= 0:
        raise ValueError(f"smoothing must be >= 0, got {smoothing}.")
    smooth = scipy.ndimage.gaussian_filter(data, sigma) if sigma > 0 else data
    lo, hi = smooth.min(), smooth.max()
    rows, cols = _local_maxima(smooth, 0.4 * spacing, lo + 0.25 * (hi - lo), 0.5 * spacing)
    if len(rows) < 6:
        raise ValueError(f"No lattice found: only {len(rows)} atom columns detected.")
    positions = _quadratic_peaks(smooth, rows, cols)

    centre = np.array([data.shape[1] - 1, data.shape[0] - 1]) / 2.0
    origin = positions[np.argmin(np.hypot(*(positions - centre).T))]
    distance = np.hypot(*(positions - origin).T)
    # The central maximum may be spurious: move the origin to the mean lattice phase of the
    # columns around it.
    near = distance <= 6 * spacing
    fractions = (positions[near] - origin) @ np.linalg.inv(basis)
    phase = np.angle(np.exp(2j * np.pi * fractions).sum(axis=0)) / (2 * np.pi)
    origin = origin + phase @ basis
    distance = np.hypot(*(positions - origin).T)
    for radius in (3, 6, 12, np.inf):
        near = distance <= radius * spacing
        indices = np.rint((positions[near] - origin) @ np.linalg.inv(basis)).astype(int)
        origin, basis = _robust_fit(positions[near], indices)
    indices = np.rint((positions - origin) @ np.linalg.inv(basis)).astype(int)
    errors = np.hypot(*(positions - origin - indices @ basis).T)
    columns = _closest_per_site(indices, errors)
    positions, indices, errors = positions[columns], indices[columns], errors[columns]

    reduced = np.array(reduce_basis(basis))
    # reduced = U @ basis with U unimodular, so indices in the reduced basis are indices @ U^-1.
    change = np.rint(reduced @ np.linalg.inv(basis))
    indices = np.rint(indices @ np.linalg.inv(change)).astype(int)
    a, b = np.hypot(*reduced[0]), np.hypot(*reduced[1])
    gamma = math.degrees(math.acos(np.clip(reduced[0] @ reduced[1] / (a * b), -1.0, 1.0)))
    return LatticeFit(
        vectors=reduced,
        a=float(a),
        b=float(b),
        gamma=float(gamma),
        origin=origin,
        residual=float(np.sqrt(np.mean(errors**2)) / a),
        n_columns=len(positions),
        positions=positions,
        indices=indices,
        pixel_size=1.0 if scale is None else scale,
        units=units,
    )


# Not kinetics.lattice_period (the ring of most mean power, whole bins): the top 2D peak.
def strongest_fringe(image, pixel_size: float | None = None, *, pad: int = 4) -> float:
    """Spacing of the strongest non-DC peak of the power spectrum of an image.

    The mean-subtracted image is multiplied by a 2D Hann window and zero-padded ``pad`` times
    (the padded side is kept <= 4096 unless the image is larger); the maximum of the power
    spectrum outside 3 unpadded frequency bins of the origin is refined by a parabola through
    the logarithm of its neighbours along each axis; ``d = 1 / |k|``.

    Parameters
    ----------
    image
        2D array, or a HyperSpy signal holding one image.
    pixel_size
        Length of a pixel; default the signal axes' scale, or 1 (pixels) for arrays.
    pad
        Zero-padding factor of the FFT (>= 1).

    Returns
    -------
    float
        The fringe spacing in the units of ``pixel_size``.

    Examples
    --------
    >>> x = np.arange(256)
    >>> img = np.cos(2 * np.pi * x / 12.5)[None, :] * np.ones((256, 1))
    >>> round(strongest_fringe(img), 3)
    12.5
    """
    data, scale, _ = _image(image)
    if pixel_size is None:
        pixel_size = 1.0 if scale is None else scale
    if not (math.isfinite(pixel_size) and pixel_size > 0):
        raise ValueError(f"pixel_size must be > 0, got {pixel_size}.")
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 1:
        raise ValueError(f"pad must be an integer >= 1, got {pad!r}.")
    h, w = data.shape
    x = _hann_weighted(data)
    if not np.any(np.abs(x) > 1e-12 * max(np.abs(data).max(), 1e-300)):
        raise ValueError("No fringe found: the image is constant.")
    nh, nw = (scipy.fft.next_fast_len(max(n, min(pad * n, 4096))) for n in (h, w))
    power = np.abs(scipy.fft.fft2(x, s=(nh, nw))) ** 2
    fy, fx = scipy.fft.fftfreq(nh), scipy.fft.fftfreq(nw)
    k = np.hypot(fy[:, None], fx[None, :])
    masked = np.where(k >= 3.0 / min(h, w), power, 0.0)
    i, j = np.unravel_index(np.argmax(masked), masked.shape)
    if not masked[i, j] > 0:
        raise ValueError("No fringe found outside the central peak of the power spectrum.")

    di, dj = (float(d) for d in _log_parabola_offsets(power, i, j))
    ky, kx = fy[i] + di / nh, fx[j] + dj / nw
    return float(pixel_size / math.hypot(kx, ky))
