"""Measuring 2D lattices and fringe spacings from images."""

from __future__ import annotations

import math

import hyperspy.api as hs
import numpy as np
import pytest

from hyperspy_symmetry.lattice import LatticeFit, measure_lattice, strongest_fringe
from hyperspy_symmetry.simulate.bravais import bravais_array, reduce_basis


def cosine(period, angle=0.0, size=256, phase=0.3):
    y, x = np.mgrid[:size, :size].astype(float)
    t = math.radians(angle)
    return np.cos(2 * np.pi * (x * math.cos(t) + y * math.sin(t)) / period + phase)


def signal(data, scale=None, units=""):
    s = hs.signals.Signal2D(np.asarray(data, dtype=np.float32))
    if scale is not None:
        for ax in s.axes_manager.signal_axes:
            ax.scale, ax.units = scale, units
    return s


# -- strongest_fringe --------------------------------------------------------------------------


@pytest.mark.parametrize("period", [10.0, 12.7, 15.3, 20.0])
@pytest.mark.parametrize("angle", [0.0, 23.0, 45.0, 101.0])
def test_strongest_fringe_of_a_cosine(period, angle):
    assert strongest_fringe(cosine(period, angle)) == pytest.approx(period, rel=0.005)


def test_strongest_fringe_is_sub_bin():
    # 256 / 12.3 px is not a whole number of periods; bins of a 4x padded FFT are 1/1024.
    errors = [strongest_fringe(cosine(p)) / p - 1 for p in np.linspace(10, 20, 11)]
    assert np.abs(errors).max() < 1e-3


def test_strongest_fringe_of_a_lattice_image():
    img, p = bravais_array("square", 256, 0, a=13.0, column="gaussian")
    assert strongest_fringe(img) == pytest.approx(13.0, rel=0.005)
    img, p = bravais_array("hexagonal", 256, 1, a=12.0, column="gaussian")
    assert strongest_fringe(img) == pytest.approx(12.0 * math.sqrt(3) / 2, rel=0.005)


def test_strongest_fringe_units():
    img = cosine(16.0, 30.0)
    assert strongest_fringe(img, pixel_size=0.1) == pytest.approx(1.6, rel=0.005)
    assert strongest_fringe(signal(img, 0.02, "nm")) == pytest.approx(0.32, rel=0.005)
    assert strongest_fringe(signal(img)) == pytest.approx(16.0, rel=0.005)
    # An explicit pixel size wins over the axes.
    assert strongest_fringe(signal(img, 0.02, "nm"), pixel_size=1.0) == pytest.approx(
        16, rel=0.005
    )


def test_strongest_fringe_non_square_image_and_noise():
    rng = np.random.default_rng(0)
    img = cosine(11.0, 60.0, size=300)[:200] + 0.5 * rng.standard_normal((200, 300))
    assert strongest_fringe(img) == pytest.approx(11.0, rel=0.005)


def test_strongest_fringe_bad_input():
    with pytest.raises(ValueError, match="2D"):
        strongest_fringe(np.zeros((4, 32, 32)))
    with pytest.raises(ValueError, match="2D"):
        strongest_fringe(np.zeros(64))
    with pytest.raises(ValueError, match="constant"):
        strongest_fringe(np.ones((64, 64)))
    with pytest.raises(ValueError, match="NaN"):
        strongest_fringe(np.full((64, 64), np.nan))
    with pytest.raises(ValueError, match="pad"):
        strongest_fringe(cosine(10.0), pad=0)
    with pytest.raises(ValueError, match="pixel_size"):
        strongest_fringe(cosine(10.0), pixel_size=-1.0)


# -- measure_lattice ---------------------------------------------------------------------------


