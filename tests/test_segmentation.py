"""Issue 5, part 1: grains and interfaces from uncertainty maps (``u.segment``)."""

from __future__ import annotations

import hyperspy.api as hs
import numpy as np
import pytest
from conftest import calibrated

from hyperspy_symmetry.analysis import (
    band_spans,
    boundary_bands,
    bulk_mask,
    check_threshold,
    label_grains,
    segment_arrays,
)
from hyperspy_symmetry.models import list_models

SHIPPED = list_models()
#: Not the seed of any other test's bicrystal (tests/test_shipped_models.py uses 20261122).
FRESH_SEED = 7301


# -- pure functions -----------------------------------------------------------------------


def test_bulk_mask_thresholds_and_excludes_nan():
    u = np.array([[0.0, 0.099, 0.1, 0.5, np.nan]])
    np.testing.assert_array_equal(bulk_mask(u, 0.1), [[True, True, False, False, False]])


@pytest.mark.parametrize("bad", [0, -0.1, np.nan, np.inf])
def test_threshold_must_be_positive_and_finite(bad):
    with pytest.raises(ValueError, match="`threshold` must be a number > 0"):
        check_threshold(bad)


@pytest.mark.parametrize("bad", ["0.1", None, True])
def test_threshold_must_be_a_number(bad):
    with pytest.raises(TypeError, match="number"):
        check_threshold(bad)


def test_grains_are_four_connected():
    bulk = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)
    grains, classes = label_grains(bulk)
    # Diagonal neighbours do not touch: three grains.
    np.testing.assert_array_equal(grains, np.diag([1, 2, 3]))
    assert classes == [-1, -1, -1]


def test_grains_split_where_the_class_changes_and_carry_it():
    bulk = np.ones((3, 6), dtype=bool)
    bulk[:, 3] = False
    classes = np.zeros((3, 6), dtype=int)
    classes[:, 4:] = 2
    classes[2, :3] = 1  # the left region has two classes
    grains, grain_classes = label_grains(bulk, classes)
    expected = np.array([[1, 1, 1, 0, 2, 3], [1, 1, 1, 0, 2, 3], [4, 4, 4, 0, 2, 3]])
    # Grain 2 is column 4 only if it has another class than column 5: it has not.
    expected[:, 4:] = np.where(expected[:, 4:] > 0, 2, 0)
    np.testing.assert_array_equal(grains, np.where(expected == 4, 3, expected))
    assert grain_classes == [0, 2, 1]


def test_windows_without_class_are_never_grains():
    bulk = np.ones((2, 3), dtype=bool)
    classes = np.array([[0, -1, 0], [0, -1, 0]])
    grains, grain_classes = label_grains(bulk, classes)
    np.testing.assert_array_equal(grains, [[1, 0, 2], [1, 0, 2]])
    assert grain_classes == [0, 0]


def test_stacks_are_labelled_per_image():
    u = np.zeros((2, 3, 4, 5))
    u[0, 0, :, 2] = 1.0  # image (0, 0) has two grains, the others one
    bulk, grains, grain_classes = segment_arrays(u, 0.1)
    assert grains.shape == u.shape and grains.dtype == np.int32
    assert grains[0, 0].max() == 2 and grains[1, 2].max() == 1
    assert len(grain_classes) == 2 and len(grain_classes[0]) == 3
    assert grain_classes[0][0] == [-1, -1] and grain_classes[1][2] == [-1]


def test_boundary_bands_and_their_spans():
    bulk = np.ones((4, 6), dtype=bool)
    bulk[:, 2] = False
    bulk[1, 3] = False  # attached to the band
    bulk[3, 5] = False  # a separate defect
    bands, n = boundary_bands(bulk)
    assert n == 2
    spans = band_spans(bands)
    assert spans[0]["spans_rows"] and spans[0]["cols"] == (2, 3) and spans[0]["size"] == 5
    assert not spans[1]["spans_rows"] and spans[1]["size"] == 1


