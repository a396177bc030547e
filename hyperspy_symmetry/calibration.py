"""Calibration check for models trained at a fixed pixel size (``aistem``).

Pure NumPy. The ``aistem`` classes differ by lattice parameter as well as by symmetry (Cu fcc
a = 3.63 Å, Fe bcc a = 2.87 Å, Ti hcp a = 2.95 Å, c/a = 1.587), and the model sees every
window as its 12 Å field of view. An image whose pixel size is wrong (nm read as Å, a wrong
scale) or whose material is none of the classes shows lattice spacings that no class has;
the model then classifies it anyway. :func:`check_calibration` measures the spacings of one
image and compares them with those of every class.

Expected spacings (:func:`zone_spacings`)
    From the crystallography, not from images: the reflections ``g = h b1 + k b2 + l b3``
    of the conventional cell (the cells of :func:`.simulate.crystals.bulk_atoms`) that lie
    in the zero-order Laue zone of the class's zone axis (``g . [uvw] = 0``) and whose
    structure factor is not zero (fcc: h, k, l all even or all odd; bcc: h + k + l even;
    hcp: l odd with h - k = 3n extinct) make a 2D reciprocal lattice: the Fourier
    components of the projected structure, hence of an incoherent HAADF image. The two
    shortest non-parallel ones (its reduced basis) are the zone's lowest-order visible
    reflections; their d-spacings ``d1 >= d2`` (and the angle between them) are what the
    Bragg peaks of an image of the class give. E.g. Cu [110]: 111 and -1-11 (002 is their
    sum), 2.096 Å twice at 70.5°; Ti [0001]: 10-10 and 01-10, 2.555 Å at 60°.

Measured spacings (:func:`measure_spacings`)
    :func:`.fft_lattice.fft_lattice` on the central ``crop`` x ``crop`` px (512 by default)
    of one image: the reduced reciprocal basis of its Bragg peaks, d-spacings in px.

The check
    Spacings in Å are the px spacings times the pixel size the model sees (the trained
    field of view over the window in px: the image's pixel size for a window given as a
    length, the default). For each class, the mismatch is the larger relative difference of
    ``d1`` and ``d2`` from the class's; the image's mismatch is that of the nearest class.
    Above ``tolerance`` (15 %) the check fails and names the likely cause: the spacings
    match a class at 10x or 1/10x the pixel size (nm read as Å, or Å as nm), else a wrong
    scale or a material outside the classes (both give the same spacings; the scale factor
    that would make it the nearest class is given).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cache

import numpy as np

from .simulate.bravais import reduce_basis
from .simulate.crystals import AISTEM_CLASSES, CrystalClass

__all__ = [
    "CalibrationWarning",
    "CalibrationCheck",
    "TOLERANCE",
    "CROP",
    "FALLBACK_CROP",
    "MIN_PERIOD",
    "zone_spacings",
    "class_spacings",
    "measure_spacings",
    "compare_spacings",
    "check_calibration",
]

#: Largest relative mismatch of the spacings from the nearest class that passes.
TOLERANCE = 0.15
#: Side (px) of the central crop of the image that is measured first, and the larger one
#: measured when the first holds no lattice (e.g. amorphous support at the centre).
CROP = 512
FALLBACK_CROP = 1024
#: Shortest period (px) taken for a lattice: shorter ones are scan noise or pick-up near the
#: Nyquist limit (the real Au image has such peaks at 2.5 and 3.2 px), not atoms. A
#: mislabelled image keeps its lattice's periods in px, so this does not depend on the scale.
MIN_PERIOD = 4.0
#: Zero-padding factor of the FFT that finds the spacings. The check needs them to a few
#: percent; on the images of ``benchmarks/bench_calibration.py`` padding twice
#: (:func:`~hyperspy_symmetry.fft_lattice.fft_lattice`'s default) moved them by at most
#: 0.04 % (simulated classes) and 0.4 % (real images), with the same outcome on every
#: image, and took 2-4x the time.
PAD = 1


class CalibrationWarning(UserWarning):
    """An image's lattice spacings match none of the model's classes at its pixel size."""


def _cell_and_basis(crystal: CrystalClass) -> tuple[np.ndarray, np.ndarray]:
    """Cell (rows, Å) and fractional atom positions of the class's conventional cell: the
    same cells as ASE's ``bulk(..., cubic=True)`` (fcc, bcc) and ``bulk(..., "hcp")``."""
    a = crystal.a
    if crystal.structure == "fcc":
        frac = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]
        return a * np.eye(3), np.array(frac, dtype=float)
    if crystal.structure == "bcc":
        return a * np.eye(3), np.array([[0, 0, 0], [0.5, 0.5, 0.5]])
    if crystal.structure == "hcp":
        c = a * crystal.c_over_a
        cell = np.array([[a, 0.0, 0.0], [-a / 2, a * math.sqrt(3) / 2, 0.0], [0.0, 0.0, c]])
        return cell, np.array([[0, 0, 0], [1 / 3, 2 / 3, 0.5]])
    raise ValueError(f"No cell for structure {crystal.structure!r}.")


