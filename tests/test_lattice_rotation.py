"""Local lattice rotation: the batched measurement on synthetic lattices, and the signal
method on a simulated bicrystal with the shipped ``aistem`` model."""

import hyperspy.api as hs
import numpy as np
import pytest
from conftest import calibrated, lattice_image

import hyperspy_symmetry as hss
from hyperspy_symmetry.analysis.rotation import (
    reference_peaks,
    reference_sources,
    rotation_map,
    rotational_period,
    window_rotations,
    wrap_angle,
)


def waves(n, angles_deg, period, rotation=0.0, shift=(0.0, 0.0), sharp=True):
    """Sum of cosines with wave vectors at ``angles_deg + rotation`` (counter-clockwise as
    displayed: rows run down), wavelength ``period`` px; ``sharp``: its exponential, a
    lattice of sharp columns (with harmonics)."""
    y, x = np.mgrid[:n, :n].astype(float)
    x, y = x + shift[0], y + shift[1]
    img = np.zeros((n, n))
    for a in np.radians(np.asarray(angles_deg, dtype=float) + rotation):
        img += np.cos(2 * np.pi * (x * np.cos(a) - y * np.sin(a)) / period)
    return np.exp(img) if sharp else img


SQUARE = (0.0, 90.0)
HEXAGONAL = (0.0, 60.0, 120.0)


@pytest.mark.parametrize(
    "angles, period, expected_period",
    [(SQUARE, 12.0, 90.0), (HEXAGONAL, 12.0, 60.0), ((0.0, 70.0), 12.0, 180.0)],
)
def test_reference_period_is_derived_from_the_peaks(angles, period, expected_period):
    ref = reference_peaks(waves(256, angles, period))
    assert ref.period == expected_period
    # The strongest peaks sit at the wave vectors (ky up), |k| = 1 / period.
    strongest = ref.peaks[ref.weights > 0.9]
    assert np.allclose(np.hypot(*strongest.T), 1 / period, rtol=0.01)
    directions = (np.degrees(np.arctan2(strongest[:, 1], strongest[:, 0])) + 0.5) % 180 - 0.5
    expected = np.repeat(np.asarray(angles) % 180, 2)  # each with its Friedel partner
    assert np.allclose(np.sort(directions), np.sort(expected), atol=0.2)


def test_rotational_period_needs_matching_weights():
    square = np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]])
    assert rotational_period(square) == 90.0
    # Same geometry, but one pair much stronger: only 180° maps it onto itself.
    assert rotational_period(square, np.array([1.0, 1.0, 0.3, 0.3])) == 180.0


@pytest.mark.parametrize(
    "angles, period", [(SQUARE, 90.0), (HEXAGONAL, 60.0), ((0.0, 70.0), 180.0)]
)
def test_known_rotations_are_recovered(angles, period):
    ref = reference_peaks(waves(256, angles, 20.0))
    truth = np.array([-40.0, -12.3, 0.0, 7.7, 29.0, 44.0, 71.5, 133.0])
    windows = np.stack(
        [
            waves(100, angles, 20.0, rotation=t, shift=(3.1 * i, 1.7 * i))
            for i, t in enumerate(truth)
        ]
    )
    angle, quality = window_rotations(windows, ref)
    assert angle.shape == truth.shape
    assert np.all((angle >= -period / 2) & (angle < period / 2))
    assert np.allclose(wrap_angle(angle - truth, period), 0.0, atol=0.05)
    assert np.all(quality > 0.9)


def test_sign_convention_counter_clockwise_as_displayed():
    # conftest.lattice_image turns its lattice clockwise as displayed (rows run down).
    ref = reference_peaks(lattice_image((256, 256), (16.0, 16.0), 0.0, noise=0.0))
    window = lattice_image((100, 100), (16.0, 16.0), 20.0, noise=0.0)
    angle, _ = window_rotations(window, ref)
    assert float(angle) == pytest.approx(-20.0, abs=0.1)


