"""Ground-truth scenes: images and movies whose every pixel has a known class.

- :func:`polycrystal_scene`: the AI-STEM test image, four 40 Å grains (bcc Fe [100],
  fcc Cu [100], hcp Ti [0001], amorphous), simulated as one HAADF image.
- :func:`bicrystal`: two grains (of one class or two) meeting at a straight boundary.
- :func:`damage_movie`: a 2D lattice in which holes nucleate and grow with a known
  area fraction ``A(t) = A0 exp(rho t) + C``.
- :func:`transforming_lattice`: a lattice that turns slowly from square, through
  centred rectangular, into hexagonal.

Each returns the image signal (calibrated ``atomic_resolution``) and per-pixel labels: a
``Signal2D`` of integer labels with ``labels.metadata.Symmetry.class_names`` naming them
(:func:`damage_movie` returns them inside its ``truth`` dict).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..checks import check_number
from ._signals import as_atomic_resolution, as_labels
from .crystals import margin_pixels

__all__ = ["polycrystal_scene", "bicrystal", "damage_movie", "transforming_lattice"]

#: The four grains of the AI-STEM polycrystal, in label order: top-left, top-right,
#: bottom-left, bottom-right.
POLYCRYSTAL_GRAINS = ("BCC_Fe_100", "FCC_Cu_100", "HCP_Ti_0001", "amorphous")


def _grain_atoms(name: str, extent, thickness, rotation, translation, rng, element="Cu"):
    """Atoms of one grain filling the whole box; ``name`` is a class or ``"amorphous"``."""
    from .crystals import _crystal_class, amorphous_atoms, bulk_atoms, zone_axis_atoms

    if name == "amorphous":
        return amorphous_atoms(element, extent, thickness, rng=rng)
    crystal = _crystal_class(name)
    return zone_axis_atoms(
        bulk_atoms(crystal), crystal.zone_axis, extent, thickness, rotation, translation
    )


#: Columns of a later grain closer than this (Å, in projection) to a column already placed
#: are dropped, as atoms at a real boundary would not sit on top of each other.
MIN_COLUMN_DISTANCE = 1.2


def _assemble(grains: Sequence[tuple[Any, Callable]], extent: tuple[float, float]):
    """One ``Atoms`` from several grains, each kept where its mask of ``(x, y)`` is true.

    Grains are placed in order; atoms of a later grain within :data:`MIN_COLUMN_DISTANCE`
    (in projection) of an earlier grain's atom are left out.
    """
    from ._optional import simulation_module

    Atoms = simulation_module("ase", "Simulating scenes of crystals").Atoms
    from scipy.spatial import cKDTree

    positions, numbers, depth = [], [], 0.0
    for atoms, inside in grains:
        xy = atoms.positions[:, :2]
        keep = inside(xy[:, 0], xy[:, 1])
        if positions and keep.any():
            placed = cKDTree(np.concatenate(positions)[:, :2])
            near = placed.query(xy[keep], distance_upper_bound=MIN_COLUMN_DISTANCE)[0]
            keep[np.flatnonzero(keep)[np.isfinite(near)]] = False
        positions.append(atoms.positions[keep])
        numbers.append(atoms.numbers[keep])
        depth = max(depth, float(atoms.cell[2, 2]))
    return Atoms(
        numbers=np.concatenate(numbers),
        positions=np.concatenate(positions),
        cell=[extent[0], extent[1], depth],
        pbc=True,
    )


def _simulate(atoms, pixel_size, margin_px, method, augmentation, rng):
    """HAADF image of assembled atoms without the margin, normalised, optionally augmented."""
    from .crystals import haadf_array

    image = haadf_array(atoms, pixel_size, method=method, margin=margin_px)
    image = (image - image.min()) / max(float(np.ptp(image)), 1e-30)
    drawn = None
    if augmentation is not None:
        from .augment import apply, draw

        drawn = draw(augmentation, rng)
        image = apply(image, drawn, rng)
    return image.astype(np.float32), drawn


def polycrystal_scene(
    seed: int | None = None,
    grain_size: float = 40.0,
    pixel_size: float = 0.12,
    *,
    rotations: Sequence[float] | None = None,
    amorphous_element: str = "Cu",
    thickness: float = 10.0,
    method: str = "convolution",
    augmentation=None,
):
    """The AI-STEM polycrystal: four square grains in a 2 x 2 layout, one HAADF image.

    Top left bcc Fe [100], top right fcc Cu [100], bottom left hcp Ti [0001], bottom right
    amorphous (Cu by default), each ``grain_size`` Å wide, simulated together so that the
    boundaries are real interfaces between the grains' atoms.

    Parameters
    ----------
    seed
        Seed of the grains' rotations (uniform in [0, 90) degrees unless ``rotations`` is
        given), their shifts, the amorphous structure and the augmentation.
    grain_size
        Side of each grain in Å (the paper: 40 Å).
    pixel_size
        Å per pixel.
    rotations
        Rotations (degrees, counter-clockwise as displayed) of the three crystalline grains.
    amorphous_element
        Element of the amorphous grain.
    thickness
        Slab thickness (Å).
    method
        ``"convolution"`` or ``"multislice"``, see :func:`~.crystals.haadf_array`.
    augmentation
        Optional :class:`~hyperspy_symmetry.simulate.augment.AugmentationRecipe` applied to
        the image (noise, blur, scan distortions); the labels are not distorted, so
        geometric distortions move image features by up to a few pixels from their labels.

    Returns
    -------
    image : AtomicResolution2D
        ``(2 n, 2 n)`` image with ``n = round(grain_size / pixel_size)``, calibrated in Å.
    labels : Signal2D
        Grain index per pixel; ``labels.metadata.Symmetry.class_names`` is
        ``["BCC_Fe_100", "FCC_Cu_100", "HCP_Ti_0001", "amorphous"]`` and
        ``labels.metadata.Symmetry.rotations`` the three crystalline grains' rotations.

    Examples
    --------
    >>> from hyperspy_symmetry.simulate import polycrystal_scene
    >>> image, labels = polycrystal_scene(seed=0, grain_size=12.0)
    >>> labels.metadata.Symmetry.class_names
    ['BCC_Fe_100', 'FCC_Cu_100', 'HCP_Ti_0001', 'amorphous']
    """
    rng = np.random.default_rng(seed)
    grain_size = check_number(grain_size, "grain_size", low=0, low_open=True, hint="(Å)")
    pixel_size = check_number(pixel_size, "pixel_size", low=0, low_open=True, hint="(Å)")
    n = int(round(grain_size / pixel_size))
    if n < 8:
        raise ValueError(f"grain_size must be at least 8 pixels, got {grain_size} Å = {n} px.")
    if rotations is None:
        rotations = rng.uniform(0.0, 90.0, 3)
    rotations = [check_number(r, "rotations", hint="(degrees)") for r in rotations]
    if len(rotations) != 3:
        raise ValueError(f"rotations needs one angle per crystalline grain (3), got {rotations}.")
    margin = margin_pixels(2 * n, pixel_size)
    total = (2 * n + 2 * margin) * pixel_size
    extent = (total, total)
    centre = (n + margin) * pixel_size  # the grain corners meet here (box coordinates)

    quadrants = [
        lambda x, y: (x < centre) & (y < centre),
        lambda x, y: (x >= centre) & (y < centre),
        lambda x, y: (x < centre) & (y >= centre),
        lambda x, y: (x >= centre) & (y >= centre),
    ]
    grains = []
    for name, rotation, inside in zip(
        POLYCRYSTAL_GRAINS, rotations + [0.0], quadrants, strict=False
    ):
        shift = (*rng.uniform(0.0, 10.0, 2), 0.0)
        atoms = _grain_atoms(name, extent, thickness, rotation, shift, rng, amorphous_element)
        grains.append((atoms, inside))
    image, drawn = _simulate(
        _assemble(grains, extent), pixel_size, margin, method, augmentation, rng
    )

    labels = np.zeros((2 * n, 2 * n), dtype=np.int16)
    labels[:n, n:] = 1
    labels[n:, :n] = 2
    labels[n:, n:] = 3
    params = {
        "scene": "polycrystal",
        "seed": seed,
        "grain_size": grain_size,
        "pixel_size": pixel_size,
        "grains": list(POLYCRYSTAL_GRAINS),
        "rotations": rotations,
        "amorphous_element": amorphous_element,
        "thickness": thickness,
        "method": method,
        "augmentation": drawn,
    }
    signal = as_atomic_resolution(
        image, pixel_size, "Å", title="Simulated polycrystal", simulation=params
    )
    truth = as_labels(
        labels,
        POLYCRYSTAL_GRAINS,
        pixel_size,
        "Å",
        title="Polycrystal grains",
        extra={"rotations": rotations},
    )
    return signal, truth


def bicrystal(
    class_name: str,
    misorientation: float,
    size: int = 320,
    pixel_size: float = 0.12,
    *,
    rotation: float = 0.0,
    second_class: str | None = None,
    boundary: float = 0.5,
    core_disorder: float = 0.4,
    core_width: float = 3.0,
    seed: int | None = None,
    thickness: float = 10.0,
    method: str = "convolution",
    augmentation=None,
):
    """Two grains meeting at a vertical boundary with a disordered core.

    The left grain is ``class_name`` turned by ``rotation``; the right grain is
    ``second_class`` (default: the same class) turned by ``rotation + misorientation``.
    Atoms near the boundary plane are displaced at random (each atom on its own, so the
    columns there are no longer straight), with an rms displacement of ``core_disorder``
    at the plane falling off as a Gaussian of width ``core_width``: the structural
    disorder of a real grain-boundary core. ``core_disorder=0`` gives an idealised sharp
    boundary, two perfect half-crystals that touch.

    Parameters
    ----------
    class_name
        ``aistem`` class of the left grain.
    misorientation
        Rotation of the right grain relative to the left one, degrees.
    size
        Image side, pixels.
    pixel_size
        Å per pixel.
    rotation
        Rotation of the left grain, degrees, counter-clockwise as displayed.
    second_class
        Class of the right grain (a heterophase boundary); default ``class_name``.
    boundary
        Position of the boundary as a fraction of the image width.
    core_disorder
        rms displacement (Å) of each atom at the boundary plane, in the image plane.
    core_width
        Standard deviation (Å) of the Gaussian fall-off of the displacement with the
        distance from the boundary plane.
    seed
        Seed of the grains' shifts and the augmentation.
    thickness, method, augmentation
        As in :func:`polycrystal_scene`.

    Returns
    -------
    image : AtomicResolution2D
    labels : Signal2D
        0 left of the boundary, 1 right of it; ``metadata.Symmetry.class_names`` gives each
        grain's class, ``metadata.Symmetry.rotations`` their rotations (degrees) and
        ``metadata.Symmetry.boundary_x`` the boundary position on the x axis (Å).

    Examples
    --------
    >>> from hyperspy_symmetry.simulate import bicrystal
    >>> image, labels = bicrystal("FCC_Cu_100", 22.0, size=128, rotation=15.0)
    >>> labels.metadata.Symmetry.rotations
    [15.0, 37.0]
    """
    from .crystals import _crystal_class

    _crystal_class(class_name)
    second = class_name if second_class is None else second_class
    _crystal_class(second)
    misorientation = check_number(misorientation, "misorientation", hint="(degrees)")
    rotation = check_number(rotation, "rotation", hint="(degrees)")
    size = check_number(size, "size", low=16, integer=True, hint="(pixels)")
    pixel_size = check_number(pixel_size, "pixel_size", low=0, low_open=True, hint="(Å)")
    boundary = check_number(
        boundary,
        "boundary",
        low=0,
        high=1,
        low_open=True,
        high_open=True,
        hint="(boundary position, a fraction of the width)",
    )
    core_disorder = check_number(core_disorder, "core_disorder", low=0, hint="(Å)")
    core_width = check_number(core_width, "core_width", low=0, low_open=True, hint="(Å)")
    rng = np.random.default_rng(seed)
    margin = margin_pixels(size, pixel_size)
    total = (size + 2 * margin) * pixel_size
    extent = (total, total)
    column = int(round(boundary * size))  # first pixel column of the right grain
    # The boundary sits half a pixel before that column, in box coordinates.
    x_box = (margin + column - 0.5) * pixel_size
    rotations = [float(rotation), float(rotation) + float(misorientation)]
    grains = []
    for name, angle, inside in zip(
        (class_name, second),
        rotations,
        (lambda x, y: x < x_box, lambda x, y: x >= x_box),
        strict=False,
    ):
        shift = (*rng.uniform(0.0, 10.0, 2), 0.0)
        grains.append((_grain_atoms(name, extent, thickness, angle, shift, rng), inside))
    atoms = _disorder_core(
        _assemble(grains, extent), x_box, float(core_disorder), float(core_width), rng
    )
    image, drawn = _simulate(atoms, pixel_size, margin, method, augmentation, rng)
    labels = np.zeros((size, size), dtype=np.int16)
    labels[:, column:] = 1
    boundary_x = (column - 0.5) * pixel_size
    params = {
        "scene": "bicrystal",
        "seed": seed,
        "classes": [class_name, second],
        "rotations": rotations,
        "misorientation": float(misorientation),
        "boundary_x": boundary_x,
        "core_disorder": float(core_disorder),
        "core_width": float(core_width),
        "size": size,
        "pixel_size": pixel_size,
        "thickness": thickness,
        "method": method,
        "augmentation": drawn,
    }
    signal = as_atomic_resolution(
        image, pixel_size, "Å", title="Simulated bicrystal", simulation=params
    )
    truth = as_labels(
        labels,
        [class_name, second],
        pixel_size,
        "Å",
        title="Bicrystal grains",
        extra={"rotations": rotations, "boundary_x": boundary_x},
    )
    return signal, truth


def _disorder_core(atoms, x_plane: float, amplitude: float, width: float, rng):
    """Displace each atom in the image plane by a Gaussian of rms ``amplitude`` at the
    plane ``x = x_plane``, falling off as ``exp(-d**2 / (2 width**2))`` with the distance."""
    if amplitude == 0.0:
        return atoms
    distance = atoms.positions[:, 0] - x_plane
    rms = amplitude * np.exp(-0.5 * (distance / width) ** 2)
    atoms.positions[:, :2] += rng.normal(size=(len(atoms), 2)) * rms[:, None] / math.sqrt(2.0)
    return atoms


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _movie_noise(frame: np.ndarray, dose: float | None, rng: np.random.Generator) -> np.ndarray:
    if dose is None:
        return frame
    from .augment import poisson_noise

    return poisson_noise(frame, dose, rng)


def damage_movie(
    n_frames: int = 24,
    seed: int | None = None,
    *,
    size: int = 384,
    frame_time: float = 10.0,
    rho: float = 0.02,
    A0: float = 0.004,
    C: float = 0.0,
    n_holes: int = 4,
    lattice: str = "hexagonal",
    a: float = 12.0,
    dose: float | None = 200.0,
    pixel_size: float | None = None,
    units: str | None = None,
):
    """A 2D lattice under the beam: holes nucleate and grow with a known area fraction.

    The hole area fraction follows ``A(t) = A0 exp(rho t) + C`` (the Bravais paper's law):
    ``n_holes`` sites of random relative sizes all grow together, their common radius set
    in each frame so that the union of the holes covers that fraction of the image. Columns
    inside a hole are removed. Each frame gets its own small column displacements and
    Poisson noise.

    The defaults follow the Bravais paper's movie: a few holes that outgrow the 128 px
    windows of the analysis within the movie (``A`` from 0.4 % to about 40 % in 230 s).
    Many holes of a few pixels each (``n_holes=12, size=256, A0=0.002``) are a harder
    case: the shipped ``bravais`` model does not see holes covering less than about 5 % of
    a window, so its noise fraction lags them (see docs/training.md).

    Parameters
    ----------
    n_frames
        Number of frames.
    seed
        Seed of the lattice, the hole sites, the displacements and the noise.
    size
        Frame side, pixels.
    frame_time
        Seconds between frames (the time axis' scale).
    rho, A0, C
        Growth rate (1/s), amplitude and offset of the hole area fraction.
    n_holes
        Number of hole nucleation sites.
    lattice
        A crystalline class of :data:`~.bravais.BRAVAIS_CLASSES`.
    a
        Lattice spacing (px).
    dose
        Mean counts per pixel of the Poisson noise; ``None`` for clean frames.
    pixel_size, units
        Calibration of the frames; default uncalibrated (pixels).

    Returns
    -------
    movie : AtomicResolution2D
        ``(n_frames, size, size)``, navigation axis ``time`` in s.
    truth : dict
        ``time`` (s), ``hole_fraction`` (measured on the pixel masks), ``target`` (the law),
        ``rho``, ``A0``, ``C``, and ``labels``: a ``Signal2D`` of per-pixel labels,
        0 ``lattice``, 1 ``hole``, with the class names in ``metadata.Symmetry.class_names``.

    Examples
    --------
    >>> from hyperspy_symmetry.simulate import damage_movie
    >>> movie, truth = damage_movie(n_frames=5, seed=0, size=64)
    >>> movie.data.shape, movie.axes_manager["time"].units
    ((5, 64, 64), 's')
    """
    from .bravais import BRAVAIS_CLASSES, lattice_columns, render_columns, sample_lattice

    if lattice not in BRAVAIS_CLASSES[:-1]:
        raise ValueError(f"lattice must be one of {list(BRAVAIS_CLASSES[:-1])}, got {lattice!r}.")
    n_frames = check_number(n_frames, "n_frames", low=1, integer=True)
    size = check_number(size, "size", low=16, integer=True, hint="(pixels)")
    n_holes = check_number(n_holes, "n_holes", low=1, integer=True)
    frame_time = check_number(frame_time, "frame_time", low=0, low_open=True, hint="(s)")
    rho = check_number(rho, "rho", hint="(growth rate, 1/s)")
    A0 = check_number(A0, "A0", low=0, high=1, hint="(hole area fraction at t = 0)")
    C = check_number(C, "C", low=0, high=1, hint="(hole area fraction offset)")
    a = check_number(a, "a", low=0, low_open=True, hint="(lattice spacing, px)")
    if dose is not None:
        dose = check_number(dose, "dose", low=0, low_open=True, hint="(counts per pixel)")
    rng = np.random.default_rng(seed)
    p = sample_lattice(lattice, rng, a=a, displacement=0.0, intensity_spread=0.05)
    sites, _, intensities = lattice_columns(p, size, rng)

    # Hole i covers the points whose distance to its centre, divided by its relative size,
    # is at most the common radius s; the union's area is the fraction of pixels with
    # min_i(d_i / w_i) <= s, so s is a quantile of that field.
    centres = rng.uniform(0.1 * size, 0.9 * size, (n_holes, 2))
    weights = rng.uniform(0.5, 1.5, n_holes)

    def scaled_distance(xy: np.ndarray) -> np.ndarray:
        d = np.linalg.norm(xy[:, None, :] - centres[None, :, :], axis=-1) / weights
        return d.min(axis=1)

    yy, xx = np.mgrid[:size, :size]
    field = scaled_distance(np.stack([xx.ravel(), yy.ravel()], -1).astype(float)).reshape(
        size, size
    )
    column_field = scaled_distance(sites)

    time = np.arange(n_frames) * float(frame_time)
    target = np.clip(A0 * np.exp(rho * time) + C, 0.0, 1.0)
    frames = np.empty((n_frames, size, size), dtype=np.float32)
    masks = np.empty((n_frames, size, size), dtype=np.int16)
    reference = None
    for k, fraction in enumerate(target):
        radius = np.quantile(field, fraction) if fraction > 0 else -1.0
        masks[k] = field <= radius
        keep = column_field > radius
        jitter = rng.normal(0.0, 0.02 * p["a"], (int(keep.sum()), 2))
        frame = render_columns(sites[keep] + jitter, size, p["column"], p["a"], intensities[keep])
        reference = frame.max() if reference is None else reference
        frames[k] = _movie_noise(frame / reference, dose, rng)
    hole_fraction = masks.reshape(n_frames, -1).mean(axis=1)

    params = {
        "scene": "damage_movie",
        "seed": seed,
        "rho": rho,
        "A0": A0,
        "C": C,
        "n_holes": n_holes,
        "frame_time": frame_time,
        "dose": dose,
        "lattice": {k: v for k, v in p.items()},
    }
    movie = as_atomic_resolution(
        frames,
        pixel_size,
        units,
        title="Simulated damage movie",
        simulation=params,
        frame_time=frame_time,
    )
    labels = as_labels(
        masks, ["lattice", "hole"], pixel_size, units, title="Holes", frame_time=frame_time
    )
    truth = {
        "time": time,
        "hole_fraction": hole_fraction,
        "target": target,
        "rho": float(rho),
        "A0": float(A0),
        "C": float(C),
        "labels": labels,
    }
    return movie, truth


def transforming_lattice(
    n_frames: int = 30,
    seed: int | None = None,
    *,
    size: int = 256,
    frame_time: float = 1.0,
    a: float = 16.0,
    hold: float = 0.2,
    dose: float | None = 200.0,
    pixel_size: float | None = None,
    units: str | None = None,
):
    """A lattice that turns slowly from square into hexagonal (a Bain-like path).

    The lattice is centred rectangular with conventional cell ``a x b``: ``b/a = 1`` is a
    square lattice (of spacing ``a/sqrt(2)``), ``b/a = sqrt(3)`` a hexagonal one (of spacing
    ``a``). ``b/a`` stays at 1 for the first ``hold`` of the movie, rises smoothly, and stays
    at ``sqrt(3)`` for the last ``hold``, so the movie ends hexagonal. Every frame is
    labelled with the class of its lattice by the package's rules
    (:func:`~.bravais.lattice_class`): square, then centred rectangular, then hexagonal.

    Parameters
    ----------
    n_frames, seed, size, frame_time, dose, pixel_size, units
        As in :func:`damage_movie`.
    a
        Short side of the conventional cell, px.
    hold
        Fraction of the movie held at each end.

    Returns
    -------
    movie : AtomicResolution2D
        ``(n_frames, size, size)``, navigation axis ``time`` in s.
    labels : Signal2D
        Per-pixel class index into ``metadata.Symmetry.class_names`` (the six ``bravais``
        classes); ``metadata.Symmetry.b_over_a`` holds the ratio of every frame.

    Examples
    --------
    >>> from hyperspy_symmetry.simulate import transforming_lattice
    >>> movie, labels = transforming_lattice(n_frames=4, seed=0, size=64)
    >>> [labels.metadata.Symmetry.class_names[i] for i in labels.data[:, 0, 0]]
    ['square', 'centered_rectangular', 'hexagonal', 'hexagonal']
    """
    from .bravais import BRAVAIS_CLASSES, lattice_class, render_columns, sample_lattice

    n_frames, size = int(n_frames), int(size)
    if n_frames < 2 or size < 16:
        raise ValueError(f"n_frames >= 2 and size >= 16 are needed, got {n_frames}, {size}.")
    if not 0.0 <= float(hold) < 0.5:
        raise ValueError(f"hold must be in [0, 0.5), got {hold}.")
    rng = np.random.default_rng(seed)
    base = sample_lattice(
        "square", rng, a=a / math.sqrt(2), displacement=0.0, intensity_spread=0.05
    )
    turn = math.radians(-base["rotation"])
    rot = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    progress = _smoothstep((np.linspace(0.0, 1.0, n_frames) - hold) / (1.0 - 2.0 * hold))
    ratios = 1.0 + (math.sqrt(3.0) - 1.0) * progress
    frames = np.empty((n_frames, size, size), dtype=np.float32)
    labels = np.empty((n_frames, size, size), dtype=np.int16)
    classes = []
    reference = None
    # Lattice sites come from a fixed set of integer indices around the image centre, so
    # each column moves continuously from frame to frame.
    span = int(math.ceil(size / a * 1.5)) + 4
    n, m = np.meshgrid(np.arange(-span, span + 1), np.arange(-span, span + 1), indexing="ij")
    indices = np.stack([n.ravel(), m.ravel()], -1).astype(float)
    centre = np.full(2, (size - 1) / 2.0)
    for k, ratio in enumerate(ratios):
        vectors = np.array([[a, 0.0], [a / 2.0, a * ratio / 2.0]]) @ rot.T
        sites = centre + indices @ vectors
        inside = np.all((sites > -3 * a) & (sites < size + 3 * a), axis=1)
        jitter = rng.normal(0.0, 0.02 * a / math.sqrt(2), (int(inside.sum()), 2))
        frame = render_columns(sites[inside] + jitter, size, base["column"], base["a"])
        reference = frame.max() if reference is None else reference
        frames[k] = _movie_noise(frame / reference, dose, rng)
        name = lattice_class(vectors[0], vectors[1])
        classes.append(name)
        labels[k] = BRAVAIS_CLASSES.index(name)

    params = {
        "scene": "transforming_lattice",
        "seed": seed,
        "a": a,
        "hold": hold,
        "frame_time": frame_time,
        "dose": dose,
        "rotation": base["rotation"],
        "column": base["column"],
        "b_over_a": ratios,
        "classes": classes,
    }
    movie = as_atomic_resolution(
        frames,
        pixel_size,
        units,
        title="Simulated transforming lattice",
        simulation=params,
        frame_time=frame_time,
    )
    truth = as_labels(
        labels,
        BRAVAIS_CLASSES,
        pixel_size,
        units,
        title="Lattice class",
        frame_time=frame_time,
        extra={"b_over_a": ratios, "classes": classes},
    )
    return movie, truth
