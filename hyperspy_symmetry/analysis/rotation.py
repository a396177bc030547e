"""Local lattice rotation: the angle between each window's lattice and a reference lattice.

Pure NumPy/SciPy, batched over windows (no Python loop over windows).

Conventions
-----------
- Angles are in degrees, **counter-clockwise as displayed** (image rows run downwards), the
  convention of :func:`hyperspy_symmetry.simulate.crystal_image`'s ``rotation``: a crystal
  simulated with ``rotation=θ`` has lattice rotation ``θ`` (modulo the period).
- Reciprocal vectors are ``(kx, ky)`` with ``ky`` pointing *up* on the display
  (``ky = -k_row``), in cycles per unit length of the image's pixel size.
- A lattice rotation is only defined modulo the rotational symmetry of the projected
  lattice's diffraction pattern, the *period* (60° hexagonal, 90° square, 180° otherwise;
  the power spectrum is always centrosymmetric). It is reported in ``[-period/2, period/2)``.

How a window's rotation is measured
-----------------------------------
The reference lattice is the set of strongest Bragg peaks of the power spectrum of a
reference image (:func:`reference_peaks`), with their relative intensities as weights, and
its period is derived from that set (:func:`rotational_period`). For a batch of windows,
:func:`window_rotations` takes the power spectrum of each window (mean removed, a circular,
hence isotropic, Hann taper, zero-padded about 3x), and scores every trial rotation ``θ`` on a
0.5° grid over one period by the weighted power at the reference peaks turned by ``θ``: one
sparse matrix product (bilinear interpolation weights) for all windows and all angles. The
best angle is then refined on the exact spectrum: parabolas through the scores at ``±2°``,
``±0.5°`` and ``±0.1°`` around the current estimate, the power at the turned peaks computed
directly (discrete-time Fourier transform, batched real matrix products), so that the result
does not depend on the interpolation: about 0.01° on clean simulated crystals, 0.0001° on
ideal synthetic lattices.

Whether a window has the lattice at all: its *contrast*, the best score over the mean score
over all angles (the mean power on the peaks' rings), is 1 without a lattice and large with
one. Its *quality* is ``(contrast - 1) / (ideal - 1)``, with ``ideal`` the contrast of a
window of the same size holding just the reference peaks: about 1 for a crystal window of
the class (0.9-1 with realistic noise, blur and distortions), below 0.5 for amorphous or
noise windows (measured on the ``aistem`` classes at 0.12 Å/px with 12 Å windows). Windows
below ``min_quality`` (default 0.6) get NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.sparse

from ..models.cards import SHIPPED_DIR

__all__ = [
    "ReferenceLattice",
    "reference_peaks",
    "rotational_period",
    "window_rotations",
    "wrap_angle",
    "class_reference",
    "simulated_reference",
    "reference_table",
    "reference_sources",
    "rotation_map",
]

#: Trial rotations are spaced by this many degrees before parabolic refinement.
ANGLE_STEP = 0.5
#: Default smallest quality (see the module docstring) of a measurable lattice.
MIN_QUALITY = 0.6
#: Candidate periods (degrees), tried from the most symmetric.
PERIODS = (60.0, 90.0, 180.0)
#: Side (px) of the simulated reference images of :func:`class_reference`.
REFERENCE_SIZE = 256
#: Pixel size (Å) at which the shipped reference lattices were simulated (``aistem``'s).
REFERENCE_PIXEL_SIZE = 0.12
#: The shipped reference lattices of the ``aistem`` classes (:func:`reference_table`).
REFERENCE_FILE = SHIPPED_DIR / "aistem" / "reference_lattices.json"
#: Half-widths (degrees) of the successive parabolic refinements on the exact spectrum.
REFINE_STEPS = (2.0, 0.5, 0.1)


@dataclass(frozen=True)
class ReferenceLattice:
    """Strongest Bragg peaks of a reference image, and the period they make.

    Attributes
    ----------
    peaks
        ``(n, 2)`` reciprocal vectors ``(kx, ky)``, ``ky`` up, in cycles per unit length.
    weights
        ``(n,)`` peak powers relative to the strongest (1).
    period
        Rotational period of the peak set, degrees (60, 90 or 180).
    name
        What the reference is, e.g. the class name.
    """

    peaks: np.ndarray
    weights: np.ndarray
    period: float
    name: str = ""

    def rotated(self, angle: float) -> np.ndarray:
        """The peaks turned counter-clockwise (as displayed) by ``angle`` degrees."""
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        return self.peaks @ np.array([[c, s], [-s, c]])


def wrap_angle(angle, period: float):
    """Reduce angles (degrees) modulo ``period`` into ``[-period/2, period/2)``.

    Examples
    --------
    >>> wrap_angle(np.array([15.0, 37.0, 80.0, 45.0]), 90.0)
    array([ 15.,  37., -10., -45.])
    """
    return np.mod(np.asarray(angle, dtype=float) + period / 2.0, period) - period / 2.0


def _taper(n: int) -> np.ndarray:
    """Circular Hann taper of diameter ``n`` (isotropic, so leakage does not depend on angle)."""
    c = (n - 1) / 2.0
    y, x = np.mgrid[:n, :n]
    r = np.hypot(y - c, x - c) / (n / 2.0)
    return np.where(r < 1.0, np.cos(0.5 * np.pi * r) ** 2, 0.0)


_taper_cached = lru_cache(maxsize=8)(_taper)


def _tapered(windows: np.ndarray) -> np.ndarray:
    """Windows ``(b, n, n)`` less their taper-weighted mean, times the circular taper."""
    taper = _taper_cached(windows.shape[-1])
    weighted_mean = (windows * taper).sum(axis=(-2, -1), keepdims=True) / taper.sum()
    return (windows - weighted_mean) * taper


def _power_spectra(tapered: np.ndarray, size: int) -> np.ndarray:
    """``|rfft2|^2`` of tapered windows ``(b, n, n)``, zero-padded to ``size``."""
    spectrum = scipy.fft.rfft2(
        tapered.astype(np.float32), s=(size, size), axes=(-2, -1), workers=-1
    ).astype(np.complex128)
    return spectrum.real**2 + spectrum.imag**2


def _half_set(reference: ReferenceLattice) -> tuple[np.ndarray, np.ndarray]:
    """One peak of each Friedel pair ``(k, -k)`` (equal power for real images), and weights."""
    angle = np.degrees(np.arctan2(reference.peaks[:, 1], reference.peaks[:, 0]))
    keep = (angle > -89.9) & (angle <= 90.1)
    return reference.peaks[keep], reference.weights[keep]


def _exact_scores(
    tapered: np.ndarray, reference: ReferenceLattice, pixel_size: float, angles: np.ndarray
) -> np.ndarray:
    """Scores ``(b, a)`` of tapered windows ``(b, n, n)`` at per-window angles ``(b, a)``,
    from the discrete-time Fourier transform at the turned peaks (no interpolation).

    Real arithmetic: ``F = sum_r sum_c x[r, c] exp(-i (px_c + py_r))`` is assembled from
    ``x @ cos(px)`` and ``x @ sin(px)`` (batched real matrix products).
    """
    b, n, _ = tapered.shape
    peaks, weights = _half_set(reference)
    rad = np.radians(angles)[..., None]  # (b, a, 1)
    c, s = np.cos(rad), np.sin(rad)
    kx0, ky0 = peaks[:, 0] * pixel_size, peaks[:, 1] * pixel_size
    fx = (c * kx0 - s * ky0).reshape(b, 1, -1)  # (b, 1, q): along columns
    fy = -(s * kx0 + c * ky0).reshape(b, 1, -1)  # along rows, which run down
    pixels = 2 * np.pi * np.arange(n)[None, :, None]
    px, py = fx * pixels, fy * pixels  # (b, n, q)
    a, bb = np.matmul(tapered, np.cos(px)), np.matmul(tapered, np.sin(px))  # (b, rows, q)
    cy, sy = np.cos(py), np.sin(py)
    real = np.einsum("brq,brq->bq", a, cy) - np.einsum("brq,brq->bq", bb, sy)
    imag = np.einsum("brq,brq->bq", a, sy) + np.einsum("brq,brq->bq", bb, cy)
    power = (real**2 + imag**2).reshape(angles.shape + (-1,))
    return power @ weights


def _padded_size(n: int) -> int:
    return scipy.fft.next_fast_len(max(3 * n, 64), real=True)


def reference_peaks(
    image: np.ndarray,
    pixel_size: float = 1.0,
    *,
    min_intensity: float = 0.1,
    max_frequency: float = 0.4,
    name: str = "",
) -> ReferenceLattice:
    """Measure the strongest Bragg peaks of an image and their rotational period.

    Parameters
    ----------
    image
        2D array of a perfect, unrotated crystal (at least 64 x 64 px, square).
    pixel_size
        Length of a pixel; the peaks are returned in cycles per that unit.
    min_intensity
        Smallest peak power, relative to the strongest peak, that is kept.
    max_frequency
        Largest spatial frequency kept, cycles per pixel (below Nyquist, 0.5).
    name
        Recorded in the result.

    Returns
    -------
    ReferenceLattice

    Raises
    ------
    ValueError
        If the image has no two non-collinear peaks (no lattice).

    Examples
    --------
    >>> y, x = np.mgrid[:128, :128]
    >>> square = np.cos(2 * np.pi * x / 8) + np.cos(2 * np.pi * y / 8)
    >>> ref = reference_peaks(square)
    >>> ref.period, len(ref.peaks)
    (90.0, 4)
    >>> float(np.round(np.abs(ref.peaks).max(), 4))
    0.125
    """
    data = np.asarray(image, dtype=float)
    if data.ndim != 2 or data.shape[0] != data.shape[1] or data.shape[0] < 64:
        raise ValueError(f"Expected a square 2D image of at least 64 px, got {data.shape}.")
    n = data.shape[0]
    size = scipy.fft.next_fast_len(2 * n, real=True)
    power = _power_spectra(_tapered(data[None]), size)[0]
    full = _full_spectrum(power, size)
    centre = size // 2
    fy, fx = np.mgrid[:size, :size] - centre
    k = np.hypot(fy, fx) / size
    valid = (k >= 3.0 / n) & (k <= max_frequency)
    values = np.where(valid, full, 0.0)
    peaks = values == scipy.ndimage.maximum_filter(values, size=5, mode="wrap")
    peaks &= values > 0
    if not peaks.any():
        raise ValueError("No Bragg peak found: the reference image has no lattice.")
    strongest = values[peaks].max()
    rows, cols = np.nonzero(peaks & (values >= min_intensity * strongest))
    log = np.log(np.maximum(full, strongest * 1e-12))
    refined = _refine(log, rows, cols)
    kx = (refined[:, 0] - centre) / size / pixel_size
    ky = -(refined[:, 1] - centre) / size / pixel_size
    vectors = np.stack([kx, ky], axis=1)
    weights = values[rows, cols] / strongest
    vx, vy = vectors[:, 0], vectors[:, 1]
    cross = np.abs(vx[:, None] * vy[None, :] - vy[:, None] * vx[None, :])
    if not (cross > 1e-6 * np.max(np.sum(vectors**2, axis=1))).any():
        raise ValueError("No lattice: the reference image has no two non-collinear Bragg peaks.")
    order = np.argsort(-weights, kind="stable")
    vectors, weights = vectors[order], weights[order]
    return ReferenceLattice(vectors, weights, rotational_period(vectors, weights), name)


def _full_spectrum(half: np.ndarray, size: int) -> np.ndarray:
    """The fftshifted ``(size, size)`` power spectrum from its ``rfft2`` half."""
    full = np.empty((size, size))
    m = half.shape[1]
    full[:, :m] = half
    # P(-k) = P(k): column -j is column j of the row -i.
    rows = (-np.arange(size)) % size
    cols = np.arange(m, size)
    full[:, m:] = half[rows][:, (size - cols)]
    return np.fft.fftshift(full)


def _refine(values: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Sub-pixel ``(x, y)`` of maxima at ``(rows, cols)`` from 3 x 3 quadratic fits."""
    from ..lattice import _quadratic_peaks

    return _quadratic_peaks(values, rows, cols)


