"""classify_symmetry, mc_uncertainty and fft_descriptors on eager and lazy signals."""

import dask
import dask.array as da
import hyperspy.api as hs
import numpy as np
import pytest
from conftest import calibrated, lattice_image

from hyperspy_symmetry import pipeline
from hyperspy_symmetry.models.registry import SymmetryModel
from hyperspy_symmetry.signals import (
    LazySymmetryProbabilities,
    LazySymmetryUncertainty,
    SymmetryProbabilities,
    SymmetryUncertainty,
)


def _forbid_compute(*args, **kwargs):
    raise AssertionError("something was computed before .compute()")


def movie(n=3, shape=(256, 256)):
    return np.stack([lattice_image(shape, period=(8 + i, 9), seed=i) for i in range(n)])


def test_done_when_lazy_movie(tiny_aistem):
    """The issue's acceptance case: lazy in, lazy out, calibrated, nothing computed."""
    s = calibrated(movie(3), scale=0.12, units="Å", lazy=True)
    s.axes_manager.navigation_axes[0].name = "frame"
    with dask.config.set(scheduler=_forbid_compute):
        p = s.classify_symmetry(model=tiny_aistem, window_size=100, stride=20, n_samples=5, seed=0)
        u = s.mc_uncertainty(model=tiny_aistem, window_size=100, stride=20, n_samples=5, seed=0)
    assert isinstance(p, LazySymmetryProbabilities) and isinstance(p.data, da.Array)
    assert isinstance(u, LazySymmetryUncertainty)
    assert p.data.shape == (3, 10, 8, 8)
    assert u.data.shape == (3, 8, 8)
    for sig in (p, u):
        for ax in sig.axes_manager.signal_axes:
            assert ax.scale == pytest.approx(2.4)
            assert ax.offset == pytest.approx(5.94)
            assert ax.units == "Å"
    assert [ax.name for ax in p.axes_manager.navigation_axes] == ["class", "frame"]
    assert [ax.name for ax in u.axes_manager.navigation_axes] == ["frame"]
    assert [ax.name for ax in p.axes_manager.signal_axes] == ["x", "y"]
    p.compute()
    assert isinstance(p, SymmetryProbabilities)
    np.testing.assert_allclose(p.data.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("nav_shape", [(), (2,), (2, 3)], ids=["image", "movie", "4D"])
@pytest.mark.parametrize("units, scale", [("Å", 0.12), ("nm", 0.012)])
def test_axes_calibration(tiny_aistem, nav_shape, units, scale):
    h, w = 200, 264  # non-square image
    data = np.random.default_rng(0).random(nav_shape + (h, w)).astype(np.float32)
    s = calibrated(data, scale=scale, units=units)
    s.axes_manager.signal_axes[0].offset = 3 * scale
    s.axes_manager.signal_axes[1].offset = -2 * scale
    for i, ax in enumerate(s.axes_manager.navigation_axes):
        ax.name, ax.scale, ax.units = f"nav{i}", 0.5 + i, "s"
    length = "12 Å" if units == "Å" else "1.2 nm"
    stride = "2.4 Å" if units == "Å" else "0.24 nm"
    p = s.classify_symmetry(
        model=tiny_aistem, window_size=length, stride=stride, n_samples=3, seed=1
    )
    gy, gx = (h - 100) // 20 + 1, (w - 100) // 20 + 1
    assert p.data.shape == nav_shape + (10, gy, gx)
    x, y = p.axes_manager.signal_axes
    assert (x.size, y.size) == (gx, gy)
    assert x.scale == pytest.approx(20 * scale) and y.scale == pytest.approx(20 * scale)
    assert x.offset == pytest.approx(3 * scale + 49.5 * scale)
    assert y.offset == pytest.approx(-2 * scale + 49.5 * scale)
    assert x.units == y.units == units
    nav = p.axes_manager.navigation_axes
    assert nav[0].name == "class" and nav[0].size == 10
    for i, ax in enumerate(nav[1:]):
        assert (ax.name, ax.scale, ax.units) == (f"nav{i}", 0.5 + i, "s")
    assert p.axes_manager.navigation_shape == (10,) + nav_shape[::-1]
    u = s.mc_uncertainty(model=tiny_aistem, window_size=length, stride=stride, n_samples=3, seed=1)
    assert u.data.shape == nav_shape + (gy, gx)
    assert u.axes_manager.signal_axes[0].offset == pytest.approx(x.offset)


def test_default_window_and_stride_come_from_the_card(tiny_aistem):
    s = calibrated(movie(1)[0], scale=0.1, units="Å")
    p = s.classify_symmetry(model=tiny_aistem, n_samples=2, seed=0)
    assert p.metadata.Symmetry.window_size == 120  # 12 Å at 0.1 Å/px
    assert p.metadata.Symmetry.stride == 24  # 2.4 Å
    assert p.metadata.Symmetry.window_size_length == "12 Å"


def test_pixel_model_on_uncalibrated_image(tiny_bravais):
    s = hs.signals.Signal2D(movie(2))
    s.set_signal_type("atomic_resolution")
    p = s.classify_symmetry(model=tiny_bravais, n_samples=2, seed=0)
    assert p.data.shape == (2, 6, 9, 9)  # (256 - 128) // 16 + 1
    assert p.axes_manager.signal_axes[0].scale == 16


def test_lazy_equals_eager_for_any_chunking(tiny_aistem):
    data = movie(4, (160, 180))
    kw = dict(model=tiny_aistem, window_size=100, stride=16, n_samples=7, seed=3)
    eager = calibrated(data)
    p = eager.classify_symmetry(**kw)
    u = eager.mc_uncertainty(**kw)
    for chunks in [(1, 160, 180), (3, 80, 90), (4, 160, 180)]:
        pipeline.clear_cache()
        lazy = calibrated(data, lazy=True, chunks=chunks)
        pl = lazy.classify_symmetry(**kw)
        ul = lazy.mc_uncertainty(**kw)
        np.testing.assert_array_equal(pl.data.compute(), p.data)
        np.testing.assert_array_equal(ul.data.compute(), u.data)


def test_lazy_output_switch(tiny_aistem):
    s = calibrated(movie(2))
    kw = dict(model=tiny_aistem, window_size=100, stride=50, n_samples=2, seed=0)
    assert isinstance(s.classify_symmetry(lazy_output=True, **kw), LazySymmetryProbabilities)
    lazy = calibrated(movie(2), lazy=True)
    assert isinstance(lazy.mc_uncertainty(lazy_output=False, **kw), SymmetryUncertainty)


def _count_model_runs(monkeypatch):
    calls = []
    original = SymmetryModel.statistics

    def spy(self, descriptors, n_samples, seed, **sampling):
        calls.append(len(descriptors))
        return original(self, descriptors, n_samples, seed, **sampling)

    monkeypatch.setattr(SymmetryModel, "statistics", spy)
    return calls


def test_shared_computation_eager(tiny_aistem, monkeypatch):
    calls = _count_model_runs(monkeypatch)
    s = calibrated(movie(2))
    kw = dict(model=tiny_aistem, window_size=100, stride=20, n_samples=5, seed=0)
    s.classify_symmetry(**kw)
    n = len(calls)
    assert n >= 1
    for measure in ("mutual_information", "predictive_entropy", "variation_ratio"):
        s.mc_uncertainty(measure=measure, **kw)
    assert len(calls) == n  # no new CNN run
    s.mc_uncertainty(model=tiny_aistem, window_size=100, stride=20, n_samples=5, seed=1)
    assert len(calls) > n  # other arguments: a new run


def test_shared_computation_lazy(tiny_aistem, monkeypatch):
    calls = _count_model_runs(monkeypatch)
    s = calibrated(movie(3), lazy=True, chunks=(1, 256, 256))
    kw = dict(model=tiny_aistem, window_size=100, stride=20, n_samples=5, seed=0)
    p = s.classify_symmetry(**kw)
    u = s.mc_uncertainty(**kw)
    dask.compute(p.data, u.data)
    assert len(calls) == 3  # one run per chunk for both results
    p.compute()
    u.compute()
    assert len(calls) == 3


def test_metadata_records_the_run(tiny_aistem):
    s = calibrated(movie(1)[0])
    s.metadata.General.title = "Cu grain"
    p = s.classify_symmetry(model=tiny_aistem, window_size="12 Å", stride=30, n_samples=9, seed=4)
    md = p.metadata.Symmetry
    assert md.model == "tiny_aistem" and md.model_version == "0.0-test"
    assert md.window_size == 100 and md.stride == 30
    assert md.n_samples == 9 and md.seed == 4
    assert md.descriptor == "fft_haadf"
    assert p.class_names == [f"class_{i}" for i in range(10)]
    assert p.metadata.Signal.quantity == "Probability"
    assert "Cu grain" in p.metadata.General.title
    u = s.mc_uncertainty(model=tiny_aistem, window_size="12 Å", stride=30, n_samples=9, seed=4)
    assert u.metadata.Signal.quantity == "Mutual information (bits)"
    assert u.metadata.Symmetry.measure == "mutual_information"


def test_seed_none_is_recorded_and_shared(tiny_aistem):
    s = calibrated(movie(1)[0])
    kw = dict(model=tiny_aistem, window_size=100, stride=50, n_samples=3)
    p = s.classify_symmetry(**kw)
    u = s.mc_uncertainty(**kw)
    assert isinstance(p.metadata.Symmetry.seed, int)
    assert p.metadata.Symmetry.seed == u.metadata.Symmetry.seed == pipeline.session_seed()
    again = s.classify_symmetry(seed=p.metadata.Symmetry.seed, **kw)
    np.testing.assert_array_equal(again.data, p.data)


@pytest.mark.parametrize(
    "measure, column",
    [("predictive_entropy", 0), ("mutual_information", 1), ("variation_ratio", 2)],
)
def test_measures_are_the_statistics_columns(tiny_aistem, measure, column):
    s = calibrated(movie(1)[0])
    kw = dict(model=tiny_aistem, window_size=100, stride=40, n_samples=6, seed=2)
    u = s.mc_uncertainty(measure=measure, **kw)
    card, plan, _, _ = s._plan(tiny_aistem, 100, 40, 6, 2)
    stats = pipeline.image_statistics(s.data, plan)
    np.testing.assert_array_equal(u.data, stats[10 + column])
    assert u.metadata.Signal.quantity.startswith(measure.split("_")[0].capitalize())


def test_predicted_class_and_class_map(tiny_aistem):
    s = calibrated(movie(2))
    p = s.classify_symmetry(model=tiny_aistem, window_size=100, stride=20, n_samples=4, seed=0)
    labels = p.predicted_class()
    assert labels.data.shape == (2, 8, 8) and labels.data.dtype == np.int16
    np.testing.assert_array_equal(labels.data, p.data.argmax(axis=1))
    assert labels.axes_manager.signal_axes[0].scale == pytest.approx(2.4)
    m = p.class_map("class_2")
    np.testing.assert_array_equal(m.data, p.data[:, 2])
    assert m.metadata.Signal.quantity == "Probability of class_2"
    assert m.axes_manager.navigation_shape == (2,)
    with pytest.raises(ValueError, match="Unknown class 'Cu'"):
        p.class_map("Cu")
    lazy_labels = (
        s.as_lazy()
        .classify_symmetry(model=tiny_aistem, window_size=100, stride=20, n_samples=4, seed=0)
        .predicted_class()
    )
    assert lazy_labels._lazy
    np.testing.assert_array_equal(lazy_labels.data.compute(), labels.data)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.float32, np.float64])
