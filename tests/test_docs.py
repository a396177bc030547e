"""The Sphinx documentation builds without a single warning, and has the pages it should."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")
pytest.importorskip("myst_nb")
pytest.importorskip("numpydoc")
pytest.importorskip("pydata_sphinx_theme")

# Build in a fresh interpreter (autodoc mocks Keras there) and report what it imported.
BUILD = """
import json, sys
from sphinx.cmd.build import build_main
rc = build_main(["-W", "--keep-going", "-q", "-b", "html", sys.argv[1], sys.argv[2]])
print(json.dumps({"rc": rc, "tensorflow": "tensorflow" in sys.modules}))
"""


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "html"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    run = subprocess.run(
        [sys.executable, "-c", BUILD, str(ROOT / "docs"), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["rc"] == 0, f"sphinx -W failed:\n{run.stderr[-5000:]}"
    return out, result


def text(out: Path, page: str) -> str:
    path = out / page
    assert path.is_file(), f"{page} was not built"
    return path.read_text(encoding="utf-8")


def test_build_has_no_warnings_and_imports_no_tensorflow(html):
    _, result = html
    assert result["rc"] == 0
    assert not result["tensorflow"], "building the docs imported TensorFlow"


def test_index_links_every_part(html):
    out, _ = html
    index = text(out, "index.html")
    for page in (
        "user_guide.html",
        "guide/one_image.html",
        "guide/movie.html",
        "guide/big_data.html",
        "guide/cluster.html",
        "guide/own_classes.html",
        "simulation.html",
        "training.html",
        "models.html",
        "benchmarks.html",
        "api/index.html",
        "cli.html",
    ):
        assert page in index, f"index does not link {page}"
        assert (out / page).is_file()


def test_signals_api_page_lists_the_methods(html):
    out, _ = html
    page = text(out, "api/signals.html")
    for name in (
        "AtomicResolution2D.classify_symmetry",
        "AtomicResolution2D.mc_uncertainty",
        "AtomicResolution2D.fft_descriptors",
        "SymmetryProbabilities.predicted_class",
        "SymmetryProbabilities.class_map",
        "SymmetryProbabilities.class_names",
        "SymmetryUncertainty.measure",
        "LazyAtomicResolution2D",
    ):
        assert f'id="hyperspy_symmetry.signals.{name}"' in page, name
    # numpydoc rendered the parameter sections, with the shared parameters filled in
    assert "window_size" in page and "n_samples" in page and "{common}" not in page
    # only this package's members: HyperSpy's own methods are not repeated
    assert 'id="hyperspy_symmetry.signals.AtomicResolution2D.rebin"' not in page


def test_module_pages_document_the_public_api(html):
    out, _ = html
    expected = {
        "api/toplevel.html": ["hyperspy_symmetry.list_models", "hyperspy_symmetry.load_model"],
        "api/models.html": [
            "hyperspy_symmetry.models.ModelCard",
            "hyperspy_symmetry.models.save_model",
            "hyperspy_symmetry.models.architectures.aistem_cnn",
        ],
        "api/simulate.html": [
            "hyperspy_symmetry.simulate.crystal_image",
            "hyperspy_symmetry.simulate.polycrystal_scene",
            "hyperspy_symmetry.simulate.bravais.bravais_image",
            "hyperspy_symmetry.simulate.augment.AugmentationRecipe",
        ],
        "api/training.html": [
            "hyperspy_symmetry.training.extend_model",
            "hyperspy_symmetry.training.train_model",
        ],
        "api/building_blocks.html": [
            "hyperspy_symmetry.windows.to_pixels",
            "hyperspy_symmetry.descriptors.fft_haadf",
            "hyperspy_symmetry.uncertainty.mc_statistics",
            "hyperspy_symmetry.lattice.measure_lattice",
        ],
    }
    for page, names in expected.items():
        content = text(out, page)
        for name in names:
            assert f'id="{name}"' in content, f"{name} missing from {page}"


@pytest.mark.parametrize("module", ["analysis", "plotting"])
def test_optional_module_pages(html, module):
    """``analysis`` and ``plotting`` pages document the module when it exists."""
    out, _ = html
    page = text(out, f"api/{module}.html")
    if importlib.util.find_spec(f"hyperspy_symmetry.{module}") is None:
        assert "is not part of this build" in page
    else:
        assert "is not part of this build" not in page
        assert f'id="module-hyperspy_symmetry.{module}"' in page


def test_cli_page_has_every_command(html):
    from hyperspy_symmetry.cli import build_parser

    out, _ = html
    page = text(out, "cli.html")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in commands.items():
        assert f'id="cli-{name}"' in page, name
        for action in sub._actions:
            if getattr(action, "choices", None) and action.dest == "kind":
                for kind in action.choices:
                    assert f'id="cli-{name}-{kind}"' in page, (name, kind)
    assert "--out" in page and "usage: hyperspy-symmetry" in page


def test_notebooks_are_rendered_with_their_plots(html):
    """The guide's notebooks are pages with their stored outputs: text and PNG plots."""
    out, _ = html
    assert "notebooks/index.html" in text(out, "user_guide.html")
    for name in ("one_image", "movie", "big_data", "cluster", "real_image"):
        page = text(out, f"notebooks/{name}.html")
        assert "cell_output" in page, name
        assert "<img" in page and "_images/" in page, f"{name} has no plot"
