"""Measure a model on ground-truth scenes: grains right, uncertainty high where it should be.

For ``aistem``-like models (classes named as in
:data:`~hyperspy_symmetry.simulate.AISTEM_CLASSES`):

- :func:`polycrystal_metrics`: on :func:`~hyperspy_symmetry.simulate.polycrystal_scene`, the
  fraction of windows wholly inside a crystalline grain that get the grain's class, and the
  median mutual information of windows wholly inside the amorphous grain over that of
  windows wholly inside crystalline grains;
- :func:`bicrystal_metrics`: on :func:`~hyperspy_symmetry.simulate.bicrystal`, the median MI
  of windows that straddle the boundary over that of windows wholly inside a grain.

Both use the public ``classify_symmetry``/``mc_uncertainty`` path, as a user would.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["window_labels", "polycrystal_metrics", "bicrystal_metrics"]


def window_labels(labels: np.ndarray, window: int, stride: int) -> np.ndarray:
    """Label of each window of the grid, or -1 where a window covers more than one label.

    Examples
    --------
    >>> labels = np.repeat([[0, 0, 1, 1]], 4, axis=0)
    >>> window_labels(labels, 2, 1).tolist()
    [[0, -1, 1], [0, -1, 1], [0, -1, 1]]
    """
    from ..windows import sliding_windows

    w = sliding_windows(np.asarray(labels), window, stride)
    lo, hi = w.min(axis=(-2, -1)), w.max(axis=(-2, -1))
    return np.where(lo == hi, lo, -1)


def _maps(image, model, stride: int, n_samples: int, seed: int, window=None):
    kw = dict(
        model=model,
        stride=stride,
        n_samples=n_samples,
        seed=seed,
        show_progressbar=False,
        window_size=window,
    )
    p = image.classify_symmetry(**kw)
    u = image.mc_uncertainty(**kw)
    window = int(p.metadata.Symmetry.window_size)
    return p, np.asarray(u.data), window, u.interface_threshold


def polycrystal_metrics(
    model: Any = "aistem",
    seed: int = 100,
    grain_size: float = 40.0,
    stride: int = 12,
    n_samples: int = 30,
    augmentation=None,
    window: int | None = None,
) -> dict[str, float]:
    """Accuracy inside crystalline grains and MI contrast of the amorphous grain.

    Returns
    -------
    dict
        ``grain_accuracy`` (windows wholly inside a crystalline grain classified as its
        class), ``n_grain_windows``, ``mi_crystalline_median``, ``mi_amorphous_median``,
        ``mi_ratio`` (amorphous over crystalline), and, at the model's interface
        threshold, ``crystalline_below_threshold`` and ``amorphous_above_threshold``
        (fractions of the windows wholly inside those grains).
    """
    from ..simulate import polycrystal_scene

    image, labels = polycrystal_scene(seed=seed, grain_size=grain_size, augmentation=augmentation)
    p, mi, window, threshold = _maps(image, model, stride, n_samples, seed, window)
    grains = labels.metadata.Symmetry.class_names
    inside = window_labels(labels.data, window, stride)
    predicted = np.asarray(p.predicted_class().data)
    classes = list(p.class_names)
    correct, total, crystalline_mi = 0, 0, []
    for g, name in enumerate(grains):
        mask = inside == g
        if name == "amorphous" or not mask.any():
            continue
        correct += int(np.sum(predicted[mask] == classes.index(name)))
        total += int(mask.sum())
        crystalline_mi.append(mi[mask])
    amorphous_mi = mi[inside == grains.index("amorphous")]
    crystalline_mi = np.concatenate(crystalline_mi)
    crystalline = float(np.median(crystalline_mi))
    amorphous = float(np.median(amorphous_mi))
    return {
        "grain_accuracy": round(correct / total, 5),
        "n_grain_windows": total,
        "mi_crystalline_median": crystalline,
        "mi_amorphous_median": amorphous,
        "mi_ratio": round(amorphous / max(crystalline, 1e-12), 2),
        "threshold": threshold,
        "crystalline_below_threshold": round(float(np.mean(crystalline_mi < threshold)), 4),
        "amorphous_above_threshold": round(float(np.mean(amorphous_mi > threshold)), 4),
    }


def bicrystal_metrics(
    model: Any = "aistem",
    class_name: str = "FCC_Cu_100",
    misorientation: float = 22.0,
    rotation: float = 15.0,
    seed: int = 100,
    size: int = 400,
    stride: int = 10,
    n_samples: int = 30,
    augmentation=None,
    core_disorder: float = 0.4,
) -> dict[str, float]:
    """MI of windows straddling a grain boundary over MI of windows inside the grains.

    ``core_disorder`` (Å) is the rms displacement of the atoms at the boundary plane, see
    :func:`~hyperspy_symmetry.simulate.bicrystal`; 0 gives an idealised sharp boundary.

    Returns
    -------
    dict
        ``bulk_accuracy`` (windows wholly inside a grain classified as ``class_name``),
        ``mi_bulk_median``, ``mi_boundary_median`` (windows centred within a quarter
        window of the boundary plane),
        ``mi_boundary_p90``, ``mi_ratio`` (boundary over bulk medians), and at the
        model's interface threshold ``bulk_below_threshold`` and ``boundary_above_threshold``;
        the same for the windows centred within an eighth of a window of the plane
        (``boundary_eighth_above_threshold``: their tapered descriptor holds at least a
        quarter of the other grain) and within half a stride of it, the line of windows
        centred on the boundary (``boundary_plane_above_threshold``).
    """
    from ..simulate import bicrystal

    image, labels = bicrystal(
        class_name,
        misorientation,
        size=size,
        rotation=rotation,
        seed=seed,
        augmentation=augmentation,
        core_disorder=core_disorder,
    )
    p, mi, window, threshold = _maps(image, model, stride, n_samples, seed)
    inside = window_labels(labels.data, window, stride)
    predicted = np.asarray(p.predicted_class().data)
    # Windows centred within a quarter window of the boundary plane: the Hann taper of the
    # descriptor all but hides a boundary that only crosses a window's edge.
    column = int(np.argmax(labels.data[0] == 1))
    centres = np.arange(mi.shape[-1]) * stride + (window - 1) / 2
    distance = np.abs(centres - (column - 0.5))
    near = distance <= window / 4
    bulk, boundary = mi[inside >= 0], mi[:, near]
    bulk_median = float(np.median(bulk))
    eighth = mi[:, distance <= window / 8]
    plane = mi[:, distance <= max(stride / 2, distance.min())]
    return {
        "bulk_accuracy": round(
            float(np.mean(predicted[inside >= 0] == list(p.class_names).index(class_name))), 5
        ),
        "mi_bulk_median": bulk_median,
        "mi_boundary_median": float(np.median(boundary)),
        "mi_boundary_p90": float(np.percentile(boundary, 90)),
        "mi_ratio": round(float(np.median(boundary)) / max(bulk_median, 1e-12), 2),
        "threshold": threshold,
        "bulk_below_threshold": round(float(np.mean(bulk < threshold)), 4),
        "boundary_above_threshold": round(float(np.mean(boundary > threshold)), 4),
        "boundary_eighth_above_threshold": round(float(np.mean(eighth > threshold)), 4),
        "boundary_plane_above_threshold": round(float(np.mean(plane > threshold)), 4),
        "mi_boundary_plane_median": float(np.median(plane)),
    }