def test_integer_and_float_images(tiny_aistem, dtype):
    base = movie(1)[0]
    data = ((base - base.min()) / np.ptp(base) * 200).astype(dtype)
    s = calibrated(data)
    before = s.data.copy()
    p = s.classify_symmetry(model=tiny_aistem, window_size=100, stride=50, n_samples=3, seed=0)
    assert np.all(np.isfinite(p.data))
    np.testing.assert_array_equal(s.data, before)  # the input is never modified
    assert s.data.dtype == dtype


def test_nan_region_gives_nan_only_in_touching_windows(tiny_aistem):
    data = movie(1)[0]
    data[10, 10] = np.nan
    s = calibrated(data)
    u = s.mc_uncertainty(model=tiny_aistem, window_size=100, stride=20, n_samples=3, seed=0)
    assert np.isnan(u.data[0, 0])
    assert np.isfinite(u.data[1:, :]).all() and np.isfinite(u.data[:, 1:]).all()


def test_progressbar(tiny_aistem, capsys):
    s = calibrated(movie(1)[0])
    s.classify_symmetry(
        model=tiny_aistem, window_size=100, stride=50, n_samples=2, seed=0, show_progressbar=True
    )
    captured = capsys.readouterr()
    assert "100%|" in captured.err  # tqdm, on stderr
    assert captured.out == ""
    pipeline.clear_cache()
    s.classify_symmetry(
        model=tiny_aistem, window_size=100, stride=50, n_samples=2, seed=0, show_progressbar=False
    )
    captured = capsys.readouterr()
    assert "%|" not in captured.out + captured.err