def rotational_period(
    peaks: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    tolerance: float = 0.03,
    weight_tolerance: float = 0.35,
) -> float:
    """The smallest of 60°, 90° and 180° that maps a set of Bragg peaks onto itself.

    A turn maps the set onto itself when each peak lands within ``tolerance`` times its
    length of a peak whose weight differs by at most ``weight_tolerance`` of the larger.
    180° always does for a power spectrum (it is centrosymmetric).

    Examples
    --------
    >>> hexagonal = [[np.cos(a), np.sin(a)] for a in np.radians(np.arange(0, 360, 60))]
    >>> rotational_period(np.array(hexagonal))
    60.0
    >>> rotational_period(np.array([[1.0, 0], [-1, 0], [0, 1.2], [0, -1.2]]))
    180.0
    """
    peaks = np.asarray(peaks, dtype=float)
    weights = np.ones(len(peaks)) if weights is None else np.asarray(weights, dtype=float)
    lengths = np.hypot(peaks[:, 0], peaks[:, 1])
    for period in PERIODS[:-1]:
        c, s = math.cos(math.radians(period)), math.sin(math.radians(period))
        turned = peaks @ np.array([[c, s], [-s, c]])
        distance = np.hypot(*(turned[:, None, :] - peaks[None, :, :]).transpose(2, 0, 1))
        close = distance <= tolerance * lengths[:, None]
        similar = np.abs(weights[:, None] - weights[None, :]) <= weight_tolerance * np.maximum(
            weights[:, None], weights[None, :]
        )
        if (close & similar).any(axis=1).all():
            return period
    return PERIODS[-1]


