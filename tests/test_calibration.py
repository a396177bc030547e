"""The calibration check of ``aistem``: lattice spacings against the classes' crystallography."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

from hyperspy_symmetry.calibration import (
    CalibrationWarning,
    _cell_and_basis,
    check_calibration,
    class_spacings,
    zone_spacings,
)
from hyperspy_symmetry.simulate import AISTEM_CLASSES, AugmentationRecipe, crystal_image

CLASSES = list(AISTEM_CLASSES)
FAST = dict(stride="6 Å", n_samples=2, seed=0, show_progressbar=False)


def _rescaled(s, scale, units="Å"):
    s = s.deepcopy()
    for ax in s.axes_manager.signal_axes:
        ax.scale, ax.units = scale, units
    return s


# -- expected spacings from the crystallography -----------------------------------------------


def test_zone_spacings_are_the_textbook_d_spacings():
    """d of the lowest-order reflections that the zone law and the structure factor allow."""
    cu, fe, ti, c = 3.63, 2.87, 2.95, 2.95 * 1.587
    expected = {
        "BCC_Fe_100": (fe / math.sqrt(2), fe / math.sqrt(2), 90.0),  # {011}
        "BCC_Fe_110": (fe / math.sqrt(2), fe / 2, 90.0),  # 1-10, 002
        "BCC_Fe_111": (fe / math.sqrt(2), fe / math.sqrt(2), 60.0),  # {1-10}
        "FCC_Cu_100": (cu / 2, cu / 2, 90.0),  # {020}
        "FCC_Cu_110": (cu / math.sqrt(3), cu / math.sqrt(3), math.degrees(math.acos(1 / 3))),
        "FCC_Cu_111": (cu / math.sqrt(8), cu / math.sqrt(8), 60.0),  # {2-20}
        "FCC_Cu_211": (cu / math.sqrt(3), cu / math.sqrt(8), 90.0),  # 1-1-1, 02-2
        "HCP_Ti_0001": (ti * math.sqrt(3) / 2, ti * math.sqrt(3) / 2, 60.0),  # {10-10}
        "HCP_Ti_10m10": (c / 2, ti / 2, 90.0),  # 0002 (0001 extinct), 1-210
        "HCP_Ti_2m1m10": (ti * math.sqrt(3) / 2, c / 2, 90.0),  # 01-10, 0002
    }
    for name, (d1, d2, angle) in expected.items():
        got = zone_spacings(AISTEM_CLASSES[name])
        np.testing.assert_allclose(got, (d1, d2, angle), rtol=1e-9, err_msg=name)


def test_cells_are_those_the_simulation_builds():
    """The cells and atoms of the check are ASE's, which crystal_image simulates."""
    from hyperspy_symmetry.simulate.crystals import bulk_atoms

    for crystal in {c.structure: c for c in AISTEM_CLASSES.values()}.values():
        cell, frac = _cell_and_basis(crystal)
        atoms = bulk_atoms(crystal)
        np.testing.assert_allclose(cell, np.asarray(atoms.cell), atol=1e-12)
        # the same positions up to a shift of the origin
        ase_frac = atoms.get_scaled_positions() - atoms.get_scaled_positions()[0]
        ours = (frac - frac[0]) % 1.0
        for p in ase_frac % 1.0:
            assert np.min(np.abs((ours - p + 0.5) % 1.0 - 0.5).max(axis=1)) < 1e-9


def test_class_spacings_only_for_known_crystals():
    assert set(class_spacings(CLASSES)) == set(CLASSES)
    assert class_spacings(["square", "hexagonal", "noise"]) is None
    assert class_spacings(CLASSES + ["Au_110"]) is None


# -- simulated images ---------------------------------------------------------------------


def test_every_class_passes_at_its_pixel_size_and_fails_10x_off():
    """Correctly calibrated images of each class, clean and with the realistic imperfections
    of the training recipe, match their own class; the same images read 10x off fail."""
    spacings = class_spacings(CLASSES)
    augmentation = AugmentationRecipe()
    for name in CLASSES:
        for seed in range(2):
            s = crystal_image(
                name,
                256,
                pixel_size=0.12,
                rotation=23.0 * seed,
                seed=seed,
                augmentation=augmentation if seed else None,
            )
            check = check_calibration(s.data, 0.12, spacings)
            assert check.ok is True, (name, seed, check.metadata())
            assert check.nearest_class == name, (name, seed, check.metadata())
            assert check.mismatch < 0.03
            for pixel_size, cause in ((0.012, "nm read as Å"), (1.2, "Å read as nm")):
                off = check_calibration(s.data, pixel_size, spacings)
                assert off.ok is False and off.cause == cause, (name, seed, off.metadata())