def test_fft_descriptors_signal(tiny_aistem):
    data = movie(2, (200, 220))
    s = calibrated(data, scale=0.12, units="Å")
    d = s.fft_descriptors(model=tiny_aistem, window_size=100, stride=20)
    gy, gx = 6, 7
    assert d.data.shape == (2, gy, gx, 64, 64)
    assert d.axes_manager.signal_shape == (64, 64)
    assert d.axes_manager.navigation_shape == (gx, gy, 2)
    kx = d.axes_manager.signal_axes[0]
    assert kx.units == "1 / Å" and kx.scale == pytest.approx(1 / 12)
    assert kx.offset + 32 * kx.scale == pytest.approx(0)
    gx_axis = d.axes_manager.navigation_axes[0]
    assert gx_axis.scale == pytest.approx(2.4) and gx_axis.offset == pytest.approx(5.94)
    from hyperspy_symmetry.descriptors import fft_haadf

    np.testing.assert_array_equal(d.data[1, 2, 3], fft_haadf(data[1, 40:140, 60:160]))
    lazy = calibrated(data, lazy=True).fft_descriptors(
        model=None, descriptor="fft_amplitude", window_size="12 Å", stride="2.4 Å"
    )
    assert lazy._lazy and lazy.data.shape == (2, gy, gx, 64, 64)
    assert lazy.axes_manager.signal_axes[0].scale == pytest.approx(1 / 12)


