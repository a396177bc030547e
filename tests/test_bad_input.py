"""Bad input across the public API and the CLI: a clear error raised by this package that
names the parameter, or a documented result; never a hang (every test here has a timeout),
never a deep traceback from NumPy, TensorFlow or dask, never a modified input."""

import hashlib
import math
import shutil
from pathlib import Path

import hyperspy.api as hs
import numpy as np
import pytest
from conftest import calibrated, lattice_image, make_model_folder

# "Never a hang": a case that has not answered within this many seconds fails.
pytestmark = pytest.mark.timeout(120)

KW = dict(window_size=100, stride=40, n_samples=4, seed=0)
PACKAGE = Path(__import__("hyperspy_symmetry").__file__).parent


def raised_here(excinfo) -> None:
    """The error was raised by this package's own code, not deep inside a dependency."""
    frame = excinfo.traceback[-1]
    assert Path(str(frame.path)).is_relative_to(PACKAGE), (
        f"{excinfo.typename} raised in {frame.path}:{frame.lineno}: {excinfo.value}"
    )


@pytest.fixture(params=[False, True], ids=["eager", "lazy"])
def image(request):
    return calibrated(lattice_image((224, 224), period=(8, 8), seed=1), lazy=request.param)


def _call(method, image, model, **kwargs):
    """Call an image method with small arguments (only those it takes)."""
    args = {"model": model, **KW, **kwargs}
    if method in ("latent_features", "fft_descriptors"):
        args = {k: v for k, v in args.items() if k in ("model", "window_size", "stride")}
    return getattr(image, method)(**args)


METHODS = ["classify_symmetry", "mc_uncertainty", "latent_features", "fft_descriptors"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(window_size=[100]), TypeError, "window_size"),
        (dict(window_size=100.5), (TypeError, ValueError), "window_size"),
        (dict(window_size=5000), ValueError, "window_size=5000.*larger than the image"),
        (dict(window_size=8), ValueError, "window_size=8.*at least"),
        (dict(stride="fast"), ValueError, "stride"),
        (dict(stride=0), ValueError, "`stride` must be positive"),
    ],
)
def test_bad_geometry_is_named(image, tiny_aistem, method, kwargs, error, match):
    before = image.data.copy()
    with pytest.raises(error, match=match) as excinfo:
        _call(method, image, tiny_aistem, **kwargs)
    raised_here(excinfo)
    np.testing.assert_array_equal(image.data, before)


@pytest.mark.parametrize("method", ["classify_symmetry", "mc_uncertainty"])
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_samples=0), ValueError, "`n_samples` must be an integer >= 1"),
        (dict(n_samples="100"), TypeError, "`n_samples` must be an int"),
        (dict(seed=1.5), TypeError, "`seed`"),
        (dict(seed=-1), ValueError, "`seed` must be a non-negative"),
        (dict(precision="fp8"), ValueError, "`precision` must be one of"),
        (dict(adaptive="yes"), TypeError, "`adaptive` must be True, False or None"),
        (dict(tolerance=0), ValueError, "`tolerance` must be a number > 0 and < 1"),
    ],
)
def test_bad_sampling_arguments_are_named(image, tiny_aistem, method, kwargs, error, match):
    with pytest.raises(error, match=match) as excinfo:
        _call(method, image, tiny_aistem, **kwargs)
    raised_here(excinfo)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "model, error, match",
    [
        (3, (TypeError, ValueError), "model"),
        ("no_such_model", ValueError, "Unknown model 'no_such_model'"),
    ],
)
def test_bad_models_are_named(image, method, model, error, match):
    with pytest.raises(error, match=match) as excinfo:
        _call(method, image, model)
    raised_here(excinfo)


@pytest.mark.parametrize(
    "data, what",
    [
        (np.zeros((224, 224)), "constant"),
        (np.arange(224 * 224, dtype=np.uint16).reshape(224, 224) % 251, "uint16"),
        (np.full((224, 224), 7, dtype=np.int8), "constant int8"),
    ],
)
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
    with pytest.raises(ValueError, match="(?i)square pixels|pixel size") as excinfo:
        s.classify_symmetry(model=tiny_aistem, window_size="12 Å", stride="4.8 Å")
    raised_here(excinfo)


def test_one_dimensional_signal_cannot_be_an_image():
    # HyperSpy keeps a Signal1D as it is (the type is registered for 2D signals only).
    s = hs.signals.Signal1D(np.arange(100.0))
    s.set_signal_type("atomic_resolution")
    with pytest.raises(AttributeError, match="classify_symmetry"):
        s.classify_symmetry()