def _zone_indices(zone_axis: tuple[int, ...]) -> np.ndarray:
    """Zone axis in cell-vector indices (4 Miller-Bravais indices ``[u v t w]`` become
    ``[u - t, v - t, w]``, as in :mod:`.simulate.crystals`)."""
    zone = np.asarray(zone_axis, dtype=float)
    if zone.shape == (4,):
        u, v, t, w = zone
        zone = np.array([u - t, v - t, w])
    return zone


def zone_spacings(crystal: CrystalClass, max_index: int = 4) -> tuple[float, float, float]:
    """d-spacings of the two lowest-order visible reflections of a zone axis.

    Parameters
    ----------
    crystal
        A class (element, structure, lattice parameters, zone axis).
    max_index
        Largest ``|h|, |k|, |l|`` searched.

    Returns
    -------
    d1, d2, angle : float
        ``d1 >= d2`` (Å), the d-spacings of the reduced basis of the zone's visible
        reflections, and the angle between the two reflections (degrees, 60-90).

    Examples
    --------
    >>> from hyperspy_symmetry.simulate.crystals import AISTEM_CLASSES
    >>> [round(x, 3) for x in zone_spacings(AISTEM_CLASSES["FCC_Cu_110"])]
    [2.096, 2.096, 70.529]
    >>> [round(x, 3) for x in zone_spacings(AISTEM_CLASSES["HCP_Ti_0001"])]
    [2.555, 2.555, 60.0]
    """
    cell, frac = _cell_and_basis(crystal)
    recip = np.linalg.inv(cell).T  # rows: b1, b2, b3 (cycles/Å)
    zone = _zone_indices(crystal.zone_axis) @ cell  # Cartesian direction
    r = np.arange(-max_index, max_index + 1)
    hkl = np.stack(np.meshgrid(r, r, r, indexing="ij"), axis=-1).reshape(-1, 3)
    hkl = hkl[np.any(hkl != 0, axis=1)]
    g = hkl @ recip
    in_zone = np.abs(g @ zone) < 1e-9 * np.linalg.norm(zone)
    structure = np.exp(2j * np.pi * hkl @ frac.T).sum(axis=1)
    g = g[in_zone & (np.abs(structure) > 1e-6)]
    # Plane coordinates (x, y) perpendicular to the zone axis.
    z = zone / np.linalg.norm(zone)
    x = np.cross(z, [1.0, 0.0, 0.0] if abs(z[0]) < 0.9 else [0.0, 1.0, 0.0])
    x /= np.linalg.norm(x)
    plane = np.stack([g @ x, g @ np.cross(z, x)], axis=1)
    lengths = np.hypot(*plane.T)
    order = np.argsort(lengths, kind="stable")
    g1 = plane[order[0]]
    sines = np.abs(g1[0] * plane[:, 1] - g1[1] * plane[:, 0]) / (lengths * lengths[order[0]])
    g2 = plane[next(i for i in order if sines[i] > 1e-6)]
    return _spacings(np.array(reduce_basis(g1, g2)))


def _spacings(reciprocal: np.ndarray) -> tuple[float, float, float]:
    """``d1 >= d2`` and the acute angle (degrees) of a reduced 2D reciprocal basis."""
    g1, g2 = reciprocal
    n1, n2 = float(np.hypot(*g1)), float(np.hypot(*g2))
    angle = math.degrees(math.acos(min(1.0, abs(float(g1 @ g2)) / (n1 * n2))))
    return 1.0 / n1, 1.0 / n2, angle


