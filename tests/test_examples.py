"""The scripts in examples/ run end to end at small sizes and write sensible results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import hyperspy.api as hs
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_example(name: str, tmp_path: Path, *args: str, timeout: int = 600) -> dict:
    """Run ``examples/<name>`` in ``tmp_path`` with this interpreter; return its summary."""
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        HYPERSPY_SYMMETRY_MODELS=str(tmp_path / "user_models"),
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--out", str(out), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, f"{name} failed:\n{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    return json.loads((out / "summary.json").read_text())


@pytest.mark.timeout(600)
def test_classify_image(tmp_path):
    summary = run_example(
        "classify_image.py", tmp_path, "--grain-size", "15", "--stride", "6 Å", "--samples", "5"
    )
    out = tmp_path / "out"
    image = hs.load(out / "image.zspy")
    p = hs.load(out / "probabilities.zspy")
    u = hs.load(out / "uncertainty.zspy")
    assert image.metadata.Signal.signal_type == "atomic_resolution"
    assert image.data.shape == (250, 250)  # 2 x 15 Å at 0.12 Å/px
    assert type(p).__name__ == "SymmetryProbabilities"
    assert type(u).__name__ == "SymmetryUncertainty"
    # 100 px windows (12 Å), 50 px stride (6 Å): (250 - 100) // 50 + 1 = 4
    assert p.data.shape == (10, 4, 4) == tuple(summary["probabilities_shape"])
    assert u.data.shape == (4, 4)
    assert u.metadata.Signal.quantity == "Mutual information (bits)"
    assert p.class_names[3] == "FCC_Cu_100"
    np.testing.assert_allclose(p.data.sum(axis=0), 1.0, atol=1e-4)
    assert p.axes_manager.signal_axes[0].scale == pytest.approx(6.0)
    # the shipped model places the grain windows and is unsure on the amorphous grain
    assert summary["crystal_windows"] >= 1
    assert summary["crystal_accuracy"] >= 0.5
    assert summary["median_mi_amorphous"] > 10 * summary["median_mi_crystal"]
    png = (out / "maps.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


@pytest.mark.timeout(600)
def test_lazy_zarr(tmp_path):
    summary = run_example(
        "lazy_zarr.py",
        tmp_path,
        "--frames",
        "3",
        "--size",
        "160",
        "--stride",
        "32",
        "--samples",
        "5",
        "--quiet",
    )
    out = tmp_path / "out"
    movie = hs.load(out / "movie.zspy", lazy=True)
    assert type(movie).__name__ == "LazyAtomicResolution2D"
    assert movie.data.shape == (3, 160, 160)
    assert movie.data.chunks[0] == (1, 1, 1)  # one frame per zarr chunk
    p = hs.load(out / "probabilities.zspy", lazy=True)
    u = hs.load(out / "uncertainty.zspy", lazy=True)
    assert type(p).__name__ == "LazySymmetryProbabilities"
    assert type(u).__name__ == "LazySymmetryUncertainty"
    # (160 - 128) // 32 + 1 = 2 windows a side; navigation "class" then "time"
    assert p.data.shape == (3, 6, 2, 2)
    assert p.data.chunks[0] == (1, 1, 1)  # the input's chunks
    assert u.data.shape == (3, 2, 2)
    assert [ax.name for ax in p.axes_manager.navigation_axes] == ["class", "time"]
    data = np.asarray(p.data.compute())
    np.testing.assert_allclose(data.sum(axis=1), 1.0, atol=1e-4)
    # the simulated movie is a hexagonal lattice with a few small holes
    fractions = np.asarray(summary["phase_fractions"])
    assert fractions.shape == (3, 6)
    assert all(summary["class_names"][k] == "hexagonal" for k in fractions.argmax(axis=1))
    np.testing.assert_allclose(fractions, data.mean(axis=(-2, -1)), rtol=1e-5)
    assert len(summary["hole_fraction"]) == 3


@pytest.mark.timeout(600)
def test_dask_cluster(tmp_path):
    summary = run_example(
        "dask_cluster.py",
        tmp_path,
        "--frames",
        "2",
        "--size",
        "160",
        "--stride",
        "60",
        "--samples",
        "5",
        "--workers",
        "1",
    )
    out = tmp_path / "out"
    # one worker gets all the cores, so TensorFlow runs with as many threads as in the
    # threaded run, and the kernels sum in the same order
    assert summary["bit_identical"] is True, summary
    assert summary["max_abs_difference"] == 0.0
    assert summary["same_class_fraction"] == 1.0
    p = hs.load(out / "probabilities.zspy")
    u = hs.load(out / "uncertainty.zspy")
    assert p.data.shape == (2, 10, 2, 2)  # (160 - 100) // 60 + 1 = 2
    assert u.data.shape == (2, 2, 2)
    assert summary["task_bytes"] < 20_000  # the model travels by name
    assert list(summary["workers_models"].values()) == [["aistem"]]
    assert summary["most_frequent_class"] == summary["true_class"] == ["BCC_Fe_100", "BCC_Fe_110"]


@pytest.mark.timeout(900)
def test_add_class(tmp_path):
    from hyperspy_symmetry.models import ModelCard, sha256_file

    models = tmp_path / "models"
    summary = run_example(
        "add_class.py", tmp_path, "--quick", "--workers", "1", "--models-dir", str(models)
    )
    folder = models / "aistem_au"
    card = ModelCard.load(folder / "card.json")
    assert card.classes[-1] == "FCC_Au_110" and len(card.classes) == 11
    assert card.classes[:10] == summary["classes"][:10]
    assert card.sha256 == sha256_file(folder / card.weights)
    assert card.training["base_model"]["name"] == "aistem"
    assert summary["listed_by_name"] and summary["by_name_equals_by_path"]
    p = hs.load(tmp_path / "out" / "probabilities.zspy")
    assert p.class_names == card.classes
    assert p.data.shape == (11, 3, 3)  # 200 px, 100 px windows, 40 px
    np.testing.assert_allclose(p.data.sum(axis=0), 1.0, atol=1e-4)
    assert 0.0 <= summary["accuracy_new_classes"] <= 1.0
    assert summary["accuracy_old_classes"] >= 0.5  # the old classes survive