def test_measure_known_lattice():
    img, p = bravais_array(
        "rectangular",
        256,
        0,
        a=9.0,
        b_over_a=1.5,
        rotation=20.0,
        displacement=0.0,
        column="gaussian",
    )
    fit = measure_lattice(img)
    assert isinstance(fit, LatticeFit)
    assert fit.vectors.shape == (2, 2)
    assert (fit.a, fit.b, fit.gamma) == pytest.approx((9.0, 13.5, 90.0), rel=0.005)
    # The vectors are reduced and point along the lattice directions asked for.
    assert np.allclose(np.abs(fit.vectors), np.abs(p["vectors"]), atol=0.05)
    assert fit.residual < 0.02
    assert fit.lattice_class() == "rectangular"
    # Every column sits on its fitted site.
    sites = fit.origin + fit.indices @ fit.vectors
    assert np.sqrt(np.mean(np.sum((fit.positions - sites) ** 2, axis=1))) / fit.a == (
        pytest.approx(fit.residual)
    )
    # About the number of cells in the image, without double counts.
    assert 0.6 * 256**2 / (9.0 * 13.5) < fit.n_columns <= 256**2 / (9.0 * 13.5)
    assert len(np.unique(fit.indices, axis=0)) == fit.n_columns


@pytest.mark.parametrize("rotation", [0.0, 33.0, 90.0, 217.0])
def test_measure_centered_rectangular_both_branches(rotation):
    for ratio in (1.3, 2.5):
        img, p = bravais_array(
            "centered_rectangular", 256, 2, a=10.0, b_over_a=ratio, rotation=rotation
        )
        fit = measure_lattice(img)
        a, b = reduce_basis(np.asarray(p["vectors"]))
        assert (fit.a, fit.b) == pytest.approx((np.hypot(*a), np.hypot(*b)), rel=0.01)
        assert fit.lattice_class() == "centered_rectangular"


def test_residual_tracks_the_displacements():
    for disp in (0.02, 0.05, 0.1):
        img, _ = bravais_array("oblique", 256, 3, displacement=disp, a=8.0)
        fit = measure_lattice(img)
        assert fit.residual == pytest.approx(math.sqrt(2) * disp, rel=0.25)


@pytest.mark.parametrize(
    "lattice", ["square", "rectangular", "centered_rectangular", "hexagonal", "oblique"]
)
def test_measure_noisy_image(lattice):
    """Shot and read noise make spurious maxima between columns; they must not bias the fit."""
    for seed in range(6):
        img, p = bravais_array(lattice, 256, seed)
        rng = np.random.default_rng(seed)
        noisy = rng.poisson(img * 10) / 10 + rng.normal(0, 0.15, img.shape)
        fit = measure_lattice(noisy)
        a, b = reduce_basis(np.asarray(p["vectors"]))
        assert (fit.a, fit.b) == pytest.approx((np.hypot(*a), np.hypot(*b)), rel=0.02)
        assert fit.lattice_class() == lattice


def test_measure_signal_records_calibration():
    img, p = bravais_array("square", 128, 5, a=8.0, displacement=0.0)
    fit = measure_lattice(signal(img, 0.05, "nm"))
    assert fit.pixel_size == 0.05 and fit.units == "nm"
    assert fit.a == pytest.approx(8.0, rel=0.01)  # still in pixels
    assert fit.a * fit.pixel_size == pytest.approx(0.4, rel=0.01)
    fit = measure_lattice(img)
    assert fit.pixel_size == 1.0 and fit.units == ""


def test_measure_lattice_bad_input():
    with pytest.raises(ValueError, match="2D"):
        measure_lattice(np.zeros((2, 64, 64)))
    with pytest.raises(ValueError, match="one 2D image"):
        measure_lattice(hs.signals.Signal2D(np.zeros((2, 64, 64))))
    with pytest.raises(ValueError, match="real"):
        measure_lattice(np.zeros((64, 64), dtype=complex))
    with pytest.raises(ValueError, match="too small"):
        measure_lattice(np.zeros((8, 64)))
    with pytest.raises(ValueError, match="NaN"):
        measure_lattice(np.full((64, 64), np.inf))
    with pytest.raises(ValueError, match="No lattice found"):
        measure_lattice(np.zeros((64, 64)))
    with pytest.raises(ValueError, match="No lattice found"):
        measure_lattice(np.random.default_rng(0).random((128, 128)))
    with pytest.raises(ValueError, match="min_correlation"):
        measure_lattice(cosine(10.0), min_correlation=1.5)
    s = signal(np.zeros((64, 64)))
    s.axes_manager.signal_axes[0].scale = 0.5
    with pytest.raises(ValueError, match="square"):
        measure_lattice(s)
