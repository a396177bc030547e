"""HAADF simulation of the aistem classes with abTEM: fringes, geometry, seeds, bad input."""

import math

import numpy as np
import pytest
from conftest import spectrum_peak_ratio

from hyperspy_symmetry.lattice import measure_lattice, strongest_fringe
from hyperspy_symmetry.simulate import AISTEM_CLASSES, bravais_image, crystal_array, crystal_image
from hyperspy_symmetry.simulate.augment import rotate
from hyperspy_symmetry.simulate.crystals import amorphous_atoms, bulk_atoms, zone_axis_atoms

CU, FE = 3.63, 2.87


def _close_to_one_of(d, spacings, rtol=0.02):
    return min(abs(d / s - 1.0) for s in spacings) < rtol


@pytest.mark.parametrize("rotation", [0.0, 23.0])
@pytest.mark.parametrize(
    "name, spacings",
    [
        ("FCC_Cu_100", (CU / 2, CU / (2 * math.sqrt(2)))),  # {200} 1.815 Å, {220} 1.283 Å
        ("BCC_Fe_100", (FE / math.sqrt(2), FE / 2)),  # {110} 2.03 Å, {200} 1.435 Å
    ],
)
def test_strongest_fringe_is_the_expected_lattice_plane(name, spacings, rotation):
    s = crystal_image(name, size=256, rotation=rotation, seed=1)
    d = strongest_fringe(s)  # in Å, from the signal's calibration
    assert _close_to_one_of(d, spacings), (name, rotation, d, spacings)


def test_lattice_parameter_scales_the_fringes():
    s = crystal_image("FCC_Cu_100", size=256, seed=2, lattice_parameter=4.0)
    assert _close_to_one_of(strongest_fringe(s), (2.0, 4.0 / (2 * math.sqrt(2))))
    assert s.metadata.Simulation.lattice_parameter == pytest.approx(4.0)


def test_signal_is_calibrated_and_records_the_simulation():
    s = crystal_image("HCP_Ti_0001", size=96, pixel_size=0.1, rotation=10.0, seed=5)
    assert type(s).__name__ == "AtomicResolution2D"
    assert s.data.shape == (96, 96) and s.data.dtype == np.float32
    assert 0.0 <= s.data.min() and s.data.max() == pytest.approx(1.0)
    for axis, name in zip(s.axes_manager.signal_axes, "xy", strict=False):
        assert axis.scale == pytest.approx(0.1) and axis.units == "Å" and axis.name == name
    sim = s.metadata.Simulation
    assert sim.class_name == "HCP_Ti_0001" and list(sim.zone_axis) == [0, 0, 0, 1]
    assert sim.rotation == 10.0 and sim.seed == 5 and sim.method == "convolution"
    assert sim.c_over_a == pytest.approx(1.587)


def test_seed_reproduces_and_changes_the_image():
    a = crystal_image("FCC_Cu_110", size=96, seed=7).data
    b = crystal_image("FCC_Cu_110", size=96, seed=7).data
    c = crystal_image("FCC_Cu_110", size=96, seed=8).data
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def _displayed_angle(vector):
    """Angle (degrees) of an (x, y) pixel vector, counter-clockwise as displayed (y down)."""
    return math.degrees(math.atan2(-vector[1], vector[0]))


def _angle_mod(angle, period):
    return (angle + period / 2) % period - period / 2


def test_rotation_is_counter_clockwise_as_displayed_everywhere():
    # The crystal simulator, the 2D-lattice simulator and the augmentation agree.
    fcc = crystal_array("FCC_Cu_100", 192, 0.12, rotation=20.0, rng=np.random.default_rng(0))[0]
    fit = measure_lattice(fcc)
    assert abs(_angle_mod(_displayed_angle(fit.vectors[0]) - 20.0, 90.0)) < 1.0

    square = bravais_image("square", 192, seed=0, a=12.0, rotation=20.0).data
    assert abs(_angle_mod(_displayed_angle(measure_lattice(square).vectors[0]) - 20.0, 90.0)) < 1.0

    upright = bravais_image("square", 256, seed=0, a=12.0, rotation=0.0).data
    turned = rotate(upright, 20.0)[64:192, 64:192]
    assert abs(_angle_mod(_displayed_angle(measure_lattice(turned).vectors[0]) - 20.0, 90.0)) < 1.0


