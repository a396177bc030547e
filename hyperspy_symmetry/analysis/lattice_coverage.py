"""How much of each window holds the lattice, from the lattice's own Bragg amplitude.

A window's ``noise`` probability says whether it holds a lattice; its value does not
measure how much of the window does (on simulated damage movies it reads hole windows
with a scatter of about 0.1 of the window, see docs/benchmarks.md). The Bragg amplitude
does. For a lattice ``L`` that fills the window's pixels outside a hole mask ``m``, the
Fourier coefficient of the weighted window at one of the lattice's reciprocal vectors
``g`` is

``C_g = sum_x w(x) (1 - m(x)) L(x) exp(-2 pi i g.x) ~= L_g sum_x w(x) (1 - m(x))``

when the mask varies slowly against the period: its magnitude is the lattice's Fourier
coefficient times the window weight that holds the lattice. Divided by the magnitude of
a window that is all lattice, it is one minus the window's weighted hole coverage, with
the weights ``w`` of the descriptor (square-root Hann) that
:func:`~hyperspy_symmetry.analysis.covered_area` solves with. Shifting the window only
changes the phase of ``C_g``, so the magnitudes of every window of a grid are one
demodulation of the frame at ``g`` followed by a separable weighted sum (a lock-in
amplifier at each Bragg peak).

The functions here are pure NumPy; ``p.phase_fractions(hole_area=True, image=movie)``
uses them, with the windows the network reads as whole lattice as the reference.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_number
from ..windows import window_grid_shape

__all__ = ["N_PEAKS", "frame_bragg_vectors", "bragg_amplitude", "lattice_coverage"]

#: Bragg peaks per frame whose amplitudes are summed (one of each ``+-g`` pair).
N_PEAKS = 3
#: Windows read as whole lattice (``noise`` probability below this) set the reference.
INTACT_BELOW = 0.01
#: Quantile of the whole-lattice windows' amplitudes taken as a frame's reference. The
#: median: a real lattice's amplitude varies from window to window (by 4.4 % on the real
#: MoS2 image of the tests), so a higher quantile reads a whole real lattice as partly
#: hole (0.062 of the frame at the 90th percentile, 0.024 at the median).
REFERENCE_QUANTILE = 0.5
#: Fewest whole-lattice windows a frame needs for its own reference.
MIN_REFERENCE_WINDOWS = 3


def frame_bragg_vectors(image: np.ndarray, n_peaks: int = N_PEAKS) -> np.ndarray:
    """The ``n_peaks`` strongest Bragg peaks of an image, one of each ``+-g`` pair.

    Parameters
    ----------
    image
        2D image; non-finite pixels are replaced by the mean of the finite ones.
    n_peaks
        Number of reciprocal vectors to return (fewer if fewer are found).

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` reciprocal vectors ``(kx, ky)``, cycles/px, strongest first; ``(0, 2)``
        when the image shows no lattice.

    Examples
    --------
    >>> y, x = np.mgrid[:128, :128]
    >>> g = frame_bragg_vectors(np.cos(2 * np.pi * x / 8) + 2 * np.cos(2 * np.pi * y / 16))
    >>> np.abs(g).round(4).tolist()  # the stronger fringes first
    [[0.0, 0.0625], [0.125, 0.0]]
    """
    from ..fft_lattice import MIN_RELATIVE, MIN_STRENGTH, _bragg_peaks

    n_peaks = check_number(n_peaks, "n_peaks", low=1, integer=True)
    image = np.asarray(image, dtype=float)
    finite = np.isfinite(image)
    if not finite.any():
        return np.empty((0, 2))
    if not finite.all():
        image = np.where(finite, image, image[finite].mean())
    vectors = _bragg_peaks(image, 2, MIN_STRENGTH, MIN_RELATIVE, None)[0]
    chosen: list[np.ndarray] = []
    for k in vectors:  # strongest first; each peak's mirror -k carries the same amplitude
        if all(np.abs(k + c).max() > 1e-6 and np.abs(k - c).max() > 1e-6 for c in chosen):
            chosen.append(k)
        if len(chosen) == n_peaks:
            break
    return np.array(chosen).reshape(-1, 2)


def _window_sums(values: np.ndarray, weight: np.ndarray, stride: int) -> np.ndarray:
    """``sum_{y, x} weight[y] weight[x] values[i*stride + y, j*stride + x]`` of every
    window of the grid, ``(gy, gx)`` (the 2D weight is the outer product of ``weight``)."""
    n = len(weight)
    rows = np.lib.stride_tricks.sliding_window_view(values, n, axis=1)[:, ::stride] @ weight
    return np.lib.stride_tricks.sliding_window_view(rows, n, axis=0)[::stride] @ weight


def bragg_amplitude(
    frames: np.ndarray, window: int, stride: int, *, n_peaks: int = N_PEAKS
) -> np.ndarray:
    """Sum of the Bragg-peak magnitudes of every window of every frame.

    For each frame, its ``n_peaks`` strongest Bragg peaks ``g`` (:func:`frame_bragg_vectors`,
    measured on the whole frame, so a movie whose lattice drifts or rotates is followed)
    give ``sum_g |sum_x w(x - x0) I(x) exp(-2 pi i g.x)|`` for the window at ``x0``, with
    ``w`` the descriptor's square-root Hann window. A frame without measurable Bragg
    peaks (its lattice gone) reads 0 in every window.

    Parameters
    ----------
    frames
        ``(..., H, W)`` images.
    window, stride
        Window side and stride, pixels (the grid of ``sliding_windows``).
    n_peaks
        Bragg peaks per frame.

    Returns
    -------
    numpy.ndarray
        ``(..., gy, gx)``; NaN for windows with non-finite pixels.

    Examples
    --------
    A lattice with a hole over the right half of the second window: the amplitude there
    is about the first window's times the weight the lattice keeps (one half; the hole's
    sharp edge spreads a little of the peak).

    >>> y, x = np.mgrid[:64, :192]
    >>> image = np.cos(2 * np.pi * x / 8) + np.cos(2 * np.pi * y / 8)
    >>> image[:, 96:128] = 0.0
    >>> amp = bragg_amplitude(image, 64, 64)
    >>> round(float(amp[0, 1] / amp[0, 0]), 2)
    0.49
    """
    window = check_number(window, "window", low=2, integer=True, hint="(pixels)")
    stride = check_number(stride, "stride", low=1, integer=True, hint="(pixels)")
    frames = np.asarray(frames, dtype=float)
    if frames.ndim < 2:
        raise ValueError(f"frames must be (..., H, W), got shape {frames.shape}.")
    shape = frames.shape
    if min(shape[-2:]) < window:
        raise ValueError(f"window {window} px is larger than the frames {shape[-2:]}.")
    gy, gx = window_grid_shape(shape[-2:], window, stride)
    flat = frames.reshape((-1,) + shape[-2:])
    out = np.zeros((len(flat), gy, gx))
    # the 1D factor of the descriptor's window: sqrt(outer(hann, hann)) = outer(s, s)
    weight = np.sqrt(np.hanning(window))
    yy = np.arange(shape[-2])[:, None]
    xx = np.arange(shape[-1])[None, :]
    for t, frame in enumerate(flat):
        for kx, ky in frame_bragg_vectors(frame, n_peaks):
            demodulated = frame * np.exp(-2j * np.pi * (kx * xx + ky * yy))
            out[t] += np.abs(_window_sums(demodulated, weight, stride))
        finite = np.isfinite(frame)
        if not finite.all():  # windows holding non-finite pixels, also without peaks
            out[t][np.isnan(_window_sums(np.where(finite, 0.0, np.nan), weight, stride))] = np.nan
    return out.reshape(shape[:-2] + (gy, gx))


def lattice_coverage(
    amplitude: np.ndarray,
    intact: np.ndarray,
    *,
    quantile: float = REFERENCE_QUANTILE,
    min_windows: int = MIN_REFERENCE_WINDOWS,
) -> tuple[np.ndarray, np.ndarray]:
    """Each window's weighted share that holds no lattice, from its Bragg amplitude.

    ``coverage = 1 - amplitude / reference``, clipped to [0, 1]. A frame's reference is
    the ``quantile`` of the amplitudes of its ``intact`` windows (those known to be whole
    lattice, e.g. read so by a network), when it has at least ``min_windows`` of them;
    otherwise that of all frames' intact windows together.

    Parameters
    ----------
    amplitude
        ``(n_frames, gy, gx)`` (or ``(gy, gx)``): :func:`bragg_amplitude`.
    intact
        Boolean array of the same shape.
    quantile
        Quantile of the intact windows' amplitudes that is taken as whole lattice.
    min_windows
        Fewest intact windows for a frame's own reference.

    Returns
    -------
    coverage : numpy.ndarray
        Same shape as ``amplitude``; NaN where the amplitude is.
    reference : numpy.ndarray
        ``(n_frames,)``: the reference amplitude of each frame.

    Raises
    ------
    ValueError
        If no window is intact: nothing says what the whole lattice reads.

    Examples
    --------
    >>> amp = np.array([[[4.0, 4.0, 4.0, 2.0]]])
    >>> cov, ref = lattice_coverage(amp, amp > 3)
    >>> cov.tolist(), ref.tolist()
    ([[[0.0, 0.0, 0.0, 0.5]]], [4.0])
    """
    quantile = check_number(quantile, "quantile", low=0, high=1)
    min_windows = check_number(min_windows, "min_windows", low=1, integer=True)
    amplitude = np.asarray(amplitude, dtype=float)
    intact = np.asarray(intact, dtype=bool)
    if intact.shape != amplitude.shape:
        raise ValueError(
            f"intact has shape {intact.shape}, amplitude {amplitude.shape}; they must match."
        )
    single = amplitude.ndim == 2
    if single:
        amplitude, intact = amplitude[None], intact[None]
    usable = intact & np.isfinite(amplitude)
    if not usable.any():
        raise ValueError(
            "No window is read as whole lattice, so there is no reference for the lattice's "
            "Bragg amplitude (every window holds a hole or no lattice)."
        )
    overall = float(np.quantile(amplitude[usable], quantile))
    reference = np.full(len(amplitude), overall)
    for t, (a, u) in enumerate(zip(amplitude, usable, strict=True)):
        if u.sum() >= min_windows:
            reference[t] = np.quantile(a[u], quantile)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.clip(1.0 - amplitude / reference[:, None, None], 0.0, 1.0)
    coverage[~np.isfinite(amplitude)] = np.nan
    return (coverage[0] if single else coverage), reference
