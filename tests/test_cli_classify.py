"""``hyperspy-symmetry classify``: stores, plots, summary and table from tif and zspy inputs."""

import json
import subprocess
import sys

import hyperspy.api as hs
import numpy as np
import pytest

from hyperspy_symmetry import load_model, report
from hyperspy_symmetry.cli import main

SIZE, PIXEL = 180, 0.12  # Å per pixel, the aistem model's
RUN = ["--samples", "5", "--seed", "0", "--quiet"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A simulated Cu [100] image as an uncalibrated tif, a calibrated tif and a zspy."""
    import tifffile

    from hyperspy_symmetry.simulate import crystal_image

    folder = tmp_path_factory.mktemp("inputs")
    s = crystal_image("FCC_Cu_100", size=SIZE, pixel_size=PIXEL, seed=0)
    tifffile.imwrite(folder / "plain.tif", s.data.astype(np.float32))
    s.save(folder / "calibrated.tif")
    s.save(folder / "image.zspy")
    return {
        "plain": folder / "plain.tif",
        "calibrated": folder / "calibrated.tif",
        "zspy": folder / "image.zspy",
        "data": s.data,
    }


def _table_rows(stdout: str) -> dict[str, tuple[int, float, float]]:
    rows = {}
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["class", "windows"])
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        name, n, fraction, mean = line.split()
        rows[name] = (int(n), float(fraction), float(mean))
    return rows


def _check_consistent(out, summary, stdout, lazy_reload=False):
    """Stores reload with the right types, and the summary and table agree with them."""
    p = hs.load(out / "probabilities.zspy", lazy=lazy_reload)
    u = hs.load(out / "uncertainty.zspy", lazy=lazy_reload)
    assert p._signal_type == "symmetry_probabilities"
    assert u._signal_type == "symmetry_uncertainty"
    assert type(p).__name__ == (
        "LazySymmetryProbabilities" if lazy_reload else "SymmetryProbabilities"
    )
    names = p.class_names
    assert p.axes_manager.navigation_axes[0].name == "class" and len(names) == 10
    gy, gx = summary["grid_shape"]
    assert p.data.shape == (10, gy, gx) and u.data.shape == (gy, gx)
    assert u.metadata.Signal.quantity == "Mutual information (bits)"
    if lazy_reload:
        p.compute(show_progressbar=False)
        u.compute(show_progressbar=False)
    # class fractions and mean probabilities from the reloaded store
    labels = p.predicted_class().data
    assert summary["n_windows"] == labels.size == summary["n_valid_windows"]
    fractions = summary["class_fractions"]
    assert list(fractions) == names
    assert sum(fractions.values()) == pytest.approx(1.0)
    for i, name in enumerate(names):
        assert fractions[name] == pytest.approx(np.mean(labels == i))
        assert summary["mean_probabilities"][name] == pytest.approx(
            float(np.mean(p.data[i].astype(np.float64))), abs=1e-7
        )
    mi = np.asarray(u.data, dtype=np.float64).ravel()
    stats = summary["mutual_information"]
    assert stats["median"] == pytest.approx(np.median(mi), abs=1e-9)
    assert stats["p90"] == pytest.approx(np.percentile(mi, 90), abs=1e-9)
    assert stats["max"] == pytest.approx(mi.max(), abs=1e-9)
    # the model's interface threshold, as u.segment() uses it
    threshold = load_model("aistem").card.threshold
    assert stats["threshold_bits"] == threshold == u.interface_threshold
    assert stats["fraction_above_threshold"] == pytest.approx(np.mean(mi > threshold))
    # model record, samples, seed, versions, timing
    assert summary["model"]["name"] == "aistem" and len(summary["model"]["sha256"]) == 64
    assert summary["model"]["sha256"] == p.metadata.Symmetry.model_sha256
    assert summary["n_samples"] == 5 and summary["seed"] == 0 == p.metadata.Symmetry.seed
    assert summary["run_time_s"] > 0 and summary["package_version"]
    # the calibration check: a crystal of one of the classes at the pixel size the model sees
    assert summary["calibration"] == p.metadata.Symmetry.calibration.as_dictionary()
    assert summary["calibration"]["ok"] is True and summary["calibration"]["nearest_class"]
    # the printed table
    rows = _table_rows(stdout)
    assert list(rows) == names
    for name, (n, fraction, mean) in rows.items():
        assert n == round(fractions[name] * labels.size)
        assert fraction == pytest.approx(fractions[name], abs=5e-4)
        assert mean == pytest.approx(summary["mean_probabilities"][name], abs=5e-4)
    assert "Mutual information (bits)" in stdout and "median" in stdout and "p90" in stdout
    # the plots: real PNGs with content
    import matplotlib.image as mpimg

    for name in ("class_map.png", "uncertainty.png"):
        png = mpimg.imread(out / name)
        assert png.shape[0] > 300 and png.shape[1] > 300
        assert np.std(png[..., :3]) > 0.05  # not a blank figure
    return p, u


def test_uncalibrated_tif_needs_window_in_pixels(inputs, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["classify", str(inputs["plain"]), "--out", str(out)] + RUN) == 1
    err = capsys.readouterr().err
    assert "pixels" in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()  # nothing written on failure

    assert (
        main(
            [
                "classify",
                str(inputs["plain"]),
                "--window",
                "100",
                "--stride",
                "25",
                "--out",
                str(out),
            ]
            + RUN
        )
        == 0
    )
    stdout = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"] == str(inputs["plain"].resolve())
    assert summary["window"] == {"pixels": 100, "length": None}
    assert summary["stride"] == {"pixels": 25, "length": None}
    assert summary["signal"]["pixel_size"] is None and summary["signal"]["lazy"] is False
    assert summary["grid_shape"] == [(SIZE - 100) // 25 + 1] * 2
    p, u = _check_consistent(out, summary, stdout)
    ax = p.axes_manager.signal_axes[0]
    assert ax.scale == 25 and ax.offset == pytest.approx(49.5)
    assert summary["class_fractions"]["FCC_Cu_100"] > 0.5  # the shipped model sees Cu [100]


def test_calibrated_tif_with_lengths(inputs, tmp_path, capsys):
    out = tmp_path / "res"
    assert (
        main(
            [
                "classify",
                str(inputs["calibrated"]),
                "--window",
                "12Å",
                "--stride",
                "0.3nm",
                "--out",
                str(out),
            ]
            + RUN
        )
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["window"] == {"pixels": 100, "length": "12 Å"}
    assert summary["stride"] == {"pixels": 25, "length": "3 Å"}
    assert summary["signal"]["pixel_size"] == "0.12 Å"
    p, u = _check_consistent(out, summary, capsys.readouterr().out)
    for ax in (*p.axes_manager.signal_axes, *u.axes_manager.signal_axes):
        assert ax.units == "Å"
        assert ax.scale == pytest.approx(25 * PIXEL) and ax.offset == pytest.approx(99 / 2 * PIXEL)


def test_exact_mode_and_precision(inputs, tmp_path, capsys):
    """--exact is float32 with every sample; the default mode is recorded too."""
    from hyperspy_symmetry.models.mc_dropout import resolve_precision

    runs = {}
    for name, extra in (
        ("default", []),
        ("exact", ["--exact"]),
        ("f32", ["--precision", "float32"]),
    ):
        out = tmp_path / name
        assert (
            main(
                [
                    "classify",
                    str(inputs["zspy"]),
                    "--window",
                    "100",
                    "--stride",
                    "40",
                    "--out",
                    str(out),
                    "--samples",
                    "20",
                    "--seed",
                    "0",
                    "--quiet",
                ]
                + extra
            )
            == 0
        )
        runs[name] = json.loads((out / "summary.json").read_text())
        runs[name]["p"] = hs.load(out / "probabilities.zspy").data
    assert (runs["default"]["precision"], runs["default"]["adaptive"]) == (
        resolve_precision("auto"),
        True,
    )
    assert (runs["exact"]["precision"], runs["exact"]["adaptive"]) == ("float32", False)
    assert (runs["f32"]["precision"], runs["f32"]["adaptive"]) == ("float32", True)
    assert runs["exact"]["dropout"] == "all" and runs["default"]["dropout"] == "model"
    # A clean crystal: every mode gives the same classes.
    for name in ("default", "f32"):
        np.testing.assert_array_equal(runs[name]["p"].argmax(0), runs["exact"]["p"].argmax(0))
    with pytest.raises(SystemExit) as exit_:
        main(["classify", str(inputs["zspy"]), "--precision", "half", "--out", str(tmp_path)])
    assert exit_.value.code == 2 and "invalid choice: 'half'" in capsys.readouterr().err


def test_zspy_lazy_then_overwrite(inputs, tmp_path, capsys, monkeypatch):
    out = tmp_path / "res"
    argv = ["classify", str(inputs["zspy"]), "--stride", "2.4 Å", "--out", str(out)] + RUN
    assert main(argv + ["--lazy"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert (
        summary["signal"]["lazy"] is True
        and summary["signal"]["signal_type"] == "atomic_resolution"
    )
    assert summary["window"]["pixels"] == 100  # the aistem card's 12 Å
    p, _ = _check_consistent(out, summary, capsys.readouterr().out, lazy_reload=True)
    first = np.asarray(p.data)

    # an existing output needs --overwrite: one line, nothing changed
    before = (out / "summary.json").read_text()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "--overwrite" in err and err.count("\n") == 1
    assert (out / "summary.json").read_text() == before

    # large zspy files are read lazily without --lazy; same seed, same result
    monkeypatch.setattr(report, "LAZY_THRESHOLD_BYTES", 0)
    assert main(argv + ["--overwrite", "--scheduler", "synchronous"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["signal"]["lazy"] is True
    np.testing.assert_array_equal(hs.load(out / "probabilities.zspy").data, first)


def test_distributed_scheduler_gives_the_same_result(inputs, tmp_path, capsys):
    from distributed import LocalCluster

    argv = ["classify", str(inputs["zspy"]), "--lazy", "--stride", "30"] + RUN
    assert main(argv + ["--out", str(tmp_path / "threads")]) == 0
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        assert (
            main(
                argv + ["--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dist")]
            )
            == 0
        )
    for name in ("probabilities.zspy", "uncertainty.zspy"):
        np.testing.assert_array_equal(
            hs.load(tmp_path / "dist" / name).data, hs.load(tmp_path / "threads" / name).data
        )


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing", "does not exist"),
        ("garbage", "cannot read"),
        ("model", "Unknown model"),
        ("window", "larger than the image"),
        ("length", "not of length"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(inputs, tmp_path, capsys, case, message):
    garbage = tmp_path / "garbage.tif"
    garbage.write_bytes(b"not an image at all")
    source = {"missing": tmp_path / "nope.dm4", "garbage": garbage}.get(case, inputs["zspy"])
    extra = {
        "model": ["--model", "no_such_model"],
        "window": ["--window", "500"],
        "length": ["--window", "12 s"],
    }.get(case, [])
    out = tmp_path / "res"
    assert main(["classify", str(source), "--out", str(out)] + extra + RUN) == 1
    err = capsys.readouterr().err
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err and err.startswith("hyperspy-symmetry")
    assert not (out / "summary.json").exists()


def test_multi_signal_files_pick_the_2d_image(tmp_path, monkeypatch):
    path = tmp_path / "any.emd"
    path.write_bytes(b"")
    spectrum = hs.signals.Signal1D(np.arange(10.0))
    image = hs.signals.Signal2D(np.ones((40, 40)))
    image.metadata.General.title = "HAADF"
    other = hs.signals.Signal2D(np.zeros((40, 40)))
    contents = []
    monkeypatch.setattr(hs, "load", lambda *a, **k: contents if len(contents) > 1 else contents[0])

    contents[:] = [spectrum]
    with pytest.raises(ValueError, match="holds no 2D image"):
        report.load_image(path)
    contents[:] = [spectrum, image]
    picked = report.load_image(path)
    assert picked is image and type(picked).__name__ == "AtomicResolution2D"
    contents[:] = [spectrum, image, other]
    with pytest.raises(ValueError, match=r"holds 2 2D images .*'HAADF'.*--signal-index"):
        report.load_image(path)
    assert report.load_image(path, signal_index=2) is other
    with pytest.raises(ValueError, match="not a 2D image"):
        report.load_image(path, signal_index=0)
    with pytest.raises(ValueError, match="signal_index=3"):
        report.load_image(path, signal_index=3)


def test_console_script_error(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hyperspy_symmetry.cli",
            "classify",
            str(tmp_path / "x.tif"),
            "--out",
            str(tmp_path / "res"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr.strip().endswith("does not exist.") and done.stderr.count("\n") == 1


def test_summary_counts_other_measures_against_ai_stems_figure():
    """The model's interface threshold is in bits of mutual information: an entropy map's
    summary keeps the 0.1 of maps made before models recorded one, and does not fail."""
    from test_plotting import make_probabilities, make_uncertainty

    u = make_uncertainty()
    u.metadata.set_item("Symmetry.interface_threshold", 0.3)
    mi = u.data[np.isfinite(u.data)]
    summary = report.summarize(make_probabilities(), u)["mutual_information"]
    assert summary["threshold_bits"] == 0.3
    assert summary["fraction_above_threshold"] == pytest.approx(float(np.mean(mi > 0.3)))
    u.metadata.set_item("Symmetry.measure", "predictive_entropy")
    summary = report.summarize(make_probabilities(), u)["mutual_information"]
    assert summary["threshold_bits"] == report.MI_THRESHOLD_BITS == 0.1
    assert summary["fraction_above_threshold"] == pytest.approx(float(np.mean(mi > 0.1)))


def test_summary_leaves_nan_windows_out():
    from test_plotting import NAMES, make_probabilities, make_uncertainty

    p, u = make_probabilities(frames=2), make_uncertainty(frames=2)
    summary = report.summarize(p, u)
    labels = p.predicted_class().data
    assert summary["n_windows"] == labels.size and summary["n_valid_windows"] == labels.size - 2
    assert sum(summary["class_fractions"].values()) == pytest.approx(1.0)
    assert summary["class_fractions"]["oblique"] == 0.0  # never the most probable
    assert summary["class_fractions"]["noise"] == pytest.approx(
        np.sum(labels == 3) / (labels.size - 2)
    )
    valid = ~np.isnan(p.data).any(axis=1)
    assert summary["mean_probabilities"][NAMES[1]] == pytest.approx(
        float(np.mean(p.data[:, 1][valid]))
    )
    mi = u.data[np.isfinite(u.data)]
    assert summary["mutual_information"]["max"] == pytest.approx(float(mi.max()))
    assert summary["mutual_information"]["fraction_above_threshold"] == pytest.approx(
        float(np.mean(mi > 0.1))
    )
    assert "oblique" in report.format_summary(summary)


def test_models_lists_names_classes_descriptor_and_window(capsys):
    from hyperspy_symmetry.models import list_models, resolve_model

    assert main(["models"]) == 0
    text = capsys.readouterr().out
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list_models()
    for row in rows:
        card = resolve_model(row["name"])[0]
        assert row["classes"] == list(card.classes)
        assert (row["descriptor"], row["window"], row["stride"]) == (
            card.descriptor,
            card.default_window,
            card.default_stride,
        )
        assert f"{row['name']} (version {card.version}): {card.n_classes} classes" in text
        assert ", ".join(card.classes) in text


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["models"],
        ["classify"],
        ["demo"],
        ["train"],
        ["simulate"],
        ["simulate", "crystal"],
        ["simulate", "bravais"],
        ["simulate", "polycrystal"],
        ["simulate", "bicrystal"],
        ["simulate", "damage-movie"],
        ["simulate", "transforming-lattice"],
        ["simulate", "training-set"],
    ],
)
def test_every_help_shows_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    examples = help_text.split("examples:\n", 1)[1].splitlines()
    assert examples and all(line.startswith("  $ hyperspy-symmetry ") for line in examples)
    # each example parses (its command and options exist)
    import shlex

    from hyperspy_symmetry.cli import build_parser

    for line in examples:
        argv = shlex.split(line.split("$ hyperspy-symmetry ", 1)[1])
        if "KIND" in argv:
            continue
        build_parser().parse_args(argv)


def test_console_script_streams(inputs, tiny_aistem, tmp_path):
    # Small tiles (64 windows): 3 x 3 blocks of the 17 x 17 window grid, one bar on stderr.
    import os

    from hyperspy_symmetry.models.tf_runtime import is_tensorflow_log_line

    env = dict(os.environ, DASK_HYPERSPY_SYMMETRY__TILE_SIZE="1KiB")
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hyperspy_symmetry.cli",
            "classify",
            str(inputs["zspy"]),
            "--model",
            tiny_aistem,
            "--window",
            "100",
            "--stride",
            "5",
            "--samples",
            "3",
            "--seed",
            "0",
            "--out",
            str(tmp_path / "res"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert not [line for line in done.stderr.splitlines() if is_tensorflow_log_line(line)]
    assert "9/9 [" in done.stderr and "classifying" in done.stderr, done.stderr
    # stdout: the result only (parameters line, table, where it went), no bar.
    lines = done.stdout.splitlines()
    assert lines[0].startswith("tiny_aistem 0.0-test: window 100 px, stride 5 px")
    assert lines[-1] == f"wrote {tmp_path / 'res'}"
    assert "%|" not in done.stdout and "it/s" not in done.stdout
    assert json.loads((tmp_path / "res" / "summary.json").read_text())["grid_shape"] == [17, 17]