def test_any_ase_crystal_and_zone_axis():
    from ase.build import bulk

    gold = bulk("Au", "fcc", a=4.08, cubic=True)
    s = crystal_image(gold, zone_axis=(0, 0, 1), size=256, seed=0)
    assert _close_to_one_of(strongest_fringe(s), (2.04, 4.08 / (2 * math.sqrt(2))))
    assert s.metadata.Simulation.class_name == "Au4"
    with pytest.raises(ValueError, match="zone_axis"):
        crystal_image(gold, size=64)


@pytest.mark.parametrize("name", list(AISTEM_CLASSES))
def test_every_column_holds_the_same_number_of_atoms(name):
    crystal = AISTEM_CLASSES[name]
    slab = zone_axis_atoms(bulk_atoms(crystal), crystal.zone_axis, (15.0, 15.0), rotation=13.0)
    columns = np.round(slab.positions[:, :2], 3)
    _, counts = np.unique(columns, axis=0, return_counts=True)
    assert counts.min() == counts.max() >= 1
    # The slab is whole repeats of the zone axis thick and at least the asked thickness.
    assert slab.cell[2, 2] >= 10.0


@pytest.mark.parametrize("name", list(AISTEM_CLASSES))
def test_every_atom_lies_inside_the_slab(name):
    # abTEM leaves out atoms outside [0, depth) along the beam; a rounding error below z = 0
    # (no z shift, as a scene's grains have), displacements and a tilt must not lose any.
    crystal = AISTEM_CLASSES[name]
    bulk = bulk_atoms(crystal)
    for kwargs in (
        {},
        {"displacement": 0.1, "rng": np.random.default_rng(0)},
        {"tilt": (20.0, 30.0)},
    ):
        for rotation in (0.0, 17.0, 45.0):
            slab = zone_axis_atoms(
                bulk, crystal.zone_axis, (15.0, 15.0), rotation=rotation, **kwargs
            )
            z = slab.positions[:, 2]
            assert z.min() >= 0.0 and z.max() < slab.cell[2, 2], (kwargs, rotation)


def test_the_ten_classes_give_ten_different_images():
    spectra = []
    for name in AISTEM_CLASSES:
        img = crystal_array(name, 128, 0.12, rng=np.random.default_rng(0))[0]
        spectrum = np.abs(np.fft.fft2(img - img.mean()))
        spectra.append(spectrum.ravel() / np.linalg.norm(spectrum))
    similarity = np.array(spectra) @ np.array(spectra).T
    np.fill_diagonal(similarity, 0.0)
    assert similarity.max() < 0.95


def test_amorphous_slab_has_no_lattice_fringes():
    from hyperspy_symmetry.simulate.crystals import haadf_array

    rng = np.random.default_rng(0)
    atoms = amorphous_atoms("Cu", (20.0, 20.0), 10.0, rng=rng)
    # bulk Cu density: 4 atoms per 3.61^3 Å^3 within 5 %
    assert len(atoms) / atoms.get_volume() == pytest.approx(4 / 3.61**3, rel=0.05)
    glass = haadf_array(atoms, 0.12, margin=17)
    crystal = crystal_array("FCC_Cu_100", glass.shape[0], 0.12, rng=rng)[0]
    assert spectrum_peak_ratio(crystal) > 10 * spectrum_peak_ratio(glass)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(crystal="FCC_Cu_999"), "Unknown crystal class"),
        (dict(crystal="FCC_Cu_100", size=4), "size"),
        (dict(crystal="FCC_Cu_100", pixel_size=0.0), "pixel_size"),
        (dict(crystal="FCC_Cu_100", lattice_parameter=-1.0), "lattice_parameter"),
        (dict(crystal="FCC_Cu_100", method="magic"), "method"),
        (dict(crystal="HCP_Ti_0001", zone_axis=(1, 1, 1, 0)), "u \\+ v \\+ t = 0"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, match):
    kwargs.setdefault("size", 32)
    with pytest.raises(ValueError, match=match):
        crystal_image(**kwargs)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_multislice_agrees_with_the_convolution_approximation():
    kw = dict(rng=np.random.default_rng(0), translation=(0.0, 0.0, 0.0))
    multislice = crystal_array("FCC_Cu_100", 40, 0.12, method="multislice", **kw)[0]
    convolution = crystal_array("FCC_Cu_100", 40, 0.12, **kw)[0]
    assert np.corrcoef(multislice.ravel(), convolution.ravel())[0, 1] > 0.85