def _score_matrix(reference: ReferenceLattice, pixel_size: float, size: int, step: float):
    """Sparse ``(size * (size//2 + 1), n_angles)`` bilinear weights of the turned peaks."""
    n_angles = int(round(reference.period / step))
    angles = np.arange(n_angles) * (reference.period / n_angles)
    rad = np.radians(angles)
    c, s = np.cos(rad), np.sin(rad)
    kx0, ky0 = reference.peaks[:, 0] * pixel_size, reference.peaks[:, 1] * pixel_size
    # Counter-clockwise as displayed = counter-clockwise with ky up.
    kx = c[None, :] * kx0[:, None] - s[None, :] * ky0[:, None]
    ky = s[None, :] * kx0[:, None] + c[None, :] * ky0[:, None]
    fx, fy = kx, -ky  # array frequencies: columns, rows (rows run down)
    flip = fx < 0  # the rfft half holds fx >= 0; P(-k) = P(k)
    fx, fy = np.where(flip, -fx, fx), np.where(flip, -fy, fy)
    u, v = fx * size, fy * size  # fractional column (>= 0) and row (any sign) indices
    u0, v0 = np.floor(u), np.floor(v)
    du, dv = u - u0, v - v0
    m = size // 2 + 1
    weights = reference.weights[:, None]
    col_index, row_index, data = [], [], []
    for ou, ov, w in (
        (0, 0, (1 - du) * (1 - dv)),
        (1, 0, du * (1 - dv)),
        (0, 1, (1 - du) * dv),
        (1, 1, du * dv),
    ):
        cols = np.clip(u0 + ou, 0, m - 1).astype(int)
        rows = np.mod(v0 + ov, size).astype(int)
        row_index.append((rows * m + cols).ravel())
        col_index.append(np.broadcast_to(np.arange(n_angles), u.shape).ravel())
        data.append((w * weights).ravel())
    matrix = scipy.sparse.csr_matrix(
        (np.concatenate(data), (np.concatenate(row_index), np.concatenate(col_index))),
        shape=(size * m, n_angles),
    )
    return matrix, angles


