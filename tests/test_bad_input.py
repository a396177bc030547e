"""Bad input across the public methods: a clear error from this package, or a documented
result; never a deep traceback from TensorFlow or dask, never a modified input."""

import numpy as np
import pytest

import hyperspy.api as hs

from conftest import calibrated, lattice_image

KW = dict(window_size=100, stride=40, n_samples=4, seed=0)


@pytest.fixture
def image():
    return calibrated(lattice_image((224, 224), period=(8, 8), seed=1))


def _call(method, image, model, **kwargs):
    """Call an image method with small arguments (only those it takes)."""
    args = {"model": model, **KW, **kwargs}
    if method in ("latent_features", "fft_descriptors"):
        args = {k: v for k, v in args.items() if k in ("model", "window_size", "stride")}
    return getattr(image, method)(**args)


METHODS = ["classify_symmetry", "mc_uncertainty", "latent_features", "fft_descriptors"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(window_size=[100]), TypeError, "window_size"),
    (dict(window_size=100.5), (TypeError, ValueError), "window_size"),
    (dict(window_size=5000), ValueError, "window_size=5000.*larger than the image"),
    (dict(window_size=8), ValueError, "window_size=8.*at least"),
    (dict(stride="fast"), ValueError, "stride"),
    (dict(stride=0), ValueError, "`stride` must be positive"),
])
def test_bad_geometry_is_named(image, tiny_aistem, method, kwargs, error, match):
    before = image.data.copy()
    with pytest.raises(error, match=match):
        _call(method, image, tiny_aistem, **kwargs)
    np.testing.assert_array_equal(image.data, before)


@pytest.mark.parametrize("method", ["classify_symmetry", "mc_uncertainty"])
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n_samples=0), ValueError, "`n_samples` must be at least 1"),
    (dict(n_samples="100"), TypeError, "`n_samples` must be an int"),
    (dict(seed=1.5), TypeError, "`seed`"),
])
def test_bad_sampling_arguments_are_named(image, tiny_aistem, method, kwargs, error, match):
    with pytest.raises(error, match=match):
        _call(method, image, tiny_aistem, **kwargs)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("model, error, match", [
    (3, (TypeError, ValueError), "model"),
    ("no_such_model", ValueError, "Unknown model 'no_such_model'"),
])
def test_bad_models_are_named(image, method, model, error, match):
    with pytest.raises(error, match=match):
        _call(method, image, model)


@pytest.mark.parametrize("data, what", [
    (np.zeros((224, 224)), "constant"),
    (np.arange(224 * 224, dtype=np.uint16).reshape(224, 224) % 251, "uint16"),
    (np.full((224, 224), 7, dtype=np.int8), "constant int8"),
])
def test_constant_and_integer_images_give_finite_results(tiny_aistem, data, what):
    s = calibrated(data)
    before = s.data.copy()
    p = s.classify_symmetry(model=tiny_aistem, **KW)
    u = s.mc_uncertainty(model=tiny_aistem, **KW)
    assert np.isfinite(p.data).all() and np.isfinite(u.data).all(), what
    np.testing.assert_allclose(p.data.sum(axis=0), 1.0, atol=1e-4)
    np.testing.assert_array_equal(s.data, before)


def test_inf_reaches_only_the_windows_that_touch_it(tiny_aistem):
    data = lattice_image((224, 224), period=(8, 8), seed=2)
    data[5, 5] = np.inf
    s = calibrated(data)
    u = s.mc_uncertainty(model=tiny_aistem, window_size=100, stride=20, n_samples=4, seed=0)
    assert np.isnan(u.data[0, 0]) and np.isfinite(u.data[-1, -1])
    assert np.isfinite(u.data).sum() == u.data.size - 1  # only window (0, 0) covers (5, 5)


def test_non_square_pixels_are_refused_for_lengths(tiny_aistem):
    s = calibrated(lattice_image((224, 224), period=(8, 8), seed=1))
    s.axes_manager.signal_axes[1].scale = 0.24
    with pytest.raises(ValueError, match="(?i)square pixels|pixel size"):
        s.classify_symmetry(model=tiny_aistem, window_size="12 Å", stride="4.8 Å")


def test_one_dimensional_signal_cannot_be_an_image():
    # HyperSpy keeps a Signal1D as it is (the type is registered for 2D signals only).
    s = hs.signals.Signal1D(np.arange(100.0))
    s.set_signal_type("atomic_resolution")
    with pytest.raises(AttributeError, match="classify_symmetry"):
        s.classify_symmetry()


@pytest.mark.parametrize("bad", [
    dict(threshold=-1), dict(threshold="high"), dict(probabilities=np.zeros((3, 3)))])
def test_segment_bad_arguments(image, tiny_aistem, bad):
    u = image.mc_uncertainty(model=tiny_aistem, **KW)
    with pytest.raises((TypeError, ValueError), match="threshold|probabilities"):
        u.segment(**bad)


def test_phase_fraction_fit_bad_arguments(tiny_bravais):
    movie = calibrated(np.stack([lattice_image((160, 160), period=(9, 9), seed=i)
                                 for i in range(4)]))
    movie.axes_manager.navigation_axes[0].scale = 10.0
    movie.axes_manager.navigation_axes[0].units = "s"
    p = movie.classify_symmetry(model=tiny_bravais, window_size=128, stride=32, n_samples=2,
                                seed=0)
    f = p.phase_fractions()
    with pytest.raises(ValueError, match="Unknown class 'graphene'"):
        f.fit_growth("graphene", baseline_until=10.0)
    with pytest.raises(ValueError, match="baseline_until"):
        f.fit_growth(f.class_names[0], baseline_until=-5.0)


def test_truncated_and_corrupted_zspy_in_the_cli(tmp_path, capsys):
    from hyperspy_symmetry.cli import main

    s = calibrated(lattice_image((224, 224), period=(8, 8), seed=1))
    good = tmp_path / "good.zspy"
    s.save(good)
    truncated = tmp_path / "truncated.zspy"
    import shutil

    shutil.copytree(good, truncated)
    for chunk in (truncated / "Experiments").rglob("data/*"):
        if chunk.is_file():
            chunk.write_bytes(chunk.read_bytes()[:10])  # cut short
    corrupted = tmp_path / "corrupted.zspy"
    shutil.copytree(good, corrupted)
    next(corrupted.rglob(".zattrs")).write_text("{not json")
    for bad in (truncated, corrupted):
        out = tmp_path / f"res_{bad.stem}"
        assert main(["classify", str(bad), "--window", "100", "--stride", "40", "--samples",
                     "2", "--seed", "0", "--quiet", "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert str(bad.name) in err or "cannot read" in err, err


def test_tampered_weights_are_refused(tiny_aistem, tmp_path, image):
    import shutil

    folder = tmp_path / "tampered"
    shutil.copytree(tiny_aistem, folder)
    weights = next(folder.glob("*.weights.h5"))
    raw = bytearray(weights.read_bytes())
    raw[-100] ^= 0xFF
    weights.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="sha256"):
        image.classify_symmetry(model=folder, **KW)