@pytest.mark.parametrize(
    "bad", [dict(threshold=-1), dict(threshold="high"), dict(probabilities=np.zeros((3, 3)))]
)
def test_segment_bad_arguments(image, tiny_aistem, bad):
    u = image.mc_uncertainty(model=tiny_aistem, **KW)
    with pytest.raises((TypeError, ValueError), match="threshold|probabilities") as excinfo:
        u.segment(**bad)
    raised_here(excinfo)


def test_phase_fraction_fit_bad_arguments(tiny_bravais):
    movie = calibrated(
        np.stack([lattice_image((160, 160), period=(9, 9), seed=i) for i in range(4)])
    )
    movie.axes_manager.navigation_axes[0].scale = 10.0
    movie.axes_manager.navigation_axes[0].units = "s"
    p = movie.classify_symmetry(
        model=tiny_bravais, window_size=128, stride=32, n_samples=2, seed=0
    )
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
    chunks = [
        c
        for c in (truncated / "Experiments").rglob("*")
        if c.is_file()
        and c.parent.name != "metadata"
        and not c.name.startswith(".")
        and "data" in c.relative_to(truncated).parts
    ]
    assert chunks  # the data chunks themselves (a nested store: data/0/0/0)
    for chunk in chunks:
        chunk.write_bytes(chunk.read_bytes()[:10])  # cut short
    corrupted = tmp_path / "corrupted.zspy"
    shutil.copytree(good, corrupted)
    next(corrupted.rglob(".zattrs")).write_text("{not json")
    bad_header = tmp_path / "bad_header.zspy"
    shutil.copytree(good, bad_header)
    next((bad_header / "Experiments").rglob("data/.zarray")).write_text("{")
    for bad in (truncated, corrupted, bad_header):
        for lazy in ([], ["--lazy"]):  # a lazy read meets a damaged chunk only when computing
            out = tmp_path / f"res_{bad.stem}{len(lazy)}"
            assert (
                main(
                    [
                        "classify",
                        str(bad),
                        "--window",
                        "100",
                        "--stride",
                        "40",
                        "--samples",
                        "2",
                        "--seed",
                        "0",
                        "--quiet",
                        "--out",
                        str(out),
                    ]
                    + lazy
                )
                == 1
            )
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "Traceback" not in err, err
            assert f"cannot read {bad}" in err, err


def test_tampered_weights_are_refused(tiny_aistem, tmp_path, image):
    import shutil

    folder = tmp_path / "tampered"
    shutil.copytree(tiny_aistem, folder)
    weights = next(folder.glob("*.weights.h5"))
    raw = bytearray(weights.read_bytes())
    raw[-100] ^= 0xFF
    weights.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="sha256") as excinfo:
        image.classify_symmetry(model=folder, **KW)
    raised_here(excinfo)


# -- the rest of the API: one table of calls that must fail with a named parameter --------


@pytest.fixture(scope="module")
def crystal_model(tmp_path_factory):
    """A tiny random-weight model whose classes are the aistem crystals (so it has
    reference lattices for lattice_rotation)."""
    from hyperspy_symmetry.simulate import AISTEM_CLASSES

    folder = tmp_path_factory.mktemp("models") / "tiny_crystals"
    return make_model_folder(folder, "aistem", classes=list(AISTEM_CLASSES))


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """An image and its results from the tiny crystal model, made once for the table."""
    from hyperspy_symmetry.simulate import AISTEM_CLASSES

    model = make_model_folder(
        tmp_path_factory.mktemp("m") / "t", "aistem", classes=list(AISTEM_CLASSES)
    )
    image = calibrated(lattice_image((224, 224), period=(8, 8), seed=1))
    return dict(
        model=model,
        image=image,
        p=image.classify_symmetry(model=model, **KW),
        u=image.mc_uncertainty(model=model, **KW),
    )


def _bad_card(tmp_path, model):
    folder = tmp_path / "bad_card"
    shutil.copytree(model, folder)
    (folder / "card.json").write_text("{not json")
    return folder


def _no_weights(tmp_path, model):
    folder = tmp_path / "no_weights"
    shutil.copytree(model, folder)
    next(folder.glob("*.weights.h5")).unlink()
    return folder


def _a_file(tmp_path):
    path = tmp_path / "a_file"
    path.write_text("not a folder")
    return path


def _plot(fn_name, *args, **kwargs):
    import matplotlib

    matplotlib.use("Agg")
    import hyperspy_symmetry.plotting as plotting

    return getattr(plotting, fn_name)(*args, **kwargs)


