"""Results behave like any HyperSpy signal: slicing, reductions, transpose, copies, lazy.

The slicing matrix runs over ``p`` (probabilities), ``u`` (uncertainty) and the phase
fractions, for one image and for a movie, on results of a real classification (a small
random-weight model: the plumbing, not the science, is under test here).
"""

from __future__ import annotations

import copy

import hyperspy.api as hs
import matplotlib
import numpy as np
import pytest
from conftest import calibrated, lattice_image

matplotlib.use("Agg")

KW = dict(window_size=100, stride=50, n_samples=3, seed=0, adaptive=False, precision="float32")


@pytest.fixture(scope="module")
def results(tiny_aistem):
    """``p`` and ``u`` of one image (200x250 px: 3x4 windows) and of a 3-frame movie."""
    image = calibrated(lattice_image((200, 250), period=(17.0, 17.0)))
    frames = np.stack([lattice_image((200, 250), period=(17.0, 17.0), seed=k) for k in range(3)])
    movie = calibrated(frames)
    time = movie.axes_manager.navigation_axes[0]
    time.name, time.scale, time.units = "time", 2.0, "s"
    out = {}
    for name, s in (("image", image), ("movie", movie)):
        s.metadata.General.title = name
        out[name] = (
            s,
            s.classify_symmetry(model=tiny_aistem, **KW),
            s.mc_uncertainty(model=tiny_aistem, **KW),
        )
    return out


def _labels(p, axis):
    """Argmax over the data axis ``axis``, -1 where NaN: the expected predicted class."""
    data = np.asarray(p.data)
    nan = np.isnan(data)
    label = np.argmax(np.where(nan, -1.0, data), axis=axis)
    return np.where(nan.any(axis=axis), -1, label)


# -- operations that keep the class axis ---------------------------------------------------

KEEP = {
    "deepcopy": lambda p: copy.deepcopy(p),
    "as_lazy": lambda p: p.as_lazy(),
    "isig": lambda p: p.isig[1:, :2],
    "rebin": lambda p: p.rebin(scale=(1,) * p.axes_manager.navigation_dimension + (1, 2)),
}


@pytest.mark.parametrize("kind", ["image", "movie"])
@pytest.mark.parametrize("operation", list(KEEP))
def test_probabilities_methods_after_operation(results, kind, operation):
    _, p, _ = results[kind]
    q = KEEP[operation](p)
    assert q.class_names == p.class_names
    class_axis = q.axes_manager["class"]
    labels = q.predicted_class()
    if labels._lazy:
        labels.compute()
    np.testing.assert_array_equal(labels.data, _labels(q, class_axis.index_in_array))
    m = q.class_map(q.class_names[2])
    expected = np.take(np.asarray(q.data), 2, axis=class_axis.index_in_array)
    np.testing.assert_array_equal(np.asarray(m.data), expected)
    ax = q.plot_class_map()
    assert ax.images[-1].get_array().shape == q.axes_manager.signal_shape[::-1]
    q.plot()
    matplotlib.pyplot.close("all")


def test_movie_navigation_transposed(results):
    """``class`` second among the navigation axes: found by name, not taken as frames."""
    _, p, _ = results["movie"]
    q = p.transpose(navigation_axes=["time", "class"])
    assert [ax.name for ax in q.axes_manager.navigation_axes] == ["time", "class"]
    np.testing.assert_array_equal(q.predicted_class().data, p.predicted_class().data)
    assert q.predicted_class().axes_manager.navigation_axes[0].name == "time"
    np.testing.assert_array_equal(
        q.class_map(q.class_names[1]).data, p.class_map(p.class_names[1]).data
    )
    np.testing.assert_allclose(q.phase_fractions().data, p.phase_fractions().data)
    ax = q.plot_class_map(index=1)
    np.testing.assert_array_equal(
        np.ma.filled(ax.images[-1].get_array(), -1), p.predicted_class().data[1]
    )
    q.plot()
    matplotlib.pyplot.close("all")