@cache
def _class_spacings(names: tuple[str, ...]) -> dict[str, tuple[float, float, float]]:
    return {name: zone_spacings(AISTEM_CLASSES[name]) for name in names}


def class_spacings(names) -> dict[str, tuple[float, float, float]] | None:
    """:func:`zone_spacings` of each class, or ``None`` if a class is no known crystal.

    Examples
    --------
    >>> d = class_spacings(["BCC_Fe_100", "HCP_Ti_10m10"])
    >>> {k: [round(x, 3) for x in v] for k, v in d.items()}
    {'BCC_Fe_100': [2.029, 2.029, 90.0], 'HCP_Ti_10m10': [2.341, 1.475, 90.0]}
    >>> class_spacings(["square", "hexagonal"]) is None
    True
    """
    names = tuple(names)
    if not names or any(n not in AISTEM_CLASSES for n in names):
        return None
    return dict(_class_spacings(names))


def measure_spacings(image, crop: int = CROP) -> tuple[float, float, float] | None:
    """d-spacings ``d1 >= d2`` (px) and angle of the Bragg peaks of an image's centre.

    Peaks of periods below :data:`MIN_PERIOD` px are left out.

    Parameters
    ----------
    image
        2D array.
    crop
        Side of the central square measured (the whole image if smaller).

    Returns
    -------
    tuple or None
        ``(d1, d2, angle)`` as in :func:`zone_spacings`, px; ``None`` without a lattice.

    Examples
    --------
    >>> from hyperspy_symmetry.simulate.bravais import bravais_array
    >>> img, _ = bravais_array("square", 256, 0, a=10.0, displacement=0.0)
    >>> [round(x, 2) for x in measure_spacings(img)]
    [10.0, 10.0, 90.0]
    """
    from .fft_lattice import fft_lattice
    from .windows import central_crop

    image = np.asarray(image)
    size = min(crop, *image.shape[-2:])
    try:
        lattice = fft_lattice(central_crop(image, size), pad=PAD, max_frequency=1.0 / MIN_PERIOD)
    except ValueError:
        return None
    return _spacings(np.array(reduce_basis(lattice.reciprocal)))


def compare_spacings(
    measured: tuple[float, float],
    classes: dict[str, tuple[float, float, float]],
    angle: float | None = None,
) -> tuple[str, float]:
    """The nearest class to measured spacings ``(d1, d2)`` (Å) and its relative mismatch.

    The mismatch of a class is ``max(|d1 / d1c - 1|, |d2 / d2c - 1|)``. Classes with the
    same spacings (Fe [100] and [111]) are told apart by the angle, when it is given.

    Examples
    --------
    >>> classes = {"A": (2.1, 2.1, 90.0), "B": (3.0, 1.0, 90.0)}
    >>> name, mismatch = compare_spacings((2.0, 2.0), classes)
    >>> name, round(mismatch, 4)
    ('A', 0.0476)
    """
    d1, d2 = measured
    best, key, mismatch = "", (math.inf, math.inf), math.inf
    for name, (c1, c2, ca) in classes.items():
        m = max(abs(d1 / c1 - 1.0), abs(d2 / c2 - 1.0))
        k = (round(m, 2), 0.0 if angle is None else abs(angle - ca))
        if k < key:
            best, key, mismatch = name, k, m
    return best, mismatch