def _sim(fn_name, *args, **kwargs):
    import hyperspy_symmetry.simulate as simulate

    return getattr(simulate, fn_name)(*args, **kwargs)


def _analysis(path, *args, **kwargs):
    import importlib

    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(f"hyperspy_symmetry.analysis.{module}"), name)(
        *args, **kwargs
    )


# (id, call(r, tmp_path) with r the `results` fixture, error, match)
API_CASES = [
    # lattice_rotation
    (
        "rotation min_quality str",
        lambda r, t: r["image"].lattice_rotation(model=r["model"], min_quality="high", **KW),
        TypeError,
        "`min_quality` must be a number",
    ),
    (
        "rotation min_quality nan",
        lambda r, t: r["image"].lattice_rotation(model=r["model"], min_quality=math.nan, **KW),
        ValueError,
        "`min_quality`",
    ),
    (
        "rotation mask shape",
        lambda r, t: r["image"].lattice_rotation(
            model=r["model"], mask=np.ones((3, 3), bool), **KW
        ),
        ValueError,
        "`mask` must be boolean",
    ),
    (
        "rotation mask float",
        lambda r, t: r["image"].lattice_rotation(model=r["model"], mask=np.ones((4, 4)), **KW),
        ValueError,
        "`mask` must be boolean",
    ),
    (
        "rotation probabilities array",
        lambda r, t: r["image"].lattice_rotation(model=r["model"], probabilities=r["p"].data),
        TypeError,
        "`probabilities` must be",
    ),
    (
        "rotation probabilities of another image",
        lambda r, t: calibrated(lattice_image((300, 300))).lattice_rotation(
            model=r["model"], probabilities=r["p"]
        ),
        ValueError,
        "`probabilities` has shape",
    ),
    (
        "rotation without crystal classes",
        lambda r, t: r["image"].lattice_rotation(model=make_model_folder(t / "m", "aistem"), **KW),
        ValueError,
        "reference lattice",
    ),
    (
        "rotation uncalibrated",
        lambda r, t: calibrated(lattice_image((224, 224)), scale=1.0, units="px").lattice_rotation(
            model=r["model"]
        ),
        ValueError,
        "window_size=None.*no length units",
    ),
    # geometry and calibration
    (
        "uncalibrated default window",
        lambda r, t: calibrated(
            lattice_image((224, 224)), scale=1.0, units="px"
        ).classify_symmetry(model=r["model"]),
        ValueError,
        "window_size=None.*no length units",
    ),
    (
        "length window on uncalibrated axes",
        lambda r, t: calibrated(
            lattice_image((224, 224)), scale=1.0, units="px"
        ).classify_symmetry(model=r["model"], window_size="12 Å", stride=40),
        ValueError,
        "`window_size`.*length",
    ),
    (
        "window in kilograms",
        lambda r, t: r["image"].classify_symmetry(
            model=r["model"], window_size="12 kg", stride=40
        ),
        ValueError,
        "`window_size`.*kilogram",
    ),
    (
        "unknown measure",
        lambda r, t: r["image"].mc_uncertainty(model=r["model"], measure="entropy", **KW),
        ValueError,
        "Unknown measure 'entropy'",
    ),
    (
        "unknown latent layer",
        lambda r, t: r["image"].latent_features(
            model=r["model"], window_size=100, stride=40, layer="nope"
        ),
        ValueError,
        "no layer 'nope'",
    ),
    (
        "hole_fraction sigma",
        lambda r, t: r["image"].hole_fraction(sigma=-1),
        ValueError,
        "`sigma` must be a number > 0",
    ),
    (
        "hole_fraction threshold",
        lambda r, t: r["image"].hole_fraction(threshold="x"),
        TypeError,
        "`threshold` must be",
    ),
    (
        "hole_fraction all NaN",
        lambda r, t: calibrated(np.full((64, 64), np.nan)).hole_fraction(),
        ValueError,
        "NaN or infinite",
    ),
    (
        "hole_fraction 2 navigation axes",
        lambda r, t: calibrated(np.zeros((2, 2, 64, 64))).hole_fraction(),
        ValueError,
        "one frame axis",
    ),
    # result signals and plots
    (
        "class_map unknown",
        lambda r, t: r["p"].class_map("graphene"),
        ValueError,
        "Unknown class 'graphene'",
    ),
    (
        "phase_fractions of one image",
        lambda r, t: r["p"].phase_fractions(),
        ValueError,
        "phase_fractions needs a movie",
    ),
    (
        "segment probabilities of another type",
        lambda r, t: r["u"].segment(probabilities=r["image"]),
        TypeError,
        "`probabilities` must be the SymmetryProbabilities",
    ),
    (
        "plot_class_map image of another size",
        lambda r, t: r["p"].plot_class_map(image=calibrated(np.zeros((50, 50)))),
        ValueError,
        "`image` .* does not contain",
    ),
    (
        "plot_map image of another size",
        lambda r, t: r["u"].plot_map(image=calibrated(np.zeros((50, 50)))),
        ValueError,
        "`image` .* does not contain",
    ),
    (
        "plot_class_map image str",
        lambda r, t: r["p"].plot_class_map(image="image.tif"),
        TypeError,
        "`image` must be the classified image",
    ),
    (
        "plot_class_map image 1D",
        lambda r, t: r["p"].plot_class_map(image=np.zeros(10)),
        ValueError,
        "`image` must be the classified image",
    ),
    (
        "plotting.plot_class_map of an array",
        lambda r, t: _plot("plot_class_map", r["p"].data),
        TypeError,
        "`probabilities` must be",
    ),
    (
        "plotting.plot_class_map of uncertainty",
        lambda r, t: _plot("plot_class_map", r["u"]),
        TypeError,
        "`probabilities` must be",
    ),
    (
        "plotting.plot_uncertainty of probabilities",
        lambda r, t: _plot("plot_uncertainty", r["p"]),
        TypeError,
        "`uncertainty` must be a map",
    ),
    (
        "plot index out of range",
        lambda r, t: _plot("plot_uncertainty", r["u"], index=(1, 2)),
        ValueError,
        "`index` has 2 entries",
    ),
    # models
    (
        "load_model int",
        lambda r, t: __import__("hyperspy_symmetry").load_model(5),
        TypeError,
        "`model` must be a model name",
    ),
    (
        "load_model None",
        lambda r, t: __import__("hyperspy_symmetry").load_model(None),
        TypeError,
        "`model` must be a model name",
    ),
    (
        "load_model missing folder",
        lambda r, t: __import__("hyperspy_symmetry").load_model(t / "nowhere"),
        ValueError,
        "Unknown model",
    ),
    (
        "model card not JSON",
        lambda r, t: r["image"].classify_symmetry(model=_bad_card(t, r["model"]), **KW),
        ValueError,
        "not valid JSON",
    ),
    (
        "model weights missing",
        lambda r, t: r["image"].classify_symmetry(model=_no_weights(t, r["model"]), **KW),
        FileNotFoundError,
        "weights file .* missing",
    ),
    (
        "save_model without a card",
        lambda r, t: __import__("hyperspy_symmetry").save_model("network", None, t / "out"),
        TypeError,
        "`card` must be a ModelCard",
    ),
    # analysis functions
    (
        "fit_growth of an array",
        lambda r, t: _analysis("kinetics.fit_growth", np.zeros(5), 1.0),
        TypeError,
        "`signal` must be a HyperSpy Signal1D",
    ),
    (
        "fit_growth baseline str",
        lambda r, t: _analysis("kinetics.fit_growth", hs.signals.Signal1D(np.zeros(5)), "100 s"),
        TypeError,
        "`baseline_until` must be",
    ),
    (
        "hole_fraction of a line",
        lambda r, t: _analysis("kinetics.hole_fraction", np.zeros(5)),
        ValueError,
        "frames must be",
    ),
    (
        "segment_arrays of a line",
        lambda r, t: _analysis("segmentation.segment_arrays", np.zeros(5)),
        ValueError,
        "at least 2 dimensions",
    ),
    (
        "segment_arrays threshold",
        lambda r, t: _analysis("segmentation.segment_arrays", np.zeros((4, 4)), "0.1"),
        TypeError,
        "threshold",
    ),
    (
        "latent_embedding of a line",
        lambda r, t: _analysis("latent.latent_embedding", np.zeros(5)),
        ValueError,
        "latent_features signal",
    ),
    (
        "plot_embedding of a str",
        lambda r, t: _analysis("latent.plot_embedding", "x"),
        TypeError,
        "`embedding` must be",
    ),
    (
        "window_rotations of a line",
        lambda r, t: _analysis("rotation.window_rotations", np.zeros(5), None),
        ValueError,
        "windows must have shape",
    ),
    # simulate
    (
        "crystal_image unknown class",
        lambda r, t: _sim("crystal_image", "gold"),
        ValueError,
        "Unknown crystal class 'gold'",
    ),
    (
        "crystal_image size str",
        lambda r, t: _sim("crystal_image", "FCC_Cu_100", size="big"),
        TypeError,
        "`size` must be an integer",
    ),
    (
        "crystal_image size",
        lambda r, t: _sim("crystal_image", "FCC_Cu_100", size=-5),
        ValueError,
        "`size` must be an integer >= 8",
    ),
    (
        "crystal_image pixel_size",
        lambda r, t: _sim("crystal_image", "FCC_Cu_100", size=64, pixel_size=0),
        ValueError,
        "`pixel_size`",
    ),
    (
        "crystal_image rotation nan",
        lambda r, t: _sim("crystal_image", "FCC_Cu_100", size=64, rotation=math.nan),
        ValueError,
        "`rotation`",
    ),
    (
        "bravais_image unknown",
        lambda r, t: _sim("bravais_image", "triclinic"),
        ValueError,
        "Unknown lattice 'triclinic'",
    ),
    (
        "bravais_image size",
        lambda r, t: _sim("bravais_image", "square", size=0),
        ValueError,
        "size must be an integer >= 16",
    ),
    (
        "damage_movie n_frames",
        lambda r, t: _sim("damage_movie", n_frames=0),
        ValueError,
        "`n_frames`",
    ),
    (
        "damage_movie rho str",
        lambda r, t: _sim("damage_movie", 2, size=64, rho="fast"),
        TypeError,
        "`rho`",
    ),
    (
        "damage_movie A0 above 1",
        lambda r, t: _sim("damage_movie", 2, size=64, A0=2.0),
        ValueError,
        "`A0` must be a number between 0 and 1",
    ),
    (
        "damage_movie frame_time",
        lambda r, t: _sim("damage_movie", 2, size=64, frame_time=0),
        ValueError,
        "`frame_time`",
    ),
    (
        "damage_movie n_holes",
        lambda r, t: _sim("damage_movie", 2, size=64, n_holes=-1),
        ValueError,
        "`n_holes`",
    ),
    (
        "polycrystal grain_size",
        lambda r, t: _sim("polycrystal_scene", grain_size=0),
        ValueError,
        "`grain_size`",
    ),
    (
        "polycrystal rotations",
        lambda r, t: _sim("polycrystal_scene", rotations=[1.0, 2.0]),
        ValueError,
        "rotations needs one angle per crystalline grain",
    ),
    (
        "bicrystal unknown class",
        lambda r, t: _sim("bicrystal", "gold", 10.0),
        ValueError,
        "Unknown crystal class 'gold'",
    ),
    (
        "bicrystal misorientation nan",
        lambda r, t: _sim("bicrystal", "FCC_Cu_100", math.nan),
        ValueError,
        "`misorientation`",
    ),
    (
        "bicrystal boundary",
        lambda r, t: _sim("bicrystal", "FCC_Cu_100", 10.0, boundary=1.0),
        ValueError,
        "`boundary`",
    ),
    (
        "transforming_lattice n_frames",
        lambda r, t: _sim("transforming_lattice", n_frames=0),
        ValueError,
        "n_frames >= 2",
    ),
    (
        "sample_lattice unknown",
        lambda r, t: _sim("sample_lattice", "triclinic"),
        ValueError,
        "Unknown lattice",
    ),
    (
        "load_training_set missing",
        lambda r, t: _sim("load_training_set", str(t / "none.zarr")),
        ValueError,
        "is not a training set",
    ),
    (
        "training set recipe model",
        lambda r, t: _sim("TrainingSetRecipe").default("graphene"),
        ValueError,
        "model must be one of",
    ),
    (
        "build_training_set chunk_size",
        lambda r, t: _sim(
            "build_training_set", t / "s.zarr", "bravais", n_per_class=1, chunk_size=0
        ),
        ValueError,
        "`chunk_size`",
    ),
    (
        "build_training_set num_workers",
        lambda r, t: _sim(
            "build_training_set", t / "s.zarr", "bravais", n_per_class=1, num_workers=0
        ),
        ValueError,
        "`num_workers`",
    ),
    (
        "build_training_set onto a file",
        lambda r, t: _sim("build_training_set", _a_file(t), "bravais", n_per_class=1),
        FileExistsError,
        "not a folder",
    ),
]


