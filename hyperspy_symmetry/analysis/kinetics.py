"""Movies: phase fractions per frame, hole fractions, and exponential growth fits.

Vasudevan et al. (2018) follow beam damage in a movie through the mean probability of
each class per frame (the *phase fraction*) and fit the growth of the disordered
fraction with ``A(t) = A0 exp(rho t) + C``, ``C`` fixed to the level before growth.
An intensity threshold on smoothed frames gives the hole fraction independently of
any network, as a cross-check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import check_instance, check_number

__all__ = [
    "GROWTH_EXPRESSION",
    "growth_law",
    "mean_fractions",
    "baseline_level",
    "initial_growth_guess",
    "fit_growth",
    "lattice_period",
    "hole_fraction",
    "covered_area",
]

#: The growth law, in the syntax of HyperSpy's ``Expression`` component (``x`` is time).
GROWTH_EXPRESSION = "A0*exp(rho*x)+C"


def growth_law(t: np.ndarray, A0: float, rho: float, C: float) -> np.ndarray:
    """``A(t) = A0 exp(rho t) + C``.

    Examples
    --------
    >>> import math
    >>> growth_law(np.array([0.0, 10.0]), 0.01, math.log(2) / 10, 0.1)
    array([0.11, 0.12])
    """
    return A0 * np.exp(rho * np.asarray(t, dtype=float)) + C


def mean_fractions(probabilities: np.ndarray):
    """Mean probability of every class per image, NaN windows left out.

    Parameters
    ----------
    probabilities
        ``(..., n_classes, gy, gx)``, NumPy or dask.

    Returns
    -------
    array
        ``(..., n_classes)``; NaN for an image without a valid window.

    Examples
    --------
    >>> p = np.array([[[0.2, np.nan]], [[0.8, np.nan]]])  # 2 classes, 1 x 2 windows
    >>> mean_fractions(p)
    array([0.2, 0.8])
    """
    import warnings

    if hasattr(probabilities, "dask"):
        import dask.array as da

        # float64 sums, as the eager branch: float32 means differ from it in the last bit
        return da.nanmean(probabilities.astype(float), axis=(-2, -1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN images give NaN
        return np.nanmean(np.asarray(probabilities, dtype=float), axis=(-2, -1))


def baseline_level(t: np.ndarray, a: np.ndarray, baseline_until: float) -> tuple[float, int]:
    """Mean of ``a`` over the times before ``baseline_until``, and how many there are.

    Raises
    ------
    ValueError
        If no finite value lies before ``baseline_until``, or fewer than two after it.

    Examples
    --------
    >>> baseline_level(np.arange(5.0), np.array([1.0, 3.0, 7.0, 8.0, 9.0]), 2.0)
    (2.0, 2)
    """
    t = np.asarray(t, dtype=float)
    a = np.asarray(a, dtype=float)
    before = (t < baseline_until) & np.isfinite(a)
    after = (t >= baseline_until) & np.isfinite(a)
    if not before.any():
        raise ValueError(
            f"baseline_until={baseline_until!r} leaves no frame before it (the first frame is "
            f"at t = {t.min():g}); choose a later time so that C can be taken from the frames "
            f"before growth starts."
        )
    if after.sum() < 2:
        raise ValueError(
            f"baseline_until={baseline_until!r} leaves {int(after.sum())} frame(s) at or after "
            f"it (the last frame is at t = {t.max():g}); at least two are needed to fit the "
            f"growth. Choose an earlier time."
        )
    return float(a[before].mean()), int(before.sum())


def initial_growth_guess(t: np.ndarray, a: np.ndarray, C: float) -> tuple[float, float]:
    """Starting ``(A0, rho)`` from a straight-line fit of ``log(a - C)`` against ``t``.

    Points with ``a <= C`` are left out; each point is weighted by ``a - C`` (the noise of
    the logarithm of a small excess is large). Without two usable points, ``rho`` is one
    over the time span and ``A0`` the largest excess.

    Examples
    --------
    >>> t = np.linspace(0, 100, 21)
    >>> A0, rho = initial_growth_guess(t, growth_law(t, 0.002, 0.03, 0.05), 0.05)
    >>> round(A0, 6), round(rho, 6)
    (0.002, 0.03)
    """
    t = np.asarray(t, dtype=float)
    excess = np.asarray(a, dtype=float) - C
    use = np.isfinite(excess) & (excess > 0)
    span = float(np.ptp(t)) if t.size > 1 else 1.0
    if use.sum() < 2 or np.ptp(t[use]) == 0:
        peak = float(np.nanmax(excess)) if np.isfinite(excess).any() else 1.0
        return max(peak, 1e-12), 1.0 / max(span, 1e-12)
    slope, intercept = np.polyfit(t[use], np.log(excess[use]), 1, w=excess[use])
    return float(np.exp(intercept)), float(slope)


def fit_growth(signal, baseline_until: float) -> dict[str, Any]:
    """Fit ``A(t) = A0 exp(rho t) + C`` to a one-dimensional signal with HyperSpy's model.

    ``C`` is fixed to the mean of the points with ``t < baseline_until`` (as in
    Vasudevan et al. 2018, who took it from the first 100 s); ``A0`` and ``rho`` are
    fitted by least squares (Levenberg-Marquardt, unweighted unless the signal has
    ``metadata.Signal.Noise_properties.variance``) over all finite points, starting from
    :func:`initial_growth_guess`.

    ``C`` includes whatever growth already happened before ``baseline_until``: choose it
    before the growth is noticeable, or ``C`` (and with it ``rho``) is biased.

    Parameters
    ----------
    signal : hyperspy.signals.Signal1D
        One curve (no navigation axes); its signal axis is the calibrated time.
    baseline_until : float
        Time (in the axis units) before which the curve is taken as the baseline.

    Returns
    -------
    dict
        ``A0``, ``rho`` (per time unit), ``C``, ``A0_std``, ``rho_std`` (standard errors
        from the fit covariance scaled by the residual variance), ``n_frames`` (points
        fitted), ``n_baseline`` (points averaged into ``C``), ``residual_rms``,
        ``baseline_until``, ``time_units``, ``success``.

    Examples
    --------
    >>> import hyperspy.api as hs
    >>> t = np.arange(40) * 5.0
    >>> s = hs.signals.Signal1D(growth_law(t, 0.0002, 0.03, 0.01))
    >>> s.axes_manager[0].scale = 5.0
    >>> fit = fit_growth(s, baseline_until=20.0)
    >>> round(fit["rho"], 2), round(fit["C"], 4)
    (0.03, 0.0103)
    """
    from hyperspy.api import model as hs_model
    from hyperspy.signal import BaseSignal
    from hyperspy.signals import Signal1D

    check_instance(
        signal,
        "signal",
        BaseSignal,
        "a HyperSpy Signal1D over time (e.g. PhaseFractions.fraction(name))",
    )
    baseline_until = check_number(
        baseline_until, "baseline_until", hint="(time, in the units of the signal axis)"
    )
    if signal.axes_manager.navigation_dimension != 0:
        raise ValueError(
            "fit_growth takes one curve; this signal has navigation axes "
            f"{signal.axes_manager.navigation_shape}. Select one with .inav[...] first."
        )
    if signal.axes_manager.signal_dimension != 1:
        raise ValueError("fit_growth takes a one-dimensional signal (the time axis).")
    axis = signal.axes_manager.signal_axes[0]
    t = np.asarray(axis.axis, dtype=float)
    a = np.asarray(signal.data, dtype=float)
    C, n_baseline = baseline_level(t, a, baseline_until)
    A0, rho = initial_growth_guess(t, a, C)

    curve = Signal1D(a.copy(), axes=[axis.get_axis_dictionary()])
    finite = np.isfinite(a)
    if not finite.all():
        curve.data[~finite] = 0.0
    m = curve.create_model()
    growth = hs_model.components1D.Expression(
        GROWTH_EXPRESSION, name="growth", A0=A0, rho=rho, C=C
    )
    growth.C.free = False
    m.append(growth)
    if not finite.all():
        m.set_signal_range_from_mask(finite)
    m.fit(optimizer="lm", grad="analytical")
    fitted = growth.function(t)
    residual = (a - fitted)[finite]
    return {
        "A0": float(growth.A0.value),
        "rho": float(growth.rho.value),
        "C": float(C),
        "A0_std": _std(growth.A0.std),
        "rho_std": _std(growth.rho.std),
        "n_frames": int(finite.sum()),
        "n_baseline": n_baseline,
        "residual_rms": float(np.sqrt(np.mean(residual**2))),
        "baseline_until": float(baseline_until),
        "time_units": "" if str(axis.units) == "<undefined>" else str(axis.units),
        "success": bool(getattr(m.fit_output, "success", True)),
    }


def _std(value) -> float:
    return float("nan") if value is None else float(value)


# Not lattice.strongest_fringe (the strongest 2D peak, sub-bin): the ring of most mean power.
def lattice_period(image: np.ndarray, min_frequency: int = 3) -> float:
    """The strongest period (pixels) of an image: peak of its radially averaged power
    spectrum beyond ``min_frequency`` bins.

    Examples
    --------
    >>> y, x = np.mgrid[:128, :128]
    >>> round(lattice_period(np.cos(2 * np.pi * x / 8.0)), 1)
    8.0
    """
    image = np.asarray(image, dtype=float)
    n, m = image.shape
    hann = np.outer(np.hanning(n), np.hanning(m))
    power = np.abs(np.fft.fftshift(np.fft.fft2((image - image.mean()) * hann))) ** 2
    y, x = np.mgrid[:n, :m]
    # Radius in units of the shorter side's frequency bins.
    r = np.hypot((y - n // 2) * min(n, m) / n, (x - m // 2) * min(n, m) / m)
    bins = np.rint(r).astype(int)
    radial = np.bincount(bins.ravel(), power.ravel()) / np.maximum(np.bincount(bins.ravel()), 1)
    radial[:min_frequency] = 0.0
    radial[min(n, m) // 2 :] = 0.0
    return float(min(n, m) / max(int(np.argmax(radial)), 1))


def hole_fraction(
    frames: np.ndarray, sigma: float | None = None, threshold: float | None = None
) -> tuple[np.ndarray, float, float]:
    """Fraction of every frame darker than a threshold after Gaussian smoothing.

    Each frame is smoothed with a Gaussian of ``sigma`` pixels, wide enough that the
    lattice becomes a flat grey and holes (missing columns) stay dark; pixels below the
    threshold are holes.

    Parameters
    ----------
    frames
        ``(..., H, W)`` images.
    sigma
        Gaussian sigma in pixels. Default: the strongest lattice period of the first
        frame (:func:`lattice_period`), which flattens the lattice to
        under 1 % (the Gaussian passes ``exp(-2 pi**2 sigma**2 / period**2)``) while
        widening holes little.
    threshold
        Intensity threshold on the smoothed frames. Default: Otsu's threshold
        (``skimage.filters.threshold_otsu``) of all smoothed frames together, so that one
        threshold serves the whole movie and a frame without holes gives about 0 (Otsu on
        such a frame alone would split its lattice noise in two).

    Returns
    -------
    fraction : numpy.ndarray
        ``(...)``: hole fraction of each frame; NaN for a frame with NaN or infinite
        pixels (the other frames alone set the default sigma and threshold).
    sigma, threshold : float
        The values used.

    Examples
    --------
    >>> y, x = np.mgrid[:64, :64]
    >>> lattice = np.cos(np.pi * x / 6.0) ** 2 * np.cos(np.pi * y / 6.0) ** 2
    >>> movie = np.stack([lattice, lattice * ((x - 32) ** 2 + (y - 32) ** 2 > 16 ** 2)])
    >>> fraction, sigma, threshold = hole_fraction(movie)
    >>> fraction.round(2)  # the hole covers pi 16**2 / 64**2 = 0.196
    array([0. , 0.2])
    """
    from scipy import ndimage
    from skimage.filters import threshold_otsu

    frames = np.asarray(frames, dtype=np.float32)
    if frames.ndim < 2:
        raise ValueError(f"frames must be (..., H, W), got shape {frames.shape}.")
    if sigma is not None:
        sigma = check_number(sigma, "sigma", low=0, low_open=True, hint="(Gaussian sigma, px)")
    if threshold is not None:
        threshold = check_number(threshold, "threshold", hint="(intensity of smoothed frames)")
    flat = frames.reshape((-1,) + frames.shape[-2:])
    finite = np.isfinite(flat).all(axis=(-2, -1))
    if not finite.any():
        raise ValueError(
            "hole_fraction needs at least one frame without NaN or infinite pixels; "
            "every frame has some."
        )
    if sigma is None:
        sigma = lattice_period(flat[np.argmax(finite)]) / 2.0
    # one call over the stack; sigma 0 along frames leaves them apart
    smooth = ndimage.gaussian_filter(flat[finite], (0, sigma, sigma), mode="reflect")
    if threshold is None:
        threshold = float(threshold_otsu(smooth))
    fraction = np.full(len(flat), np.nan)
    fraction[finite] = (smooth < threshold).mean(axis=(-2, -1))
    return fraction.reshape(frames.shape[:-2]), sigma, threshold


def _window_design(
    grid: tuple[int, int], window: int, stride: int, block: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The share of each window's descriptor weight (square-root Hann) on each block of
    ``block`` x ``block`` pixels, ``(n_windows, n_blocks)``, and the first differences
    between neighbouring blocks, ``(n_pairs, n_blocks)``, and the share of each block
    inside the image, ``(n_blocks,)``."""
    from ..descriptors import _sqrt_hann_2d

    gy, gx = grid
    height, width = (gy - 1) * stride + window, (gx - 1) * stride + window
    ny, nx = -(-height // block), -(-width // block)
    kernel = _sqrt_hann_2d(window)
    kernel = kernel / kernel.sum()
    design = np.zeros((gy * gx, ny * nx))
    full = np.zeros((ny * block, nx * block))
    for i in range(gy):
        for j in range(gx):
            full[:] = 0.0
            full[i * stride : i * stride + window, j * stride : j * stride + window] = kernel
            design[i * gx + j] = full.reshape(ny, block, nx, block).sum(axis=(1, 3)).ravel()
    index = np.arange(ny * nx).reshape(ny, nx)
    pairs = np.concatenate(
        [
            np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1),
            np.stack([index[:-1, :].ravel(), index[1:, :].ravel()], axis=1),
        ]
    )
    differences = np.zeros((len(pairs), ny * nx))
    differences[np.arange(len(pairs)), pairs[:, 0]] = 1.0
    differences[np.arange(len(pairs)), pairs[:, 1]] = -1.0
    # Blocks past the image (when the window grid does not end on a block edge) count
    # only by the pixels they hold.
    area = np.zeros((ny * block, nx * block))
    area[:height, :width] = 1.0
    area = area.reshape(ny, block, nx, block).mean(axis=(1, 3)).ravel()
    return design, differences, area