def test_batched_over_any_leading_shape_and_noise_tolerant():
    ref = reference_peaks(waves(256, SQUARE, 16.0))
    rng = np.random.default_rng(0)
    windows = np.stack(
        [waves(100, SQUARE, 16.0, rotation=10.0, shift=(i, 2 * i)) for i in range(6)]
    ).reshape(2, 3, 100, 100)
    windows = windows + 0.3 * windows.std() * rng.standard_normal(windows.shape)
    angle, quality = window_rotations(windows, ref, batch=4)
    assert angle.shape == quality.shape == (2, 3)
    assert np.allclose(angle, 10.0, atol=0.5)


def test_windows_without_a_lattice_are_nan():
    ref = reference_peaks(waves(256, HEXAGONAL, 16.0))
    rng = np.random.default_rng(1)
    noise = rng.random((20, 100, 100))
    constant = np.ones((1, 100, 100))
    broken = waves(100, HEXAGONAL, 16.0)[None].copy()
    broken[0, 5, 5] = np.nan
    angle, quality = window_rotations(np.concatenate([noise, constant, broken]), ref)
    assert np.isnan(angle).all()
    assert np.all(quality[:20] < 0.6)
    assert np.isnan(quality[-1])


def test_pixel_size_converts_the_reference_units():
    # Reference peaks in cycles per Å (0.5 Å/px); windows at 0.25 Å/px see twice the period.
    ref = reference_peaks(waves(256, SQUARE, 10.0), pixel_size=0.5)
    window = waves(100, SQUARE, 20.0, rotation=-17.0, sharp=False)
    angle, quality = window_rotations(window, ref, pixel_size=0.25)
    assert float(angle) == pytest.approx(-17.0, abs=0.05) and quality > 0.9
    # With the wrong pixel size the peaks are not found (12.5 px instead of 20 px).
    angle, quality = window_rotations(window, ref, pixel_size=0.4)
    assert np.isnan(angle) and quality < 0.6


def test_rotation_map_uses_each_windows_class():
    square = reference_peaks(waves(256, SQUARE, 16.0))
    hexagonal = reference_peaks(waves(256, HEXAGONAL, 16.0))
    image = np.concatenate(
        [waves(120, SQUARE, 16.0, rotation=12.0), waves(120, HEXAGONAL, 16.0, rotation=-21.0)],
        axis=1,
    )
    # Windows at x = 0 (square), 70 (half and half) and 140 (hexagonal); the middle one
    # has no class.
    labels = np.array([[[0, -1, 1]], [[0, 2, 2]]])
    out = rotation_map(
        np.stack([image[:100]] * 2), labels, [square, hexagonal, None], 100, 70, 1.0
    )
    assert out.shape == (2, 1, 3) and out.dtype == np.float32
    assert out[0, 0, 0] == out[1, 0, 0] == pytest.approx(12.0, abs=0.05)
    assert out[0, 0, 2] == pytest.approx(-21.0, abs=0.05)
    assert np.isnan(out[0, 0, 1]) and np.isnan(out[1, 0, 1:]).all()  # no class / no reference


def test_reference_sources_know_the_crystal_classes():
    sources = reference_sources(["FCC_Cu_100", "square", "noise"])
    assert sources == [("FCC_Cu_100", None), None, None]


def _assert_same_table(shipped, simulated, path="table"):
    """Equal keys, lengths, strings and integers; floats equal within 1e-12 (FFTs and
    sums on other CPUs and library builds differ in the last bits, about 1e-15)."""
    assert type(shipped) is type(simulated) or {type(shipped), type(simulated)} <= {int, float}, (
        f"{path}: {type(shipped).__name__} against {type(simulated).__name__}; "
        "run `make reference-lattices`"
    )
    if isinstance(shipped, dict):
        assert shipped.keys() == simulated.keys(), f"{path}: run `make reference-lattices`"
        for key in shipped:
            _assert_same_table(shipped[key], simulated[key], f"{path}/{key}")
    elif isinstance(shipped, list):
        assert len(shipped) == len(simulated), f"{path}: run `make reference-lattices`"
        for item, other in zip(shipped, simulated, strict=True):
            _assert_same_table(item, other, path)
    elif isinstance(shipped, float) or isinstance(simulated, float):
        assert abs(shipped - simulated) <= 1e-12, f"{path}: run `make reference-lattices`"
    else:
        assert shipped == simulated, f"{path}: run `make reference-lattices`"