def test_label_grains_checks_shapes():
    with pytest.raises(ValueError, match="must match"):
        label_grains(np.ones((3, 3), bool), np.zeros((3, 4), int))


# -- the signal method --------------------------------------------------------------------


def _maps(nav=(), lazy=False):
    """An uncertainty map with an interface column and matching probabilities (3 classes).

    Left of column 3 class 0, right of it class 1 in rows 0-1 and class 2 in rows 2-3.
    """
    gy, gx = 4, 6
    mi = np.zeros(nav + (gy, gx))
    mi[..., :, 3] = 0.5
    mi[..., 0, 0] = np.nan
    probs = np.zeros(nav + (3, gy, gx))
    probs[..., 0, :, :3] = 1.0
    probs[..., 1, :2, 3:] = 1.0
    probs[..., 2, 2:, 3:] = 1.0
    probs[..., :, 0, 0] = np.nan
    axes_grid = [
        {"name": "y", "size": gy, "scale": 2.4, "offset": 5.94, "units": "Å"},
        {"name": "x", "size": gx, "scale": 2.4, "offset": 5.94, "units": "Å"},
    ]
    nav_axes = [{"name": f"n{i}", "size": n, "navigate": True} for i, n in enumerate(nav)]
    md = {
        "Symmetry": {
            "class_names": ["a", "b", "c"],
            "measure": "mutual_information",
            "model": "test",
        }
    }
    u = hs.signals.Signal2D(mi, axes=nav_axes + axes_grid, metadata=md)
    u.set_signal_type("symmetry_uncertainty")
    class_axis = [{"name": "class", "size": 3, "navigate": True}]
    p = hs.signals.Signal2D(probs, axes=nav_axes + class_axis + axes_grid, metadata=md)
    p.set_signal_type("symmetry_probabilities")
    if lazy:
        u, p = u.as_lazy(), p.as_lazy()
    return u, p


def test_segment_without_probabilities():
    u, _ = _maps()
    seg = u.segment(0.1)
    assert seg.bulk.data.dtype == bool and seg.grains.data.dtype == np.int32
    assert not seg.bulk.data[0, 0]  # NaN window
    np.testing.assert_array_equal(seg.grains.data[1], [1, 1, 1, 0, 2, 2])
    assert seg.n_grains == 2 and seg.grain_classes is None
    assert seg.grains.metadata.get_item("Symmetry.grain_classes") is None
    assert seg.threshold == 0.1 and seg.measure == "mutual_information"
    for out in (seg.bulk, seg.grains):
        for mine, theirs in zip(
            out.axes_manager.signal_axes, u.axes_manager.signal_axes, strict=False
        ):
            assert (mine.name, mine.scale, mine.offset, mine.units) == (
                theirs.name,
                theirs.scale,
                theirs.offset,
                theirs.units,
            )


def test_segment_default_threshold_is_the_models():
    u, _ = _maps()
    # a map made before models recorded a threshold: the AI-STEM paper's 0.1 bits
    assert u.interface_threshold == 0.1 and u.segment().threshold == 0.1
    u.metadata.set_item("Symmetry.interface_threshold", 0.25)
    seg = u.segment()
    assert seg.threshold == 0.25
    np.testing.assert_array_equal(seg.bulk.data, u.segment(0.25).bulk.data)
    u.metadata.set_item("Symmetry.measure", "predictive_entropy")
    with pytest.raises(ValueError, match="predictive_entropy.*threshold"):
        u.segment()
    assert u.segment(0.3).threshold == 0.3


def test_results_record_the_models_interface_threshold(tiny_aistem):
    image = calibrated(np.random.default_rng(0).random((150, 150)))
    kw = dict(model=tiny_aistem, stride=20, n_samples=4, seed=0, show_progressbar=False)
    u = image.mc_uncertainty(**kw)
    # the tiny model's card names no threshold: the paper's
    assert u.metadata.Symmetry.interface_threshold == 0.1 == u.interface_threshold