@pytest.mark.parametrize(
    "call, error, match", [c[1:] for c in API_CASES], ids=[c[0] for c in API_CASES]
)
def test_api_bad_input_is_named(results, tmp_path, call, error, match):
    image = results["image"]
    before = (
        image.data.copy(),
        image.metadata.as_dictionary(),
        results["p"].data.copy(),
        results["u"].data.copy(),
    )
    with pytest.raises(error, match=match) as excinfo:
        call(results, tmp_path)
    raised_here(excinfo)
    np.testing.assert_array_equal(image.data, before[0])
    assert image.metadata.as_dictionary() == before[1]
    np.testing.assert_array_equal(results["p"].data, before[2])
    np.testing.assert_array_equal(results["u"].data, before[3])


# -- training: refused before anything is simulated ----------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(name="graphene"), ValueError, "No training plan for 'graphene'"),
        (dict(epochs=0), ValueError, "`epochs` must be an integer >= 1"),
        (dict(eval_samples=0), ValueError, "`eval_samples`"),
        (dict(held_out_per_class=-3), ValueError, "`held_out_per_class`"),
        (dict(n_per_class=0), ValueError, "n_per_class must be at least 1"),
        (dict(seed=-1), ValueError, "`seed`"),
        (dict(num_workers=0), ValueError, "`num_workers`"),
        (dict(out="a_file"), FileExistsError, "not a folder"),
        (dict(out="a_model"), FileExistsError, "already holds a model"),
    ],
    ids=[
        "plan",
        "epochs",
        "eval_samples",
        "held_out",
        "n_per_class",
        "seed",
        "workers",
        "out is a file",
        "out holds a model",
    ],
)
def test_train_model_refuses_before_simulating(tmp_path, kwargs, error, match):
    from hyperspy_symmetry.training import train_model

    _a_file(tmp_path)
    (tmp_path / "a_model").mkdir()
    (tmp_path / "a_model" / "card.json").write_text("{}")
    kwargs = {"name": "bravais", "out": "model", **kwargs}
    for key in ("out",):
        kwargs[key] = tmp_path / kwargs[key]
    data = tmp_path / "data"
    with pytest.raises(error, match=match) as excinfo:
        train_model(kwargs.pop("name"), kwargs.pop("out"), data_dir=data, verbose=0, **kwargs)
    raised_here(excinfo)
    assert not data.exists()  # nothing was simulated
    assert (tmp_path / "a_model" / "card.json").read_text() == "{}"