def window_rotations(
    windows: np.ndarray,
    reference: ReferenceLattice,
    pixel_size: float = 1.0,
    *,
    min_quality: float = MIN_QUALITY,
    step: float = ANGLE_STEP,
    batch: int = 128,
) -> tuple[np.ndarray, np.ndarray]:
    """Lattice rotation of each window relative to a reference lattice.

    Parameters
    ----------
    windows
        ``(..., n, n)`` real array of square windows (at least 32 px).
    reference
        The reference lattice (:func:`reference_peaks`), its peaks in cycles per the unit of
        ``pixel_size``.
    pixel_size
        Length of a pixel of the windows, in the reference's unit.
    min_quality
        Windows whose quality (see the module docstring) is lower get NaN.
    step
        Spacing of the trial rotations, degrees (refined to a fraction of it).
    batch
        Windows per FFT batch (bounds memory).

    Returns
    -------
    rotation : numpy.ndarray
        ``(...)`` degrees, counter-clockwise as displayed, in
        ``[-period/2, period/2)``; NaN where the lattice cannot be measured (quality below
        ``min_quality``, a constant window, NaN or infinite values).
    quality : numpy.ndarray
        ``(...)`` how clearly the window holds the reference lattice: about 1 for a crystal
        of the class, below 0.5 without a lattice; NaN for windows with NaN or inf.

    Examples
    --------
    A square lattice turned by 20° (counter-clockwise as displayed, rows run down):

    >>> y, x = np.mgrid[:100, :100].astype(float)
    >>> t = np.radians(20.0)
    >>> u, v = x * np.cos(t) - y * np.sin(t), x * np.sin(t) + y * np.cos(t)
    >>> image = np.cos(2 * np.pi * u / 8) + np.cos(2 * np.pi * v / 8)
    >>> y0, x0 = np.mgrid[:128, :128]
    >>> ref = reference_peaks(np.cos(2 * np.pi * x0 / 8) + np.cos(2 * np.pi * y0 / 8))
    >>> angle, quality = window_rotations(image, ref)
    >>> round(float(angle), 1), bool(quality > 0.9)
    (20.0, True)
    """
    windows = np.asarray(windows)
    if windows.ndim < 2 or windows.shape[-1] != windows.shape[-2]:
        raise ValueError(f"windows must have shape (..., n, n), got {windows.shape}.")
    if windows.shape[-1] < 32:
        raise ValueError(f"windows must be at least 32 px, got {windows.shape[-1]}.")
    lead = windows.shape[:-2]
    n = windows.shape[-1]
    flat = windows.reshape((-1, n, n))
    size = _padded_size(n)
    matrix, angles = _score_matrix(reference, float(pixel_size), size, step)
    n_angles = len(angles)
    ideal = _ideal_contrast(reference, float(pixel_size), n, matrix, size)
    rotation = np.full(len(flat), np.nan)
    quality = np.full(len(flat), np.nan)
    for start in range(0, len(flat), batch):
        block = np.asarray(flat[start : start + batch], dtype=float)
        good = np.isfinite(block).all(axis=(-2, -1))
        block = np.where(good[:, None, None], block, 0.0)
        tapered = _tapered(block)
        power = _power_spectra(tapered, size).reshape(len(block), -1)
        score = np.asarray(matrix.T @ power.T).T  # (b, n_angles)
        mean = score.mean(axis=1)
        best = np.argmax(score, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(mean > 0, score.max(axis=1) / mean, np.nan)
        # Refine on the exact spectrum: parabolas through exact scores, twice.
        angle = best * (reference.period / n_angles)
        for delta in REFINE_STEPS:
            trial = angle[:, None] + np.array([-delta, 0.0, delta])
            lo, mid, hi = _exact_scores(tapered, reference, float(pixel_size), trial).T
            curvature = lo - 2 * mid + hi
            with np.errstate(divide="ignore", invalid="ignore"):
                shift = np.where(curvature < 0, 0.5 * (lo - hi) / curvature, 0.0)
            angle = angle + np.clip(np.nan_to_num(shift), -1.0, 1.0) * delta
        angle = wrap_angle(angle, reference.period)
        q = (c - 1.0) / (ideal - 1.0)
        ok = good & np.isfinite(q) & (q >= min_quality)
        rotation[start : start + len(block)] = np.where(ok, angle, np.nan)
        quality[start : start + len(block)] = np.where(good, q, np.nan)
    return rotation.reshape(lead), quality.reshape(lead)


def _contrast(power: np.ndarray, matrix) -> np.ndarray:
    score = np.asarray(matrix.T @ power.reshape(len(power), -1).T).T
    return score.max(axis=1) / score.mean(axis=1)


def _ideal_contrast(reference: ReferenceLattice, pixel_size: float, n: int, matrix, size: int):
    """Contrast of an ideal window of the reference lattice: cosines at its peaks, amplitudes
    the square roots of their weights."""
    y, x = np.mgrid[:n, :n].astype(float)
    k = reference.peaks * pixel_size
    phase = 2 * np.pi * (k[:, 0, None, None] * x - k[:, 1, None, None] * y)  # ky up, rows down
    window = (np.sqrt(reference.weights)[:, None, None] * np.cos(phase)).sum(axis=0)
    return float(_contrast(_power_spectra(_tapered(window[None]), size), matrix)[0])


def simulated_reference(
    class_name: str, pixel_size: float, spec: dict | None = None
) -> ReferenceLattice:
    """The Bragg peaks of a clean simulated image of a class (needs abTEM and ASE).

    ``REFERENCE_SIZE`` px at ``pixel_size`` (Å), ``rotation=0``, no noise. This is how the
    shipped table of :func:`class_reference` is made (at ``REFERENCE_PIXEL_SIZE``) and how
    the references of classes added by :func:`~hyperspy_symmetry.training.extend_model` are
    made.

    Raises
    ------
    ImportError
        Without abTEM and ASE (``pip install hyperspy-symmetry[simulate]``).
    """
    import json

    from ..simulate._optional import simulation_module
    from ..simulate.crystals import crystal_array

    simulation_module("abtem", f"Simulating the reference lattice of class {class_name!r}")
    if spec is None:
        crystal, zone_axis = class_name, None
    else:
        from ..simulate.training_set import _spec_atoms

        spec = json.loads(json.dumps(spec))
        crystal, zone_axis = _spec_atoms(spec), spec["zone_axis"]
    rng = np.random.default_rng(0)
    image, _ = crystal_array(crystal, REFERENCE_SIZE, pixel_size, 0.0, rng, zone_axis=zone_axis)
    return reference_peaks(image, pixel_size, name=class_name)


def reference_table(pixel_size: float = REFERENCE_PIXEL_SIZE) -> dict:
    """The JSON table of the reference lattices of the ``aistem`` classes (needs abTEM).

    ``make reference-lattices`` writes it to ``REFERENCE_FILE``, which ships with the
    ``aistem`` model card; a test checks that the shipped file is up to date.
    """
    from ..simulate.crystals import AISTEM_CLASSES

    table = {}
    for name in AISTEM_CLASSES:
        ref = simulated_reference(name, pixel_size)
        table[name] = {
            "peaks": ref.peaks.tolist(),
            "weights": ref.weights.tolist(),
            "period": ref.period,
        }
    return {
        "description": "Bragg peaks (kx, ky up, cycles per Å) and relative powers of clean "
        f"simulated images of the aistem classes at rotation=0, {REFERENCE_SIZE} px",
        "pixel_size": pixel_size,
        "min_intensity": 0.1,
        "max_frequency": 0.4,
        "classes": table,
    }


@lru_cache(maxsize=1)
def _shipped_table() -> dict:
    import json

    return json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))