@dataclass(frozen=True)
class CalibrationCheck:
    """The result of :func:`check_calibration`.

    Attributes
    ----------
    ok
        ``True`` if the spacings match a class within ``tolerance``, ``False`` if not,
        ``None`` if no lattice was found (nothing checked).
    pixel_size
        Å per px at which the spacings were compared (what the model sees).
    measured
        ``(d1, d2)`` measured, Å (``None`` without a lattice); ``angle`` between them.
    nearest_class, class_spacings, mismatch
        The nearest class, its ``(d1, d2)`` (Å) and the relative mismatch.
    cause
        ``"nm read as Å"``, ``"Å read as nm"``, ``"scale or material"`` or ``""``.
    scale_factor
        The factor by which the pixel size would have to change for the spacings to be
        those of the nearest class.
    region, seconds
        What was measured, and how long it took (s).
    """

    ok: bool | None
    pixel_size: float
    measured: tuple[float, float] | None
    angle: float | None
    nearest_class: str | None
    class_spacings: tuple[float, float] | None
    mismatch: float | None
    cause: str
    scale_factor: float | None
    tolerance: float
    region: str
    seconds: float

    @classmethod
    def unchecked(
        cls, pixel_size: float, why: str, tolerance: float = TOLERANCE, seconds: float = 0.0
    ) -> CalibrationCheck:
        """A check that could not be made (``ok=None``); ``why`` goes into ``region``."""
        return cls(
            ok=None,
            pixel_size=pixel_size,
            measured=None,
            angle=None,
            nearest_class=None,
            class_spacings=None,
            mismatch=None,
            cause="",
            scale_factor=None,
            tolerance=tolerance,
            region=why,
            seconds=seconds,
        )

    def metadata(self) -> dict:
        """``metadata.Symmetry.calibration``: plain numbers and strings."""

        def rounded(values):
            return None if values is None else [round(float(v), 4) for v in values]

        return {
            "ok": self.ok,
            "pixel_size": f"{self.pixel_size:.6g} Å",
            "measured_spacings": rounded(self.measured),
            "measured_angle": None if self.angle is None else round(self.angle, 2),
            "nearest_class": self.nearest_class,
            "nearest_class_spacings": rounded(self.class_spacings),
            "relative_mismatch": None if self.mismatch is None else round(self.mismatch, 4),
            "tolerance": self.tolerance,
            "likely_cause": self.cause,
            "region": self.region,
            "seconds": round(self.seconds, 4),
        }

    def message(self, model: str = "aistem") -> str:
        """The warning text: what was measured, against what, and the likely cause."""
        if self.ok is not False:
            return ""
        d1, d2 = self.measured
        c1, c2 = self.class_spacings
        head = (
            f"The lattice spacings of this image, {d1:.3g} and {d2:.3g} Å at "
            f"{self.pixel_size:.4g} Å/px, match none of the {model!r} model's classes: the "
            f"nearest, {self.nearest_class} ({c1:.3g} and {c2:.3g} Å), is "
            f"{self.mismatch:.0%} off (more than {self.tolerance:.0%}), so its results "
            f"are not to be trusted."
        )
        if self.cause == "nm read as Å":
            tail = (
                " Likely cause: a scale in nm read as Å (the spacings are 10x too small; "
                "they match at 10x the pixel size): check the axes' units."
            )
        elif self.cause == "Å read as nm":
            tail = (
                " Likely cause: a scale in Å read as nm (the spacings are 10x too large; "
                "they match at 1/10 of the pixel size): check the axes' units."
            )
        else:
            tail = (
                f" Likely cause: a wrong scale (they would match {self.nearest_class} at "
                f"{self.scale_factor:.3g}x the pixel size: check the axes' scale and units) "
                f"or a material outside the model's classes (Cu fcc, Fe bcc, Ti hcp)."
            )
        return head + tail


def _regions(
    shape: tuple[int, int], crop: int, whole: bool = True
) -> list[tuple[str, tuple[slice, slice]]]:
    """The central ``crop`` square of an image (if ``whole``) and its four quadrants (if
    they hold 128 px)."""
    h, w = shape
    size = min(crop, h, w)
    r0, c0 = (h - size) // 2, (w - size) // 2
    regions = []
    if whole:
        regions.append(
            (f"central {size} x {size} px", (slice(r0, r0 + size), slice(c0, c0 + size)))
        )
    half = size // 2
    if half >= 128:
        for name, dr, dc in (
            ("top left", 0, 0),
            ("top right", 0, half),
            ("bottom left", half, 0),
            ("bottom right", half, half),
        ):
            regions.append(
                (
                    f"{name} {half} px quadrant of the central {size} px",
                    (slice(r0 + dr, r0 + dr + half), slice(c0 + dc, c0 + dc + half)),
                )
            )
    return regions


