"""Scale-free windows: window and stride from each image's measured lattice period.

Pure NumPy. A scale-free model (its card has ``period_range``) reads lattices whose period,
in pixels of its input window (``card.default_window`` px), lies in that range. An image
recorded at another magnification is brought into range by *resampling each window* to the
model's window: the window is chosen in pixels of the image so that it holds as many
lattice periods as the model's window holds at the target period.

Why no image is resampled
    The ``fft_amplitude`` descriptor keeps the central 64 x 64 frequencies of the window's
    spectrum, indexed by cycles per window. Fourier resampling of a window of ``N`` px to
    ``M`` px keeps every frequency below both Nyquist limits at the same cycles-per-window
    index and adds zeros above (or drops what lies above): the central 64 x 64 of the
    resampled window's spectrum *is* that of the original window (zero-padded where
    ``N < 64``). So the descriptor of an ``N`` px window equals, up to how the Hann taper
    is sampled, that of the window Fourier-resampled by ``card_window / N``, without
    computing it. Spline resampling (``scipy.ndimage.zoom``) instead damps the Bragg peaks
    near the Nyquist limit and, when downsampling, folds the column-shape harmonics above
    the new Nyquist limit back into spurious peaks (measured in
    ``benchmarks/bench_resampling.py``, ``docs/benchmarks.md``).

The rules (:func:`scale_free_geometry`)
    - Target period in the model's window: ``a' = min(TARGET_PERIOD, TARGET_LONG / (b/a))``,
      at least ``period_range[0] * 1.15``: the short spacing near the middle of the
      trained range, the long one (``b``) never beyond ``TARGET_LONG`` (the training set
      keeps both spacings in ``period_range``).
    - Window ``N = round(card_window * a / a')`` px of the image, within
      ``[min_window, min(H, W)]``; stride ``round(N * card_stride / card_window)``, >= 1.
    - Frames whose windows agree within 5 % share the median window; otherwise each frame
      keeps its own window, all centred on one grid (that of the largest window, with the
      stride of the smallest).
    - Frames without a measurable lattice take the median window of the others; when no
      frame has one, the card's window and stride are used and ``note`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "TARGET_PERIOD",
    "TARGET_LONG",
    "ScaleFreeGeometry",
    "target_period",
    "scale_free_geometry",
]

#: Short lattice spacing, px of the model's window, that windows are scaled to.
TARGET_PERIOD = 10.0
#: Longest second spacing ``b``, px of the model's window, that windows are scaled to.
TARGET_LONG = 17.0
#: Windows of frames that differ by less than this fraction share one window.
SAME_MAGNIFICATION = 0.05


@dataclass(frozen=True)
class ScaleFreeGeometry:
    """Windows of a stack of images chosen from their measured lattice periods.

    Attributes
    ----------
    window
        Window (px of the image) that defines the result grid: the largest frame window.
    stride
        Stride (px of the image), the same for every frame.
    windows
        Window of each frame (navigation shape), px; all equal to ``window`` unless the
        magnification changes between frames.
    periods
        ``(..., 2)`` measured spacings ``a, b`` of each frame, px (NaN: none measured).
    factors
        Resampling factor of each frame: ``card_window / window``, the scale at which the
        model sees the frame.
    note
        What was done, in words.
    """

    window: int
    stride: int
    windows: np.ndarray
    periods: np.ndarray
    factors: np.ndarray
    note: str = ""
    per_frame: bool = field(default=False)

    def metadata(self) -> dict:
        """``metadata.Symmetry`` items describing the geometry (lists for per-frame values)."""
        a = self.periods[..., 0]
        md = {
            "scale_free": True,
            "measured_period": float(np.nanmedian(a)) if np.isfinite(a).any() else None,
            "resampling_factor": float(np.median(self.factors)),
            "scale_note": self.note,
        }
        # a, b (px) and gamma of every frame, for the lattice geometry check
        md["measured_lattices"] = np.round(self.periods, 4).tolist()
        if self.windows.size > 1:
            md["measured_periods"] = np.round(a, 4).tolist()
        if self.per_frame:
            md["window_sizes"] = self.windows.tolist()
            md["resampling_factors"] = np.round(self.factors, 6).tolist()
        return md


def target_period(a: float, b: float, period_range: tuple[float, float]) -> float:
    """Period ``a`` that a lattice with spacings ``a <= b`` is scaled to, px of the model input.

    Examples
    --------
    >>> target_period(20.0, 20.0, (6.0, 20.0)), target_period(10.0, 20.0, (6.0, 20.0))
    (10.0, 8.5)
    """
    ratio = max(b / a, 1.0) if np.isfinite(b) else 1.0
    return float(max(min(TARGET_PERIOD, TARGET_LONG / ratio), 1.15 * period_range[0]))


def scale_free_geometry(
    periods: np.ndarray,
    image_shape: tuple[int, int],
    card_window: int,
    card_stride: int,
    period_range: tuple[float, float],
    min_window: int,
    stride: int | None = None,
) -> ScaleFreeGeometry:
    """Window and stride of every frame from its measured spacings.

    Parameters
    ----------
    periods
        ``(..., 2)`` spacings ``a <= b`` of each frame, px (NaN where none was measured),
        as :func:`hyperspy_symmetry.fft_lattice.frame_periods` returns them.
    image_shape
        ``(H, W)`` of the frames.
    card_window, card_stride
        The model's window and stride, px of its input.
    period_range
        The periods the model was trained on, px of its input.
    min_window
        Smallest window a descriptor accepts.
    stride
        A stride given by the user (px of the image); default scaled with the window.

    Returns
    -------
    ScaleFreeGeometry

    Examples
    --------
    >>> g = scale_free_geometry(np.array([25.0, 25.0]), (1024, 1024), 128, 16, (6.0, 20.0), 32)
    >>> g.window, g.stride, round(float(g.factors), 3)
    (320, 40, 0.4)
    """
    periods = np.asarray(periods, dtype=float)
    nav = periods.shape[:-1]
    a, b = periods[..., 0].ravel(), periods[..., 1].ravel()
    largest = int(min(image_shape))
    ok = np.isfinite(a) & (a > 0)
    notes = []
    raw = np.full(a.shape, np.nan)
    for i in np.flatnonzero(ok):
        raw[i] = card_window * a[i] / target_period(a[i], b[i], period_range)
    windows = np.clip(np.rint(raw), min_window, largest)
    if ok.any() and np.any(raw[ok] > largest):
        notes.append(f"the period asks for windows larger than the image: {largest} px used")
    if not ok.any():
        windows = np.full(a.shape, min(int(card_window), largest), dtype=float)
        notes.append(
            "no lattice period could be measured: the model card's window and stride are used"
        )
    elif not ok.all():
        windows[~ok] = np.median(windows[ok])
        notes.append(
            f"{int((~ok).sum())} of {a.size} frames without a measurable period take "
            f"the median window of the others"
        )
    windows = windows.astype(np.int64)
    median = int(np.rint(np.median(windows)))
    per_frame = bool(np.any(np.abs(windows - median) > SAME_MAGNIFICATION * median))
    if not per_frame:
        windows[:] = median
    grid_window = int(windows.max())
    # Every frame window is centred on the grid of the largest: same parity.
    windows = windows - (grid_window - windows) % 2
    windows = np.maximum(windows, min_window + (grid_window - min_window) % 2)
    if stride is None:
        stride = max(1, int(round(windows.min() * card_stride / card_window)))
    if ok.any():
        notes.insert(
            0,
            "windows scaled to the measured lattice period"
            + (" of each frame" if per_frame else ""),
        )
        fringes = int((ok & ~np.isfinite(b)).sum())
        if fringes:
            notes.insert(
                1,
                (f"{fringes} of {a.size} frames" if a.size > 1 else "the image")
                + " showed no plausible 2D lattice, only fringes: their spacing set the scale",
            )
    return ScaleFreeGeometry(
        window=grid_window,
        stride=int(stride),
        windows=windows.reshape(nav),
        periods=periods,
        factors=(card_window / windows).reshape(nav),
        note="; ".join(notes),
        per_frame=per_frame,
    )