# -- bad input ---------------------------------------------------------------------------------


@pytest.fixture
def image():
    return calibrated(movie(1)[0])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(window_size=300), ValueError, "window_size=300.*larger than the image"),
        (dict(window_size="40 Å"), ValueError, "window_size.*larger than the image"),
        (dict(window_size=24), ValueError, "window_size=24.*at least 32"),
        (dict(window_size="3 Å"), ValueError, "window_size='3 Å' \\(25 px\\) is too small"),
        (dict(stride=0), ValueError, "`stride` must be positive"),
        (dict(stride=-4), ValueError, "`stride` must be positive"),
        (dict(n_samples=0), ValueError, "`n_samples` must be an integer >= 1"),
        (dict(n_samples=2.5), TypeError, "`n_samples` must be an int"),
        (dict(window_size="12 eV"), ValueError, "not of length"),
        (dict(window_size="twelve"), ValueError, "window_size"),
        (dict(seed=-1), ValueError, "`seed`"),
        (dict(model="no_such_model"), ValueError, "Unknown model 'no_such_model'"),
        (dict(dropout="some"), ValueError, "`dropout` must be one of"),
    ],
)
def test_bad_arguments(image, tiny_aistem, kwargs, error, match):
    args = dict(model=tiny_aistem, window_size=100, stride=20, n_samples=2, seed=0)
    args.update(kwargs)
    before = image.data.copy()
    with pytest.raises(error, match=match):
        image.classify_symmetry(**args)
    with pytest.raises(error, match=match):
        image.mc_uncertainty(**args)
    np.testing.assert_array_equal(image.data, before)


def test_unknown_measure(image, tiny_aistem):
    with pytest.raises(ValueError, match="Unknown measure 'entropy'"):
        image.mc_uncertainty(model=tiny_aistem, measure="entropy", window_size=100, stride=20)


