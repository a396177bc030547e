"""HAADF-STEM images of crystals seen along a zone axis, simulated with ASE and abTEM.

The default is the AI-STEM recipe: the Kirkland projected potential of the atoms, sampled
at the image's pixel size, convolved with the intensity of a 300 kV, 24 mrad probe (the
fast "convolution approximation" of HAADF contrast). ``method="multislice"`` runs a full
abTEM multislice scan with an annular detector instead, for validation.

Geometry: the crystal is oriented with the zone axis along the beam (z). With
``rotation=0`` the projection of the first cell vector that is not parallel to the zone
axis points along +x; ``rotation`` turns the crystal about the beam from +x towards +y
(image rows), in degrees. Atoms fill a box a few Å larger than the field of view, so the
image has no periodic wrap-around, and the box is a whole number of repeats of the zone
axis thick, so every atomic column holds the same number of atoms.

abTEM and ASE are imported when a function runs, not when this module is imported.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..checks import check_number
from ._optional import simulation_module

__all__ = [
    "AISTEM_CLASSES",
    "CrystalClass",
    "bulk_atoms",
    "zone_axis_atoms",
    "amorphous_atoms",
    "haadf_array",
    "margin_pixels",
    "crystal_array",
    "crystal_image",
]

#: Margin (Å) of atoms simulated around the field of view: covers the probe tails and the
#: potential's cut-off, so the image edges see the same surroundings as its centre.
MARGIN = 4.0

#: Default thickness (Å) of the simulated slab; rounded up to whole zone-axis repeats.
THICKNESS = 10.0


@dataclass(frozen=True)
class CrystalClass:
    """A structure/orientation class: element, structure, lattice parameters, zone axis.

    ``zone_axis`` has 3 indices (directions in the cell vectors of the ASE bulk cell; the
    conventional cubic cell for ``fcc``/``bcc``) or 4 Miller-Bravais indices ``[u v t w]``
    for ``hcp``.
    """

    name: str
    element: str
    structure: str
    a: float
    zone_axis: tuple[int, ...]
    c_over_a: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _classes() -> dict[str, CrystalClass]:
    table = [
        ("BCC_Fe_100", "Fe", "bcc", 2.87, (1, 0, 0)),
        ("BCC_Fe_110", "Fe", "bcc", 2.87, (1, 1, 0)),
        ("BCC_Fe_111", "Fe", "bcc", 2.87, (1, 1, 1)),
        ("FCC_Cu_100", "Cu", "fcc", 3.63, (1, 0, 0)),
        ("FCC_Cu_110", "Cu", "fcc", 3.63, (1, 1, 0)),
        ("FCC_Cu_111", "Cu", "fcc", 3.63, (1, 1, 1)),
        ("FCC_Cu_211", "Cu", "fcc", 3.63, (2, 1, 1)),
        ("HCP_Ti_0001", "Ti", "hcp", 2.95, (0, 0, 0, 1)),
        ("HCP_Ti_10m10", "Ti", "hcp", 2.95, (1, 0, -1, 0)),
        ("HCP_Ti_2m1m10", "Ti", "hcp", 2.95, (2, -1, -1, 0)),
    ]
    return {
        name: CrystalClass(name, el, st, a, zone, 1.587 if st == "hcp" else None)
        for name, el, st, a, zone in table
    }


#: The 10 ``aistem`` classes, in the model's order (AI-STEM, Leitherer et al. 2023).
AISTEM_CLASSES: dict[str, CrystalClass] = _classes()


def _crystal_class(name: str) -> CrystalClass:
    try:
        return AISTEM_CLASSES[name]
    except KeyError:
        raise ValueError(
            f"Unknown crystal class {name!r}; choose one of {list(AISTEM_CLASSES)} or pass "
            "an ase.Atoms with zone_axis=."
        ) from None


def bulk_atoms(crystal: CrystalClass, a: float | None = None, c_over_a: float | None = None):
    """The ASE bulk cell of a class (conventional cubic cell for fcc and bcc).

    Parameters
    ----------
    crystal
        The class.
    a, c_over_a
        Lattice parameter (Å) and, for hcp, c/a; default: the class's nominal values.

    Examples
    --------
    >>> from hyperspy_symmetry.simulate.crystals import AISTEM_CLASSES, bulk_atoms
    >>> bulk_atoms(AISTEM_CLASSES["FCC_Cu_100"]).cell.lengths()
    array([3.63, 3.63, 3.63])
    """
    bulk = simulation_module("ase.build", "Building crystal cells").bulk

    a = float(crystal.a if a is None else a)
    if a <= 0:
        raise ValueError(f"lattice_parameter must be positive, got {a}.")
    if crystal.structure == "hcp":
        ratio = float(crystal.c_over_a if c_over_a is None else c_over_a)
        return bulk(crystal.element, "hcp", a=a, c=a * ratio)
    return bulk(crystal.element, crystal.structure, a=a, cubic=True)


def _zone_direction(cell: np.ndarray, zone_axis: Sequence[int]) -> np.ndarray:
    """Cartesian direction of a zone axis given in cell indices (3) or Miller-Bravais (4)."""
    zone = np.asarray(zone_axis, dtype=float)
    if zone.shape == (4,):
        u, v, t, w = zone
        if abs(u + v + t) > 1e-9:
            raise ValueError(f"Miller-Bravais zone_axis needs u + v + t = 0, got {zone_axis}.")
        zone = np.array([u - t, v - t, w])
    if zone.shape != (3,) or not np.any(zone):
        raise ValueError(f"zone_axis must be 3 (or 4 Miller-Bravais) indices, got {zone_axis}.")
    return zone @ cell


def _orientation(cell: np.ndarray, direction: np.ndarray, rotation: float) -> np.ndarray:
    """Rotation matrix taking ``direction`` to +z and the first cell vector's projection to
    +x, then turning by ``rotation`` degrees about z, counter-clockwise as displayed.

    Image rows run along +y downwards, so a displayed counter-clockwise turn is a turn
    from +x towards -y.
    """
    z = direction / np.linalg.norm(direction)
    for vector in cell:
        x = vector - (vector @ z) * z
        if np.linalg.norm(x) > 1e-6 * np.linalg.norm(vector):
            break
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    align = np.stack([x, y, z])  # rows: new axes in old coordinates
    c, s = math.cos(math.radians(-rotation)), math.sin(math.radians(-rotation))
    turn = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return turn @ align


def _repeat_length(cell: np.ndarray, zone_axis: Sequence[int]) -> float:
    """Length of the shortest lattice vector along the zone axis that the indices give."""
    zone = np.asarray(zone_axis, dtype=int)
    if zone.shape == (4,):
        u, v, t, w = zone
        zone = np.array([u - t, v - t, w])
    zone = zone // np.gcd.reduce(np.abs(zone))
    return float(np.linalg.norm(zone @ cell))


def zone_axis_atoms(
    bulk,
    zone_axis: Sequence[int],
    extent: tuple[float, float],
    thickness: float = THICKNESS,
    rotation: float = 0.0,
    translation: Sequence[float] = (0.0, 0.0, 0.0),
    displacement: float = 0.0,
    rng: np.random.Generator | None = None,
    tilt: Sequence[float] | None = None,
):
    """Fill a box ``extent[0] x extent[1] x thickness`` Å with the crystal seen along a zone axis.

    Parameters
    ----------
    bulk
        ASE ``Atoms`` of the bulk unit cell (any cell; periodic in 3D).
    zone_axis
        Direction along the beam, in indices of ``bulk``'s cell vectors (or 4 Miller-Bravais
        indices for a hexagonal cell).
    extent
        Box size (Å) along x and y.
    thickness
        Minimum slab thickness (Å), rounded up to a whole number of repeats along the zone
        axis so that every column holds the same number of atoms.
    rotation
        Degrees about the beam, counter-clockwise as displayed.
    translation
        Shift (Å) of the crystal inside the box, in the box frame.
    displacement
        Standard deviation (Å) of random static displacements of every atom (x, y, z).
    rng
        Random generator for ``displacement``.
    tilt
        ``(mrad, azimuth)``: a specimen mistilt. The filled box is turned by ``mrad`` about
        the in-plane axis through its centre that is perpendicular to the azimuth (degrees
        from +x towards +y), so every column leans by ``thickness * mrad / 1000`` Å towards
        the azimuth. Atoms that leave the box stay in it as they are: keep a margin (the
        simulators keep :data:`MARGIN`).

    Returns
    -------
    ase.Atoms
        The atoms in an orthogonal, periodic cell ``(extent[0], extent[1], thickness)``.

    Examples
    --------
    >>> from hyperspy_symmetry.simulate.crystals import AISTEM_CLASSES, bulk_atoms, zone_axis_atoms
    >>> cu = bulk_atoms(AISTEM_CLASSES["FCC_Cu_100"])
    >>> slab = zone_axis_atoms(cu, (1, 0, 0), extent=(20.0, 20.0))
    >>> slab.cell.lengths().round(2)
    array([20.  , 20.  , 10.89])
    """
    Atoms = simulation_module("ase", "Building crystal cells").Atoms

    cell = np.asarray(bulk.cell[:], dtype=float)
    direction = _zone_direction(cell, zone_axis)
    repeat = _repeat_length(cell, zone_axis)
    depth = repeat * max(1, math.ceil(thickness / repeat - 1e-9))
    rot = _orientation(cell, direction, rotation)
    lx, ly = float(extent[0]), float(extent[1])
    shift = np.asarray(translation, dtype=float)

    # One repeat along the zone axis is filled from the lattice, then stacked: the zone
    # direction is a lattice vector of length ``repeat`` along z, so the slab repeats exactly
    # (and a thick slab costs no large box of candidate lattice points).
    n_repeats = int(round(depth / repeat))
    depth_one = repeat
    # Box corners in fractional coordinates of the bulk cell -> range of cell translations.
    corners = np.array(
        [[i * lx, j * ly, k * depth_one] for i in (0, 1) for j in (0, 1) for k in (0, 1)]
    )
    frac = (corners - shift) @ rot @ np.linalg.inv(cell)
    lo = np.floor(frac.min(axis=0)).astype(int) - 1
    hi = np.ceil(frac.max(axis=0)).astype(int) + 1
    grid = np.stack(
        np.meshgrid(*[np.arange(a, b + 1) for a, b in zip(lo, hi, strict=False)], indexing="ij"),
        -1,
    ).reshape(-1, 3)
    basis = bulk.get_scaled_positions(wrap=False)
    frac_all = (grid[:, None, :] + basis[None, :, :]).reshape(-1, 3)
    numbers = np.tile(bulk.numbers, len(grid))
    positions = frac_all @ cell @ rot.T + shift

    # Half-open box with a tiny tolerance, so atoms on a face are counted exactly once.
    eps = 1e-6
    keep = (
        (positions[:, 0] >= -eps)
        & (positions[:, 0] < lx - eps)
        & (positions[:, 1] >= -eps)
        & (positions[:, 1] < ly - eps)
        & (positions[:, 2] >= -eps)
        & (positions[:, 2] < depth_one - eps)
    )
    positions, numbers = positions[keep], numbers[keep]
    if n_repeats > 1:
        stack = np.arange(n_repeats)[:, None, None] * np.array([0.0, 0.0, repeat])
        positions = (positions[None] + stack).reshape(-1, 3)
        numbers = np.tile(numbers, n_repeats)
    if displacement:
        rng = np.random.default_rng() if rng is None else rng
        positions = positions + rng.normal(0.0, displacement, positions.shape)
    if tilt is not None and float(tilt[0]):
        from scipy.spatial.transform import Rotation

        azimuth = math.radians(float(tilt[1]))
        # turning about the axis 90 degrees behind the azimuth leans +z towards the azimuth
        axis = np.array([math.sin(azimuth), -math.cos(azimuth), 0.0])
        centre = np.array([lx / 2, ly / 2, depth / 2])
        turn = Rotation.from_rotvec(-axis * float(tilt[0]) * 1e-3).as_matrix()
        positions = (positions - centre) @ turn.T + centre
    # abTEM leaves out atoms outside [0, depth) along the beam. A lattice plane at z = 0 can
    # come out of the rotation a rounding error below it (a scene's grains have no z shift),
    # and displacements or a tilt push atoms across either face: without this, some columns
    # silently lose an atom. The cell is periodic along z, so wrap (the projection is kept).
    z = np.mod(positions[:, 2], depth)
    positions[:, 2] = np.where(z >= depth, 0.0, z)
    return Atoms(numbers=numbers, positions=positions, cell=[lx, ly, depth], pbc=True)


def amorphous_atoms(
    element: str,
    extent: tuple[float, float],
    thickness: float = THICKNESS,
    density: float | None = None,
    rng: np.random.Generator | None = None,
):
    """An amorphous slab: a simple-cubic grid at the element's bulk density, randomly turned
    and displaced so strongly (40 % of the spacing) that no lattice fringe survives.

    Parameters
    ----------
    element
        Chemical symbol.
    extent, thickness
        Box size (Å).
    density
        Atoms per Å^3; default: the element's crystal density in ASE's reference data.
    rng
        Random generator.
    """
    Atoms = simulation_module("ase", "Building amorphous layers").Atoms
    bulk = simulation_module("ase.build", "Building amorphous layers").bulk
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng() if rng is None else rng
    if density is None:
        reference = bulk(element)
        density = len(reference) / reference.get_volume()
    spacing = density ** (-1.0 / 3.0)
    lx, ly, lz = float(extent[0]), float(extent[1]), float(thickness)
    half = 0.5 * math.sqrt(lx**2 + ly**2 + lz**2) + 2 * spacing
    n = np.arange(-math.ceil(half / spacing), math.ceil(half / spacing) + 1) * spacing
    grid = np.stack(np.meshgrid(n, n, n, indexing="ij"), -1).reshape(-1, 3)
    turn = Rotation.random(random_state=rng.integers(2**32)).as_matrix()
    positions = grid @ turn.T + np.array([lx, ly, lz]) / 2
    positions += rng.normal(0.0, 0.4 * spacing, positions.shape)
    keep = np.all((positions >= 0) & (positions < [lx, ly, lz]), axis=1)
    positions = positions[keep]
    return Atoms(
        symbols=[element] * len(positions), positions=positions, cell=[lx, ly, lz], pbc=True
    )


def _with_amorphous_layers(atoms, layers: dict[str, Any], rng: np.random.Generator):
    """``atoms`` with amorphous slabs of ``layers["element"]`` on its entrance (``top`` Å) and
    exit (``bottom`` Å) surfaces, in a cell that is that much deeper."""
    lx, ly, depth = atoms.cell.lengths()
    top, bottom = float(layers.get("top", 0.0)), float(layers.get("bottom", 0.0))
    combined = atoms.copy()
    combined.positions[:, 2] += top
    for thickness, z0 in ((top, 0.0), (bottom, top + depth)):
        if thickness > 0:
            slab = amorphous_atoms(layers["element"], (lx, ly), thickness, rng=rng)
            slab.positions[:, 2] += z0
            combined += slab
    combined.set_cell([lx, ly, top + depth + bottom])
    return combined


def margin_pixels(size: int, pixel_size: float) -> int:
    """Pixels of margin on each side of a ``size`` px image: at least :data:`MARGIN` Å, and
    chosen so that the simulated grid has a fast FFT length."""
    import scipy.fft

    n = size + 2 * int(math.ceil(MARGIN / pixel_size))
    while True:
        n = scipy.fft.next_fast_len(n, real=True)
        if (n - size) % 2 == 0:
            return (n - size) // 2
        n += 1


_ABTEM_CONFIG_LOCK = threading.Lock()


@contextmanager
def _numpy_fft():
    """Make abTEM use NumPy's FFT, not FFTW, inside the block.

    FFTW_MEASURE picks its algorithm by timing, so results would differ in the last bits
    from process to process, and training sets must not. abTEM's config is global, so the
    block holds a lock: another thread leaving its block must not switch FFTW back on.
    """
    abtem = simulation_module("abtem", "Simulating HAADF images")

    with _ABTEM_CONFIG_LOCK, abtem.config.set({"fft": "numpy"}):
        yield


@lru_cache(maxsize=8)
def _probe_kernel(
    energy: float,
    semiangle: float,
    gpts: tuple[int, int],
    pixel_size: float,
    aberrations: tuple[tuple[str, float], ...] = (),
):
    """rFFT of the probe intensity, centred on pixel (0, 0) and normalised to unit sum."""
    abtem = simulation_module("abtem", "Simulating HAADF images")

    probe = abtem.Probe(
        energy=energy,
        semiangle_cutoff=semiangle,
        gpts=gpts,
        sampling=pixel_size,
        aberrations=dict(aberrations),
    )
    with _numpy_fft():
        intensity = probe.build(lazy=False).intensity().array
    kernel = np.fft.rfft2(np.fft.ifftshift(intensity / intensity.sum()))
    kernel.setflags(write=False)
    return kernel


def _convolution_haadf(
    atoms,
    pixel_size: float,
    energy: float,
    semiangle: float,
    aberrations: dict[str, float] | None = None,
    exponent: float = 1.0,
) -> np.ndarray:
    abtem = simulation_module("abtem", "Simulating HAADF images")

    gpts = tuple(int(round(length / pixel_size)) for length in atoms.cell.lengths()[:2])
    potential = abtem.Potential(
        atoms,
        gpts=gpts,
        parametrization="kirkland",
        projection="infinite",
        slice_thickness=float(atoms.cell[2, 2]),
    )
    with _numpy_fft():
        projected = potential.build(lazy=False).project().array
    if exponent != 1.0:
        top = projected.max()
        projected = top * (np.maximum(projected, 0.0) / top) ** exponent if top > 0 else projected
    aberrations = tuple(sorted((k, float(v)) for k, v in (aberrations or {}).items()))
    kernel = _probe_kernel(float(energy), float(semiangle), gpts, float(pixel_size), aberrations)
    return np.fft.irfft2(np.fft.rfft2(projected) * kernel, s=projected.shape)


def _multislice_haadf(
    atoms,
    pixel_size: float,
    energy: float,
    semiangle: float,
    detector: tuple[float, float],
    sampling: float,
    scan_sampling: float | None,
    margin: int,
) -> np.ndarray:
    abtem = simulation_module("abtem", "Simulating HAADF images")

    potential = abtem.Potential(
        atoms,
        sampling=sampling,
        parametrization="kirkland",
        projection="finite",
        slice_thickness=2.0,
    )
    probe = abtem.Probe(energy=energy, semiangle_cutoff=semiangle)
    probe.grid.match(potential)
    step = scan_sampling or min(pixel_size, probe.aperture.nyquist_sampling)
    lx, ly = atoms.cell.lengths()[:2]
    start = margin * pixel_size
    nx, ny = (int(round(length / pixel_size)) - 2 * margin for length in (lx, ly))
    scan = abtem.GridScan(
        start=(start, start),
        end=(start + nx * pixel_size, start + ny * pixel_size),
        sampling=step,
    )
    detector_ = abtem.AnnularDetector(inner=detector[0], outer=detector[1])
    measurement = probe.scan(potential, scan=scan, detectors=detector_)
    image = measurement.compute(scheduler="threads", progress_bar=False)
    if not math.isclose(step, pixel_size):
        image = image.interpolate(gpts=(nx, ny))
    return np.asarray(image.array)


def haadf_array(
    atoms,
    pixel_size: float = 0.12,
    method: str = "convolution",
    energy: float = 300e3,
    semiangle: float = 24.0,
    detector: tuple[float, float] = (70.0, 200.0),
    multislice_sampling: float = 0.04,
    scan_sampling: float | None = None,
    margin: int = 0,
    aberrations: dict[str, float] | None = None,
    exponent: float = 1.0,
) -> np.ndarray:
    """HAADF-STEM image of ``atoms`` over its (orthogonal) cell, rows along y.

    Parameters
    ----------
    atoms
        ASE ``Atoms`` in an orthogonal cell; the beam runs along z.
    pixel_size
        Å per pixel; the cell's x and y lengths should be whole multiples of it.
    method
        ``"convolution"`` (default): Kirkland projected potential (abTEM, infinite
        projection) convolved with the probe intensity. ``"multislice"``: full abTEM
        multislice, annular detector, for validation (minutes even for small cells).
    energy, semiangle
        Beam energy (eV) and probe convergence semi-angle (mrad).
    detector
        Inner and outer detector angles (mrad), multislice only.
    multislice_sampling, scan_sampling
        Potential sampling (Å) and probe step (Å) of the multislice; the scan is
        interpolated to ``pixel_size``. Default step: the probe's Nyquist sampling.
    margin
        Pixels left out on every side (atoms there still scatter); the multislice does not
        scan them.
    aberrations
        Residual probe aberrations in abTEM's names (``{"C10": defocus, "C12": ...,
        "phi12": ...}``, Å and radians); convolution method only.
    exponent
        Power applied to the projected potential (scaled to a maximum of 1) before the
        convolution: below 1, column intensities saturate as in thick specimens;
        convolution method only.

    Returns
    -------
    numpy.ndarray
        ``(ny - 2 margin, nx - 2 margin)`` float image.
    """
    if method != "convolution" and (aberrations or exponent != 1.0):
        raise ValueError("aberrations and exponent are for method='convolution' only.")
    if method == "convolution":
        image = _convolution_haadf(atoms, pixel_size, energy, semiangle, aberrations, exponent)
        if margin:
            image = image[margin:-margin, margin:-margin]
    elif method == "multislice":
        image = _multislice_haadf(
            atoms,
            pixel_size,
            energy,
            semiangle,
            detector,
            multislice_sampling,
            scan_sampling,
            margin,
        )
    else:
        raise ValueError(f"method must be 'convolution' or 'multislice', got {method!r}.")
    return np.ascontiguousarray(image.T)  # abTEM arrays are (x, y); images are (rows=y, x)


def crystal_array(
    crystal: str | Any,
    size: int = 256,
    pixel_size: float = 0.12,
    rotation: float = 0.0,
    rng: np.random.Generator | None = None,
    *,
    zone_axis: Sequence[int] | None = None,
    lattice_parameter: float | None = None,
    c_over_a: float | None = None,
    thickness: float = THICKNESS,
    translation: Sequence[float] | None = None,
    displacement: float = 0.0,
    method: str = "convolution",
    tilt: Sequence[float] | None = None,
    amorphous: dict[str, Any] | None = None,
    **haadf_kwargs: Any,
) -> tuple[np.ndarray, dict[str, Any]]:
    """A simulated HAADF image as a NumPy array, with the parameters used.

    See :func:`crystal_image` for the parameters. ``translation=None`` draws a random shift
    of the crystal from ``rng``. ``tilt`` is a mistilt ``(mrad, azimuth in degrees)`` (see
    :func:`zone_axis_atoms`); ``amorphous`` adds amorphous layers
    ``{"element": "C", "top": Å, "bottom": Å}`` on the entrance and exit surfaces (drawn
    from ``rng``; see :func:`amorphous_atoms`).

    Returns
    -------
    image : numpy.ndarray
        ``(size, size)`` float32 image, min-max normalised to [0, 1].
    params : dict
        Everything needed to simulate the image again.
    """
    size = check_number(size, "size", low=8, integer=True, hint="(pixels)")
    pixel_size = check_number(pixel_size, "pixel_size", low=0, low_open=True, hint="(Å)")
    rotation = check_number(rotation, "rotation", hint="(degrees)")
    rng = np.random.default_rng() if rng is None else rng

    if isinstance(crystal, str):
        cls = _crystal_class(crystal)
        if zone_axis is not None and tuple(zone_axis) != cls.zone_axis:
            # Another orientation of the same crystal is no longer the named class.
            cls = CrystalClass(
                f"{cls.structure.upper()}_{cls.element}",
                cls.element,
                cls.structure,
                cls.a,
                tuple(zone_axis),
                cls.c_over_a,
            )
        bulk = bulk_atoms(cls, lattice_parameter, c_over_a)
        zone = cls.zone_axis
        name = cls.name
    else:
        if zone_axis is None:
            raise ValueError("zone_axis is needed when simulating an ase.Atoms object.")
        bulk, zone, name = (
            crystal,
            tuple(int(i) for i in zone_axis),
            crystal.get_chemical_formula(),
        )

    margin_px = margin_pixels(size, pixel_size)
    n = size + 2 * margin_px
    extent = (n * pixel_size, n * pixel_size)
    if translation is None:
        translation = (*rng.uniform(0.0, 10.0, 2), rng.uniform(0.0, 10.0))
    atoms = zone_axis_atoms(
        bulk, zone, extent, thickness, rotation, translation, displacement, rng, tilt=tilt
    )
    if amorphous:
        atoms = _with_amorphous_layers(atoms, amorphous, rng)
    image = haadf_array(atoms, pixel_size, method=method, margin=margin_px, **haadf_kwargs)
    lo, hi = image.min(), image.max()
    image = ((image - lo) / (hi - lo if hi > lo else 1.0)).astype(np.float32)
    params = {
        "class_name": name,
        "zone_axis": list(zone),
        "cell": np.asarray(bulk.cell[:]).round(6).tolist(),
        "lattice_parameter": float(np.linalg.norm(bulk.cell[0])),
        "size": size,
        "pixel_size": pixel_size,
        "rotation": float(rotation),
        "translation": [float(t) for t in translation],
        "thickness": float(atoms.cell[2, 2]),
        "displacement": float(displacement),
        "method": method,
        **({"tilt": [float(t) for t in tilt]} if tilt is not None else {}),
        **({"amorphous": dict(amorphous)} if amorphous else {}),
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in haadf_kwargs.items()},
    }
    if len(zone) == 4 or c_over_a is not None:  # hexagonal cells
        lengths = bulk.cell.lengths()
        params["c_over_a"] = float(lengths[2] / lengths[0])
    return image, params


def crystal_image(
    crystal: str | Any,
    size: int = 256,
    pixel_size: float = 0.12,
    rotation: float = 0.0,
    seed: int | None = None,
    *,
    zone_axis: Sequence[int] | None = None,
    lattice_parameter: float | None = None,
    c_over_a: float | None = None,
    thickness: float = THICKNESS,
    translation: Sequence[float] | None = None,
    displacement: float = 0.0,
    method: str = "convolution",
    augmentation=None,
    **haadf_kwargs: Any,
):
    """Simulate a HAADF-STEM image of one of the ``aistem`` classes or of any crystal.

    Parameters
    ----------
    crystal
        An ``aistem`` class name (e.g. ``"FCC_Cu_100"``) or an ASE ``Atoms`` bulk cell, in
        which case ``zone_axis`` is needed.
    size
        Image side in pixels.
    pixel_size
        Å per pixel (the ``aistem`` model is trained at 0.12 Å).
    rotation
        Degrees about the beam axis, counter-clockwise as displayed.
    seed
        Seed of the random parts: the crystal's shift (unless ``translation`` is given),
        atom displacements and the augmentation.
    zone_axis
        Beam direction in the bulk cell's indices (4 Miller-Bravais indices for hcp);
        for a class name it replaces the class's own zone axis.
    lattice_parameter, c_over_a
        Lattice parameter ``a`` (Å) and hcp ``c/a``; default: the nominal values
        (Cu 3.63 Å, Fe 2.87 Å, Ti 2.95 Å with c/a = 1.587).
    thickness
        Slab thickness (Å), rounded up to whole repeats along the zone axis.
    translation
        Shift (Å) of the crystal in the simulation box (x, y, z); default random.
    displacement
        Standard deviation (Å) of random static atom displacements.
    method
        ``"convolution"`` (fast, the default) or ``"multislice"`` (validation).
    augmentation
        An :class:`~hyperspy_symmetry.simulate.augment.AugmentationRecipe` applied to the
        image (noise, blur, scan distortions, ...); ``None`` for a clean image.
    **haadf_kwargs
        Passed to :func:`~.crystals.haadf_array` (``energy``, ``semiangle``, ``detector``, ...).

    Returns
    -------
    AtomicResolution2D
        Calibrated in Å, normalised to [0, 1]; the parameters are in
        ``metadata.Simulation``.

    Examples
    --------
    >>> from hyperspy_symmetry.simulate import crystal_image
    >>> s = crystal_image("FCC_Cu_100", size=128, seed=0)
    >>> s.axes_manager[0].scale, s.axes_manager[0].units
    (0.12, 'Å')
    """
    from ._signals import as_atomic_resolution

    rng = np.random.default_rng(seed)
    image, params = crystal_array(
        crystal,
        size,
        pixel_size,
        rotation,
        rng,
        zone_axis=zone_axis,
        lattice_parameter=lattice_parameter,
        c_over_a=c_over_a,
        thickness=thickness,
        translation=translation,
        displacement=displacement,
        method=method,
        **haadf_kwargs,
    )
    params["seed"] = seed
    if augmentation is not None:
        from .augment import apply, draw

        drawn = draw(augmentation, rng)
        image = apply(image, drawn, rng)
        params["augmentation"] = drawn
    return as_atomic_resolution(
        image,
        pixel_size,
        "Å",
        title=f"Simulated HAADF {params['class_name']}",
        simulation=params,
    )