def test_shipped_reference_lattices_are_the_simulated_ones():
    """The table that ships with the aistem card is what abTEM simulates now (else run
    `make reference-lattices`), and at its pixel size the references are those, to the
    last bits that other CPUs and library builds change."""
    import json

    from hyperspy_symmetry.analysis.rotation import (
        REFERENCE_FILE,
        REFERENCE_PIXEL_SIZE,
        class_reference,
        reference_table,
        simulated_reference,
    )

    shipped = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    _assert_same_table(shipped, json.loads(json.dumps(reference_table())))
    for name in ("FCC_Cu_100", "HCP_Ti_0001", "BCC_Fe_110"):
        ref, sim = class_reference(name, REFERENCE_PIXEL_SIZE), simulated_reference(name, 0.12)
        np.testing.assert_allclose(ref.peaks, sim.peaks, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ref.weights, sim.weights, rtol=0, atol=1e-12)
        assert ref.period == pytest.approx(sim.period, rel=0, abs=1e-12)


@pytest.mark.parametrize("pixel_size", [0.075, 0.2, 0.3])
@pytest.mark.parametrize("name", ["BCC_Fe_100", "FCC_Cu_110", "HCP_Ti_0001", "HCP_Ti_10m10"])
def test_shipped_references_at_other_pixel_sizes_match_simulated_ones(name, pixel_size):
    """Band-limiting the shipped 0.12 Å table gives the rotations and the period of a
    reference simulated at the image's own pixel size."""
    from hyperspy_symmetry.analysis.rotation import class_reference, simulated_reference
    from hyperspy_symmetry.simulate.crystals import crystal_array

    shipped, simulated = class_reference(name, pixel_size), simulated_reference(name, pixel_size)
    assert shipped.period == simulated.period
    assert (np.hypot(*shipped.peaks.T) * pixel_size <= 0.4).all()
    images = np.stack(
        [crystal_array(name, 100, pixel_size, t, np.random.default_rng(1))[0] for t in (-31, 23)]
    )
    a_shipped, q_shipped = window_rotations(images, shipped, pixel_size)
    a_simulated, q_simulated = window_rotations(images, simulated, pixel_size)
    assert np.allclose(wrap_angle(a_shipped - a_simulated, shipped.period), 0.0, atol=0.05)
    assert np.allclose(wrap_angle(a_shipped - [-31, 23], shipped.period), 0.0, atol=0.05)
    assert np.allclose(q_shipped, q_simulated, atol=0.03)


def test_model_without_crystal_classes_is_refused(tiny_bravais):
    s = calibrated(np.random.default_rng(0).random((160, 160)))
    with pytest.raises(ValueError, match="reference lattice"):
        s.lattice_rotation(model=tiny_bravais, window_size=128, stride=32, n_samples=2, seed=0)


# -- the shipped aistem model on a simulated bicrystal ------------------------------------------


@pytest.fixture(scope="module")
def bicrystal_15_37():
    from hyperspy_symmetry.simulate import bicrystal

    return bicrystal("FCC_Cu_100", 22.0, size=300, rotation=15.0, seed=3)


def _bulk_mask(labels, window, stride):
    """Windows that lie entirely in one grain, on the window grid."""
    from hyperspy_symmetry.windows import sliding_windows

    w = sliding_windows(labels.data, window, stride)
    return w.min(axis=(-2, -1)) == w.max(axis=(-2, -1)), w[..., 0, 0]


