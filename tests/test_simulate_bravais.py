"""Simulated 2D Bravais lattices: classification rules, sampling margins, rendering."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hyperspy_symmetry.lattice import measure_lattice
from hyperspy_symmetry.simulate import bravais as bv
from hyperspy_symmetry.simulate.bravais import (
    BRAVAIS_CLASSES,
    SAMPLING_MARGIN,
    bravais_array,
    bravais_image,
    class_distances,
    class_margin,
    lattice_class,
    metric_deviations,
    reduce_basis,
    sample_lattice,
)

LATTICES = BRAVAIS_CLASSES[:5]
SQ3 = math.sqrt(3.0)


def rotate(vectors, degrees):
    t = math.radians(degrees)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return np.asarray(vectors, dtype=float) @ rot.T


def scramble(vectors, rng):
    """The same lattice in another basis: a random unimodular integer change of basis."""
    u = np.eye(2, dtype=int)
    for _ in range(4):
        k = int(rng.integers(-3, 4))
        step = np.array([[1, k], [0, 1]]) if rng.random() < 0.5 else np.array([[1, 0], [k, 1]])
        u = step @ u
    if rng.random() < 0.5:
        u = u[::-1]
    return u @ np.asarray(vectors, dtype=float)


def reduced_parameters(vectors):
    """(a, b/a, gamma in degrees) of the reduced basis."""
    a, b = reduce_basis(np.asarray(vectors))
    la, lb = np.hypot(*a), np.hypot(*b)
    return la, lb / la, math.degrees(math.acos(a @ b / (la * lb)))


# -- classification rules ----------------------------------------------------------------------

KNOWN = [
    ("square", [1, 0], [0, 1]),
    ("square", [1, 0], [3, 1]),
    ("square", [2, 1], [-1, 2]),
    ("rectangular", [2, 0], [0, 3]),
    ("rectangular", [2, 0], [4, 3]),
    ("hexagonal", [1, 0], [1.5, SQ3 / 2]),
    ("hexagonal", [1, 0], [-0.5, SQ3 / 2]),
    ("hexagonal", [1, 0], [0.5, SQ3 / 2]),
    # Rectangle 2 x 3 given by a side and its centring vector (long branch, b/a > sqrt 3: no).
    ("centered_rectangular", [2, 0], [1, 1.5]),
    # Rectangle 1 x 3 by its centring vector: b/a = 3 > sqrt(3), reduced 2 a.b = |a|^2.
    ("centered_rectangular", [1, 0], [0.5, 1.5]),
    ("centered_rectangular", [1, 0], [-2.5, 1.5]),
    # Rhombic cell, 70 degrees.
    ("centered_rectangular", [1, 0], [math.cos(math.radians(70)), math.sin(math.radians(70))]),
    ("oblique", [1, 0], [0.3, 1.3]),
    ("oblique", [1, 0], [2.3, 1.3]),
]


@pytest.mark.parametrize("expected, a, b", KNOWN)
def test_known_lattices(expected, a, b):
    assert lattice_class(a, b) == expected
    assert lattice_class(np.array([a, b])) == expected


@pytest.mark.parametrize("expected, a, b", KNOWN)
def test_class_invariant_to_rotation_reflection_and_basis(expected, a, b):
    rng = np.random.default_rng(1)
    for _ in range(20):
        v = rotate(scramble([a, b], rng), rng.uniform(0, 360)) * rng.uniform(0.1, 50)
        assert lattice_class(v) == expected
        assert lattice_class(v * [1, -1]) == expected  # mirror image


def test_reduce_basis_conditions_and_same_lattice():
    rng = np.random.default_rng(0)
    for _ in range(500):
        v = rng.normal(size=(2, 2))
        if abs(np.linalg.det(v)) < 0.05:
            continue
        w = scramble(v, rng)
        a, b = reduce_basis(w)
        assert a @ a <= b @ b + 1e-12
        assert 0 <= a @ b <= a @ a / 2 + 1e-12
        # Same lattice: integer, unimodular change of basis.
        u = np.array([a, b]) @ np.linalg.inv(v)
        assert np.allclose(u, np.rint(u), atol=1e-6)
        assert abs(round(np.linalg.det(np.rint(u)))) == 1
        # a is a shortest vector of the lattice.
        n = np.array([(i, j) for i in range(-4, 5) for j in range(-4, 5) if (i, j) != (0, 0)])
        assert np.hypot(*a) <= np.hypot(*(n @ v).T).min() + 1e-9


def test_reduce_basis_example_from_the_brief():
    a, b = reduce_basis([1.0, 0.0], [1.5, SQ3 / 2])
    assert np.allclose(a, [1, 0]) and np.allclose(b, [0.5, SQ3 / 2])


def test_deviations_and_distances():
    d = metric_deviations([2.0, 0.0], [0.0, 3.0])
    assert d == pytest.approx((0.5, 0.0, 0.5))
    d = metric_deviations([1.0, 0.0], [0.3, 1.3])
    assert d.length == pytest.approx(math.hypot(0.3, 1.3) - 1)
    assert d.orthogonality == pytest.approx(0.3) and d.centring == pytest.approx(0.2)
    dist = class_distances([1.0, 0.0], [0.3, 1.3])
    assert dist["rectangular"] == pytest.approx(0.3)
    assert dist["centered_rectangular"] == pytest.approx(0.2)
    assert dist["oblique"] == 0.0


def test_tolerance_changes_class_exactly_at_the_margin():
    rng = np.random.default_rng(3)
    for _ in range(300):
        v = rng.normal(size=(2, 2))
        if abs(np.linalg.det(v)) < 0.1:
            continue
        own = lattice_class(v, rtol=0.0)
        margin = class_margin(v, rtol=0.0)
        for rtol in np.linspace(0, 0.999 * min(margin, 0.2499), 7):
            assert lattice_class(v, rtol=rtol) == own
        if margin < 0.2:
            assert lattice_class(v, rtol=margin * 1.001) != own
    cases = [("rectangular", 1.1), ("centered_rectangular", 1.1), ("centered_rectangular", 1.9)]
    for lattice, ratio in cases:
        v = sample_lattice(lattice, 0, b_over_a=ratio)["vectors"]
        margin = class_margin(v)
        assert margin < 0.2
        assert lattice_class(v, rtol=0.99 * margin) == lattice
        assert lattice_class(v, rtol=1.01 * margin) in ("square", "hexagonal")


def test_near_boundary_lattices_follow_the_tolerance():
    nearly_square = ([1.0, 0.0], [0.0, 1.05])
    assert lattice_class(*nearly_square, rtol=0.1) == "square"
    assert lattice_class(*nearly_square, rtol=0.01) == "rectangular"
    g = math.radians(62)
    nearly_hex = ([1.0, 0.0], [math.cos(g), math.sin(g)])
    assert lattice_class(*nearly_hex, rtol=0.075) == "hexagonal"
    assert lattice_class(*nearly_hex, rtol=0.01) == "centered_rectangular"


def test_class_rules_bad_input():
    with pytest.raises(ValueError, match="collinear"):
        lattice_class([1, 0], [2, 0])
    with pytest.raises(ValueError, match="rtol"):
        lattice_class([1, 0], [0, 1], rtol=0.3)
    with pytest.raises(ValueError, match="2-vectors"):
        reduce_basis([1, 0, 0], [0, 1, 0])
    with pytest.raises(ValueError, match="finite"):
        reduce_basis([np.nan, 0], [0, 1])


# -- sampling ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lattice", BRAVAIS_CLASSES)
def test_sampled_lattices_keep_the_margin(lattice):
    geometry = "oblique" if lattice == "noise" else lattice
    rng = np.random.default_rng(11)
    for _ in range(300):
        p = sample_lattice(lattice, rng)
        v = np.asarray(p["vectors"])
        assert lattice_class(v, rtol=SAMPLING_MARGIN / 2) == geometry
        assert class_margin(v) >= SAMPLING_MARGIN - 1e-9
        # Far from the defining equalities of every class it is not a special case of.
        for other, distance in class_distances(v).items():
            if other == geometry or other in bv._GENERALISATIONS[geometry]:
                assert distance < 1e-6
            else:
                assert distance >= SAMPLING_MARGIN - 1e-9, (other, p)
        a, b = reduce_basis(v)
        lo, hi = bv.SPACING_RANGE
        assert lo - 1e-9 <= np.hypot(*a) and np.hypot(*b) <= hi + 1e-9
        assert np.hypot(*a) == pytest.approx(p["nn_distance"])
        assert 0 <= p["rotation"] < 360
        disp = bv.NOISE_DISPLACEMENT_RANGE if lattice == "noise" else bv.DISPLACEMENT_RANGE
        assert disp[0] <= p["displacement"] <= disp[1]
        shape = p["column"]["shape"]
        lo, hi = bv.COLUMN_WIDTH_RANGES[shape]
        assert lo <= p["column"]["width"] <= hi


def test_sampled_parameters_describe_the_vectors():
    rng = np.random.default_rng(5)
    for lattice in BRAVAIS_CLASSES:
        for _ in range(50):
            p = sample_lattice(lattice, rng)
            a, ratio, gamma = reduced_parameters(p["vectors"])
            if p["cell"] == "primitive":
                assert (a, ratio, gamma) == pytest.approx((p["a"], p["b_over_a"], p["gamma"]))
            else:
                # Conventional a x (r a) rectangle: shortest vector a or the half diagonal.
                half = p["a"] * math.hypot(1, p["b_over_a"]) / 2
                assert a == pytest.approx(min(p["a"], half))
                assert p["gamma"] == 90.0
    rng = np.random.default_rng(6)
    ratios = [sample_lattice("centered_rectangular", rng)["b_over_a"] for _ in range(400)]
    for lo, hi in bv.CENTERED_RATIO_RANGES:
        assert any(lo <= r <= hi for r in ratios)
    assert all(any(lo <= r <= hi for lo, hi in bv.CENTERED_RATIO_RANGES) for r in ratios)


def test_sampling_range_ends_keep_the_margin():
    def margin(lattice, **kw):
        return class_margin(sample_lattice(lattice, 0, **kw)["vectors"])

    for r in bv.RECTANGULAR_RATIO_RANGE:
        assert margin("rectangular", b_over_a=r) >= SAMPLING_MARGIN
    for r in np.ravel(bv.CENTERED_RATIO_RANGES):
        assert margin("centered_rectangular", b_over_a=float(r)) >= SAMPLING_MARGIN
    for r in bv.OBLIQUE_RATIO_RANGE:
        for proj in bv.OBLIQUE_PROJECTION_RANGE:
            gamma = math.degrees(math.acos(proj / r))
            assert margin("oblique", b_over_a=r, gamma=gamma) >= SAMPLING_MARGIN - 1e-9
    # Just outside the rectangular range the margin is smaller: the ranges are tight.
    assert margin("rectangular", b_over_a=1.1) < SAMPLING_MARGIN


def test_fixed_parameters_and_independent_draws():
    free = sample_lattice("oblique", 42)
    fixed = sample_lattice("oblique", 42, rotation=10.0, column={"shape": "disk", "width": 0.2})
    assert fixed["rotation"] == 10.0 and fixed["column"] == {"shape": "disk", "width": 0.2}
    for key in ("a", "b_over_a", "gamma", "offset", "displacement", "intensity_spread"):
        assert fixed[key] == free[key]
    p = sample_lattice("square", 1, column="elliptical", a=7.5, displacement=0)
    assert p["column"]["shape"] == "elliptical" and set(p["column"]) == {
        "shape",
        "width",
        "elongation",
        "angle",
    }
    assert p["a"] == 7.5 and p["displacement"] == 0.0
    p = sample_lattice("oblique", 3, gamma=80.0)
    assert p["gamma"] == 80.0 and class_margin(p["vectors"]) >= SAMPLING_MARGIN - 1e-9
    # Fixed values outside the sampling ranges are allowed if they keep the class.
    assert sample_lattice("rectangular", 0, b_over_a=1.05)["b_over_a"] == 1.05


@pytest.mark.parametrize(
    "lattice, kwargs, match",
    [
        ("square", {"a": 0}, "a must be"),
        ("square", {"a": -2.0}, "a must be"),
        ("square", {"a": 2.5}, "resolved"),
        ("hexagonal", {"a": float("nan")}, "a must be finite"),
        ("rectangular", {"b_over_a": 0.8}, "b_over_a"),
        ("square", {"b_over_a": 1.3}, "rectangular lattice, not square"),
        ("rectangular", {"gamma": 80.0}, "not rectangular"),
        ("hexagonal", {"gamma": 90.0}, "not hexagonal"),
        ("centered_rectangular", {"gamma": 80.0}, "gamma"),
        ("oblique", {"b_over_a": 1.0}, "not oblique"),
        ("oblique", {"gamma": 0.0}, "gamma"),
        ("square", {"column": "star"}, "column shape"),
        ("square", {"column": {"shape": "gaussian", "width": 0}}, "column width"),
        ("square", {"column": {"shape": "gaussian", "angle": 3}}, "column parameter"),
        ("square", {"displacement": -0.1}, "displacement"),
        ("square", {"intensity_spread": 2.0}, "intensity_spread"),
        ("square", {"offset": 0.5}, "offset"),
        ("square", {"rotation": "x"}, "rotation"),
    ],
)
def test_bad_parameters(lattice, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sample_lattice(lattice, 0, **kwargs)
    with pytest.raises(ValueError, match=match):
        bravais_array(lattice, 64, 0, **kwargs)


def test_unknown_names():
    with pytest.raises(ValueError, match="square, rectangular, centered_rectangular"):
        bravais_array("cubic", 64, 0)
    with pytest.raises(ValueError, match="Unknown lattice"):
        bravais_image("Square", 64, 0)
    with pytest.raises(TypeError, match="spacing"):
        sample_lattice("square", 0, spacing=5)
    for size in (8, 32.0, True):
        with pytest.raises(ValueError, match="size"):
            bravais_array("square", size, 0)
    with pytest.raises(ValueError, match="seed"):
        bravais_image("square", 64, seed=1.5)


# -- rendering and measurement ---------------------------------------------------------------


@pytest.mark.parametrize("lattice", LATTICES)
def test_rendered_lattices_measure_within_2_percent(lattice):
    """Acceptance: simulated Bravais lattices measure within 2 % of the parameters asked for."""
    for seed in range(4):
        img, p = bravais_array(lattice, 256, seed)
        fit = measure_lattice(img)
        want = reduced_parameters(p["vectors"])
        got = (fit.a, fit.b / fit.a, fit.gamma)
        assert got == pytest.approx(want, rel=0.02), p
        assert fit.lattice_class(rtol=SAMPLING_MARGIN / 2) == lattice
        assert fit.residual < 0.1


@pytest.mark.parametrize("shape", bv.COLUMN_SHAPES)
def test_every_column_shape_measures_within_2_percent(shape):
    for i, lattice in enumerate(LATTICES):
        img, p = bravais_array(lattice, 256, 100 + i, column=shape)
        fit = measure_lattice(img)
        assert (fit.a, fit.b / fit.a, fit.gamma) == pytest.approx(
            reduced_parameters(p["vectors"]), rel=0.02
        )
        assert fit.lattice_class() == lattice


def test_image_values_and_lattice_fills_the_image():
    for seed, lattice in enumerate(LATTICES):
        img, p = bravais_array(lattice, 160, seed, a=bv.SPACING_RANGE[1] / 2)
        assert img.shape == (160, 160) and img.dtype == np.float32
        assert img.min() == 0.0 and img.max() == 1.0
        assert p["size"] == 160
        blocks = img.reshape(5, 32, 5, 32).max(axis=(1, 3))
        assert blocks.min() > 0.4, (lattice, blocks)


def test_deterministic_for_a_seed():
    a1, p1 = bravais_array("oblique", 128, 7)
    a2, p2 = bravais_array("oblique", 128, np.random.default_rng(7))
    a3, p3 = bravais_array("oblique", 128, 8)
    assert np.array_equal(a1, a2) and p1 == p2
    assert not np.array_equal(a1, a3) and p1 != p3
    s1, s2 = bravais_image("noise", 64, seed=3), bravais_image("noise", 64, seed=3)
    assert np.array_equal(s1.data, s2.data)


def test_column_displacement_statistics():
    rng = np.random.default_rng(0)
    for lattice, disp in (("noise", 0.35), ("noise", 0.3), ("square", 0.05)):
        p = sample_lattice(lattice, rng, displacement=disp)
        sites, positions, intensities = bv.lattice_columns(p, 256, rng)
        d = (positions - sites) / p["a"]
        assert len(d) > 150
        assert np.std(d, axis=0) == pytest.approx([disp, disp], rel=0.15)
        assert abs(np.mean(d)) < 0.05
    p = sample_lattice("square", rng, displacement=0.0, intensity_spread=0.1)
    sites, positions, intensities = bv.lattice_columns(p, 256, rng)
    assert np.array_equal(sites, positions)
    assert np.std(intensities) == pytest.approx(0.1, rel=0.2)
    noise = [sample_lattice("noise", rng)["displacement"] for _ in range(200)]
    crystal = [sample_lattice(lat, rng)["displacement"] for lat in LATTICES for _ in range(40)]
    assert min(noise) >= 0.3 and max(noise) <= 0.4 and max(crystal) <= 0.05


def _second_spot_over_speckle(img, vectors):
    """Power of the 2nd strongest first-order spot over the strongest speckle elsewhere."""
    n = img.shape[0]
    hann = np.hanning(n)
    power = np.abs(np.fft.fft2((img - img.mean()) * np.outer(hann, hann))) ** 2
    ky, kx = np.meshgrid(np.fft.fftfreq(n), np.fft.fftfreq(n), indexing="ij")
    recip = np.linalg.inv(np.asarray(vectors)).T
    spots = [recip[0], recip[1], recip[0] - recip[1], recip[0] + recip[1]]
    k = [np.hypot(*g) for g in spots]
    ring = (np.hypot(kx, ky) > 0.7 * min(k)) & (np.hypot(kx, ky) < 1.3 * max(k))
    for i in range(-3, 4):
        for j in range(-3, 4):
            g = i * recip[0] + j * recip[1]
            ring &= np.hypot(kx - g[0], ky - g[1]) >= 2.5 / n
    heights = sorted(power[round(g[1] * n) % n, round(g[0] * n) % n] for g in spots)
    return heights[-2] / power[ring].max()


def test_noise_class_has_no_lattice():
    ratios_noise, ratios_oblique = [], []
    for seed in range(10):
        img, p = bravais_array("noise", 128, seed)
        ratios_noise.append(_second_spot_over_speckle(img, p["vectors"]))
        img, p = bravais_array("oblique", 128, seed)
        ratios_oblique.append(_second_spot_over_speckle(img, p["vectors"]))
    assert sum(r < 1 for r in ratios_noise) >= 9
    assert min(ratios_oblique) > 3
    # Measuring it fails clearly, or the columns are far from any fitted lattice.
    for seed in range(4):
        img, _ = bravais_array("noise", 256, seed)
        for min_correlation in (0.3, 0.05):
            try:
                fit = measure_lattice(img, min_correlation=min_correlation)
            except ValueError as error:
                assert "No lattice found" in str(error)
            else:
                assert fit.residual > 0.25


def test_bravais_image_signal_and_metadata():
    s = bravais_image("hexagonal", 96, seed=4, a=9.0)
    assert type(s).__name__ == "AtomicResolution2D"
    assert s.data.shape == (96, 96)
    sim = s.metadata.Simulation.as_dictionary()
    _, p = bravais_array("hexagonal", 96, 4, a=9.0)
    assert sim["seed"] == 4
    assert sim["lattice"] == "hexagonal" and sim["a"] == 9.0 and sim["gamma"] == 60.0
    assert np.allclose(sim["vectors"], p["vectors"])
    assert sim["column"] == p["column"] and sim["size"] == 96
    ax = s.axes_manager.signal_axes
    assert [a.scale for a in ax] == [1.0, 1.0]
    s = bravais_image("square", 64, seed=0, pixel_size=0.05, units="nm", a=6.0)
    assert [(a.scale, a.units) for a in s.axes_manager.signal_axes] == [(0.05, "nm")] * 2
    assert s.metadata.Simulation.a == 6.0  # lattice parameters stay in pixels


def test_fixed_cell_must_be_reduced():
    with pytest.raises(ValueError, match="gamma=60"):
        sample_lattice("hexagonal", 0, gamma=120.0)
    with pytest.raises(ValueError, match="reduced cell"):
        sample_lattice("oblique", 0, b_over_a=1.5, gamma=40.0)
    with pytest.raises(ValueError, match="noise class"):
        sample_lattice("noise", 0, b_over_a=1.0)