def _band_limited(
    peaks: np.ndarray,
    weights: np.ndarray,
    pixel_size: float,
    min_intensity: float,
    max_frequency: float,
    name: str,
) -> ReferenceLattice:
    """The peaks an image at ``pixel_size`` holds: below ``max_frequency`` cycles per pixel,
    powers relative to the strongest of those, at least ``min_intensity``."""
    keep = np.hypot(peaks[:, 0], peaks[:, 1]) * pixel_size <= max_frequency
    peaks, weights = peaks[keep], weights[keep] / weights[keep].max()
    keep = weights >= min_intensity
    order = np.argsort(-weights[keep], kind="stable")
    peaks, weights = peaks[keep][order], weights[keep][order]
    return ReferenceLattice(peaks, weights, rotational_period(peaks, weights), name)


@lru_cache(maxsize=64)
def _cached_reference(class_name: str, spec_json: str | None, pixel_size: float):
    import json

    if spec_json is not None:
        return simulated_reference(class_name, pixel_size, json.loads(spec_json))
    table = _shipped_table()
    entry = table["classes"][class_name]
    return _band_limited(
        np.asarray(entry["peaks"], dtype=float),
        np.asarray(entry["weights"], dtype=float),
        pixel_size,
        table["min_intensity"],
        table["max_frequency"],
        class_name,
    )


