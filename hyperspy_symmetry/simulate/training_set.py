"""Training sets: simulated windows -> descriptors and labels, written to chunked zarr.

Each sample ``k`` of a set is made from its own random stream
``numpy.random.default_rng([seed, class_index, k // n_classes])`` with the class
``k % n_classes`` (classes interleave, so any prefix of the set is balanced). So a set is
identical for a seed whatever the chunking, the number of workers or the scheduler, and
sets from different seeds share no sample: hold-out sets simply use another seed.

The zarr group holds

- ``descriptors``: ``(n, 64, 64)`` float32, the network inputs, chunked along ``n``;
- ``labels``: ``(n,)`` int16, indices into ``attrs["class_names"]``;
- ``parameters``: ``(n, p)`` float32, the drawn simulation parameters of every sample,
  named in ``attrs["parameter_names"]``;

and in its attributes the whole recipe (``attrs["recipe"]``), the package version, the
build time and ``complete`` (false until the last chunk is written).

Parallel work goes through dask (one task per chunk; the ``processes`` scheduler by
default, any ``dask.distributed`` client works too), with dask's progress bar.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from .. import descriptors as _descriptors
from ..checks import check_number, check_output_folder

__all__ = [
    "TrainingSetRecipe",
    "crystal_spec",
    "build_training_set",
    "load_training_set",
    "make_samples",
    "soft_targets",
    "hole_mask",
    "lattice_visible",
    "BRAVAIS_HOLES",
]

#: Holes in the default ``bravais`` recipe, see :class:`TrainingSetRecipe`.
BRAVAIS_HOLES = {"lattice_probability": 0.5, "noise_empty_probability": 0.3}
#: Optional keys of a recipe's ``holes`` and their values when left out.
_OPTIONAL_HOLE_KEYS = {"centre_reach": 0.0, "low_coverage": 0.0}
#: The coverage range of the ``low_coverage`` share of hole windows.
LOW_COVERAGE_MAX = 0.25

#: Fraction of pristine windows in the default ``aistem`` recipe, see
#: :class:`TrainingSetRecipe`.
AISTEM_PRISTINE = 0.15

#: Default number of samples per class: 3,100 x 10 = 31,000 (the AI-STEM set) and
#: 4,000 x 6 = 24,000 (the Vasudevan set).
DEFAULT_PER_CLASS = {"aistem": 3100, "bravais": 4000}


@dataclass(frozen=True)
class TrainingSetRecipe:
    """Everything that defines a training set; stored as JSON in the zarr attributes.

    Parameters
    ----------
    model
        ``"aistem"`` (HAADF crystals, FFT-HAADF descriptor) or ``"bravais"`` (2D lattices,
        FFT-amplitude descriptor).
    n_per_class
        Samples per class.
    seed
        Seed of the whole set.
    window
        Window side in pixels (AI-STEM: 100 px = 12 Å at 0.12 Å/px; Bravais: 128 px).
    pixel_size
        Å per pixel of the simulated HAADF images (``aistem`` only).
    rotation
        ``(min, max, step)`` degrees; ``step = 0`` draws uniformly from ``[min, max)``.
        The power spectrum is centrosymmetric, so ``(0, 180, 0)`` covers every orientation.
    lattice_jitter
        Half-width (Å) of the uniform spread of ``a`` and ``c`` around their nominal values
        (``aistem``; the paper: 0.1 Å).
    displacement
        Maximum standard deviation of random static atom displacements (Å for ``aistem``;
        for ``bravais`` the lattice sampler's own class-dependent default is used).
    augmentation
        :class:`~hyperspy_symmetry.simulate.augment.AugmentationRecipe` as a dict;
        ``None``: its ``realistic()`` preset. :meth:`default` gives ``aistem`` the
        ``haadf_stem()`` preset.
    imaging
        ``aistem`` only: :class:`~hyperspy_symmetry.simulate.imaging.ImagingRecipe` as a dict
        (specimen thickness, mistilt, amorphous layers, probe aberrations, non-linear column
        intensities); ``None``: none of them. :meth:`default` gives ``aistem`` the
        ``haadf_stem()`` preset.
    extra_classes
        ``aistem`` only: more classes after the 10 built-in ones, ``{name: spec}`` with
        ``spec`` from :func:`~.training_set.crystal_spec` (an ASE structure and a zone axis,
        as JSON).
        Their lattice is scaled as a whole by ``1 ± lattice_jitter / a``.
    holes
        ``bravais`` only: windows with holes (regions without atoms, as where the beam has
        sputtered a 2D material away), ``{"lattice_probability", "noise_empty_probability"}``
        and optionally ``"centre_reach"`` and ``"low_coverage"``. A lattice window gets, with
        ``lattice_probability``, holes covering a uniform random fraction of it (in [0, 1],
        or with probability ``low_coverage``, default 0, in [0, 0.25]; 0.5 was a trial),
        centred anywhere up to ``centre_reach`` windows beyond its edges (default 0: inside the
        window; 0.5 was a trial, see docs/training.md, "Holes in the bravais training
        set"); its ``hole_coverage`` parameter is that fraction weighted as the
        descriptor weights pixels, and the trainer's target becomes ``1 - coverage`` of its
        class and ``coverage`` of ``noise`` (so a mean ``noise`` probability estimates the
        hole area, as the Bravais paper uses it). A ``noise`` window is, with
        ``noise_empty_probability``, an empty window (vacuum, coverage 1) instead of a
        disordered lattice: the paper's noise class stands for "no periodicity (or no atoms)".
        ``None``: no holes (the default recipe of ``bravais`` sets
        :data:`~hyperspy_symmetry.simulate.training_set.BRAVAIS_HOLES`).
    pristine
        Fraction of windows simulated without any imperfection: no augmentation and, for
        ``aistem``, no imaging imperfection but the specimen thickness. Every other window
        draws each imperfection independently, so without this fraction a window free of
        all of them is rare (well under 1 % with the ``haadf_stem()`` presets), and a model
        can be unsure of exactly the clean, high-dose image it should know best. Lattice
        jitter, displacements and rotation are drawn as for every window.
    """

    model: str = "aistem"
    n_per_class: int = 3100
    seed: int = 0
    window: int = 100
    pixel_size: float = 0.12
    rotation: tuple[float, float, float] = (0.0, 180.0, 0.0)
    lattice_jitter: float = 0.1
    displacement: float = 0.05
    augmentation: dict[str, Any] | None = None
    extra_classes: dict[str, dict[str, Any]] | None = None
    holes: dict[str, float] | None = None
    imaging: dict[str, Any] | None = None
    pristine: float = 0.0

    @classmethod
    def default(cls, model: str = "aistem", **changes: Any) -> TrainingSetRecipe:
        """The default recipe of a model, with ``changes`` applied.

        Examples
        --------
        >>> from hyperspy_symmetry.simulate import TrainingSetRecipe
        >>> r = TrainingSetRecipe.default("bravais", n_per_class=10)
        >>> r.window, r.n_per_class
        (128, 10)
        """
        if model not in DEFAULT_PER_CLASS:
            raise ValueError(f"model must be one of {sorted(DEFAULT_PER_CLASS)}, got {model!r}.")
        if model == "aistem":
            from .augment import AugmentationRecipe
            from .imaging import ImagingRecipe

            base = cls(
                model=model,
                n_per_class=DEFAULT_PER_CLASS[model],
                window=100,
                augmentation=AugmentationRecipe.haadf_stem().to_dict(),
                imaging=ImagingRecipe.haadf_stem().to_dict(),
                pristine=AISTEM_PRISTINE,
            )
        else:
            base = cls(
                model=model,
                n_per_class=DEFAULT_PER_CLASS[model],
                window=128,
                holes=dict(BRAVAIS_HOLES),
            )
        return replace(base, **changes)

    def __post_init__(self) -> None:
        if self.model not in DEFAULT_PER_CLASS:
            raise ValueError(
                f"model must be one of {sorted(DEFAULT_PER_CLASS)}, got {self.model!r}."
            )
        if int(self.n_per_class) < 1:
            raise ValueError(f"n_per_class must be at least 1, got {self.n_per_class}.")
        if int(self.window) < _descriptors.DESCRIPTOR_SIZE:
            raise ValueError(
                f"window must be at least {_descriptors.DESCRIPTOR_SIZE} px, got {self.window}."
            )
        if len(tuple(self.rotation)) != 3:
            raise ValueError(f"rotation must be (min, max, step) in degrees, got {self.rotation}.")
        if self.extra_classes and self.model != "aistem":
            raise ValueError("extra_classes are HAADF crystal classes: only for model='aistem'.")
        if self.imaging is not None:
            if self.model != "aistem":
                raise ValueError("imaging is for HAADF crystals: only for model='aistem'.")
            self.imaging_recipe()  # raises on unknown keys or bad ranges
        check_number(
            self.pristine,
            "pristine",
            low=0.0,
            high=1.0,
            hint="(fraction of windows without imperfections)",
        )
        if self.holes is not None:
            if self.model != "bravais":
                raise ValueError("holes are for model='bravais' only.")
            keys, allowed = set(self.holes), set(BRAVAIS_HOLES) | set(_OPTIONAL_HOLE_KEYS)
            in_range = all(0.0 <= float(v) <= 1.0 for v in self.holes.values())
            if not (set(BRAVAIS_HOLES) <= keys <= allowed and in_range):
                raise ValueError(
                    f"holes needs the fractions {sorted(BRAVAIS_HOLES)} in [0, 1] "
                    f"(optionally also {sorted(_OPTIONAL_HOLE_KEYS)}), got {self.holes}."
                )

    @property
    def class_names(self) -> list[str]:
        if self.model == "aistem":
            from .crystals import AISTEM_CLASSES

            return list(AISTEM_CLASSES) + list(self.extra_classes or {})
        from .bravais import BRAVAIS_CLASSES

        return list(BRAVAIS_CLASSES)

    @property
    def descriptor(self) -> str:
        return "fft_haadf" if self.model == "aistem" else "fft_amplitude"

    @property
    def n_samples(self) -> int:
        return int(self.n_per_class) * len(self.class_names)

    def augmentation_recipe(self):
        from .augment import AugmentationRecipe

        if self.augmentation is None:
            return AugmentationRecipe.realistic()
        return AugmentationRecipe.from_dict(self.augmentation)

    def imaging_recipe(self):
        from .imaging import ImagingRecipe

        if self.imaging is None:
            return ImagingRecipe.none()
        return ImagingRecipe.from_dict(self.imaging)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rotation"] = list(self.rotation)
        d["augmentation"] = self.augmentation_recipe().to_dict()
        if self.imaging is not None:
            d["imaging"] = self.imaging_recipe().to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainingSetRecipe:
        d = dict(d)
        d["rotation"] = tuple(d.get("rotation", (0.0, 180.0, 0.0)))
        return cls(**d)


#: Names of the columns of ``parameters`` for each model.
PARAMETER_NAMES = {
    "aistem": (
        "lattice_parameter",
        "c_over_a",
        "rotation",
        "displacement",
        "thickness",
        "tilt_mrad",
        "amorphous_thickness",
        "exponent",
        "defocus",
        "astigmatism",
        "coma",
        "trefoil",
    ),
    "bravais": ("a", "b_over_a", "gamma", "rotation", "displacement", "hole_coverage"),
}


def _draw_rotation(rotation: Sequence[float], rng: np.random.Generator) -> float:
    lo, hi, step = (float(v) for v in rotation)
    if step > 0:
        return float(rng.choice(np.arange(lo, hi + 1e-9, step)))
    return float(rng.uniform(lo, hi))


def crystal_spec(atoms, zone_axis) -> dict[str, Any]:
    """A JSON description of a crystal class: an ASE bulk cell and a zone axis.

    Examples
    --------
    >>> from ase.build import bulk
    >>> spec = crystal_spec(bulk("Au", "fcc", a=4.08, cubic=True), (1, 1, 0))
    >>> spec["zone_axis"], len(spec["numbers"])
    ([1, 1, 0], 4)
    """
    return {
        "numbers": [int(z) for z in atoms.numbers],
        "cell": np.asarray(atoms.cell[:], dtype=float).round(8).tolist(),
        "scaled_positions": atoms.get_scaled_positions(wrap=False).round(8).tolist(),
        "zone_axis": [int(i) for i in zone_axis],
    }


def _spec_atoms(spec: dict[str, Any], scale: float = 1.0):
    from ._optional import simulation_module

    Atoms = simulation_module("ase", "Building the atoms of a crystal spec").Atoms

    return Atoms(
        numbers=spec["numbers"],
        cell=np.asarray(spec["cell"]) * scale,
        scaled_positions=spec["scaled_positions"],
        pbc=True,
    )


def _imaging_values(kwargs: dict[str, Any]) -> tuple[float, ...]:
    """The ``thickness`` ... ``trefoil`` columns of :data:`PARAMETER_NAMES` of a drawn set of
    imaging keyword arguments (0 where an imperfection was not drawn)."""
    from .crystals import THICKNESS

    amorphous = kwargs.get("amorphous") or {}
    aberrations = kwargs.get("aberrations") or {}
    return (
        float(kwargs.get("thickness", THICKNESS)),
        float(kwargs.get("tilt", (0.0, 0.0))[0]),
        float(amorphous.get("top", 0.0)) + float(amorphous.get("bottom", 0.0)),
        float(kwargs.get("exponent", 1.0)),
        *(float(aberrations.get(k, 0.0)) for k in ("C10", "C12", "C21", "C23")),
    )


def _extra_window(spec, rng, recipe: TrainingSetRecipe, size: int):
    from .crystals import crystal_array
    from .imaging import draw_imaging

    a0 = float(np.linalg.norm(spec["cell"][0]))
    a = a0 + rng.uniform(-float(recipe.lattice_jitter), float(recipe.lattice_jitter))
    rotation = _draw_rotation(recipe.rotation, rng)
    displacement = rng.uniform(0.0, float(recipe.displacement))
    atoms = _spec_atoms(spec, a / a0)
    # the heaviest element stands for the crystal in amorphous layers of its own kind
    element = atoms[int(np.argmax(atoms.numbers))].symbol
    imaging = draw_imaging(recipe.imaging_recipe(), rng, element)
    image, _ = crystal_array(
        atoms,
        size,
        recipe.pixel_size,
        rotation,
        rng,
        zone_axis=spec["zone_axis"],
        displacement=displacement,
        **imaging,
    )
    return image, (a, np.nan, rotation, displacement, *_imaging_values(imaging))


def _aistem_window(
    class_index: int, rng: np.random.Generator, recipe: TrainingSetRecipe, size: int
):
    from .crystals import AISTEM_CLASSES, crystal_array
    from .imaging import draw_imaging

    if class_index >= len(AISTEM_CLASSES):
        name = recipe.class_names[class_index]
        return _extra_window(recipe.extra_classes[name], rng, recipe, size)
    crystal = list(AISTEM_CLASSES.values())[class_index]
    jitter = float(recipe.lattice_jitter)
    a = crystal.a + rng.uniform(-jitter, jitter)
    c_over_a = None
    if crystal.c_over_a is not None:
        c_over_a = (crystal.a * crystal.c_over_a + rng.uniform(-jitter, jitter)) / a
    rotation = _draw_rotation(recipe.rotation, rng)
    displacement = rng.uniform(0.0, float(recipe.displacement))
    imaging = draw_imaging(recipe.imaging_recipe(), rng, crystal.element)
    image, _ = crystal_array(
        crystal.name,
        size,
        recipe.pixel_size,
        rotation,
        rng,
        lattice_parameter=a,
        c_over_a=c_over_a,
        displacement=displacement,
        **imaging,
    )
    values = (
        a,
        c_over_a if c_over_a is not None else np.nan,
        rotation,
        displacement,
        *_imaging_values(imaging),
    )
    return image, values


def _bravais_window(
    class_index: int, rng: np.random.Generator, recipe: TrainingSetRecipe, size: int
):
    from .bravais import BRAVAIS_CLASSES, bravais_array

    lattice = BRAVAIS_CLASSES[class_index]
    holes, window = recipe.holes, int(recipe.window)
    empty = target = False
    if holes is not None:
        if lattice == "noise":
            empty = rng.random() < holes["noise_empty_probability"]
        elif rng.random() < holes["lattice_probability"]:
            low = float(holes.get("low_coverage", _OPTIONAL_HOLE_KEYS["low_coverage"]))
            # drawn only when asked for, so that recipes without it keep their streams
            top = LOW_COVERAGE_MAX if low > 0 and rng.random() < low else 1.0
            target = rng.uniform(0.0, top)
    geometry = BRAVAIS_CLASSES[int(rng.integers(5))] if empty else lattice
    rotation = _draw_rotation(recipe.rotation, rng)
    image, params = bravais_array(geometry, size, rng, rotation=rotation)
    coverage = 0.0
    if empty or target:
        reach = float(holes.get("centre_reach", _OPTIONAL_HOLE_KEYS["centre_reach"]))
        mask = (
            np.ones_like(image, dtype=bool)
            if empty
            else hole_mask(size, window, target, rng, reach=reach)
        )
        image[mask] = rng.uniform(0.0, 0.05)  # vacuum: a faint, flat background
        lo = (size - window) // 2
        weight = _descriptors._sqrt_hann_2d(window)
        coverage = float((mask[lo : lo + window, lo : lo + window] * weight).sum() / weight.sum())
    params["hole_coverage"] = coverage
    values = tuple(float(params[name]) for name in PARAMETER_NAMES["bravais"])
    return image, values


def soft_targets(
    labels: np.ndarray, coverage: np.ndarray, n_classes: int, empty_class: int
) -> np.ndarray:
    """Training targets of windows with holes: ``1 - coverage`` of their class, ``coverage``
    of ``empty_class``; windows of ``empty_class`` itself are one-hot.

    Examples
    --------
    >>> soft_targets(np.array([0, 2]), np.array([0.25, 1.0]), 3, 2).tolist()
    [[0.75, 0.0, 0.25], [0.0, 0.0, 1.0]]
    """
    labels = np.asarray(labels, dtype=np.int64)
    c = np.where(labels == empty_class, 0.0, np.clip(np.asarray(coverage, float), 0.0, 1.0))
    targets = np.zeros((len(labels), n_classes), dtype=np.float32)
    targets[np.arange(len(labels)), labels] = 1.0 - c
    targets[:, empty_class] += c
    return targets


def hole_mask(
    size: int,
    window: int,
    coverage: float,
    rng: np.random.Generator,
    max_holes: int = 3,
    reach: float = 0.0,
) -> np.ndarray:
    """Holes in a ``size`` image covering ``coverage`` of its central ``window`` square.

    One to ``max_holes`` round holes of random centres and relative sizes; their common
    scale is set so that they cover exactly ``coverage`` of the square. The centres are
    uniform over the square grown by ``reach`` windows on every side: with ``reach > 0``
    some holes reach into the square from outside, as a hole larger than a window does.

    Examples
    --------
    >>> m = hole_mask(64, 32, 0.25, np.random.default_rng(0))
    >>> round(float(m[16:48, 16:48].mean()), 2)
    0.25
    >>> m = hole_mask(64, 32, 0.25, np.random.default_rng(0), reach=0.5)
    >>> round(float(m[16:48, 16:48].mean()), 2)
    0.25
    """
    lo = (size - window) // 2
    n = int(rng.integers(1, max_holes + 1))
    margin = float(reach) * window
    centres = rng.uniform(lo - margin, lo + window + margin, (n, 2))
    weights = rng.uniform(0.5, 1.5, n)
    yy, xx = np.mgrid[:size, :size]
    distance = np.min(
        np.hypot(yy[None] - centres[:, 0, None, None], xx[None] - centres[:, 1, None, None])
        / weights[:, None, None],
        axis=0,
    )
    if coverage >= 1.0:
        return np.ones((size, size), dtype=bool)
    central = np.sort(distance[lo : lo + window, lo : lo + window].ravel())
    k = int(round(coverage * central.size))
    if k == 0:
        return np.zeros((size, size), dtype=bool)
    return distance <= central[k - 1]


def make_samples(
    recipe: TrainingSetRecipe, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples ``start:stop`` of a training set: descriptors, labels and parameters.

    Pure and deterministic: the result depends only on the recipe and the indices.

    Examples
    --------
    >>> from hyperspy_symmetry.simulate import TrainingSetRecipe, make_samples
    >>> recipe = TrainingSetRecipe.default("bravais", n_per_class=2)
    >>> x, y, p = make_samples(recipe, 0, 6)  # doctest: +SKIP
    >>> x.shape, y.tolist()  # doctest: +SKIP
    ((6, 64, 64), [0, 1, 2, 3, 4, 5])
    """
    from .augment import apply, draw, required_margin

    n_classes = len(recipe.class_names)
    make_window = _aistem_window if recipe.model == "aistem" else _bravais_window
    augmentation = recipe.augmentation_recipe()
    window = int(recipe.window)
    # Simulate a larger image so that shear, drift and jitter never reach its edges.
    size = window + 2 * required_margin(augmentation, window)
    windows = np.empty((stop - start, window, window), dtype=np.float32)
    labels = np.empty(stop - start, dtype=np.int16)
    values = np.empty((stop - start, len(PARAMETER_NAMES[recipe.model])), dtype=np.float32)
    describe = _descriptors.get_descriptor(recipe.descriptor)
    descriptors = np.empty((stop - start,) + (_descriptors.DESCRIPTOR_SIZE,) * 2, np.float32)
    tries = MAX_REDRAWS if recipe.model == "aistem" else 1
    clean = _pristine_recipe(recipe)
    described = np.zeros(stop - start, dtype=bool)  # rows whose descriptor the check made
    for row, k in enumerate(range(start, stop)):
        class_index, i = k % n_classes, k // n_classes
        rng = np.random.default_rng([int(recipe.seed), class_index, i])
        # drawn only when asked for, so that sets without pristine windows keep their streams
        pristine = recipe.pristine > 0 and bool(rng.random() < recipe.pristine)
        image, values[row] = make_window(class_index, rng, clean if pristine else recipe, size)
        for _ in range(tries):
            params = {} if pristine else draw(augmentation, rng)
            windows[row] = apply(image, params, rng, out_size=window)
            if tries == 1 or pristine:
                break
            descriptors[row] = describe(windows[row][None])[0]
            described[row] = True
            if lattice_visible(descriptors[row]):
                break
        labels[row] = class_index
    if not described.all():  # one batched pass for the rest
        descriptors[~described] = describe(windows[~described])
    return descriptors, labels, values


def _pristine_recipe(recipe: TrainingSetRecipe) -> TrainingSetRecipe:
    """``recipe`` for its pristine windows: no imaging imperfection but the thickness."""
    imaging = None
    if recipe.imaging is not None:
        from .imaging import ImagingRecipe

        imaging = ImagingRecipe(thickness=recipe.imaging_recipe().thickness).to_dict()
    return replace(recipe, imaging=imaging, pristine=0.0)


#: Augmentation draws tried per ``aistem`` window before one that leaves its lattice
#: visible in the descriptor is kept anyway (about 1 window in 7 needs a second draw).
MAX_REDRAWS = 10


def lattice_visible(descriptor: np.ndarray, radius: float = 3.5, level: float = 0.1) -> bool:
    """Whether an FFT-HAADF descriptor shows any reflection beyond the central peak.

    The descriptor saturates at 10 % of the spectrum's maximum, so ``level = 0.1`` asks for
    a reflection of at least 1 % of the maximum power at more than ``radius`` descriptor
    pixels from the centre (0.29 Å⁻¹ at 12 Å windows: every ``aistem`` class's first-order
    reflections lie beyond 0.39 Å⁻¹). A window whose augmentation buried its lattice under
    blur, noise and background carries no information about its class; labelled, it would
    teach the network to name a class for any featureless window (a first training set did:
    empty descriptors, as of real amorphous carbon, came out ``FCC_Cu_111``, whose
    reflections blur away first). :func:`make_samples` draws the augmentation of such
    windows again.

    Examples
    --------
    >>> d = np.zeros((64, 64)); d[32, 32] = 1.0
    >>> lattice_visible(d)
    False
    >>> d[32, 40] = 0.5
    >>> lattice_visible(d)
    True
    """
    d = np.asarray(descriptor)
    n = d.shape[-1]
    yy, xx = np.indices(d.shape[-2:])
    outside = np.hypot(yy - n // 2, xx - n // 2) > radius
    return bool(d[outside].max() >= level)


def _block(recipe_dict: dict[str, Any], start: int, stop: int):
    return make_samples(TrainingSetRecipe.from_dict(recipe_dict), start, stop)


def build_training_set(
    path: str,
    model: str = "aistem",
    n_per_class: int | None = None,
    seed: int = 0,
    *,
    recipe: TrainingSetRecipe | None = None,
    chunk_size: int = 256,
    scheduler: Any = "processes",
    num_workers: int | None = None,
    show_progressbar: bool = True,
    overwrite: bool = False,
):
    """Simulate a training set and write it to a chunked zarr group.

    Parameters
    ----------
    path
        Folder of the zarr group (e.g. ``"aistem_train.zarr"``).
    model
        ``"aistem"`` or ``"bravais"``; ignored when ``recipe`` is given.
    n_per_class
        Samples per class; default 3,100 for ``aistem`` (31,000 in all, as AI-STEM) and
        4,000 for ``bravais`` (24,000, as Vasudevan et al.).
    seed
        Seed of the set; the same seed gives the same set bit for bit.
    recipe
        A full :class:`TrainingSetRecipe` (``model``, ``n_per_class`` and ``seed`` are then
        taken from it).
    chunk_size
        Samples per zarr chunk and per dask task.
    scheduler
        A dask scheduler name (``"processes"``, ``"threads"``, ``"synchronous"``) or a
        ``dask.distributed.Client``.
    num_workers
        Worker processes/threads for the local schedulers; default: all cores.
    show_progressbar
        Show dask's progress bar.
    overwrite
        Replace an existing group at ``path``; otherwise an existing path is an error.

    Returns
    -------
    zarr.Group
        The written group (see the module docstring for its layout).

    Examples
    --------
    >>> from hyperspy_symmetry.simulate import build_training_set
    >>> g = build_training_set("bravais.zarr", "bravais", n_per_class=8, seed=1)  # doctest: +SKIP
    >>> g["descriptors"].shape  # doctest: +SKIP
    (48, 64, 64)
    """
    from contextlib import nullcontext

    import dask
    import dask.array as da
    import zarr
    from tqdm.auto import tqdm
    from tqdm.dask import TqdmCallback

    from .. import __version__

    if recipe is None:
        recipe = TrainingSetRecipe.default(model, seed=int(seed))
        if n_per_class is not None:
            recipe = replace(recipe, n_per_class=int(n_per_class))
    chunk_size = check_number(chunk_size, "chunk_size", low=1, integer=True)
    if num_workers is not None:
        num_workers = check_number(num_workers, "num_workers", low=1, integer=True)
    check_output_folder(path)
    store = zarr.DirectoryStore(str(path))
    if not overwrite and zarr.storage.contains_group(store):
        raise FileExistsError(
            f"{path} already holds a zarr group; pass overwrite=True to replace it."
        )

    n = recipe.n_samples
    size = _descriptors.DESCRIPTOR_SIZE
    names = PARAMETER_NAMES[recipe.model]
    group = zarr.group(store=store, overwrite=True)
    group.attrs.update(
        {
            "recipe": recipe.to_dict(),
            "class_names": recipe.class_names,
            "descriptor": recipe.descriptor,
            "window": int(recipe.window),
            "pixel_size": float(recipe.pixel_size) if recipe.model == "aistem" else None,
            "parameter_names": list(names),
            "hyperspy_symmetry_version": __version__,
            "complete": False,
        }
    )
    z_desc = group.create_dataset(
        "descriptors", shape=(n, size, size), chunks=(chunk_size, size, size), dtype="f4"
    )
    z_lab = group.create_dataset("labels", shape=(n,), chunks=(chunk_size,), dtype="i2")
    z_par = group.create_dataset(
        "parameters", shape=(n, len(names)), chunks=(chunk_size, len(names)), dtype="f4"
    )

    recipe_dict = recipe.to_dict()
    starts = range(0, n, chunk_size)
    blocks = [
        dask.delayed(_block, pure=True)(recipe_dict, s, min(s + chunk_size, n)) for s in starts
    ]
    parts = [[], [], []]
    for start, block in zip(starts, blocks, strict=False):
        m = min(start + chunk_size, n) - start
        parts[0].append(da.from_delayed(block[0], (m, size, size), np.float32))
        parts[1].append(da.from_delayed(block[1], (m,), np.int16))
        parts[2].append(da.from_delayed(block[2], (m, len(names)), np.float32))
    arrays = [da.concatenate(p) for p in parts]

    begin = time.perf_counter()
    kwargs: dict[str, Any] = {}
    if isinstance(scheduler, str):
        kwargs["scheduler"] = scheduler
        if num_workers is not None:
            kwargs["num_workers"] = num_workers
        bar = (
            TqdmCallback(desc="simulating", tqdm_class=tqdm) if show_progressbar else nullcontext()
        )
        with bar:
            da.store(arrays, [z_desc, z_lab, z_par], lock=False, **kwargs)
    else:  # a dask.distributed Client
        da.store(arrays, [z_desc, z_lab, z_par], lock=False, compute=True, scheduler=scheduler)
    seconds = time.perf_counter() - begin
    group.attrs.update({"build_seconds": round(seconds, 1), "complete": True})
    return group


def load_training_set(path: str, lazy: bool = False) -> dict[str, Any]:
    """Read a training set written by :func:`build_training_set`.

    Parameters
    ----------
    path
        Folder of the zarr group.
    lazy
        Return dask arrays instead of NumPy arrays.

    Returns
    -------
    dict
        ``descriptors``, ``labels``, ``parameters`` (arrays), ``class_names``,
        ``parameter_names``, ``recipe`` (:class:`TrainingSetRecipe`) and ``attrs``.

    Raises
    ------
    ValueError
        If the group is missing its arrays or was not completely written.
    """
    import dask.array as da
    import zarr

    try:
        group = zarr.open_group(str(path), mode="r")
    except (zarr.errors.GroupNotFoundError, FileNotFoundError, ValueError) as err:
        raise ValueError(f"{path} is not a training set (no zarr group there).") from err
    missing = {"descriptors", "labels", "parameters"} - set(group.array_keys())
    if missing:
        raise ValueError(f"{path} is not a complete training set: missing {sorted(missing)}.")
    if not group.attrs.get("complete", False):
        raise ValueError(
            f"{path} was not completely written (attrs['complete'] is false); build it again."
        )
    read = (lambda a: da.from_zarr(a)) if lazy else (lambda a: a[...])
    attrs = dict(group.attrs)
    return {
        "descriptors": read(group["descriptors"]),
        "labels": read(group["labels"]),
        "parameters": read(group["parameters"]),
        "class_names": list(attrs["class_names"]),
        "parameter_names": list(attrs["parameter_names"]),
        "recipe": TrainingSetRecipe.from_dict(attrs["recipe"]),
        "attrs": attrs,
    }