def _bounded_least_squares(
    matrix, target: np.ndarray, lipschitz: float, start: np.ndarray, tol: float = 1e-5
) -> np.ndarray:
    """``argmin |matrix @ x - target|**2`` with ``0 <= x <= 1``.

    Accelerated projected gradient (FISTA, Beck & Teboulle 2009) on the sparse ``matrix``
    from ``start``, step ``1 / lipschitz`` (``lipschitz`` >= the largest squared singular
    value), until no ``x`` moves by ``tol``; SciPy's exact bounded solver (``bvls``, dense)
    if that takes more than 20,000 steps. On the 960 frames of the hole-area benchmark's
    readings (``benchmarks/bench_hole_area.py``, stride 32) :func:`covered_area` gives the
    areas of ``bvls`` within 6e-5, 2.6 times faster, and 20 times faster on a 1024 px frame
    seen by 128 px windows every 16 px (2,209 blocks: 3.4 s per frame against 70 s).
    """
    from scipy.optimize import lsq_linear

    transposed = matrix.T.tocsr()
    x = y = start
    t = 1.0
    for _ in range(20_000):
        step = np.clip(y - (transposed @ (matrix @ y - target)) / lipschitz, 0.0, 1.0)
        t_next = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        moved = np.abs(step - x).max()
        y = step + (t - 1.0) / t_next * (step - x)
        x, t = step, t_next
        if moved < tol:
            return x
    return lsq_linear(matrix.toarray(), target, bounds=(0.0, 1.0), method="bvls").x