def check_calibration(
    image,
    pixel_size: float,
    classes: dict[str, tuple[float, float, float]],
    tolerance: float = TOLERANCE,
    crop: int = CROP,
    fallback_crop: int = FALLBACK_CROP,
) -> CalibrationCheck:
    """Do the lattice spacings of an image match one of the model's classes?

    The central ``crop`` px square and then each of its four quadrants are measured
    (:func:`measure_spacings`) until one matches a class: a quadrant more likely holds one
    grain of a polycrystal, whose peaks would otherwise mix into a lattice of no grain. The
    check fails only if no region is within ``tolerance``; the region nearest to a class is
    reported. If no region holds a lattice, the four quadrants of the central
    ``fallback_crop`` square are measured the same way (a larger square would more likely
    mix several particles or grains).

    Parameters
    ----------
    image
        2D array: one image (e.g. the first frame of a stack). A dask array is read only
        where measured: the central ``crop`` square (and ``fallback_crop`` if needed).
    pixel_size
        Å per px at which the model sees the image.
    classes
        Expected spacings per class, from :func:`class_spacings`.
    tolerance
        Largest relative mismatch from the nearest class that passes.
    crop, fallback_crop
        Side (px) of the central square measured; of the larger one measured when the
        first holds no lattice.

    Returns
    -------
    CalibrationCheck

    Examples
    --------
    >>> from hyperspy_symmetry.simulate.bravais import bravais_array
    >>> img, _ = bravais_array("square", 256, 0, a=16.9, displacement=0.0)  # Fe [100]
    >>> spacings = class_spacings(["BCC_Fe_100", "FCC_Cu_100"])
    >>> check_calibration(img, 0.12, spacings).ok
    True
    >>> c = check_calibration(img, 0.012, spacings)  # nm read as Å
    >>> c.ok, c.cause
    (False, 'nm read as Å')
    """
    from .windows import central_crop

    start = time.perf_counter()
    shape = image.shape[-2:]
    found = []  # (region, d1, d2, angle), px
    crops = [crop]
    if fallback_crop > crop and min(shape) > crop:
        crops.append(fallback_crop)
    for level, size in enumerate(crops):
        size = min(size, *shape)
        # Only this square is read (and computed, for a dask array).
        block = np.asarray(central_crop(image, size))
        for region, index in _regions(block.shape, size, whole=level == 0):
            spacings = measure_spacings(block[index], size)
            if spacings is None:
                continue
            found.append((region, *spacings))
            d1, d2, angle = spacings
            if compare_spacings((d1 * pixel_size, d2 * pixel_size), classes)[1] <= tolerance:
                break  # a match: the other regions cannot change the outcome
        if found:
            break
    if not found:
        return CalibrationCheck.unchecked(
            pixel_size,
            f"central {min(crops[-1], *shape)} px: no lattice found, nothing checked",
            tolerance,
            time.perf_counter() - start,
        )

    def match(scale: float, d1: float, d2: float, angle: float) -> tuple[float, str]:
        name, mismatch = compare_spacings((d1 * scale, d2 * scale), classes, angle)
        return mismatch, name

    def best_region(scale: float) -> tuple:
        return min(found, key=lambda f: match(scale, *f[1:])[0])

    chosen = best_region(pixel_size)
    cause = ""
    if match(pixel_size, *chosen[1:])[0] > tolerance:
        cause = "scale or material"
        for factor, label in ((10.0, "nm read as Å"), (0.1, "Å read as nm")):
            candidate = best_region(pixel_size * factor)
            if match(pixel_size * factor, *candidate[1:])[0] <= tolerance:
                # Report the region that matches once rescaled.
                chosen, cause = candidate, label
                break
    region, d1, d2, angle = chosen
    mismatch, name = match(pixel_size, d1, d2, angle)
    measured = (d1 * pixel_size, d2 * pixel_size)
    c1, c2, _ = classes[name]
    # Least-squares factor on log spacings: the geometric mean of the two ratios.
    factor = math.sqrt(c1 / measured[0] * c2 / measured[1])
    return CalibrationCheck(
        ok=bool(mismatch <= tolerance),
        pixel_size=pixel_size,
        measured=measured,
        angle=angle,
        nearest_class=name,
        class_spacings=(c1, c2),
        mismatch=float(mismatch),
        cause=cause,
        scale_factor=factor,
        tolerance=tolerance,
        region=region,
        seconds=time.perf_counter() - start,
    )
