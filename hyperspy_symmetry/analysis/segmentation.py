"""Grains and interfaces from uncertainty maps: threshold, then connected regions.

Following AI-STEM (Leitherer et al. 2023), windows whose mutual information is below a
threshold (0.1 bits in the paper) are *bulk*; the rest are interfaces, defects or
unknown structures. Bulk windows that touch (4-connectivity) form one grain; given the
predicted class of every window, grains are also split where the class changes.

All functions work on window-grid arrays ``(..., gy, gx)``: every leading index is one
image, labelled on its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from ..checks import check_number

__all__ = [
    "check_threshold",
    "bulk_mask",
    "label_grains",
    "segment_arrays",
    "boundary_bands",
    "band_spans",
]

#: 4-connectivity: windows touch through an edge, not a corner.
FOUR_CONNECTED = ndimage.generate_binary_structure(2, 1)


def check_threshold(threshold: Any) -> float:
    """A threshold as a positive finite float, or a clear error.

    Examples
    --------
    >>> check_threshold(0.1)
    0.1
    >>> check_threshold(-1)
    Traceback (most recent call last):
    ...
    ValueError: `threshold` must be a number > 0, got -1. (bits for mutual information)
    """
    return check_number(
        threshold, "threshold", low=0, low_open=True, hint="(bits for mutual information)"
    )


def bulk_mask(uncertainty: np.ndarray, threshold: float) -> np.ndarray:
    """True where the uncertainty is below ``threshold``; NaN windows are not bulk.

    Examples
    --------
    >>> bulk_mask(np.array([[0.0, 0.5, np.nan]]), 0.1)
    array([[ True, False, False]])
    """
    u = np.asarray(uncertainty, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(u) & (u < check_threshold(threshold))


def _label_image(bulk: np.ndarray, classes: np.ndarray | None) -> tuple[np.ndarray, list[int]]:
    """Grains of one 2D image and the class index of each (-1: no class given).

    :func:`skimage.measure.label` of the class index (+1; 0 off the bulk) joins equal
    neighbours only, so grains split where the class changes; it numbers them in reading
    order of their first window.
    """
    from skimage.measure import label

    if classes is None:
        values = bulk.astype(np.int64)
    else:
        values = np.where(bulk & (classes >= 0), classes.astype(np.int64) + 1, 0)
    labels, n = label(values, background=0, connectivity=1, return_num=True)
    lut = np.zeros(n + 1, dtype=np.int64)
    lut[labels] = values  # one value per grain
    return labels.astype(np.int32), [int(v) - 1 if classes is not None else -1 for v in lut[1:]]


def label_grains(bulk: np.ndarray, classes: np.ndarray | None = None) -> tuple[np.ndarray, list]:
    """Connected bulk regions (4-connectivity) of every image, split where the class changes.

    Parameters
    ----------
    bulk
        Boolean ``(..., gy, gx)``.
    classes
        Optional integer class index of every window, same shape. Negative indices (no
        class, e.g. NaN windows) are never part of a grain.

    Returns
    -------
    grains : numpy.ndarray
        int32 ``(..., gy, gx)``: 0 outside the grains, ``1..N`` per image, numbered in
        reading order of their first window.
    grain_classes : list
        The class index of each grain (``grain_classes[k - 1]`` for grain ``k``; -1 when
        ``classes`` is None). One list for a 2D input, else nested lists following the
        leading axes.

    Examples
    --------
    >>> bulk = np.array([[1, 1, 0, 1],
    ...                  [1, 1, 0, 1]], dtype=bool)
    >>> label_grains(bulk)
    (array([[1, 1, 0, 2],
           [1, 1, 0, 2]], dtype=int32), [-1, -1])
    >>> classes = np.array([[3, 5, 0, 3],
    ...                     [3, 5, 0, 3]])
    >>> label_grains(bulk, classes)
    (array([[1, 2, 0, 3],
           [1, 2, 0, 3]], dtype=int32), [3, 5, 3])
    """
    bulk = np.asarray(bulk, dtype=bool)
    if bulk.ndim < 2:
        raise ValueError(f"bulk must have at least 2 dimensions (gy, gx), got {bulk.shape}.")
    if classes is not None:
        classes = np.asarray(classes)
        if classes.shape != bulk.shape:
            raise ValueError(
                f"classes has shape {classes.shape}, bulk has {bulk.shape}; they must match."
            )
        bulk = bulk & (classes >= 0)
    grains = np.zeros(bulk.shape, dtype=np.int32)
    per_image: list[list[int]] = []
    for index in np.ndindex(bulk.shape[:-2]):
        labels, names = _label_image(bulk[index], None if classes is None else classes[index])
        grains[index] = labels
        per_image.append(names)
    return grains, _nest(per_image, bulk.shape[:-2])


def _nest(flat: list, shape: tuple[int, ...]) -> list:
    """A flat per-image list as nested lists following ``shape`` (``flat[0]`` for ``()``)."""
    if not shape:
        return flat[0]
    step = len(flat) // shape[0]
    return [_nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def segment_arrays(
    uncertainty: np.ndarray, threshold: float = 0.1, classes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, list]:
    """Bulk mask, grains and grain classes of uncertainty maps ``(..., gy, gx)``.

    Examples
    --------
    >>> mi = np.array([[0.0, 0.0, 0.4, 0.0]])
    >>> bulk, grains, names = segment_arrays(mi, 0.1)
    >>> grains
    array([[1, 1, 0, 2]], dtype=int32)
    """
    bulk = bulk_mask(uncertainty, threshold)
    grains, grain_classes = label_grains(bulk, classes)
    return bulk, grains, grain_classes


def boundary_bands(bulk: np.ndarray) -> tuple[np.ndarray, int | list]:
    """Connected non-bulk regions (interfaces, 4-connectivity) of every image.

    Returns
    -------
    bands : numpy.ndarray
        int32 ``(..., gy, gx)``: 0 in the bulk, ``1..M`` per image.
    n_bands : int or list
        ``M`` for a 2D input, else nested lists following the leading axes.

    Examples
    --------
    >>> bulk = np.array([[1, 0, 1, 1],
    ...                  [1, 0, 1, 0]], dtype=bool)
    >>> boundary_bands(bulk)
    (array([[0, 1, 0, 0],
           [0, 1, 0, 2]], dtype=int32), 2)
    """
    bulk = np.asarray(bulk, dtype=bool)
    bands = np.zeros(bulk.shape, dtype=np.int32)
    counts = []
    for index in np.ndindex(bulk.shape[:-2]):
        labels, n = ndimage.label(~bulk[index], structure=FOUR_CONNECTED)
        bands[index] = labels
        counts.append(int(n))
    return bands, _nest(counts, bulk.shape[:-2])


def band_spans(bands: np.ndarray) -> list[dict[str, Any]]:
    """Extent of every band of one 2D label image, in window indices.

    Returns
    -------
    list of dict
        Per band ``1..M``: ``rows`` and ``cols`` (first, last), ``size`` (windows),
        ``spans_rows`` (touches the first and the last row: crosses the image top to
        bottom) and ``spans_cols`` (left to right), and ``mean_col``.

    Examples
    --------
    >>> bands = np.array([[0, 1, 0],
    ...                   [0, 1, 1]])
    >>> band_spans(bands)[0]["spans_rows"], band_spans(bands)[0]["cols"]
    (True, (1, 2))
    """
    bands = np.asarray(bands)
    if bands.ndim != 2:
        raise ValueError(f"band_spans takes one 2D label image, got shape {bands.shape}.")
    gy, gx = bands.shape
    out = []
    for k in range(1, int(bands.max(initial=0)) + 1):
        rows, cols = np.nonzero(bands == k)
        if rows.size == 0:
            continue
        out.append(
            {
                "label": k,
                "rows": (int(rows.min()), int(rows.max())),
                "cols": (int(cols.min()), int(cols.max())),
                "size": int(rows.size),
                "spans_rows": bool(rows.min() == 0 and rows.max() == gy - 1),
                "spans_cols": bool(cols.min() == 0 and cols.max() == gx - 1),
                "mean_col": float(cols.mean()),
            }
        )
    return out