def test_signal_and_navigation_swapped(results):
    """``p.T`` of a movie makes ``class`` a signal axis: predicted_class still finds it."""
    _, p, _ = results["movie"]
    q = p.T
    assert q.axes_manager["class"].navigate is False
    labels = q.predicted_class()
    assert [ax.name for ax in labels.axes_manager.signal_axes] == ["time"]
    np.testing.assert_array_equal(labels.data, np.moveaxis(p.predicted_class().data, 0, -1))
    with pytest.raises(ValueError, match="two signal axes"):
        q.plot_class_map()
    with pytest.raises(ValueError, match="navigation axis"):
        q.phase_fractions()
    # one image: p.T has one signal axis, so HyperSpy makes it a plain Signal1D
    assert type(results["image"][1].T).__name__ == "Signal1D"


def test_movie_one_frame(results):
    s, p, u = results["movie"]
    one = p.inav[:, 1]
    assert [ax.name for ax in one.axes_manager.navigation_axes] == ["class"]
    np.testing.assert_array_equal(one.predicted_class().data, p.predicted_class().data[1])
    with pytest.raises(ValueError, match="no frame axis"):
        one.phase_fractions()
    seg = u.inav[1].segment(0.1, probabilities=one)
    assert seg.grains.data.shape == u.data.shape[1:]
    one.plot_class_map(image=s.inav[1])
    one.plot()
    matplotlib.pyplot.close("all")


# -- operations that remove the class axis ---------------------------------------------------

REMOVE = {
    "inav one class": lambda p: p.inav[3],
    "sum over classes": lambda p: p.sum("class"),
    "mean over classes": lambda p: p.mean("class"),
}


@pytest.mark.parametrize("kind", ["image", "movie"])
@pytest.mark.parametrize("operation", list(REMOVE))
def test_no_class_axis_is_one_clear_error(results, kind, operation):
    _, p, u = results[kind]
    q = REMOVE[operation](p)
    assert "class" not in [ax.name for ax in q.axes_manager.navigation_axes]
    for call in (
        q.predicted_class,
        lambda: q.class_map(q.class_names[0]),
        q.plot_class_map,
        q.phase_fractions,
        lambda: u.segment(0.1, probabilities=q),
    ):
        with pytest.raises(ValueError, match="no `class` axis: it was sliced to one class"):
            call()
    q.plot()  # a plain probability map: HyperSpy's plot works
    if kind == "movie":  # the frame axis is not mistaken for classes
        assert q.axes_manager.navigation_axes[0].name == "time"
    matplotlib.pyplot.close("all")


# -- the uncertainty map and the phase fractions ---------------------------------------------

UNCERTAINTY_OPS = {
    "deepcopy": lambda u: copy.deepcopy(u),
    "as_lazy": lambda u: u.as_lazy(),
    "isig": lambda u: u.isig[1:, :2],
    "rebin": lambda u: u.rebin(scale=(1,) * u.axes_manager.navigation_dimension + (1, 2)),
}


@pytest.mark.parametrize("kind", ["image", "movie"])
@pytest.mark.parametrize("operation", list(UNCERTAINTY_OPS))
def test_uncertainty_after_operation(results, kind, operation):
    s, p, u = results[kind]
    v = UNCERTAINTY_OPS[operation](u)
    seg = v.segment(0.1)
    assert seg.grains.data.shape == v.data.shape
    assert seg.grains.axes_manager.signal_shape == v.axes_manager.signal_shape
    if operation in ("deepcopy", "as_lazy"):
        seg_p = v.segment(0.1, probabilities=KEEP[operation](p))
        assert seg_p.grain_classes is not None
        v.plot_map(image=s)
    else:
        v.plot_map()
    v.plot()
    matplotlib.pyplot.close("all")


def test_uncertainty_mismatched_probabilities(results):
    _, p, u = results["image"]
    with pytest.raises(ValueError, match="data shape"):
        u.segment(0.1, probabilities=p.isig[1:, :])


PF_OPS = {
    "deepcopy": lambda f: copy.deepcopy(f),
    "as_lazy": lambda f: f.as_lazy(),
    "isig": lambda f: f.isig[1:],
    "transpose": lambda f: f.T,
}