def test_polycrystal_and_bicrystals_pass():
    """Several grains in the measured region: a quadrant of one grain matches."""
    from hyperspy_symmetry.simulate import bicrystal, polycrystal_scene

    spacings = class_spacings(CLASSES)
    images = [polycrystal_scene(seed=seed)[0] for seed in range(3)]
    images.append(bicrystal("FCC_Cu_100", 22.0, seed=0)[0])
    images.append(bicrystal("FCC_Cu_110", 30.0, second_class="HCP_Ti_0001", seed=0)[0])
    for s in images:
        check = check_calibration(s.data, 0.12, spacings)
        assert check.ok is True, check.metadata()


def test_no_lattice_checks_nothing():
    noise = np.random.default_rng(0).random((300, 300))
    check = check_calibration(noise, 0.12, class_spacings(CLASSES))
    assert check.ok is None and check.measured is None
    assert "no lattice" in check.region


# -- through classify_symmetry and mc_uncertainty -----------------------------------------


@pytest.mark.parametrize("name", CLASSES)
def test_correct_calibration_never_warns(name):
    s = crystal_image(name, 256, pixel_size=0.12, rotation=11.0, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        p = s.classify_symmetry(model="aistem", **FAST)
    cal = p.metadata.Symmetry.calibration.as_dictionary()
    assert cal["ok"] is True and cal["nearest_class"] == name
    assert cal["relative_mismatch"] < 0.03
    assert cal["pixel_size"] == "0.12 Å"


def test_nm_read_as_angstrom_warns_before_the_window_error():
    """Cu [100] at 0.012 nm/px labelled Å: the 12 Å window becomes 1000 px, larger than the
    image; the warning says why first."""
    s = _rescaled(crystal_image("FCC_Cu_100", 256, pixel_size=0.12, seed=0), 0.012)
    with pytest.warns(CalibrationWarning, match="nm read as Å") as record:
        with pytest.raises(ValueError, match="larger than the image"):
            s.classify_symmetry(model="aistem", **FAST)
    assert len(record) == 1
    # the spacings as read (Cu {200}, 1.8 Å, at a tenth of the pixel size), to their 3 digits
    spacings = re.search(
        r"spacings of this image, ([\d.]+) and ([\d.]+) Å at 0.012 Å/px", str(record[0].message)
    )
    cu = class_spacings(["FCC_Cu_100"])["FCC_Cu_100"]
    assert [float(d) for d in spacings.groups()] == pytest.approx(
        [cu[0] / 10, cu[1] / 10], abs=0.001
    )
    # the other way round: a 1.2 Å/px reading gives a 10 px window, too small
    s = _rescaled(crystal_image("HCP_Ti_0001", 256, pixel_size=0.12, seed=0), 0.12, "nm")
    with pytest.warns(CalibrationWarning, match="Å read as nm"):
        with pytest.raises(ValueError, match="too small"):
            s.mc_uncertainty(model="aistem", **FAST)


def test_wrong_scale_warns_once_and_is_recorded():
    """Fe [110] read at half its pixel size: the run completes, one warning for classify and
    uncertainty together, and both results record the check."""
    s = _rescaled(crystal_image("BCC_Fe_110", 256, pixel_size=0.12, seed=1), 0.06)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        p = s.classify_symmetry(model="aistem", **FAST)
        u = s.mc_uncertainty(model="aistem", **FAST)
    calibration = [w for w in record if issubclass(w.category, CalibrationWarning)]
    assert len(calibration) == 1
    message = str(calibration[0].message)
    assert "wrong scale" in message and "material outside the model's classes" in message
    for result in (p, u):
        cal = result.metadata.Symmetry.calibration.as_dictionary()
        assert cal["ok"] is False and cal["likely_cause"] == "scale or material"
        assert cal["relative_mismatch"] > 0.15
        np.testing.assert_allclose(cal["measured_spacings"], [2.029 / 2, 1.435 / 2], rtol=0.02)


def test_window_in_pixels_is_what_the_model_sees():
    """A window given in pixels spans 12 Å whatever the axes say: 100 px at the true
    0.12 Å/px is right even when the axes are 10x off, and 200 px is not."""
    s = _rescaled(crystal_image("FCC_Cu_211", 256, pixel_size=0.12, seed=0), 0.012)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        p = s.classify_symmetry(model="aistem", window_size=100, stride=50, n_samples=2, seed=0)
    assert p.metadata.Symmetry.calibration.ok is True
    with pytest.warns(CalibrationWarning, match="Å/px"):
        s.classify_symmetry(model="aistem", window_size=200, stride=50, n_samples=2, seed=0)


LAZY = """
import sys, warnings
import dask.array as da
import numpy as np
import hyperspy.api as hs
from hyperspy_symmetry.calibration import CalibrationWarning
from hyperspy_symmetry.simulate.bravais import bravais_array

img, _ = bravais_array("square", 1536, 0, a=2.029 / 0.12, displacement=0.0)  # Fe [100]
frame = da.from_array(img.astype(np.float32), chunks=(512, 512))

def boom(block):
    raise AssertionError("a block outside the centre of frame 0 was computed")

guarded = da.map_blocks(
    lambda b, block_info=None: b
    if block_info[None]["chunk-location"] == (0, 1, 1)
    else boom(b),
    da.stack([frame, frame]).rechunk((1, 512, 512)),
    dtype=np.float32,
)
s = hs.signals.Signal2D(guarded).as_lazy()
for ax in s.axes_manager.signal_axes:
    ax.scale, ax.units = float(sys.argv[1]), "Å"
s.set_signal_type("atomic_resolution")
with warnings.catch_warnings(record=True) as record:
    warnings.simplefilter("always")
    p = s.classify_symmetry(model="aistem", stride="12 Å", n_samples=2, seed=0)
assert p._lazy
assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "imported"
cal = p.metadata.Symmetry.calibration
print(cal.ok, cal.nearest_class, cal.region, sum(w.category is CalibrationWarning for w in record))
"""


@pytest.mark.parametrize(
    "pixel_size, expected",
    [("0.12", "True BCC_Fe_100 central 512 x 512 px 0"), ("0.048", "False")],
)
def test_lazy_signal_reads_only_the_centre_of_the_first_frame(pixel_size, expected):
    """A lazy 2-frame movie of 1536 px frames in 512 px chunks: the check computes only the
    central chunk of frame 0 (any other chunk raises when computed), warns
    when 2.5x off, and building the lazy result imports no TensorFlow."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", LAZY, pixel_size], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.strip()
    assert out.startswith(expected), out
    if expected == "False":
        assert out.endswith(" 1"), out


def test_models_without_crystal_classes_skip_the_check(tiny_aistem):
    s = _rescaled(crystal_image("FCC_Cu_100", 256, pixel_size=0.12, seed=0), 0.06)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        p = s.classify_symmetry(model=tiny_aistem, **FAST)
        b = s.classify_symmetry(model="bravais", stride=64, n_samples=2, seed=0)
    assert "calibration" not in p.metadata.Symmetry
    assert "calibration" not in b.metadata.Symmetry


def test_unreadable_centre_is_not_checked_and_fails_only_when_computed():
    """The check is advisory: a damaged chunk fails where the data are computed, as before."""
    import dask.array as da
    import hyperspy.api as hs

    def damaged(block):
        raise RuntimeError("damaged chunk")

    data = da.zeros((256, 256), chunks=(128, 128), dtype=np.float32).map_blocks(
        damaged, dtype=np.float32
    )
    s = hs.signals.Signal2D(data).as_lazy()
    for ax in s.axes_manager.signal_axes:
        ax.scale, ax.units = 0.12, "Å"
    s.set_signal_type("atomic_resolution")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        p = s.classify_symmetry(model="aistem", **FAST)
    cal = p.metadata.Symmetry.calibration
    assert cal.ok is None and "could not be read (RuntimeError: damaged chunk)" in cal.region
    with pytest.raises(RuntimeError, match="damaged chunk"):
        p.data.compute()
