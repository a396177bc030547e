"""The lattice of an image from the peaks of its power spectrum.

Pure NumPy/SciPy. :func:`fft_lattice` finds the Bragg peaks of an image (or a window) and
returns its reduced real-space basis: the lattice period that scale-free classification needs
(:mod:`hyperspy_symmetry.scale_free`) and the lattice-parameter readout ``a, b, gamma`` with
the distance to each ideal Bravais class.

How
---
1. Power spectrum of the mean-subtracted image times a 2D Hann window, zero-padded twice
   (``pad``), so that a Bragg peak spans several frequency bins.
2. Its local maxima, away from the zero frequency (``2.5`` unpadded bins), each divided by
   the median power of its ring of ``|k|`` (the background: noise, column shape, slow
   contrast changes). Peaks whose ratio passes ``min_strength`` and that reach
   ``min_relative`` of the strongest peak are Bragg peaks. White noise gives ratios of about
   ``log(number of bins) / log 2`` (below 25 for a 1024 px image), lattices 10^3 to 10^6.
3. The reciprocal basis: the shortest Bragg peak and the shortest one not parallel to it
   (at least 20 degrees apart), among those with at least ``BASIS_RELATIVE`` of the
   strongest peak's power (weak peaks may be aliases), Lagrange-Gauss reduced. Every Bragg
   peak within 0.15 of an
   integer combination of them is indexed, and the basis is refined by a least-squares fit
   of all indexed peaks (higher orders pin the lattice parameters to a fraction of a
   percent); twice more with peaks within 0.05, which leaves out peaks aliased from
   beyond the Nyquist frequency.
4. The real-space basis is the inverse transpose of the reciprocal one, reduced again.

An image without two non-collinear Bragg peaks raises ``ValueError``; :func:`frame_periods`
turns that into NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft

from .lattice import _hann_weighted, _log_parabola_offsets
from .simulate.bravais import class_distances, lattice_class, reduce_basis

__all__ = [
    "FFTLattice",
    "MIN_STRENGTH",
    "distortion",
    "fft_lattice",
    "frame_periods",
    "lattice_readout",
    "max_lattice_frequency",
    "plausible_spacings",
    "window_lattices",
]

#: Smallest peak-to-ring-median power ratio of a Bragg peak (white noise stays below ~25).
MIN_STRENGTH = 60.0
#: Smallest power of a Bragg peak relative to the strongest one.
MIN_RELATIVE = 0.02
#: Smallest relative power of the two peaks that set the first reciprocal basis.
BASIS_RELATIVE = 0.1
#: Longest cell, in units of its width, that :func:`plausible_spacings` takes for a lattice.
MAX_ASPECT = 4.0
#: Finest spacing (Å) of a Bragg peak taken for a lattice in a calibrated image: the
#: first-order fringes of crystals lie at 1.2 Å and coarser (graphene's 11-20, 1.23 Å, is
#: among the finest), so finer peaks are higher orders or not the specimen's.
MIN_SPACING_ANGSTROM = 1.0
#: Highest frequency (cycles/px) of the peaks :func:`plausible_spacings` searches when all
#: peaks give no plausible lattice: the first-order peaks of a hexagonal lattice of 3.5 px,
#: the finest of any class at that period.
MAX_SCALE_FREQUENCY = 1.0 / (3.5 * math.sin(math.radians(60.0)))


@dataclass(frozen=True)
class FFTLattice:
    """A lattice measured from the Bragg peaks of an image; lengths in pixels, ``(x, y)``.

    Attributes
    ----------
    vectors
        ``(2, 2)`` reduced real-space basis (rows ``a``, ``b``): ``|a| <= |b|``,
        ``0 <= a.b <= |a|^2 / 2``.
    a, b
        ``|a|`` (the lattice period, the shortest lattice vector) and ``|b|``, px.
    gamma
        Angle between ``a`` and ``b``, degrees, in [60, 90].
    reciprocal
        ``(2, 2)`` reciprocal basis (rows, cycles/px) dual to ``vectors``.
    strength
        Peak-to-background power ratio of the weaker of the two basis peaks.
    n_peaks
        Number of indexed Bragg peaks used in the fit (both halves of the spectrum).
    """

    vectors: np.ndarray
    a: float
    b: float
    gamma: float
    reciprocal: np.ndarray
    strength: float
    n_peaks: int

    def class_distances(self) -> dict[str, float]:
        """Distance to each ideal Bravais class (:func:`.simulate.bravais.class_distances`)."""
        return class_distances(self.vectors)

    def lattice_class(self, rtol: float | None = None) -> str:
        """Bravais class of the measured lattice (:func:`.simulate.bravais.lattice_class`)."""
        return (
            lattice_class(self.vectors) if rtol is None else lattice_class(self.vectors, rtol=rtol)
        )


def _power_spectrum(image: np.ndarray, pad: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shifted power spectrum of the Hann-windowed image, and its frequencies ``fy, fx``."""
    h, w = image.shape
    # Single precision: peak positions need far less than its 1e-7 relative accuracy.
    x = _hann_weighted(image).astype(np.float32)
    nh, nw = scipy.fft.next_fast_len(pad * h), scipy.fft.next_fast_len(pad * w)
    f = scipy.fft.fft2(x, s=(nh, nw))
    power = scipy.fft.fftshift(f.real**2 + f.imag**2)
    fy = scipy.fft.fftshift(scipy.fft.fftfreq(nh)).astype(np.float32)
    fx = scipy.fft.fftshift(scipy.fft.fftfreq(nw)).astype(np.float32)
    return power, fy, fx