def class_reference(
    class_name: str, pixel_size: float, spec: dict | None = None
) -> ReferenceLattice:
    """The reference lattice of a crystal class at a pixel size (Å), cached.

    Convention: the Bragg peaks of a clean :func:`~hyperspy_symmetry.simulate.crystal_image`
    of the class at ``rotation=0`` (the projection of its first cell vector not parallel
    to the zone axis along +x), ``REFERENCE_SIZE`` px, no noise or displacements. Peaks
    are in cycles per Å.

    The ``aistem`` classes' peaks ship with the model (``REFERENCE_FILE``, simulated at
    ``REFERENCE_PIXEL_SIZE``), so no abTEM is needed: at another pixel size the image holds
    the peaks below 0.4 cycles per pixel (all of them down to 0.3 Å/px: the 300 kV, 24 mrad
    probe passes nothing above 2.4 cycles/Å), their powers relative to the strongest of
    those. Against references simulated at each pixel size (0.075-0.3 Å) the rotations of
    rotated crystals agree within 0.05° and the periods are the same.

    Parameters
    ----------
    class_name
        One of the ``aistem`` classes, or the name of ``spec``'s crystal.
    pixel_size
        Å per pixel of the image.
    spec
        For classes added to a model by :func:`~hyperspy_symmetry.training.extend_model`:
        their structure and zone axis as recorded in the model card. Their references are
        simulated (:func:`simulated_reference`, which needs abTEM).

    Examples
    --------
    >>> ref = class_reference("FCC_Cu_100", 0.12)
    >>> ref.period
    90.0
    """
    import json

    spec_json = None if spec is None else json.dumps(spec, sort_keys=True)
    return _cached_reference(str(class_name), spec_json, round(float(pixel_size), 6))


