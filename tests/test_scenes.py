"""Ground-truth scenes: polycrystal, bicrystal, damage movie, transforming lattice."""

import math

import hyperspy.api as hs
import numpy as np
import pytest
from conftest import spectrum_peak_ratio

from hyperspy_symmetry.lattice import measure_lattice, strongest_fringe
from hyperspy_symmetry.simulate import (
    bicrystal,
    damage_movie,
    polycrystal_scene,
    transforming_lattice,
)


@pytest.fixture(scope="module")
def polycrystal():
    return polycrystal_scene(seed=3, grain_size=24.0)


def test_polycrystal_layout_and_labels(polycrystal):
    image, labels = polycrystal
    n = round(24.0 / 0.12)
    assert image.data.shape == labels.data.shape == (2 * n, 2 * n)
    assert labels.metadata.Symmetry.class_names == [
        "BCC_Fe_100",
        "FCC_Cu_100",
        "HCP_Ti_0001",
        "amorphous",
    ]
    assert labels.data[0, 0] == 0 and labels.data[0, -1] == 1
    assert labels.data[-1, 0] == 2 and labels.data[-1, -1] == 3
    assert np.bincount(labels.data.ravel()).tolist() == [n * n] * 4
    assert image.axes_manager[0].scale == labels.axes_manager[0].scale == pytest.approx(0.12)
    assert len(labels.metadata.Symmetry.rotations) == 3


def _quadrant(image, i, margin=12):
    n = image.shape[0] // 2
    r, c = divmod(i, 2)
    return image[r * n + margin : (r + 1) * n - margin, c * n + margin : (c + 1) * n - margin]


def test_polycrystal_grains_have_their_lattices(polycrystal):
    image = polycrystal[0].data
    fe = strongest_fringe(_quadrant(image, 0), 0.12)
    cu = strongest_fringe(_quadrant(image, 1), 0.12)
    assert min(abs(fe / d - 1) for d in (2.87 / math.sqrt(2), 2.87 / 2)) < 0.02
    assert min(abs(cu / d - 1) for d in (3.63 / 2, 3.63 / (2 * math.sqrt(2)))) < 0.02


def test_polycrystal_amorphous_grain_has_no_lattice(polycrystal):
    image = polycrystal[0].data
    amorphous = spectrum_peak_ratio(_quadrant(image, 3))
    for crystal in range(3):
        assert spectrum_peak_ratio(_quadrant(image, crystal)) > 10 * amorphous


def test_bicrystal_grains_and_rotations():
    image, labels = bicrystal("FCC_Cu_100", 22.0, size=200, rotation=15.0, seed=0)
    assert labels.metadata.Symmetry.rotations == [15.0, 37.0]
    assert labels.metadata.Symmetry.class_names == ["FCC_Cu_100", "FCC_Cu_100"]
    assert (labels.data[:, :100] == 0).all() and (labels.data[:, 100:] == 1).all()
    assert labels.metadata.Symmetry.boundary_x == pytest.approx(99.5 * 0.12)

    def angle(tile):
        v = measure_lattice(tile).vectors[0]
        return math.degrees(math.atan2(-v[1], v[0])) % 90.0

    left, right = angle(image.data[:, 5:90]), angle(image.data[:, 110:195])
    assert abs(left - 15.0) < 1.0 and abs(right - 37.0) < 1.0


def test_bicrystal_boundary_has_no_overlapping_columns():
    from hyperspy_symmetry.simulate.scenes import MIN_COLUMN_DISTANCE

    image, _ = bicrystal("BCC_Fe_110", 30.0, size=160, seed=2)
    # No column is brighter than a perfect-crystal column by the sum of two columns.
    reference, _ = bicrystal("BCC_Fe_110", 0.0, size=160, seed=2)
    assert image.data.max() <= 1.0 and MIN_COLUMN_DISTANCE > 1.0
    assert np.percentile(image.data, 99.9) < 1.3 * np.percentile(reference.data, 99.9)


@pytest.mark.parametrize("name", ["BCC_Fe_110", "FCC_Cu_211", "HCP_Ti_2m1m10"])
def test_every_column_of_a_scene_grain_is_as_bright_as_the_others(name):
    # A grain without a z shift once lost the atoms that rounding put just below z = 0: a
    # random fifth of its columns were a third dimmer, a pattern no class has.
    from scipy import ndimage

    image, _ = bicrystal(name, 0.0, size=160, rotation=17.0, seed=2, core_disorder=0.0)
    data = image.data
    top = (ndimage.maximum_filter(data, 9) == data) & (data > 0.5 * data.max())
    peaks = data[10:-10, 10:70][top[10:-10, 10:70]]  # inside the left grain
    assert len(peaks) > 20 and peaks.min() > 0.8 * peaks.max()