def _ring_background(
    power: np.ndarray, k: np.ndarray, step: float, every: int, origin: tuple[int, int] = (0, 0)
) -> np.ndarray:
    """Median power of the ring of ``|k|`` (width ``step``) of every bin.

    The medians are taken over every ``every``-th bin along each axis (the padded spectrum
    is smooth on that scale), which keeps this cheap for large images. ``origin``: the
    index in the whole spectrum of ``power[0, 0]`` when ``power`` is a part of it; the same
    bins are taken as from the whole.
    """
    ring = np.minimum((k * np.float32(1.0 / step)).astype(np.int32), int(0.75 / step))
    r0, c0 = ((-o) % every for o in origin)
    sub_ring = ring[r0::every, c0::every].ravel()
    sub_power = np.ascontiguousarray(power[r0::every, c0::every], dtype=np.float32).ravel()
    # One sort by (ring, power) puts each ring's powers in order: the bit patterns of
    # non-negative float32 values sort as the values do.
    key = np.sort((sub_ring.astype(np.int64) << 32) | sub_power.view(np.int32))
    sub_ring = (key >> 32).astype(np.int32)
    sub_power = (key & 0xFFFFFFFF).astype(np.uint32).view(np.float32)
    starts = np.flatnonzero(np.r_[True, np.diff(sub_ring) > 0])
    counts = np.diff(np.r_[starts, len(sub_ring)])
    # The median as numpy.median takes it: the middle value, or the mean of the middle two.
    lower = sub_power[starts + (counts - 1) // 2]
    upper = sub_power[starts + counts // 2]
    medians = np.full(int(ring.max()) + 1, np.nan)
    medians[sub_ring[starts]] = (lower + upper) / np.float32(2)
    # Rings missed by the subsample (the innermost) take their outer neighbour's median.
    known = np.flatnonzero(np.isfinite(medians))
    medians = medians[
        known[np.minimum(np.searchsorted(known, np.arange(len(medians))), len(known) - 1)]
    ]
    return medians[ring]


def _bragg_peaks(
    image: np.ndarray,
    pad: int,
    min_strength: float,
    min_relative: float,
    max_frequency: float | None = None,
):
    """``k`` (``(n, 2)`` cycles/px, ``(kx, ky)``), strength and power relative to the strongest
    of the Bragg peaks (none above ``max_frequency``, cycles/px), strongest first."""
    h, w = image.shape
    step = 1.0 / min(h, w)
    d = max(pad, 1)
    power, fy, fx = _power_spectrum(image, pad)
    dfy, dfx = fy[1] - fy[0], fx[1] - fx[0]
    origin = (0, 0)
    if max_frequency is not None:
        # Only the frequencies up to max_frequency (and the rings and neighbours the peaks
        # there are judged by) matter: the same peaks from a fraction of the spectrum.
        reach = max_frequency + step
        rows = np.flatnonzero(np.abs(fy) <= reach)
        cols = np.flatnonzero(np.abs(fx) <= reach)
        r0, r1 = max(rows[0] - d - 1, 0), min(rows[-1] + d + 2, len(fy))
        c0, c1 = max(cols[0] - d - 1, 0), min(cols[-1] + d + 2, len(fx))
        power, fy, fx, origin = power[r0:r1, c0:c1], fy[r0:r1], fx[c0:c1], (r0, c0)
    kx, ky = np.meshgrid(fx, fy)
    k = np.hypot(kx, ky)
    peaks = k > 2.5 / min(h, w)
    if max_frequency is not None:
        peaks &= k <= max_frequency
    peaks[:1], peaks[-1:], peaks[:, :1], peaks[:, -1:] = False, False, False, False
    background = _ring_background(power, k, step, pad, origin)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(background > 0, power / background, 0.0)
    peaks &= ratio >= min_strength
    i, j = np.nonzero(peaks)
    # Local maxima of the (wrapped) spectrum: only these few candidates are compared with
    # their neighbours, as maximum_filter(power, size=2 * d + 1, mode="wrap") would.
    offsets = np.arange(-d, d + 1)
    ni = (i[:, None, None] + offsets[None, :, None]) % power.shape[0]
    nj = (j[:, None, None] + offsets[None, None, :]) % power.shape[1]
    window = power[ni, nj].reshape(len(i), (2 * d + 1) ** 2)
    local_max = power[i, j] >= window.max(axis=1, initial=-np.inf)
    i, j = i[local_max], j[local_max]
    if len(i) == 0:
        return np.empty((0, 2)), np.empty(0), np.empty(0)
    keep = power[i, j] >= min_relative * power[i, j].max()
    i, j = i[keep], j[keep]
    di, dj = _log_parabola_offsets(power, i, j)
    vectors = np.stack([fx[j] + dj * dfx, fy[i] + di * dfy], axis=1).astype(float)
    strength = ratio[i, j].astype(float)
    relative = power[i, j].astype(float) / float(power[i, j].max())
    order = np.argsort(-relative, kind="stable")
    return vectors[order], strength[order], relative[order]


def fft_lattice(
    image,
    *,
    pad: int = 2,
    min_strength: float = MIN_STRENGTH,
    min_relative: float = MIN_RELATIVE,
    max_frequency: float | None = None,
) -> FFTLattice:
    """Measure the lattice of an image from the Bragg peaks of its power spectrum.

    Parameters
    ----------
    image
        2D real array (a whole image or one window), at least 16 px a side.
    pad
        Zero-padding factor of the FFT.
    min_strength
        Smallest peak-to-ring-median power ratio of a Bragg peak.
    min_relative
        Smallest power of a Bragg peak relative to the strongest one.
    max_frequency
        Highest spatial frequency (cycles/px) of a Bragg peak; ``None``: up to Nyquist.
        E.g. 0.25 leaves out periods below 4 px (scan noise near the Nyquist limit).

    Returns
    -------
    FFTLattice
        Reduced real-space basis, ``a``, ``b``, ``gamma`` and the reciprocal basis.

    Raises
    ------
    ValueError
        If no two non-collinear Bragg peaks are found (no lattice, or too disordered).

    Examples
    --------
    >>> from hyperspy_symmetry.simulate.bravais import bravais_array
    >>> img, _ = bravais_array("hexagonal", 256, 0, a=12.0, displacement=0.0)
    >>> lat = fft_lattice(img)
    >>> round(lat.a, 1), round(lat.gamma), lat.lattice_class()
    (12.0, 60, 'hexagonal')
    """
    data = _checked_image(image)
    return _lattice_from_peaks(*_bragg_peaks(data, pad, min_strength, min_relative, max_frequency))


def _checked_image(image) -> np.ndarray:
    data = np.asarray(image, dtype=float)
    if data.ndim != 2 or min(data.shape) < 16:
        raise ValueError(f"Expected a 2D image of at least 16 x 16 px, got shape {data.shape}.")
    if not np.all(np.isfinite(data)):
        raise ValueError("The image holds NaN or infinite values.")
    return data


def _lattice_from_peaks(
    peaks: np.ndarray, strength: np.ndarray, relative: np.ndarray
) -> FFTLattice:
    """The reduced lattice of Bragg peaks as :func:`_bragg_peaks` gives them (step 3)."""
    if len(peaks) < 2:
        raise ValueError("No lattice found: fewer than two Bragg peaks in the power spectrum.")
    lengths = np.hypot(peaks[:, 0], peaks[:, 1])
    # The basis from strong peaks only: weak ones may be aliases of harmonics beyond Nyquist.
    strong = np.flatnonzero(relative >= BASIS_RELATIVE)
    order = strong[np.argsort(lengths[strong], kind="stable")]
    g1 = peaks[order[0]]
    sines = np.abs(g1[0] * peaks[:, 1] - g1[1] * peaks[:, 0]) / (lengths * lengths[order[0]])
    others = [o for o in order if sines[o] > math.sin(math.radians(20))]
    if not others:  # the second direction may be weak
        others = [
            o for o in np.argsort(lengths, kind="stable") if sines[o] > math.sin(math.radians(20))
        ]
    if not others:
        raise ValueError("No lattice found: the Bragg peaks of the spectrum are all collinear.")
    reciprocal = np.array(reduce_basis(g1, peaks[others[0]]))
    # Index every peak, refine the basis on all of them; then again, closer, so that peaks
    # aliased from beyond the Nyquist frequency drop out.
    for tolerance in (0.15, 0.05, 0.05):
        indices = peaks @ np.linalg.inv(reciprocal)
        near = np.all(np.abs(indices - np.rint(indices)) < tolerance, axis=1)
        n = np.rint(indices[near])
        if np.linalg.matrix_rank(n) < 2:
            break
        reciprocal, *_ = np.linalg.lstsq(n, peaks[near], rcond=None)
    reciprocal = np.array(reduce_basis(reciprocal))
    vectors = np.array(reduce_basis(np.linalg.inv(reciprocal).T))
    a, b = float(np.hypot(*vectors[0])), float(np.hypot(*vectors[1]))
    gamma = math.degrees(math.acos(np.clip(vectors[0] @ vectors[1] / (a * b), -1.0, 1.0)))
    basis_strength = min(
        float(strength[np.argmin(np.hypot(*(peaks - s * g).T))])
        for g in reciprocal
        for s in (1, -1)
    )
    return FFTLattice(
        vectors=vectors,
        a=a,
        b=b,
        gamma=gamma,
        reciprocal=np.linalg.inv(vectors).T,
        strength=basis_strength,
        n_peaks=int(near.sum()),
    )


def plausible_spacings(
    image, *, pad: int = 2, max_frequency: float | None = None, fringes: bool = True
) -> tuple[float, float, float]:
    """``(a, b, gamma)`` of an image's lattice, checked for plausibility; or the spacing of
    its strongest fringes when it has no plausible 2D lattice.

    Real images carry peaks that are not the lattice's: electronic interference during the
    scan puts sharp peaks anywhere in the spectrum (on the real Au image of the test tier at
    2.5 and 3.2 px, against the Au fringes at 28 px), and a few small particles may show one
    set of fringes only, which :func:`fft_lattice` then pairs with such a peak. So:

    1. the lattice is searched among all peaks, as :func:`fft_lattice` does;
    2. a cell longer than :data:`MAX_ASPECT` times its width, or collinear peaks, are not
       plausible: they pair fringes with an unrelated peak. The lattice is then searched
       again among the peaks up to :data:`MAX_SCALE_FREQUENCY` (lattices of 3.5 px and
       coarser, of any Bravais class), leaving out interference near the Nyquist limit;
    3. failing that too, the result is the spacing of the strongest peak's fringes (of the
       second search), ``(d, nan, nan)``: the scale of the lattice that gave them; with
       ``fringes=False``, ``(nan, nan, nan)``.

    A plausible lattice is taken as the first search finds it, at any period: the second
    search alone would take aliases of the harmonics of lattices finer than 3.5 px (folded
    back from beyond the Nyquist limit) for the lattice, and interference stronger than a
    lattice of a few px may still pair with it plausibly. ``max_frequency`` (cycles/px)
    limits both searches, e.g. to the spacings a specimen can have in a calibrated image
    (:func:`max_lattice_frequency`): two interference peaks may well form a plausible cell.

    ``(nan, nan, nan)`` when the spectrum has no Bragg peak.

    Examples
    --------
    >>> from hyperspy_symmetry.simulate.bravais import bravais_array
    >>> img, _ = bravais_array("hexagonal", 256, 0, a=25.0, displacement=0.0)
    >>> y, x = np.mgrid[:256, :256]
    >>> hum = 2.0 * np.cos(2 * np.pi * (0.3 * x - 0.27 * y))  # scan interference, 2.5 px
    >>> round(fft_lattice(img + hum).a, 1)
    2.7
    >>> [round(v, 1) for v in plausible_spacings(img + hum)]
    [25.0, 25.0, 60.0]
    """
    data = _checked_image(image)
    peaks, strength, relative = _bragg_peaks(data, pad, MIN_STRENGTH, MIN_RELATIVE, max_frequency)
    if len(peaks) == 0:
        return math.nan, math.nan, math.nan
    low = np.flatnonzero(np.hypot(peaks[:, 0], peaks[:, 1]) <= MAX_SCALE_FREQUENCY)
    searches = [np.arange(len(peaks))] + ([low] if 0 < len(low) < len(peaks) else [])
    for keep in searches:
        try:
            lattice = _lattice_from_peaks(
                peaks[keep], strength[keep], relative[keep] / relative[keep].max()
            )
        except ValueError:
            continue
        if lattice.b <= MAX_ASPECT * lattice.a:
            return lattice.a, lattice.b, lattice.gamma
    if not fringes:
        return math.nan, math.nan, math.nan
    strongest = peaks[searches[-1][0]]  # of the last search
    return 1.0 / float(np.hypot(*strongest)), math.nan, math.nan


def max_lattice_frequency(pixel_size_angstrom: float | None) -> float | None:
    """Highest frequency (cycles/px) of a specimen's Bragg peak in an image of that pixel
    size (Å), from :data:`MIN_SPACING_ANGSTROM`; ``None`` (no limit) for an uncalibrated
    image or one whose Nyquist limit is coarser than that.

    Examples
    --------
    >>> round(max_lattice_frequency(0.075), 3), max_lattice_frequency(None)
    (0.075, None)
    """
    if pixel_size_angstrom is None or not pixel_size_angstrom > 0:
        return None
    limit = float(pixel_size_angstrom) / MIN_SPACING_ANGSTROM
    return limit if limit < math.sqrt(0.5) else None  # beyond the corners: no limit


def frame_periods(images: np.ndarray, *, plausible: bool = False, **kwargs) -> np.ndarray:
    """``(a, b, gamma)`` of :func:`fft_lattice` for every image of a stack; NaN where none.

    Parameters
    ----------
    images
        Real array ``(..., H, W)``.
    plausible
        Measure with :func:`plausible_spacings` instead (as scale-free windows and the
        lattice readout do): ``b`` and ``gamma`` are NaN where only fringes were measured.
    **kwargs
        Passed to :func:`fft_lattice` (or :func:`plausible_spacings`).

    Returns
    -------
    numpy.ndarray
        float64 ``(..., 3)``: the period ``a`` and the second spacing ``b`` (px), and the
        angle ``gamma`` between them (degrees).

    Examples
    --------
    >>> from hyperspy_symmetry.simulate.bravais import bravais_array
    >>> img, _ = bravais_array("square", 128, 0, a=10.0, displacement=0.0)
    >>> frame_periods(np.stack([img, np.zeros_like(img)])).round(1).tolist()
    [[10.0, 10.0, 90.0], [nan, nan, nan]]
    """
    images = np.asarray(images)
    flat = images.reshape((-1,) + images.shape[-2:])
    out = np.full((len(flat), 3), np.nan)
    for n, frame in enumerate(flat):
        if plausible:
            out[n] = plausible_spacings(frame, **kwargs)
            continue
        try:
            lat = fft_lattice(frame, **kwargs)
        except ValueError:
            continue
        out[n] = lat.a, lat.b, lat.gamma
    return out.reshape(images.shape[:-2] + (3,))


#: Reduced unit cells of the two lattices without free cell parameters.
_IDEAL_CELLS = {
    "square": np.array([[1.0, 0.0], [0.0, 1.0]]),
    "hexagonal": np.array([[1.0, 0.0], [0.5, math.sqrt(3) / 2]]),
}


def distortion(vectors, ideal: str = "hexagonal") -> float:
    """Uniaxial distortion of a lattice from the ideal ``square`` or ``hexagonal`` one.

    The affine map that takes the ideal reduced cell (same orientation of ``a``) onto the
    measured reduced cell ``vectors`` has singular values ``s1 >= s2``; the distortion is
    ``s1 / s2 - 1``: 0.04 for a hexagonal lattice stretched by 4 % along any direction
    (drift during a scan), whatever its rotation.

    Examples
    --------
    >>> hexagonal = np.array([[10.0, 0.0], [5.0, 10 * 3**0.5 / 2]])
    >>> round(distortion(hexagonal * [1.04, 1.0]), 4)
    0.04
    """
    measured = np.array(reduce_basis(np.asarray(vectors, dtype=float)))
    candidates = []
    for b in (measured[1], measured[1] - measured[0]):  # both cells of angle 60-120 at a
        for sign in (1, -1):
            cell = np.array([measured[0], sign * b])
            transform = np.linalg.solve(_IDEAL_CELLS[ideal], cell)  # ideal @ T = cell
            s = np.linalg.svd(transform, compute_uv=False)
            candidates.append(s[0] / s[1] - 1.0)
    return float(min(candidates))


def lattice_readout(
    a: float, b: float, gamma: float, pixel_size: float = 1.0, units: str = "px"
) -> dict:
    """The lattice parameters in calibrated units, and how far they are from each class.

    Parameters
    ----------
    a, b, gamma
        Reduced spacings (px) and angle (degrees), as :func:`frame_periods` gives them.
    pixel_size, units
        Calibration of the image.

    Returns
    -------
    dict
        ``a``, ``b`` (in ``units``), ``gamma`` (degrees), ``units``, ``class_distances``
        (:func:`hyperspy_symmetry.simulate.bravais.class_distances`), ``closest_class``
        and the uniaxial ``distortion`` from the ideal hexagonal and square lattices.

    Examples
    --------
    >>> r = lattice_readout(10.0, 10.2, 61.0, 0.1, "Å")
    >>> round(r["a"], 3), r["closest_class"], round(r["distortion"]["hexagonal"], 3)
    (1.0, 'hexagonal', 0.031)
    """
    g = math.radians(gamma)
    vectors = np.array([[a, 0.0], [b * math.cos(g), b * math.sin(g)]])
    distances = class_distances(vectors)
    return {
        "a": float(a * pixel_size),
        "b": float(b * pixel_size),
        "gamma": float(gamma),
        "units": units,
        "class_distances": {k: round(float(v), 5) for k, v in distances.items()},
        "closest_class": lattice_class(vectors),
        "distortion": {name: round(distortion(vectors, name), 5) for name in _IDEAL_CELLS},
    }


def window_lattices(images: np.ndarray, window: int, stride: int, **kwargs) -> np.ndarray:
    """``(a, b, gamma)`` of every window of a stack of images, from its Bragg peaks.

    :func:`plausible_spacings` without the fringes fallback: NaN for windows without a
    plausible lattice. ``kwargs`` go to it (``max_frequency``).

    Returns
    -------
    numpy.ndarray
        float32 ``(..., 3, gy, gx)``, NaN for windows without a lattice.

    Examples
    --------
    >>> from hyperspy_symmetry.simulate.bravais import bravais_array
    >>> img, _ = bravais_array("square", 160, 0, a=8.0, displacement=0.0)
    >>> window_lattices(img, 128, 32)[0].round(1).tolist()
    [[8.0, 8.0], [8.0, 8.0]]
    """
    from .windows import sliding_windows

    views = sliding_windows(np.asarray(images), window, stride)
    out = frame_periods(views, plausible=True, fringes=False, **kwargs).astype(np.float32)
    return np.moveaxis(out, -1, -3)