@pytest.mark.parametrize("operation", list(PF_OPS))
def test_phase_fractions_after_operation(results, operation):
    _, p, _ = results["movie"]
    f = p.phase_fractions()
    g = PF_OPS[operation](f)
    frames = slice(1, None) if operation == "isig" else slice(None)
    for k, name in enumerate(f.class_names):
        np.testing.assert_allclose(g.fraction(name).data, np.asarray(f.data)[k, frames])
    ax = g.plot_fractions()
    assert len(ax.lines) == len(f.class_names)
    assert g.fraction(f.class_names[0]).axes_manager[0].name == "time"
    matplotlib.pyplot.close("all")


def test_phase_fractions_without_class_axis(results):
    _, p, _ = results["movie"]
    f = p.phase_fractions()
    for g in (f.inav[1], f.sum("class")):
        for call in (lambda g=g: g.fraction(f.class_names[0]), g.plot_fractions):
            with pytest.raises(ValueError, match="no `class` axis"):
                call()


def test_phase_fractions_lazy_matches_eager(results):
    _, p, _ = results["movie"]
    f = p.as_lazy().phase_fractions()
    assert f._lazy
    f.compute()
    np.testing.assert_allclose(f.data, p.phase_fractions().data)


# -- metadata ------------------------------------------------------------------------------


def _with_metadata(s):
    s = s.deepcopy()
    s.metadata.General.title = "Au particle"
    s.metadata.General.original_filename = "particle.emd"
    s.metadata.set_item("Acquisition_instrument.TEM.beam_energy", 300.0)
    s.metadata.set_item("Acquisition_instrument.TEM.Detector.type", "HAADF")
    s.metadata.set_item("Sample.elements", ["Au", "C"])
    s.original_metadata.set_item("Microscope.HighTension", 300000)
    return s


@pytest.mark.parametrize("lazy", [False, True])
def test_results_carry_the_input_metadata(results, tiny_aistem, lazy):
    s = _with_metadata(results["image"][0])
    if lazy:
        s = s.as_lazy()
    p = s.classify_symmetry(model=tiny_aistem, **KW)
    u = s.mc_uncertainty(model=tiny_aistem, **KW)
    derived = [
        p,
        u,
        p.predicted_class(),
        p.class_map(p.class_names[0]),
        u.segment(0.1, probabilities=p).grains,
        u.segment(0.1).bulk,
    ]
    for r in derived:
        md = r.metadata
        assert md.Acquisition_instrument.TEM.beam_energy == 300.0
        assert md.Acquisition_instrument.TEM.Detector.type == "HAADF"
        assert md.Sample.elements == ["Au", "C"]
        assert md.General.original_filename == "particle.emd"
        assert md.General.title.startswith("Au particle")
        assert md.Symmetry.model == "tiny_aistem"
        assert r.original_metadata.Microscope.HighTension == 300000
    assert p.metadata.General.title == "Au particle class probabilities (tiny_aistem)"
    assert p.metadata.Signal.quantity == "Probability"
    assert u.metadata.Signal.quantity == "Mutual information (bits)"
    # the result's record, not a copy of the input's signal type
    assert p.metadata.Signal.signal_type == "symmetry_probabilities"


def test_phase_fractions_and_rotation_carry_metadata(results, tiny_aistem):
    s = _with_metadata(results["movie"][0])
    p = s.classify_symmetry(model=tiny_aistem, **KW)
    p.phase_fractions()

    d = s.fft_descriptors(window_size=100, stride=50)
    assert d.metadata.Sample.elements == ["Au", "C"]
    assert d.original_metadata.Microscope.HighTension == 300000


def test_input_symmetry_record_is_not_inherited(results, tiny_aistem):
    """A result classified again (or an input carrying an old record) gets its own."""
    s = results["image"][0].deepcopy()
    s.metadata.set_item("Symmetry.class_names", ["old"])
    p = s.classify_symmetry(model=tiny_aistem, **KW)
    assert p.class_names[0] != "old" and len(p.class_names) == 10


def test_results_survive_a_zspy_round_trip_with_metadata(results, tiny_aistem, tmp_path):
    s = _with_metadata(results["image"][0])
    p = s.classify_symmetry(model=tiny_aistem, **KW)
    p.save(tmp_path / "p.zspy")
    q = hs.load(tmp_path / "p.zspy")
    assert q.metadata.Sample.elements == ["Au", "C"]
    assert q.original_metadata.Microscope.HighTension == 300000
    np.testing.assert_array_equal(q.predicted_class().data, p.predicted_class().data)