@pytest.mark.skipif("aistem" not in hss.list_models(), reason="aistem weights not shipped")
def test_bicrystal_rotations_with_the_shipped_model(bicrystal_15_37):
    s, truth = bicrystal_15_37
    bulk, grain = _bulk_mask(truth, 100, 20)
    r = s.lattice_rotation(
        stride=20, n_samples=10, seed=0, mask=hs.signals.Signal2D(bulk), show_progressbar=False
    )
    assert r.data.shape == bulk.shape == (11, 11)
    assert r.metadata.Signal.quantity == "Lattice rotation (degrees)"
    md = r.metadata.Symmetry
    assert md.model == "aistem" and md.window_size == 100 and md.stride == 20
    assert md.periods.FCC_Cu_100 == 90.0 and "rotation=0" in md.reference
    ax = r.axes_manager.signal_axes[0]
    assert ax.units == "Å" and ax.scale == pytest.approx(20 * 0.12)
    assert ax.offset == pytest.approx(99 / 2 * 0.12)

    assert np.isnan(r.data[~bulk]).all()
    left, right = r.data[bulk & (grain == 0)], r.data[bulk & (grain == 1)]
    assert np.isfinite(left).mean() > 0.9 and np.isfinite(right).mean() > 0.9
    true_left, true_right = truth.metadata.Symmetry.rotations  # 15° and 37°
    assert wrap_angle(np.nanmedian(left) - true_left, 90.0) == pytest.approx(0.0, abs=1.5)
    assert wrap_angle(np.nanmedian(right) - true_right, 90.0) == pytest.approx(0.0, abs=1.5)
    difference = wrap_angle(np.nanmedian(right) - np.nanmedian(left), 90.0)
    assert difference == pytest.approx(22.0, abs=1.5)


@pytest.mark.skipif("aistem" not in hss.list_models(), reason="aistem weights not shipped")
def test_existing_probabilities_and_lazy_twin(bicrystal_15_37):
    s, _ = bicrystal_15_37
    p = s.classify_symmetry(stride=20, n_samples=10, seed=0, show_progressbar=False)
    eager = s.lattice_rotation(probabilities=p, show_progressbar=False)
    lazy = s.as_lazy().lattice_rotation(probabilities=p.as_lazy())
    assert lazy._lazy and lazy.data.shape == eager.data.shape
    lazy.compute(show_progressbar=False)
    np.testing.assert_array_equal(lazy.data, eager.data)

    # A lazy movie, one frame per chunk: the second frame is the first mirrored left-right,
    # which turns every lattice the other way (the grid maps column j to 10 - j).
    movie = calibrated(np.stack([s.data, s.data[:, ::-1]]), lazy=True, chunks=(1, 300, 300))
    r = movie.lattice_rotation(stride=20, n_samples=10, seed=0)
    assert r._lazy and r.data.shape == (2, 11, 11)
    assert [ax.name for ax in r.axes_manager.navigation_axes] == [
        movie.axes_manager.navigation_axes[0].name
    ]
    r.compute(show_progressbar=False)
    np.testing.assert_array_equal(r.data[0], eager.data)
    # Each window's lattice is measured against its predicted class's reference. Windows
    # beside the boundary hold both grains, lie above the model's interface threshold, and
    # their Monte-Carlo class can differ between a frame and its mirror image (bcc Fe [100]
    # in one, fcc Cu [100] in the other): compare the windows of one class in both frames.
    classes = np.asarray(
        movie.classify_symmetry(stride=20, n_samples=10, seed=0).predicted_class().data
    )
    same_class = classes[0] == classes[1][:, ::-1]
    both = np.isfinite(r.data[0]) & np.isfinite(r.data[1][:, ::-1]) & same_class
    assert both.sum() >= 80
    mirrored = wrap_angle(-r.data[1][:, ::-1][both], 90.0)
    np.testing.assert_allclose(mirrored, r.data[0][both], atol=0.05)
    # Windows on the boundary (disordered core, two lattices) have no single lattice.
    assert np.isnan(eager.data[:, 5]).mean() > 0.5
    assert np.isfinite(eager.data[:, [0, 1, 9, 10]]).all()
    # Without length calibration the model card's pixel size (0.12 Å) is assumed.
    plain = hs.signals.Signal2D(s.data)
    plain.set_signal_type("atomic_resolution")
    np.testing.assert_array_equal(
        plain.lattice_rotation(probabilities=p, show_progressbar=False).data, eager.data
    )
    with pytest.raises(ValueError, match="differ from those of `probabilities`"):
        s.lattice_rotation(probabilities=p, stride=10)