def test_planned_model_without_weights(image, tmp_path, monkeypatch):
    # An installation whose shipped folder lacks a planned model says so clearly.
    from hyperspy_symmetry.models import registry

    monkeypatch.setattr(registry, "SHIPPED_DIR", tmp_path / "empty")
    monkeypatch.setenv("HYPERSPY_SYMMETRY_MODELS", str(tmp_path / "none"))
    with pytest.raises(ValueError, match="no trained weights"):
        image.classify_symmetry(window_size=100, stride=20)


def test_length_on_uncalibrated_image(tiny_aistem):
    s = hs.signals.Signal2D(movie(1)[0])
    s.set_signal_type("atomic_resolution")
    with pytest.raises(ValueError, match="no length units.*pixels"):
        s.classify_symmetry(model=tiny_aistem, window_size="12 Å", stride=20)
    with pytest.raises(ValueError, match="window_size=None.*12 Å.*no length units"):
        s.classify_symmetry(model=tiny_aistem)
    p = s.classify_symmetry(model=tiny_aistem, window_size=100, stride=20, n_samples=2, seed=0)
    assert p.data.shape == (10, 8, 8)


def test_complex_data_rejected(tiny_aistem):
    s = calibrated(movie(1)[0])
    s.data = s.data.astype(np.complex64)
    with pytest.raises(TypeError, match="complex"):
        s.classify_symmetry(model=tiny_aistem, window_size=100, stride=20)


def test_sampling_mode_is_recorded_and_checked(tiny_aistem):
    from hyperspy_symmetry.models.mc_dropout import resolve_precision

    s = calibrated(movie(1)[0])
    kw = dict(model=tiny_aistem, window_size=100, stride=40, n_samples=30, seed=0)
    p = s.classify_symmetry(**kw)
    md = p.metadata.Symmetry
    assert (md.precision, md.adaptive, md.tolerance) == (resolve_precision("auto"), True, 0.01)
    exact = s.classify_symmetry(precision="float32", adaptive=False, **kw)
    assert (exact.metadata.Symmetry.precision, exact.metadata.Symmetry.adaptive) == (
        "float32",
        False,
    )
    np.testing.assert_allclose(p.data, exact.data, atol=0.1)  # tolerance 0.01 + bfloat16
    with pytest.raises(ValueError, match="precision"):
        s.classify_symmetry(precision="float16", **kw)
    with pytest.raises(TypeError, match="adaptive"):
        s.mc_uncertainty(adaptive="yes", **kw)
    with pytest.raises(ValueError, match="tolerance"):
        s.mc_uncertainty(tolerance=0, **kw)


def test_dropout_layers_sampled_follow_the_card(tmp_path, tiny_bravais):
    """``dropout="model"`` samples the layers the card names; ``"all"`` every one."""
    import shutil

    from hyperspy_symmetry.models import ModelCard

    folder = tmp_path / "tiny_late"
    shutil.copytree(tiny_bravais, folder)
    card = ModelCard.load(folder / "card.json")
    card.name, card.sampled_dropout = "tiny_late", ["dropout_dense"]
    card.save(folder / "card.json")
    s = calibrated(lattice_image((256, 256), period=(10, 10)))
    kw = dict(window_size=128, stride=64, n_samples=8, seed=0, precision="float32", adaptive=False)
    late = s.classify_symmetry(model=str(folder), **kw)
    every = s.classify_symmetry(model=str(folder), dropout="all", **kw)
    original = s.classify_symmetry(model=tiny_bravais, **kw)  # its card: every layer
    np.testing.assert_array_equal(every.data, original.data)
    assert not np.array_equal(late.data, every.data)
    assert late.metadata.Symmetry.dropout == "model"
    assert list(late.metadata.Symmetry.sampled_dropout) == ["dropout_dense"]
    assert every.metadata.Symmetry.sampled_dropout == "all"
    assert original.metadata.Symmetry.sampled_dropout == "all"
    u = s.mc_uncertainty(model=str(folder), **kw)  # the same computation as `late`
    assert np.all(np.asarray(u.data) >= 0)
    assert list(late.metadata.Symmetry.gaussian_dropout) == []