def test_segment_with_probabilities_names_the_grains():
    u, p = _maps()
    seg = u.segment(0.1, probabilities=p)
    np.testing.assert_array_equal(
        seg.grains.data,
        [[0, 1, 1, 0, 2, 2], [1, 1, 1, 0, 2, 2], [1, 1, 1, 0, 3, 3], [1, 1, 1, 0, 3, 3]],
    )
    assert seg.grain_classes == ["a", "b", "c"]
    assert seg.grains.metadata.Symmetry.grain_classes == ["a", "b", "c"]


@pytest.mark.parametrize("lazy", [False, True])
def test_segment_a_stack(lazy):
    u, p = _maps(nav=(2, 3), lazy=lazy)
    seg = u.segment(0.1, probabilities=p)
    assert not seg.grains._lazy  # computed: see the docstring
    assert seg.grains.data.shape == (2, 3, 4, 6)
    assert seg.grains.axes_manager.navigation_shape == u.axes_manager.navigation_shape
    assert seg.n_grains == [[3, 3, 3], [3, 3, 3]]
    assert len(seg.grain_classes) == 2 and seg.grain_classes[1][2] == ["a", "b", "c"]


def test_segment_errors():
    u, p = _maps()
    with pytest.raises(ValueError, match="`threshold` must be a number > 0"):
        u.segment(-1.0)
    with pytest.raises(TypeError, match="SymmetryProbabilities"):
        u.segment(0.1, probabilities=hs.signals.Signal2D(np.zeros((3, 4, 6))))
    _, stack = _maps(nav=(2,))
    with pytest.raises(ValueError, match="data shape"):
        u.segment(0.1, probabilities=stack)
    p.axes_manager.signal_axes[0].scale = 4.8
    with pytest.raises(ValueError, match="another window grid"):
        u.segment(0.1, probabilities=p)


def test_other_measures_are_allowed():
    u, _ = _maps()
    u.metadata.Symmetry.measure = "variation_ratio"
    seg = u.segment(0.3)
    assert seg.measure == "variation_ratio" and seg.n_grains == 2


# -- done-when: a real bicrystal with the shipped model -----------------------------------


@pytest.mark.skipif("aistem" not in SHIPPED, reason="aistem weights not shipped")
@pytest.mark.timeout(300)
def test_bicrystal_has_one_interface_band_between_two_fcc_grains():
    from hyperspy_symmetry.simulate import bicrystal
    from hyperspy_symmetry.simulate.augment import AugmentationRecipe

    image, labels = bicrystal(
        "FCC_Cu_100",
        22.0,
        size=300,
        rotation=15.0,
        seed=FRESH_SEED,
        augmentation=AugmentationRecipe.realistic(),
    )
    args = dict(model="aistem", stride=20, n_samples=20, seed=0, show_progressbar=False)
    p = image.classify_symmetry(**args)
    u = image.mc_uncertainty(**args)
    seg = u.segment(0.1, probabilities=p)

    bands, n_bands = boundary_bands(seg.bulk.data)
    assert n_bands == 1
    (band,) = band_spans(bands)
    assert band["spans_rows"] and not band["spans_cols"]
    # Every window of the band is centred within one window of the true boundary.
    x = u.axes_manager.signal_axes[0]
    window = p.metadata.Symmetry.window_size * image.axes_manager.signal_axes[0].scale
    centres = x.axis[np.nonzero(bands == 1)[1]]
    boundary_x = labels.metadata.Symmetry.boundary_x
    assert np.all(np.abs(centres - boundary_x) <= window)
    assert seg.n_grains == 2
    assert seg.grain_classes == ["FCC_Cu_100", "FCC_Cu_100"]
    # The grains lie on either side of the band.
    left = x.axis[np.nonzero(seg.grains.data == 1)[1]]
    right = x.axis[np.nonzero(seg.grains.data == 2)[1]]
    assert left.max() < boundary_x < right.min()