def test_training_plan_refuses_bad_fields():
    from dataclasses import replace

    from hyperspy_symmetry.training import get_plan

    plan = get_plan("bravais")
    for field, value, error in (
        ("batch_size", 0, ValueError),
        ("learning_rate", -1e-3, ValueError),
        ("validation_fraction", 1.0, ValueError),
        ("epochs", 2.5, TypeError),
    ):
        with pytest.raises(error, match=f"`{field}`") as excinfo:
            replace(plan, **{field: value})
        raised_here(excinfo)


# -- documented results for NaN and odd data -----------------------------------------------


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_nan_region_reaches_exactly_the_windows_that_touch_it(tiny_aistem, lazy):
    data = lattice_image((224, 224), period=(8, 8), seed=2)
    data[100:110, 100:110] = np.nan
    s = calibrated(data, lazy=lazy, chunks=(112, 112) if lazy else None)
    u = s.mc_uncertainty(model=tiny_aistem, window_size=100, stride=20, n_samples=4, seed=0)
    p = s.classify_symmetry(model=tiny_aistem, window_size=100, stride=20, n_samples=4, seed=0)
    u_data = np.asarray(u.data.compute() if lazy else u.data)
    p_data = np.asarray(p.data.compute() if lazy else p.data)
    starts = np.arange(7) * 20
    touched = (starts + 100 > 100) & (starts < 110)  # window [s, s + 100) meets rows 100..109
    expected = touched[:, None] & touched[None, :]
    np.testing.assert_array_equal(np.isnan(u_data), expected)
    np.testing.assert_array_equal(np.isnan(p_data).any(axis=0), expected)
    np.testing.assert_allclose(p_data[:, ~expected].sum(axis=0), 1.0, atol=1e-4)


