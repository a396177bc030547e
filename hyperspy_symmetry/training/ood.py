"""Out-of-distribution windows: inputs a model never saw, to measure its uncertainty on them."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ood_descriptors"]


def _amorphous_windows(
    n: int, window: int, pixel_size: float, rng, element: str = "Cu"
) -> np.ndarray:
    """HAADF windows of amorphous slabs of ``element`` (no lattice at all)."""
    from ..simulate.crystals import amorphous_atoms, haadf_array, margin_pixels

    margin = margin_pixels(window, pixel_size)
    side = (window + 2 * margin) * pixel_size
    out = np.empty((n, window, window), dtype=np.float32)
    for i in range(n):
        atoms = amorphous_atoms(element, (side, side), 10.0, rng=rng)
        out[i] = haadf_array(atoms, pixel_size, margin=margin)
    return out


def _featureless_windows(n: int, window: int, rng) -> np.ndarray:
    """Windows without any structure: a flat specimen (vacuum, thick carbon seen at low
    contrast) on a faint ramp, so that the augmentation's background and noise are all
    there is."""
    y, x = np.mgrid[:window, :window] / window
    return np.stack(
        [1.0 + 0.01 * (rng.uniform(-1, 1) * y + rng.uniform(-1, 1) * x) for _ in range(n)]
    ).astype(np.float32)


def _quasicrystal_windows(n: int, window: int, rng) -> np.ndarray:
    """Decagonal quasicrystal patterns: five-fold order that no 2D Bravais lattice has."""
    y, x = np.mgrid[:window, :window].astype(float)
    out = np.empty((n, window, window), dtype=np.float32)
    for i in range(n):
        period = rng.uniform(8.0, 16.0)
        turn = rng.uniform(0.0, 2 * math.pi)
        phases = rng.uniform(0.0, 2 * math.pi, 5)
        field = sum(
            np.cos(
                2
                * math.pi
                / period
                * (
                    x * math.cos(turn + 2 * math.pi * j / 5)
                    + y * math.sin(turn + 2 * math.pi * j / 5)
                )
                + phases[j]
            )
            for j in range(5)
        )
        out[i] = np.maximum(field, 0.0) ** 2
    return out


def ood_descriptors(model: str, n: int = 200, seed: int = 0) -> tuple[np.ndarray, str]:
    """Descriptors of ``n`` windows outside a shipped model's training distribution.

    ``aistem``: amorphous slabs of Cu, Fe, Ti and C in turn (HAADF, 12 Å windows at
    0.12 Å/px), with the HAADF-STEM imperfections of its training data
    (:meth:`~hyperspy_symmetry.simulate.augment.AugmentationRecipe.haadf_stem`);
    ``bravais``: decagonal quasicrystal patterns (128 px) with the realistic augmentation
    of its training data.

    Returns
    -------
    descriptors : numpy.ndarray
        ``(n, 64, 64)`` float32.
    what : str
        A description for the model card.
    """
    from ..descriptors import get_descriptor
    from ..simulate.augment import AugmentationRecipe, augment, required_margin

    rng = np.random.default_rng([seed, 7919])
    if model == "aistem":
        window, descriptor = 100, "fft_haadf"
        elements = ("Cu", "Fe", "Ti", "C", None)
        what = (
            "amorphous Cu, Fe, Ti and C, HAADF (convolution approximation), and "
            "featureless windows (flat specimen: background and noise only), 12 Å "
            "windows, HAADF-STEM imperfections"
        )
        recipe = AugmentationRecipe.haadf_stem()
        size = window + 2 * required_margin(recipe, window)
        raw = np.concatenate(
            [
                _amorphous_windows(len(range(i, n, len(elements))), size, 0.12, rng, element)
                if element
                else _featureless_windows(len(range(i, n, len(elements))), size, rng)
                for i, element in enumerate(elements)
            ]
        )
    elif model == "bravais":
        window, what = 128, "decagonal quasicrystal patterns, 128 px windows"
        raw = _quasicrystal_windows(n, window + 26, rng)
        descriptor = "fft_amplitude"
        recipe = AugmentationRecipe.realistic()
    else:
        raise ValueError(f"No out-of-distribution set for {model!r}; use 'aistem' or 'bravais'.")
    windows = np.stack([augment(w, rng, recipe, out_size=window) for w in raw])
    return get_descriptor(descriptor)(windows).astype(np.float32), what
