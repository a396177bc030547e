"""FFT descriptors of image windows, vectorised over any number of windows.

Pure NumPy/SciPy. Each function takes a batch of windows of shape ``(..., N, N)`` and returns
descriptors of shape ``(..., 64, 64)`` as float32, with batched FFTs and no Python loop over
windows. Windows whose values are all equal give an all-zero descriptor; windows holding
NaN give an all-NaN descriptor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache, partial

import numpy as np
import scipy.fft

from .windows import central_crop, sliding_windows

__all__ = [
    "BATCH_PIXEL_BYTES",
    "DESCRIPTOR_SIZE",
    "MIN_WINDOW",
    "DESCRIPTORS",
    "Workspace",
    "fft_haadf",
    "fft_amplitude",
    "get_descriptor",
    "reciprocal_axis",
    "window_descriptors",
]

#: Side length of every descriptor (the network input size).
DESCRIPTOR_SIZE = 64

#: Bytes of float64 window pixels turned into descriptors at once by
#: :func:`window_descriptors` (their FFTs take about twice as much): small enough for the
#: CPU's caches.
BATCH_PIXEL_BYTES = 4 * 2**20

#: Smallest window (px). Windows smaller than the descriptor have their spectrum padded with
#: zeros beyond the Nyquist frequency: the frequency step stays 1 / (window length), so a
#: window of the same length in Å gives the same descriptor at any pixel size ("window
#: scaling"), down to half the descriptor size.
MIN_WINDOW = DESCRIPTOR_SIZE // 2


# Not augment._minmax, which normalises one whole image by division and maps NaN to zeros.
def _minmax_in_place(a: np.ndarray) -> np.ndarray:
    """Min-max normalise each ``(N, M)`` image of a float batch to [0, 1], written over it;
    constant images give 0, images holding NaN stay NaN."""
    lo = a.min(axis=(-2, -1), keepdims=True)
    span = a.max(axis=(-2, -1), keepdims=True) - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(span == 0, 0.0, 1.0 / span)
    a -= lo
    a *= scale
    return a


class Workspace:
    """Arrays that :func:`window_descriptors` reuses from batch to batch and call to call.

    New temporaries for every batch are returned to the operating system and mapped again
    each time, and the page faults cost more than the FFTs: the 225 windows of a 1024 px
    image took 43 ms so, 12 ms with a pooled workspace (docs/benchmarks.md). :meth:`array`
    hands out a view of one buffer per name, grown when a larger batch needs it.
    """

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    @classmethod
    @contextmanager
    def pooled(cls) -> Iterator[Workspace]:
        """A workspace from the process's pool, returned to it afterwards: the pool keeps
        up to :data:`POOLED_WORKSPACES` (one per thread computing descriptors at once), so
        that a tile's first batch, too, finds its buffers mapped (about 14 MiB each for
        the default batches of 100 px windows; a workspace grown past
        :data:`POOLED_WORKSPACE_BYTES` by larger batches is let go)."""
        with _POOL_LOCK:
            workspace = _POOL.pop() if _POOL else cls()
        try:
            yield workspace
        finally:
            with _POOL_LOCK:
                if len(_POOL) < POOLED_WORKSPACES and workspace.nbytes <= POOLED_WORKSPACE_BYTES:
                    _POOL.append(workspace)

    @property
    def nbytes(self) -> int:
        """Bytes held by the workspace's buffers."""
        return sum(buffer.nbytes for buffer in self._buffers.values())

    def array(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        """An uninitialised C-contiguous array ``shape`` of ``dtype``, kept under ``name``."""
        dtype = np.dtype(dtype)
        size = int(np.prod(shape)) * dtype.itemsize
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < size:
            buffer = self._buffers[name] = np.empty(size, np.uint8)
        return buffer[:size].view(dtype).reshape(shape)


#: Workspaces kept by :meth:`Workspace.pooled` between calls, and the most bytes of one.
POOLED_WORKSPACES = 4
POOLED_WORKSPACE_BYTES = 64 * 2**20
_POOL: list[Workspace] = []
_POOL_LOCK = threading.Lock()


@lru_cache(maxsize=16)
def _sqrt_hann_2d(n: int) -> np.ndarray:
    """Square root of the outer product of two symmetric Hann windows of length ``n``."""
    h = np.hanning(n)
    return np.sqrt(np.outer(h, h))


@lru_cache(maxsize=16)
def _half_crop_index(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices into an ``rfft2`` half spectrum of the central 64x64."""
    f = np.arange(DESCRIPTOR_SIZE) - DESCRIPTOR_SIZE // 2  # frequencies -32..31
    fy, fx = np.meshgrid(f, f, indexing="ij")
    # P(fy, fx) for fx < 0 is P(-fy, -fx), which the half spectrum holds.
    rows = np.where(fx >= 0, fy, -fy) % n
    return rows, np.abs(fx)


@lru_cache(maxsize=16)
def _full_crop_index(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices into an unshifted ``fft2`` spectrum of the central 64x64."""
    f = (np.arange(DESCRIPTOR_SIZE) - DESCRIPTOR_SIZE // 2) % n  # frequencies -32..31
    return f[:, None], f[None, :]


def _crop_from_unshifted(
    spectrum: np.ndarray, index: tuple[np.ndarray, np.ndarray], workspace: Workspace
) -> np.ndarray:
    """The central 64x64 of the shifted spectra, taken from unshifted ones ``(..., N, M)``
    at ``index`` (:func:`_half_crop_index` or :func:`_full_crop_index`), into the
    workspace's ``"crop"`` array (N >= 64)."""
    rows, cols = index
    lead = spectrum.shape[:-2]
    crop = workspace.array("crop", lead + (DESCRIPTOR_SIZE, DESCRIPTOR_SIZE), np.float64)
    flat = spectrum.reshape(lead + (-1,))
    np.take(flat, rows * spectrum.shape[-1] + cols, axis=-1, out=crop, mode="clip")
    return crop


def _central_crop(spectrum: np.ndarray) -> np.ndarray:
    """The central 64x64 of shifted spectra ``(..., N, N)``, starting at ``N//2 - 32``.

    For ``N < 64`` the spectrum is padded with zeros around it instead, with its zero
    frequency at index 32 as for larger windows.
    """
    n = spectrum.shape[-1]
    if n >= DESCRIPTOR_SIZE:
        return central_crop(spectrum, DESCRIPTOR_SIZE)
    before = DESCRIPTOR_SIZE // 2 - n // 2
    after = DESCRIPTOR_SIZE - n - before
    pad = [(0, 0)] * (spectrum.ndim - 2) + [(before, after)] * 2
    return np.pad(spectrum, pad)


def _float64_copy(
    windows: np.ndarray, workspace: Workspace | None
) -> tuple[Workspace, np.ndarray]:
    """``workspace`` (a new one for ``None``) and a float64 copy of ``windows`` in it."""
    workspace = Workspace() if workspace is None else workspace
    copy = workspace.array("windows", windows.shape, np.float64)
    np.copyto(copy, windows)
    return workspace, copy


def _check_windows(windows: np.ndarray) -> np.ndarray:
    """The windows as an array, once their shape and dtype are checked."""
    windows = np.asarray(windows)
    if windows.ndim < 2 or windows.shape[-1] != windows.shape[-2]:
        raise ValueError(
            f"windows must have shape (..., N, N) with square windows, got {windows.shape}."
        )
    if np.iscomplexobj(windows):
        raise TypeError("windows must be real-valued images, not complex.")
    if windows.shape[-1] < MIN_WINDOW:
        raise ValueError(
            f"windows of {windows.shape[-1]} px are too small for a descriptor; use a "
            f"window_size of at least {MIN_WINDOW} px."
        )
    return windows


def fft_haadf(
    windows: np.ndarray, threshold: float = 0.1, *, workspace: Workspace | None = None
) -> np.ndarray:
    """The AI-STEM FFT-HAADF descriptor of each window.

    Min-max normalise the window; multiply by the square root of the outer product of two
    Hann windows; ``|FFT|**2``; fftshift; min-max normalise; divide by ``threshold`` and clip
    at 1; min-max normalise; crop the central 64x64 (starting at ``N//2 - 32``); min-max
    normalise. No logarithm.

    Parameters
    ----------
    windows
        Real array of shape ``(..., N, N)`` with ``N >= 64``.
    threshold
        Fraction of the maximum above which the spectrum saturates (0.1 in AI-STEM).
    workspace
        Where the intermediate arrays live (:class:`Workspace`); a new one by default.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``(..., 64, 64)`` with values in [0, 1].

    Examples
    --------
    >>> y, x = np.mgrid[:100, :100]
    >>> lattice = np.cos(2 * np.pi * x / 10) + np.cos(2 * np.pi * y / 10)
    >>> d = fft_haadf(lattice[None])
    >>> d.shape, float(d.max())
    ((1, 64, 64), 1.0)
    """
    windows = _check_windows(windows)
    ws, w = _float64_copy(windows, workspace)
    lead, n = w.shape[:-2], w.shape[-1]
    _minmax_in_place(w)
    w *= _sqrt_hann_2d(n)
    # The steps above in fewer passes: min-max normalising and clipping are monotonic, so
    # the spectrum's minimum and maximum fix them; the second min-max normalisation is then
    # the identity (for threshold <= 1), and any affine rescaling before the crop is undone
    # by the crop's own min-max. So only the crop is normalised, clipped and normalised
    # again. The power spectrum of a real window is symmetric, P(k) = P(-k): the half that
    # rfft2 computes holds every value (for the minimum and maximum) and the whole crop.
    # Windows under 64 px: the whole shifted spectrum, padded (see _central_crop).
    if n >= DESCRIPTOR_SIZE:
        # numpy's rfft2 writes into ``out`` (pocketfft, as scipy.fft: the same bits here).
        f = np.fft.rfft2(
            w, axes=(-2, -1), out=ws.array("spectrum", lead + (n, n // 2 + 1), np.complex128)
        )
    else:
        f = scipy.fft.fftshift(scipy.fft.fft2(w, axes=(-2, -1)), axes=(-2, -1))
    power = np.multiply(f.real, f.real, out=ws.array("power", f.shape, np.float64))
    power += np.multiply(f.imag, f.imag, out=ws.array("imaginary", f.shape, np.float64))
    lo = power.min(axis=(-2, -1), keepdims=True)
    span = power.max(axis=(-2, -1), keepdims=True) - lo
    if n >= DESCRIPTOR_SIZE:
        crop = _crop_from_unshifted(power, _half_crop_index(n), ws)
    else:
        crop = _central_crop(power)
    with np.errstate(invalid="ignore", divide="ignore"):
        crop -= lo
        crop /= threshold * span
        np.minimum(crop, 1.0, out=crop)
    np.copyto(crop, 0.0, where=span == 0)
    return _minmax_in_place(crop).astype(np.float32)


def fft_amplitude(windows: np.ndarray, *, workspace: Workspace | None = None) -> np.ndarray:
    """Log FFT-amplitude descriptor for the Bravais-lattice model.

    Subtract each window's mean; multiply by the square root of the outer product of two
    Hann windows; ``|FFT|``; fftshift; crop the central 64x64 (starting at ``N//2 - 32``, as
    for FFT-HAADF, which keeps the full spectral resolution of the window: lattice periods
    down to ``N / 32`` px are kept); ``log1p(a / mean(a))`` to compress the dynamic range
    independently of the image's intensity scale; min-max normalise.

    Parameters
    ----------
    windows
        Real array of shape ``(..., N, N)`` with ``N >= 64``.
    workspace
        Where the intermediate arrays live (:class:`Workspace`); a new one by default.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``(..., 64, 64)`` with values in [0, 1].

    Examples
    --------
    >>> y, x = np.mgrid[:128, :128]
    >>> fft_amplitude(np.cos(2 * np.pi * x / 8)[None]).shape
    (1, 64, 64)
    """
    windows = _check_windows(windows)
    ws, w = _float64_copy(windows, workspace)
    n = w.shape[-1]
    # The mean over the float64 windows as given (a strided view sums in another order).
    w -= (windows if windows.dtype == np.float64 else w).mean(axis=(-2, -1), keepdims=True)
    w *= _sqrt_hann_2d(n)
    # scipy's fft2 of a real array (numpy's complex transform differs in the last bits).
    amp = np.abs(scipy.fft.fft2(w, axes=(-2, -1)), out=ws.array("amplitude", w.shape, np.float64))
    if n >= DESCRIPTOR_SIZE:
        crop = _crop_from_unshifted(amp, _full_crop_index(n), ws)
    else:
        crop = _central_crop(scipy.fft.fftshift(amp, axes=(-2, -1)))
    mean = crop.mean(axis=(-2, -1), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        crop /= mean
    np.copyto(crop, 0.0, where=mean == 0)
    np.log1p(crop, out=crop)
    return _minmax_in_place(crop).astype(np.float32)


#: Descriptor functions by the name used in model cards.
DESCRIPTORS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "fft_haadf": fft_haadf,
    "fft_amplitude": fft_amplitude,
}


def get_descriptor(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Return the descriptor function registered under ``name``."""
    try:
        return DESCRIPTORS[name]
    except KeyError:
        raise ValueError(
            f"Unknown descriptor {name!r}; choose one of {sorted(DESCRIPTORS)}."
        ) from None


def reciprocal_axis(window: int, pixel_scale: float, units: str | None, axis_name: str) -> dict:
    """HyperSpy axis dictionary of one reciprocal-space axis of a descriptor.

    Descriptor pixel ``j`` is FFT pixel ``N//2 - 32 + j``, at spatial frequency
    ``(j - 32) / (N * d)`` for window size ``N`` and pixel size ``d``.

    Examples
    --------
    >>> ax = reciprocal_axis(100, 0.12, "Å", "kx")
    >>> ax["units"], round(ax["scale"], 4), round(ax["offset"], 4)
    ('1 / Å', 0.0833, -2.6667)
    """
    freq = 1.0 / (window * pixel_scale)
    recip_units = f"1 / {units}" if units not in (None, "", "<undefined>") else "1 / px"
    return {
        "name": axis_name,
        "units": recip_units,
        "size": DESCRIPTOR_SIZE,
        "scale": freq,
        "offset": -(DESCRIPTOR_SIZE // 2) * freq,
        "navigate": False,
    }


def window_descriptors(
    images: np.ndarray,
    descriptor: str | Callable[[np.ndarray], np.ndarray],
    window: int,
    stride: int,
    batch_windows: int | None = None,
) -> np.ndarray:
    """Descriptors of all windows of a stack of images.

    Windows are taken from a strided view (no copy of the image per window) and turned into
    descriptors ``batch_windows`` at a time (whole rows of the window grid, or part of one
    row), which bounds the memory of the intermediate FFTs. The default keeps a batch's
    intermediate arrays small enough to stay in the CPU's caches
    (:data:`BATCH_PIXEL_BYTES` of float64 pixels): twice as fast as batches of 512 windows
    of 100 px, with the same bits. A named descriptor keeps its intermediate arrays in a
    pooled :class:`Workspace`, the same buffers for every batch and call: the 225 windows
    of a 1024 px image in 12 ms, against 30 ms with new buffers for every batch.

    Parameters
    ----------
    images
        Real array ``(..., H, W)``; any integer or float dtype.
    descriptor
        A name from :data:`DESCRIPTORS` or a function ``(..., N, N) -> (..., 64, 64)``.
    window, stride
        Window size and stride in pixels.
    batch_windows
        Windows per batch; default: as many as hold :data:`BATCH_PIXEL_BYTES` of pixels.

    Returns
    -------
    numpy.ndarray
        float32 ``(..., gy, gx, 64, 64)``.

    Examples
    --------
    >>> window_descriptors(np.random.default_rng(0).random((2, 160, 160)),
    ...                    "fft_haadf", 100, 20).shape
    (2, 4, 4, 64, 64)
    """
    if isinstance(descriptor, str):
        with Workspace.pooled() as workspace:
            return window_descriptors(
                images,
                partial(get_descriptor(descriptor), workspace=workspace),
                window,
                stride,
                batch_windows,
            )
    fn = descriptor
    images = np.asarray(images)
    if np.iscomplexobj(images):
        raise TypeError("images must be real-valued, not complex.")
    views = sliding_windows(images, window, stride)
    lead = views.shape[:-4]
    gy, gx = views.shape[-4:-2]
    flat = views.reshape((-1, gy, gx, window, window)) if lead else views[None]
    out = np.empty((flat.shape[0], gy, gx, DESCRIPTOR_SIZE, DESCRIPTOR_SIZE), np.float32)
    if batch_windows is None:
        batch_windows = BATCH_PIXEL_BYTES // (8 * window * window)
    batch_windows = max(1, int(batch_windows))
    rows = max(1, batch_windows // max(gx, 1))
    cols = min(gx, batch_windows)
    for i in range(flat.shape[0]):
        for r0 in range(0, gy, rows):
            for c0 in range(0, gx, cols):
                out[i, r0 : r0 + rows, c0 : c0 + cols] = fn(
                    flat[i, r0 : r0 + rows, c0 : c0 + cols]
                )
    return out.reshape(lead + out.shape[1:])
