"""``hyperspy-symmetry simulate ...``: files written, clear one-line errors."""

import json
import subprocess
import sys

import hyperspy.api as hs
import numpy as np
import pytest

from hyperspy_symmetry.cli import main


def test_simulate_crystal_writes_a_calibrated_signal(tmp_path, capsys):
    out = tmp_path / "cu.zspy"
    assert (
        main(
            ["simulate", "crystal", "FCC_Cu_100", "--size", "64", "--seed", "3", "--out", str(out)]
        )
        == 0
    )
    s = hs.load(out)
    assert type(s).__name__ == "AtomicResolution2D" and s.data.shape == (64, 64)
    assert s.axes_manager[0].units == "Å" and s.metadata.Simulation.seed == 3
    assert "wrote" in capsys.readouterr().out


def test_simulate_bicrystal_writes_image_and_labels(tmp_path):
    out = tmp_path / "bi.hspy"
    assert (
        main(
            [
                "simulate",
                "bicrystal",
                "FCC_Cu_100",
                "22",
                "--rotation",
                "15",
                "--size",
                "64",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    labels = hs.load(tmp_path / "bi_labels.hspy")
    assert list(labels.metadata.Symmetry.rotations) == [15.0, 37.0]
    assert hs.load(out).data.shape == (64, 64)


def test_simulate_damage_movie_writes_truth(tmp_path):
    out = tmp_path / "movie.zspy"
    assert (
        main(
            [
                "simulate",
                "damage-movie",
                "--frames",
                "4",
                "--size",
                "48",
                "--rho",
                "0.05",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    truth = json.loads((tmp_path / "movie_truth.json").read_text())
    assert truth["rho"] == 0.05 and len(truth["hole_fraction"]) == 4
    movie = hs.load(out)
    assert movie.axes_manager["time"].units == "s" and movie.data.shape == (4, 48, 48)


def test_simulate_training_set(tmp_path, capsys):
    out = tmp_path / "b.zarr"
    assert (
        main(
            [
                "simulate",
                "training-set",
                "bravais",
                "--per-class",
                "2",
                "--scheduler",
                "threads",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "12 descriptors of 6 classes" in capsys.readouterr().out
    from hyperspy_symmetry.simulate import load_training_set

    assert load_training_set(out)["descriptors"].shape == (12, 64, 64)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["simulate", "crystal", "FCC_Cu_100", "--size", "2"], "`size` must be an integer >= 8"),
        (["simulate", "bravais", "square", "--a", "1"], "below"),
        (["simulate", "bicrystal", "FCC_Cu_100", "10", "--size", "4"], "size"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path, capsys, argv, message):
    assert main(argv + ["--out", str(tmp_path / "x.zspy")]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_existing_output_needs_overwrite(tmp_path, capsys):
    out = str(tmp_path / "sq.zspy")
    argv = ["simulate", "bravais", "square", "--size", "32", "--out", out]
    assert main(argv) == 0
    assert main(argv) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert main(argv + ["--overwrite"]) == 0


def test_console_script_runs(tmp_path):
    out = tmp_path / "hex.tif"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hyperspy_symmetry.cli",
            "simulate",
            "bravais",
            "hexagonal",
            "--size",
            "64",
            "--seed",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert np.asarray(hs.load(out).data).shape == (64, 64)
    unknown = subprocess.run(
        [
            sys.executable,
            "-m",
            "hyperspy_symmetry.cli",
            "simulate",
            "crystal",
            "FCC_Au_100",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
    assert "Traceback" not in unknown.stderr
