"""Issue 15, point 4: each window's hole coverage from the lattice's Bragg amplitude."""

from __future__ import annotations

import numpy as np
import pytest

from hyperspy_symmetry.analysis.lattice_coverage import (
    bragg_amplitude,
    frame_bragg_vectors,
    lattice_coverage,
)
from hyperspy_symmetry.simulate.bravais import bravais_array
from hyperspy_symmetry.windows import sliding_windows


def _root_hann_coverage(mask: np.ndarray, window: int, stride: int) -> np.ndarray:
    """Each window's hole coverage weighted as the descriptor weights its pixels."""
    w = np.sqrt(np.outer(np.hanning(window), np.hanning(window)))
    return (sliding_windows(mask.astype(float), window, stride) * w).sum((-2, -1)) / w.sum()


@pytest.fixture(scope="module")
def holed_lattice():
    """A rotated hexagonal lattice (384 px) with a round hole of vacuum, and the hole."""
    image, _ = bravais_array("hexagonal", 384, 1, a=10.0, rotation=17.0)
    yy, xx = np.mgrid[:384, :384]
    hole = np.hypot(yy - 200, xx - 150) < 70
    return image.astype(float), hole


def test_frame_bragg_vectors_one_of_each_pair():
    image, _ = bravais_array("square", 256, 2, a=12.0, rotation=0.0, displacement=0.0)
    g = frame_bragg_vectors(image, 2)
    assert g.shape == (2, 2)
    np.testing.assert_allclose(np.sort(np.hypot(*g.T)), [1 / 12, 1 / 12], rtol=2e-3)
    assert abs(np.dot(g[0], g[1])) < 1e-4  # the two square axes, not g and -g
    assert frame_bragg_vectors(np.zeros((64, 64))).shape == (0, 2)
    assert frame_bragg_vectors(np.full((64, 64), np.nan)).shape == (0, 2)


def test_amplitude_of_a_whole_lattice_does_not_depend_on_where_the_window_is(holed_lattice):
    image, _ = holed_lattice
    amp = bragg_amplitude(image, 128, 32)
    assert amp.shape == (9, 9)
    assert amp.std() / amp.mean() < 0.01


def test_amplitude_reads_the_hole_coverage_of_every_window(holed_lattice):
    image, hole = holed_lattice
    truth = _root_hann_coverage(hole, 128, 32)
    whole = bragg_amplitude(image, 128, 32)
    read = 1.0 - bragg_amplitude(np.where(hole, 0.0, image), 128, 32) / whole
    assert truth.min() == 0.0 and truth.max() > 0.9  # windows from none to almost all hole
    assert np.abs(read - truth).max() < 0.015
    noisy = np.where(hole, 0.0, image) + np.random.default_rng(0).normal(0, 0.1, image.shape)
    read = 1.0 - bragg_amplitude(noisy, 128, 32) / whole
    assert np.abs(read - truth).mean() < 0.015
    assert np.abs(read - truth).max() < 0.04


def test_amplitude_follows_the_lattice_frame_by_frame():
    # the second frame's lattice is rotated: its own peaks are measured
    first, _ = bravais_array("hexagonal", 256, 3, a=9.0, rotation=0.0)
    second, _ = bravais_array("hexagonal", 256, 3, a=9.0, rotation=20.0)
    amp = bragg_amplitude(np.stack([first, second]), 128, 64)
    assert amp.shape == (2, 3, 3)
    np.testing.assert_allclose(amp[1].mean() / amp[0].mean(), 1.0, atol=0.05)


def test_amplitude_of_windows_without_a_lattice_or_with_nan():
    frames = np.zeros((2, 200, 200))
    frames[1], _ = bravais_array("square", 200, 4, a=8.0)
    frames[1, 5, 5] = np.nan
    amp = bragg_amplitude(frames, 128, 32)
    assert (amp[0] == 0).all()  # no lattice: no Bragg peaks, nothing read
    assert np.isnan(amp[1, 0, 0]) and np.isnan(amp[1]).sum() == 1  # the window holding it
    with pytest.raises(ValueError, match="larger than the frames"):
        bragg_amplitude(frames, 256, 32)
    with pytest.raises(ValueError, match="frames must be"):
        bragg_amplitude(np.zeros(10), 4, 2)


def test_lattice_coverage_references():
    amplitude = np.array(
        [
            [[10.0, 10.0, 10.0, 5.0]],  # three intact windows: its own reference
            [[8.0, 8.0, 2.0, np.nan]],  # two: the reference of all frames' intact windows
        ]
    )
    intact = amplitude >= 8.0
    coverage, reference = lattice_coverage(amplitude, intact, quantile=0.5)
    np.testing.assert_allclose(reference, [10.0, 10.0])
    np.testing.assert_allclose(coverage[0, 0], [0.0, 0.0, 0.0, 0.5])
    np.testing.assert_allclose(coverage[1, 0, :3], [0.2, 0.2, 0.8])
    assert np.isnan(coverage[1, 0, 3])
    coverage, reference = lattice_coverage(amplitude, intact, quantile=0.5, min_windows=2)
    np.testing.assert_allclose(reference, [10.0, 8.0])
    assert (coverage[1, 0, :2] == 0).all()
    single, ref = lattice_coverage(amplitude[0], intact[0])
    assert single.shape == (1, 4) and ref.shape == (1,)
    with pytest.raises(ValueError, match="whole lattice"):
        lattice_coverage(amplitude, np.zeros_like(intact))
    with pytest.raises(ValueError, match="must match"):
        lattice_coverage(amplitude, intact[0])
