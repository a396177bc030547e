"""Windows across grain boundaries, for teaching a HAADF model where its classes end.

A window over a boundary holds two grains: no class of the model describes it, and the
AI-STEM paper reads such windows by their high mutual information. :func:`boundary_windows`
cuts them from simulated bicrystals (:func:`~hyperspy_symmetry.simulate.bicrystal`) and
gives each the share of the other grain in the descriptor's taper, so that a training stage
can ask the Monte-Carlo samples to disagree there in proportion
(:mod:`hyperspy_symmetry.training.boundary_stage`).

Importing this module imports neither abTEM nor TensorFlow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..checks import check_number

__all__ = ["BoundaryRecipe", "PROJECTED_ROTATION_ORDER", "boundary_draws", "boundary_windows"]

#: Rotational symmetry of each ``aistem`` class's power spectrum (centrosymmetric, so at
#: least 2): a grain turned by a multiple of 360° / order looks the same.
PROJECTED_ROTATION_ORDER = {
    "BCC_Fe_100": 4,
    "BCC_Fe_110": 2,
    "BCC_Fe_111": 6,
    "FCC_Cu_100": 4,
    "FCC_Cu_110": 2,
    "FCC_Cu_111": 6,
    "FCC_Cu_211": 2,
    "HCP_Ti_0001": 6,
    "HCP_Ti_10m10": 2,
    "HCP_Ti_2m1m10": 2,
}


@dataclass(frozen=True)
class BoundaryRecipe:
    """How :func:`boundary_windows` draws its bicrystals.

    Attributes
    ----------
    window, pixel_size
        Window side (px) and Å per pixel (the ``aistem`` training geometry).
    same_class_probability
        Chance that both grains are of one class (a grain boundary rather than an
        interphase boundary).
    min_misorientation
        Smallest effective misorientation (degrees, modulo the class's rotational
        symmetry) of two grains of one class.
    max_offset
        Largest distance (px) of the boundary plane from the window's centre.
    core_probability, max_core_disorder
        Chance of a disordered core, and the largest rms displacement (Å) at its plane
        (:func:`~hyperspy_symmetry.simulate.bicrystal`); otherwise the boundary is sharp.
    """

    window: int = 100
    pixel_size: float = 0.12
    same_class_probability: float = 0.5
    min_misorientation: float = 8.0
    max_offset: float = 30.0
    core_probability: float = 0.7
    max_core_disorder: float = 0.5

    def to_dict(self) -> dict:
        return asdict(self)


def _effective_misorientation(angle: float, order: int) -> float:
    step = 360.0 / order
    return abs((angle + step / 2) % step - step / 2)


def boundary_draws(
    n: int, seed: int = 0, recipe: BoundaryRecipe | None = None
) -> list[dict[str, Any]]:
    """The grains of each window :func:`boundary_windows` cuts, without simulating them.

    Parameters
    ----------
    n, seed, recipe
        As in :func:`boundary_windows`.

    Returns
    -------
    list of dict
        Per window: ``classes`` (the two grains' classes) and ``misorientation`` (degrees,
        effective: modulo the first class's projected rotational symmetry).

    Examples
    --------
    >>> draws = boundary_draws(3, seed=0)
    >>> sorted(draws[0])
    ['classes', 'misorientation']
    """
    recipe = recipe or BoundaryRecipe()
    out = []
    for index in range(int(n)):
        first, second, misorientation = _draw_grains(
            np.random.default_rng([int(seed), index]), recipe
        )
        order = PROJECTED_ROTATION_ORDER[first]
        effective = _effective_misorientation(misorientation, order)
        out.append({"classes": (first, second), "misorientation": round(effective, 3)})
    return out


def _draw_grains(rng: np.random.Generator, recipe: BoundaryRecipe):
    """The first draws of a window from ``rng``: its classes and misorientation."""
    from .crystals import AISTEM_CLASSES

    names = list(AISTEM_CLASSES)
    first = names[int(rng.integers(len(names)))]
    same = rng.random() < recipe.same_class_probability
    second = first if same else names[int(rng.integers(len(names)))]
    while True:
        misorientation = rng.uniform(0.0, 180.0)
        order = PROJECTED_ROTATION_ORDER[first]
        if second != first or (
            _effective_misorientation(misorientation, order) >= recipe.min_misorientation
        ):
            break
    return first, second, misorientation


def _one_window(index: int, seed: int, recipe: BoundaryRecipe) -> tuple[np.ndarray, float]:
    from scipy import ndimage

    from ..descriptors import _sqrt_hann_2d
    from .augment import AugmentationRecipe
    from .scenes import bicrystal

    rng = np.random.default_rng([seed, index])
    first, second, misorientation = _draw_grains(rng, recipe)
    offset = rng.uniform(-recipe.max_offset, recipe.max_offset)
    turn = rng.uniform(0.0, 360.0)
    core = (
        rng.uniform(0.0, recipe.max_core_disorder)
        if rng.random() < recipe.core_probability
        else 0.0
    )
    # Large enough that the turned window never reaches beyond the simulated square.
    size = int(np.ceil(recipe.window * np.sqrt(2.0) + 2 * recipe.max_offset)) + 8
    image, labels = bicrystal(
        first,
        misorientation,
        size=size,
        pixel_size=recipe.pixel_size,
        rotation=rng.uniform(0.0, 180.0),
        second_class=second,
        boundary=0.5 + offset / size,
        core_disorder=core,
        seed=int(rng.integers(2**31)),
        augmentation=AugmentationRecipe.haadf_stem(),
    )
    turned = ndimage.rotate(
        np.asarray(image.data, dtype=np.float64), turn, reshape=False, order=1, mode="reflect"
    )
    side = ndimage.rotate(
        np.asarray(labels.data, dtype=np.float64), turn, reshape=False, order=0, mode="nearest"
    )
    c = size // 2 - recipe.window // 2
    crop = np.s_[c : c + recipe.window, c : c + recipe.window]
    taper = _sqrt_hann_2d(recipe.window)  # as the descriptors weight pixels
    right = float((taper * (side[crop] > 0.5)).sum() / taper.sum())
    return turned[crop].astype(np.float32), min(right, 1.0 - right)


def boundary_windows(
    n: int,
    seed: int = 0,
    recipe: BoundaryRecipe | None = None,
    num_workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Windows across simulated grain boundaries and the other grain's share of each.

    Each window is cut from its own bicrystal: two ``aistem`` classes (the same one with
    ``recipe.same_class_probability``, then turned apart by at least
    ``recipe.min_misorientation``), random orientations, a disordered or sharp core, the
    ``haadf_stem()`` augmentation, the boundary up to ``recipe.max_offset`` px from the
    window's centre and the window turned at random (so that the boundary runs in any
    direction).

    Parameters
    ----------
    n
        Number of windows.
    seed
        Seed of the draws (window ``i`` depends on ``seed`` and ``i`` only).
    recipe
        :class:`BoundaryRecipe`; default the defaults.
    num_workers
        Processes (dask's ``processes`` scheduler, a task per 100 windows); default one.

    Returns
    -------
    windows : numpy.ndarray
        float32 ``(n, window, window)``.
    share : numpy.ndarray
        float32 ``(n,)``: the smaller grain's share of the square-root Hann taper the
        descriptors weight pixels with, 0 to 0.5.

    Examples
    --------
    >>> windows, share = boundary_windows(2, seed=0)
    >>> windows.shape, bool(((share >= 0) & (share <= 0.5)).all())
    ((2, 100, 100), True)
    """
    n = check_number(n, "n", low=1, integer=True)
    seed = check_number(seed, "seed", low=0, integer=True)
    recipe = recipe or BoundaryRecipe()
    if num_workers and num_workers > 1:
        import dask

        # As build_training_set does: one task per block of windows, in processes.
        step = 100
        blocks = [
            dask.delayed(_block, pure=True)(start, min(start + step, n), int(seed), recipe)
            for start in range(0, int(n), step)
        ]
        parts = dask.compute(*blocks, scheduler="processes", num_workers=int(num_workers))
    else:
        parts = [_block(0, int(n), int(seed), recipe)]
    return np.concatenate([w for w, _ in parts]), np.concatenate([s for _, s in parts])


def _block(start: int, stop: int, seed: int, recipe: BoundaryRecipe):
    results = [_one_window(i, seed, recipe) for i in range(start, stop)]
    windows = np.stack([r[0] for r in results])
    return windows, np.array([r[1] for r in results], dtype=np.float32)