def _extra_class_specs(card) -> dict:
    """``{class name: crystal spec}`` of the classes a model card records as added by
    :func:`~hyperspy_symmetry.training.extend_model` (or trained from such specs)."""
    training = getattr(card, "training", None) or {}
    specs = dict((training.get("data_recipe") or {}).get("extra_classes") or {})
    specs.update(training.get("new_classes") or {})
    return specs


def reference_sources(class_names: list[str], card=None) -> list[tuple[str, dict | None] | None]:
    """What the reference lattice of each class is simulated from (``None``: no reference).

    Built-in ``aistem`` classes give ``(name, None)``; classes whose structure a model card
    records (models extended with new crystals) give ``(name, spec)``; the ``bravais``
    classes (lattices of any size) and ``noise`` give ``None``. Pass the result to
    :func:`rotation_map`, which simulates (and caches) only the references it needs.

    Examples
    --------
    >>> reference_sources(["FCC_Cu_100", "square", "noise"])
    [('FCC_Cu_100', None), None, None]
    """
    from ..simulate.crystals import AISTEM_CLASSES

    specs = _extra_class_specs(card) if card is not None else {}
    out: list[tuple[str, dict | None] | None] = []
    for name in class_names:
        if name in AISTEM_CLASSES:
            out.append((name, None))
        elif name in specs:
            out.append((name, specs[name]))
        else:
            out.append(None)
    return out


def _resolve_reference(reference, pixel_size: float) -> ReferenceLattice | None:
    if reference is None or isinstance(reference, ReferenceLattice):
        return reference
    name, spec = reference
    return class_reference(name, pixel_size, spec)


def rotation_map(
    images: np.ndarray,
    labels: np.ndarray,
    references: list,
    window: int,
    stride: int,
    pixel_size: float,
    min_quality: float = MIN_QUALITY,
) -> np.ndarray:
    """Lattice rotation of every window of a stack of images, each against the reference
    of its class.

    Parameters
    ----------
    images
        ``(..., H, W)`` real array.
    labels
        ``(..., gy, gx)`` integer class of each window (as ``predicted_class``; -1 none).
    references
        For each class index: its :class:`ReferenceLattice`, or a ``(name, spec)`` source
        from :func:`reference_sources` (simulated when a window of that class is met, and
        cached), or ``None`` (those windows get NaN).
    window, stride
        Sliding-window geometry, pixels.
    pixel_size
        Pixel length in the references' unit (Å for :func:`class_reference`).
    min_quality
        See :func:`window_rotations`.

    Returns
    -------
    numpy.ndarray
        float32 ``(..., gy, gx)`` degrees in ``[-period/2, period/2)`` of each window's
        class; NaN where there is no class, no reference, or no measurable lattice.

    Examples
    --------
    >>> y, x = np.mgrid[:160, :160]
    >>> lattice = np.cos(2 * np.pi * x / 8) + np.cos(2 * np.pi * y / 8)
    >>> ref = reference_peaks(lattice[:128, :128])
    >>> np.round(rotation_map(lattice, np.array([[0, 0], [0, -1]]), [ref], 100, 60, 1.0), 2)
    array([[ 0.,  0.],
           [ 0., nan]], dtype=float32)
    """
    from ..windows import sliding_windows

    windows = sliding_windows(np.asarray(images), int(window), int(stride))
    labels = np.asarray(labels)
    if labels.shape != windows.shape[:-2]:
        raise ValueError(
            f"labels have shape {labels.shape}, but the window grid is {windows.shape[:-2]}."
        )
    out = np.full(labels.shape, np.nan, dtype=np.float32)
    for k, reference in enumerate(references):
        where = labels == k
        if reference is None or not where.any():
            continue
        reference = _resolve_reference(reference, pixel_size)
        angle, _ = window_rotations(windows[where], reference, pixel_size, min_quality=min_quality)
        out[where] = angle
    return out