def test_all_nan_image_gives_all_nan_maps(tiny_aistem):
    s = calibrated(np.full((224, 224), np.nan))
    assert np.isnan(s.classify_symmetry(model=tiny_aistem, **KW).data).all()
    assert np.isnan(s.mc_uncertainty(model=tiny_aistem, **KW).data).all()


def test_nan_in_lattice_rotation_and_descriptors(crystal_model):
    data = lattice_image((224, 224), period=(8, 8), seed=2)
    data[100:110, 100:110] = np.nan
    s = calibrated(data)
    angles = s.lattice_rotation(
        model=crystal_model, window_size=100, stride=20, n_samples=2, seed=0, min_quality=0.0
    ).data
    descriptors = s.fft_descriptors(model=crystal_model, window_size=100, stride=20).data
    touched = np.zeros((7, 7), bool)
    touched[1:6, 1:6] = True
    assert np.isnan(angles[touched]).all()
    assert np.isnan(descriptors).any(axis=(-2, -1))[touched].all()
    assert np.isfinite(descriptors[~touched]).all()


def test_hole_fraction_of_a_frame_with_nan_is_nan():
    from hyperspy_symmetry.analysis import hole_fraction
    from hyperspy_symmetry.simulate import damage_movie

    movie, _ = damage_movie(n_frames=3, seed=0, size=64, A0=0.1)
    without = hole_fraction(movie.data[[0, 2]])[0]  # the other frames alone
    movie.data[1, 5, 5] = np.nan
    with_nan = movie.hole_fraction()
    assert np.isnan(with_nan.data[1])
    np.testing.assert_array_equal(with_nan.data[[0, 2]], without)


