"""Library calls that replaced hand-written code give the same results.

The references below are the former hand-written implementations, kept here only to show
that the swaps (``skimage.measure.label``, ``skimage.feature.peak_local_max``) changed no
result.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage
from conftest import lattice_image

from hyperspy_symmetry.analysis.segmentation import FOUR_CONNECTED, _label_image
from hyperspy_symmetry.lattice import _local_maxima


def _label_image_by_hand(bulk, classes):
    """The former grain labelling: ndimage.label per class, renumbered in reading order."""
    if classes is None:
        labels, n = scipy.ndimage.label(bulk, structure=FOUR_CONNECTED)
        return labels.astype(np.int32), [-1] * int(n)
    labels = np.zeros(bulk.shape, dtype=np.int32)
    grain_classes = []
    for c in np.unique(classes[bulk]):
        part, n = scipy.ndimage.label(bulk & (classes == c), structure=FOUR_CONNECTED)
        inside = part > 0
        labels[inside] = part[inside] + len(grain_classes)
        grain_classes += [int(c)] * int(n)
    order = scipy.ndimage.minimum(
        np.arange(labels.size).reshape(labels.shape),
        labels,
        index=np.arange(1, len(grain_classes) + 1),
    )
    rank = np.argsort(np.asarray(order, dtype=np.int64), kind="stable")
    renumber = np.zeros(len(grain_classes) + 1, dtype=np.int32)
    renumber[rank + 1] = np.arange(1, len(grain_classes) + 1)
    return renumber[labels], [grain_classes[i] for i in rank]


@pytest.mark.parametrize("with_classes", [False, True])
def test_skimage_label_gives_the_former_grains(with_classes):
    rng = np.random.default_rng(0)
    for _ in range(300):
        shape = tuple(rng.integers(1, 25, 2))
        bulk = rng.random(shape) < rng.uniform(0.2, 0.9)
        classes = rng.integers(0, rng.integers(1, 5), shape) if with_classes else None
        got, got_classes = _label_image(bulk, classes)
        want, want_classes = _label_image_by_hand(bulk, classes)
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.int32 and got_classes == want_classes


def _local_maxima_by_hand(values, min_distance, threshold, border):
    d = max(int(min_distance), 1)
    b = max(int(border), 1)
    peaks = values == scipy.ndimage.maximum_filter(values, size=2 * d + 1, mode="nearest")
    peaks &= values > threshold
    inner = np.zeros_like(peaks)
    inner[b:-b, b:-b] = True
    return np.nonzero(peaks & inner)


def test_peak_local_max_gives_the_former_maxima():
    for k in range(20):
        rng = np.random.default_rng(k)
        image = lattice_image(
            (128, 128),
            period=tuple(rng.uniform(6, 14, 2)),
            angle=rng.uniform(0, 90),
            seed=k,
            noise=rng.uniform(0, 0.3),
        )
        smooth = scipy.ndimage.gaussian_filter(image, 1.0)
        spacing = 8.0
        args = (smooth, 0.4 * spacing, smooth.min() + 0.25 * np.ptp(smooth), 0.5 * spacing)
        got, want = _local_maxima(*args), _local_maxima_by_hand(*args)
        assert len(want[0]) > 50
        for g, w in zip(got, want, strict=False):
            np.testing.assert_array_equal(g, w)


def test_gaussian_filter_over_a_stack_equals_the_per_frame_loop():
    from hyperspy_symmetry.analysis.kinetics import hole_fraction

    rng = np.random.default_rng(3)
    frames = np.stack([lattice_image((96, 96), (9.0, 9.0), seed=k) for k in range(4)])
    frames = frames.astype(np.float32)  # as hole_fraction computes
    frames[2, 30:50, 30:50] = rng.normal(0, 0.05, (20, 20))  # a hole
    sigma = 2.5
    loop = np.stack([scipy.ndimage.gaussian_filter(f, sigma, mode="reflect") for f in frames])
    stack = scipy.ndimage.gaussian_filter(frames, (0, sigma, sigma), mode="reflect")
    np.testing.assert_array_equal(stack, loop)
    from skimage.filters import threshold_otsu

    fraction, _, threshold = hole_fraction(frames, sigma)
    assert threshold == float(threshold_otsu(loop))
    np.testing.assert_array_equal(fraction, (loop < threshold).mean(axis=(-2, -1)))