def test_bicrystal_core_disorder_stays_at_the_boundary():
    disordered, labels = bicrystal("FCC_Cu_100", 22.0, size=300, rotation=15.0, seed=3)
    sharp, _ = bicrystal("FCC_Cu_100", 22.0, size=300, rotation=15.0, seed=3, core_disorder=0.0)
    assert disordered.metadata.Simulation.core_disorder == 0.4
    x = np.arange(300) * 0.12
    distance = np.abs(x - labels.metadata.Symmetry.boundary_x)
    change = np.abs(disordered.data - sharp.data).max(axis=0)
    assert change[distance < 2.0].max() > 0.2  # columns in the core move
    assert change[distance > 12.0].max() < 0.02  # the grains stay perfect crystals
    with pytest.raises(ValueError, match="core_disorder"):
        bicrystal("FCC_Cu_100", 10.0, size=64, core_disorder=-1.0)


def test_heterophase_bicrystal_and_bad_input():
    _, labels = bicrystal("FCC_Cu_100", 10.0, size=64, second_class="BCC_Fe_100", seed=0)
    assert labels.metadata.Symmetry.class_names == ["FCC_Cu_100", "BCC_Fe_100"]
    with pytest.raises(ValueError, match="Unknown crystal class"):
        bicrystal("FCC_Cu_100", 10.0, second_class="Gold", size=64)
    with pytest.raises(ValueError, match="boundary"):
        bicrystal("FCC_Cu_100", 10.0, size=64, boundary=1.5)


def test_damage_movie_hole_fraction_follows_the_law():
    movie, truth = damage_movie(n_frames=30, seed=4, size=128, frame_time=4.0, rho=0.03, A0=0.004)
    assert movie.data.shape == (30, 128, 128)
    time_axis = movie.axes_manager["time"]
    assert time_axis.units == "s" and time_axis.scale == 4.0
    np.testing.assert_allclose(truth["time"], np.arange(30) * 4.0)
    law = 0.004 * np.exp(0.03 * truth["time"])
    np.testing.assert_allclose(truth["hole_fraction"], law, rtol=0.02, atol=2 / 128**2)
    rho = np.polyfit(truth["time"], np.log(truth["hole_fraction"]), 1)[0]
    assert rho == pytest.approx(0.03, rel=0.02)
    labels = truth["labels"]
    assert labels.metadata.Symmetry.class_names == ["lattice", "hole"]
    np.testing.assert_allclose(labels.data.mean(axis=(1, 2)), truth["hole_fraction"])
    # The holes are empty: the image is dark where the labels say hole.
    last = movie.data[-1]
    assert last[labels.data[-1] == 1].mean() < 0.3 * last[labels.data[-1] == 0].mean()


def test_damage_movie_is_seeded():
    a, _ = damage_movie(n_frames=3, seed=1, size=64)
    b, _ = damage_movie(n_frames=3, seed=1, size=64)
    c, _ = damage_movie(n_frames=3, seed=2, size=64)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.data, c.data)


def test_transforming_lattice_ends_hexagonal():
    movie, labels = transforming_lattice(n_frames=12, seed=0, size=160)
    classes = labels.metadata.Symmetry.classes
    names = labels.metadata.Symmetry.class_names
    assert classes[0] == "square" and classes[-1] == "hexagonal"
    assert "centered_rectangular" in classes
    assert [names[i] for i in labels.data[:, 0, 0]] == classes
    ratios = labels.metadata.Symmetry.b_over_a
    assert ratios[0] == pytest.approx(1.0) and ratios[-1] == pytest.approx(math.sqrt(3))
    assert np.all(np.diff(ratios) >= 0)
    # The images agree with their labels, measured by the package's own rules.
    assert measure_lattice(movie.data[0]).lattice_class() == "square"
    assert measure_lattice(movie.data[-1]).lattice_class() == "hexagonal"


def test_labels_survive_a_zspy_round_trip(tmp_path):
    _, labels = bicrystal("FCC_Cu_100", 22.0, size=48, seed=0)
    labels.save(tmp_path / "labels.zspy")
    back = hs.load(tmp_path / "labels.zspy")
    assert back.metadata.Symmetry.class_names == ["FCC_Cu_100", "FCC_Cu_100"]
    np.testing.assert_array_equal(back.data, labels.data)
