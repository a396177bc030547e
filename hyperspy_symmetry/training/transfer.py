"""Does a HAADF model transfer beyond its training images? Checks on experimental-like data.

Real images differ from the training data in pixel size, in the physics of the contrast
(channelling, which the convolution approximation leaves out) and in their distortions.
These functions measure a model on images that differ in those ways, through the public
``classify_symmetry`` path:

- :func:`pixel_size_metrics`: images of every class at other pixel sizes (0.08-0.2 Å/px),
  classified with 12 Å windows ("window scaling"), with realistic noise and distortions;
- :func:`multislice_metrics`: images simulated by full multislice instead of the
  convolution approximation the model was trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["pixel_size_metrics", "multislice_metrics"]


def _classify_all(
    images: list, names: list[str], model, n_samples: int, seed: int, stride: str
) -> dict[str, float]:
    correct, total, mi = 0, 0, []
    for image, name in zip(images, names, strict=False):
        kw = dict(
            model=model,
            window_size="12 Å",
            stride=stride,
            n_samples=n_samples,
            seed=seed,
            show_progressbar=False,
        )
        p = image.classify_symmetry(**kw)
        u = image.mc_uncertainty(**kw)
        predicted = np.asarray(p.predicted_class().data).ravel()
        correct += int(np.sum(predicted == list(p.class_names).index(name)))
        total += predicted.size
        mi.append(np.asarray(u.data).ravel())
    mi = np.concatenate(mi)
    return {
        "accuracy": round(correct / total, 5),
        "n_windows": total,
        "mi_median": float(np.median(mi)),
        "mi_p90": float(np.percentile(mi, 90)),
    }


def pixel_size_metrics(
    model: Any = "aistem",
    pixel_sizes: Sequence[float] = (0.08, 0.1, 0.12, 0.16, 0.2),
    field_of_view: float = 24.0,
    n_samples: int = 20,
    seed: int = 300,
    realistic: bool = True,
) -> dict[str, dict[str, float]]:
    """Window accuracy and MI of a HAADF model on every class at several pixel sizes.

    One image of ``field_of_view`` Å per class and pixel size (random rotation, realistic
    augmentation unless ``realistic=False``), 12 Å windows every 3 Å.

    Returns
    -------
    dict
        ``{"0.08": {"accuracy", "n_windows", "mi_median", "mi_p90"}, ...}``.
    """
    from ..models import resolve_model
    from ..simulate import crystal_image
    from ..simulate.augment import AugmentationRecipe

    card, _ = resolve_model(model)
    classes = [c for c in card.classes if c in _builtin_classes()]
    augmentation = AugmentationRecipe.realistic() if realistic else None
    rng = np.random.default_rng(seed)
    out = {}
    for pixel in pixel_sizes:
        images = [
            crystal_image(
                name,
                size=int(round(field_of_view / pixel)),
                pixel_size=pixel,
                rotation=float(rng.uniform(0, 180)),
                seed=int(rng.integers(2**31)),
                augmentation=augmentation,
            )
            for name in classes
        ]
        out[f"{pixel:g}"] = _classify_all(images, classes, model, n_samples, seed, "3 Å")
    return out


def multislice_metrics(
    model: Any = "aistem",
    classes: Sequence[str] = ("FCC_Cu_100", "BCC_Fe_110", "HCP_Ti_0001"),
    size: int = 140,
    n_samples: int = 20,
    seed: int = 400,
) -> dict[str, float]:
    """Window accuracy and MI on full-multislice images (physics the model never saw).

    ``size`` px at 0.12 Å/px per class, probe steps of 0.24 Å interpolated to the pixel
    size, Poisson noise of 500 counts per pixel. Minutes per image on a CPU.
    """
    from ..simulate import crystal_image
    from ..simulate.augment import poisson_noise

    rng = np.random.default_rng(seed)
    images = []
    for name in classes:
        s = crystal_image(
            name,
            size=size,
            rotation=float(rng.uniform(0, 180)),
            seed=int(rng.integers(2**31)),
            method="multislice",
            scan_sampling=0.24,
        )
        s.data = poisson_noise(s.data, 500.0, rng).astype(np.float32)
        images.append(s)
    return _classify_all(images, list(classes), model, n_samples, seed, "2.4 Å")


def _builtin_classes():
    from ..simulate import AISTEM_CLASSES

    return AISTEM_CLASSES