def test_boolean_image_gives_finite_results(tiny_aistem):
    s = calibrated(lattice_image((224, 224), period=(8, 8), seed=1) > 0.5)
    p = s.classify_symmetry(model=tiny_aistem, **KW)
    assert np.isfinite(p.data).all()


def test_complex_signal_is_not_an_image():
    # HyperSpy keeps a complex signal as it is: the type is registered for real images.
    s = hs.signals.ComplexSignal2D(np.zeros((64, 64), complex))
    s.set_signal_type("atomic_resolution")
    with pytest.raises(AttributeError, match="classify_symmetry"):
        s.classify_symmetry()


# -- the command line: one line on stderr, exit status 1 (2 for argparse), inputs intact ----


def _tree_digest(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    for f in files:
        if f.is_file():
            digest.update(str(f.relative_to(path.parent)).encode() + f.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def cli_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    s = calibrated(lattice_image((224, 224), period=(8, 8), seed=1))
    s.save(folder / "img.zspy")
    s.save(folder / "img.hspy")
    hs.signals.Signal1D(np.arange(100.0)).save(folder / "line.hspy")
    hs.signals.ComplexSignal2D(np.ones((64, 64), complex)).save(folder / "cplx.hspy")
    (folder / "text.tif").write_text("hello")
    (folder / "img.xyz").write_text("x")
    (folder / "a_file").write_text("x")
    (folder / "a_model").mkdir()
    (folder / "a_model" / "card.json").write_text("{}")
    return folder


SMALL = ["--window", "100", "--stride", "40", "--samples", "2", "--seed", "0", "--quiet"]
CLI_CASES = [
    ("missing input", ["classify", "nope.tif", "--out", "o"] + SMALL, "nope.tif does not exist"),
    ("folder input", ["classify", "a_model", "--out", "o"] + SMALL, "is a folder, not an image"),
    ("unknown extension", ["classify", "img.xyz", "--out", "o"] + SMALL, "extension '.xyz'"),
    ("text as tif", ["classify", "text.tif", "--out", "o"] + SMALL, "cannot read text.tif"),
    ("1D file", ["classify", "line.hspy", "--out", "o"] + SMALL, "holds no 2D image"),
    ("complex file", ["classify", "cplx.hspy", "--out", "o"] + SMALL, "complex data"),
    (
        "signal index",
        ["classify", "img.hspy", "--out", "o", "--signal-index", "5"] + SMALL,
        "signal_index=5",
    ),
    ("out is a file", ["classify", "img.zspy", "--out", "a_file"] + SMALL, "not a folder"),
    (
        "window text",
        ["classify", "img.zspy", "--out", "o", "--window", "abc", "--stride", "40"],
        "`window_size`='abc'",
    ),
    (
        "window 0",
        ["classify", "img.zspy", "--out", "o", "--window", "0", "--stride", "40"],
        "`window_size` must be positive",
    ),
    (
        "stride -1",
        ["classify", "img.zspy", "--out", "o", "--window", "100", "--stride", "-1"],
        "`stride` must be positive",
    ),
    (
        "samples 0",
        ["classify", "img.zspy", "--out", "o", "--window", "100", "--samples", "0"],
        "`n_samples` must be an integer >= 1",
    ),
    (
        "unknown model",
        ["classify", "img.zspy", "--out", "o", "--model", "nope"] + SMALL,
        "Unknown model 'nope'",
    ),
    (
        "scheduler word",
        ["classify", "img.zspy", "--out", "o", "--scheduler", "gpu"] + SMALL,
        "--scheduler 'gpu' is neither",
    ),
    (
        "scheduler unreachable",
        ["classify", "img.zspy", "--out", "o", "--scheduler", "tcp://127.0.0.1:9"] + SMALL,
        "cannot connect to the dask",
    ),
    (
        "crystal size",
        ["simulate", "crystal", "FCC_Cu_100", "--size", "0", "--out", "c.zspy"],
        "`size` must be an integer >= 8",
    ),
    (
        "bravais spacing",
        ["simulate", "bravais", "square", "--a", "-3", "--out", "b.zspy"],
        "a must be > 0",
    ),
    (
        "polycrystal grain",
        ["simulate", "polycrystal", "--grain-size", "0", "--out", "p.zspy"],
        "`grain_size`",
    ),
    (
        "bicrystal nan",
        ["simulate", "bicrystal", "FCC_Cu_100", "nan", "--out", "b.zspy"],
        "`misorientation` must be a finite number",
    ),
    (
        "damage frames",
        ["simulate", "damage-movie", "--frames", "0", "--out", "d.zspy"],
        "`n_frames`",
    ),
    ("damage A0", ["simulate", "damage-movie", "--A0", "2", "--out", "d.zspy"], "`A0`"),
    (
        "transforming frames",
        ["simulate", "transforming-lattice", "--frames", "1", "--out", "t.zspy"],
        "n_frames >= 2",
    ),
    (
        "output extension",
        ["simulate", "bravais", "square", "--size", "64", "--out", "b.xyz"],
        "extension does not correspond",
    ),
    (
        "output exists",
        ["simulate", "bravais", "square", "--size", "64", "--out", "img.zspy"],
        "pass --overwrite",
    ),
    (
        "training set per class",
        ["simulate", "training-set", "bravais", "--per-class", "0", "--out", "ts.zarr"],
        "n_per_class must be at least 1",
    ),
    (
        "training set workers",
        [
            "simulate",
            "training-set",
            "bravais",
            "--per-class",
            "1",
            "--workers",
            "0",
            "--out",
            "ts.zarr",
        ],
        "`num_workers`",
    ),
    (
        "training set scheduler",
        [
            "simulate",
            "training-set",
            "bravais",
            "--per-class",
            "1",
            "--scheduler",
            "gpu",
            "--out",
            "ts.zarr",
        ],
        "is neither",
    ),
    ("train epochs", ["train", "bravais", "--epochs", "0", "--out", "m"], "`epochs`"),
    (
        "train mc samples",
        ["train", "bravais", "--mc-samples", "0", "--out", "m"],
        "`eval_samples`",
    ),
    ("train out is a file", ["train", "bravais", "--out", "a_file"], "not a folder"),
    ("train over a model", ["train", "bravais", "--out", "a_model"], "--overwrite"),
    ("demo samples", ["demo", "--samples", "0", "--out", "dm"], "`n_samples`"),
    ("demo out is a file", ["demo", "--out", "a_file"], "not a folder"),
]


@pytest.mark.parametrize("argv, match", [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_is_one_line(cli_inputs, tmp_path, monkeypatch, capsys, argv, match):
    import dask

    from hyperspy_symmetry.cli import main

    work = tmp_path / "work"
    shutil.copytree(cli_inputs, work)
    monkeypatch.chdir(work)
    before = {p.name: _tree_digest(p) for p in work.iterdir()}
    with dask.config.set({"distributed.comm.timeouts.connect": "3s"}):
        status = main(argv)
    err = capsys.readouterr().err
    assert status == 1, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("hyperspy-symmetry: error: ")
    assert match in lines[0], lines[0]
    after = {p.name: _tree_digest(p) for p in work.iterdir()}
    assert {k: after.get(k) for k in before} == before  # every input intact
    assert not (work / "data").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["classify", "img.zspy", "--out", "o", "--precision", "fp8"],
        ["classify", "img.zspy", "--out", "o", "--signal-type", "EELS"],
        ["classify", "img.zspy", "--out", "o", "--samples", "many"],
        ["simulate", "crystal", "gold", "--out", "c.zspy"],
        ["train", "graphene", "--out", "m"],
        ["classify", "img.zspy"],
    ],
    ids=["precision", "signal type", "samples text", "crystal class", "train model", "no --out"],
)
def test_cli_usage_errors_name_the_argument(cli_inputs, monkeypatch, capsys, argv):
    from hyperspy_symmetry.cli import main

    monkeypatch.chdir(cli_inputs)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error: " in err
    assert err.strip().splitlines()[-1].split("error: ")[1]
