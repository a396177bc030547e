"""The user guide's notebooks (docs/notebooks) run from top to bottom without an error.

They run small (``HYPERSPY_SYMMETRY_SMALL=1``) on a fresh kernel, with nbclient, the engine
of nbmake (``pytest --nbmake docs/notebooks`` runs them the same way at full size). What they
print is checked where it is a result.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import hyperspy_symmetry as hss

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "docs" / "notebooks"
NAMES = ["one_image", "movie", "big_data", "cluster", "real_image"]

pytestmark = pytest.mark.skipif(
    not {"aistem", "bravais"} <= set(hss.list_models()), reason="shipped weights missing"
)


def run_small(name: str, monkeypatch) -> tuple[object, str]:
    """Execute a notebook small; returns it and all its text output."""
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    monkeypatch.setenv("HYPERSPY_SYMMETRY_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    client = nbclient.NotebookClient(
        book, timeout=240, kernel_name="python3", resources={"metadata": {"path": NOTEBOOKS}}
    )
    client.execute()
    text = "\n".join(
        output.get("text", "") or output.get("data", {}).get("text/plain", "")
        for cell in book.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    return book, text


def images(book) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in book.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def test_notebooks_are_the_guide_pages():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)
    for name in NAMES:
        book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(book)
        code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
        assert "HYPERSPY_SYMMETRY_SMALL" in code
        # rendered in the docs with their outputs: the committed copies are executed
        assert all(c.execution_count for c in book.cells if c.cell_type == "code"), name
        assert images(book) >= 1, name


def test_one_image_notebook(monkeypatch):
    book, text = run_small("one_image", monkeypatch)
    assert images(book) == 2
    grains = re.search(r"\d+ grains: \[(.*?)\]", text).group(1)
    assert set(grains.split(", ")) == {"'FCC_Cu_100'"}
    truth, measured = re.search(
        r"true rotations: \[(.*?)\] measured medians: \[(.*?)\]", text
    ).groups()
    for true, found in zip(truth.split(","), measured.split(","), strict=True):
        assert abs((float(found) - float(true) + 45) % 90 - 45) < 1.5


def test_movie_notebook(monkeypatch):
    book, text = run_small("movie", monkeypatch)
    assert images(book) == 3
    rho = {
        name: float(value)
        for name, value in re.findall(r"(noise|hole) fraction: rho = ([0-9.]+)", text)
    }
    assert set(rho) == {"noise", "hole"} and all(value > 0 for value in rho.values())
    bragg, error = re.search(
        r"hole area \(Bragg\): rho = ([0-9.]+) .* mean error per frame ([0-9.]+)", text
    ).groups()
    assert float(bragg) > 0 and float(error) < 0.03


def test_big_data_notebook(monkeypatch):
    book, text = run_small("big_data", monkeypatch)
    assert "LazyAtomicResolution2D" in text and "LazySymmetryProbabilities" in text
    assert "round trip identical: True" in text
    assert "bit-identical: True" in text
    assert images(book) == 1


def test_cluster_notebook(monkeypatch):
    _, text = run_small("cluster", monkeypatch)
    assert "bit-identical to the threaded run: True" in text
    for name in ("FCC_Cu_100", "BCC_Fe_110"):
        assert f"{name} -> {name}" in text


def test_real_image_notebook(monkeypatch):
    book, text = run_small("real_image", monkeypatch)
    assert "window: 160 px" in text
    assert images(book) == 1
    carbon = re.search(r"carbon windows: (\d+), above [\d.]+ bits: (\d+)%", text)
    assert int(carbon.group(1)) >= 5 and int(carbon.group(2)) >= 90
    gold = re.search(r"gold windows: (\d+), uncertain: \d+%, confident ones: \{(.*)\}", text)
    assert int(gold.group(1)) >= 5
    assert all(
        name.strip("' ").startswith("FCC")
        for name, _ in re.findall(r"([^,:]+): (\d+)", gold.group(2))
    )