def test_gaussian_dropout_follows_the_card(tmp_path, tiny_bravais):
    """A card's ``gaussian_dropout`` draws that layer from its Gaussian with
    ``dropout="model"`` (recorded in the metadata); ``"all"`` still draws masks."""
    import shutil

    from hyperspy_symmetry.models import ModelCard

    s = calibrated(lattice_image((256, 256), period=(10, 10)))
    kw = dict(window_size=128, stride=64, n_samples=8, seed=0, precision="float32", adaptive=False)
    results = {}
    for name, gaussian in (("tiny_masks", None), ("tiny_fast", ["dropout_conv3"])):
        folder = tmp_path / name
        shutil.copytree(tiny_bravais, folder)
        card = ModelCard.load(folder / "card.json")
        card.name, card.sampled_dropout = name, ["dropout_conv3", "dropout_dense"]
        card.gaussian_dropout = gaussian
        card.save(folder / "card.json")
        assert ModelCard.load(folder / "card.json").gaussian_dropout == gaussian
        results[name] = s.classify_symmetry(model=str(folder), **kw)
        results[name, "all"] = s.classify_symmetry(model=str(folder), dropout="all", **kw)
    fast = results["tiny_fast"]
    assert list(fast.metadata.Symmetry.gaussian_dropout) == ["dropout_conv3"]
    assert list(fast.metadata.Symmetry.sampled_dropout) == ["dropout_conv3", "dropout_dense"]
    assert not np.array_equal(fast.data, results["tiny_masks"].data)
    np.testing.assert_allclose(np.asarray(fast.data).sum(axis=0), 1, atol=1e-5)
    np.testing.assert_array_equal(
        results["tiny_fast", "all"].data, results["tiny_masks", "all"].data
    )
    assert list(results["tiny_fast", "all"].metadata.Symmetry.gaussian_dropout) == []


def test_adaptive_default_follows_the_card(tmp_path, tiny_bravais, monkeypatch):
    """``adaptive=None`` (the default) takes the card's ``adaptive_sampling``; an explicit
    value wins; the engine gets what the metadata record."""
    import shutil

    from hyperspy_symmetry.models import ModelCard

    folder = tmp_path / "tiny_full_t"
    shutil.copytree(tiny_bravais, folder)
    card = ModelCard.load(folder / "card.json")
    card.name, card.adaptive_sampling = "tiny_full_t", False
    card.save(folder / "card.json")
    seen = []
    original = SymmetryModel.statistics

    def recording(self, *args, **kwargs):
        seen.append(kwargs["adaptive"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SymmetryModel, "statistics", recording)
    s = calibrated(lattice_image((256, 256), period=(10, 10)))
    kw = dict(window_size=128, stride=64, n_samples=12, seed=0, precision="float32")
    results = {}
    for name, model, adaptive in [
        ("card says no", str(folder), None),
        ("exact", str(folder), False),
        ("forced", str(folder), True),
        ("card says yes", tiny_bravais, None),
    ]:
        pipeline.clear_cache()
        seen.clear()
        results[name] = s.classify_symmetry(model=model, adaptive=adaptive, **kw)
        assert seen and set(seen) == {results[name].metadata.Symmetry.adaptive}, name
    assert results["card says no"].metadata.Symmetry.adaptive is False
    assert results["forced"].metadata.Symmetry.adaptive is True
    assert results["card says yes"].metadata.Symmetry.adaptive is True
    np.testing.assert_array_equal(results["card says no"].data, results["exact"].data)
    assert ModelCard.load(folder / "card.json").adaptive_sampling is False


def test_shipped_bravais_samples_conv3_from_its_gaussian_with_every_sample():
    """The shipped ``bravais`` card: ``dropout_conv3`` is sampled from its Gaussian at the
    dense layer and ``dropout_dense`` with masks, and every window gets all T samples (no
    adaptive stopping) by default."""
    from hyperspy_symmetry.models import resolve_model

    card, _ = resolve_model("bravais")
    assert card.sampled_dropout == ["dropout_conv3", "dropout_dense"]
    assert card.gaussian_dropout == ["dropout_conv3"]
    assert card.adaptive_sampling is False
    assert resolve_model("aistem")[0].adaptive_sampling is True