def covered_area(
    coverage: np.ndarray,
    window: int,
    stride: int,
    *,
    smoothing: float = 0.025,
    block: int = 16,
) -> np.ndarray:
    """The area fraction of the image that is covered, from each window's coverage.

    Windows lie fully inside the image, so a pixel near the image's centre falls in more
    windows than one near an edge, and each window weights its pixels by the descriptor's
    square-root Hann window. The mean coverage over windows therefore weights the middle
    of the image more than its edges: it is not the covered area of the image. Here the
    image is cut into square blocks of ``block`` pixels (an eighth of the window if that
    is larger, and larger still if there would be more than 48 per side), and the covered
    fraction of each block, between 0 and 1, is the bounded least-squares solution that
    reproduces every window's coverage (each window's coverage being the Hann-weighted
    mean of its blocks), with a small penalty on the differences between neighbouring
    blocks (``smoothing``) for the blocks the windows cannot tell apart. The result is
    the mean over blocks, weighted by the pixels each holds: the covered fraction of the
    pixels the windows span.

    Parameters
    ----------
    coverage
        ``(..., gy, gx)``: the coverage of every window of a grid (e.g. the ``noise``
        probabilities of a frame); NaN windows are left out.
    window, stride
        Window side and stride of the grid, pixels.
    smoothing
        Weight of the neighbour-difference penalty, relative to a window's mean weight on
        one block (squared). Chosen on simulated damage movies with the true window
        coverages (seeds 3, 5 and 7, stride 32, 32 px blocks): 0.025 gave a mean error
        over frames of 0.0065-0.0086, ten and a hundred times more 0.009-0.012 and
        0.014-0.022.
    block
        Side of the blocks, pixels. On 384 px frames seen by 128 px windows every 32 px,
        blocks of 32, 16 and 8 px put the covered area of round holes near the frame's
        edges within 0.014, 0.009 and 0.007 of the truth; 16 px blocks solve in about
        0.07 s per frame. Larger windows get blocks of an eighth of the window, so that
        each window spans as many blocks (the windows of the real MoS2 image of the
        tests, 294 px every 37 px on 1024 px: about 0.4 s per frame). A 1024 px frame seen
        by 128 px windows every 16 px (2,209 blocks of 22 px) takes about 3.4 s.

    Returns
    -------
    numpy.ndarray
        ``coverage.shape[:-2]``: the covered area fraction of each image; NaN for an image
        without a valid window.

    Examples
    --------
    One round hole in the middle of a 256 px image (11 % of it), seen by 128 px windows
    every 32 px: every window holds part of it, so the mean window coverage is 0.27; the
    covered area is close to the hole's.

    >>> from hyperspy_symmetry.descriptors import _sqrt_hann_2d
    >>> yy, xx = np.mgrid[:256, :256]
    >>> mask = np.hypot(yy - 127.5, xx - 127.5) < 48
    >>> w = _sqrt_hann_2d(128)
    >>> cov = np.array([[(mask[i:i + 128, j:j + 128] * w).sum() / w.sum()
    ...                  for j in range(0, 129, 32)] for i in range(0, 129, 32)])
    >>> [round(float(v), 2) for v in (mask.mean(), cov.mean(), covered_area(cov, 128, 32))]
    [0.11, 0.27, 0.11]
    """
    from scipy import sparse
    from scipy.sparse.linalg import svds

    window = check_number(window, "window", low=1, integer=True, hint="(pixels)")
    stride = check_number(stride, "stride", low=1, integer=True, hint="(pixels)")
    smoothing = check_number(smoothing, "smoothing", low=0)
    coverage = np.asarray(coverage, dtype=float)
    if coverage.ndim < 2:
        raise ValueError(f"coverage needs a (gy, gx) grid of windows, got shape {coverage.shape}.")
    grid = coverage.shape[-2:]
    side = max((grid[0] - 1) * stride + window, (grid[1] - 1) * stride + window)
    block = check_number(block, "block", low=1, integer=True, hint="(pixels)")
    block = max(block, window // 8, -(-side // 48))
    design, differences, area = _window_design(grid, window, stride, block)
    weight = np.sqrt(smoothing) * design[design > 0].mean()
    windows_matrix = sparse.csr_matrix(design)  # a window spans a few of many blocks
    penalty = sparse.csr_matrix(weight * differences)
    full = sparse.vstack([windows_matrix, penalty], format="csr")
    # Leaving out NaN windows (rows) cannot raise the largest singular value.
    lipschitz = float(svds(full, k=1, return_singular_vectors=False)[0]) ** 2 * 1.01
    flat = coverage.reshape(-1, grid[0] * grid[1])
    out = np.full(flat.shape[0], np.nan)
    blocks = np.zeros(design.shape[1])
    for k, values in enumerate(flat):
        valid = np.isfinite(values)
        if not valid.any():
            continue
        matrix = full if valid.all() else sparse.vstack([windows_matrix[valid], penalty], "csr")
        target = np.concatenate([np.clip(values[valid], 0.0, 1.0), np.zeros(len(differences))])
        # the previous frame's blocks are a close start in a movie
        blocks = _bounded_least_squares(matrix, target, lipschitz, blocks)
        out[k] = float((blocks * area).sum() / area.sum())
    return out.reshape(coverage.shape[:-2])
