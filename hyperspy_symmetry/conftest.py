"""Names the docstring examples of hyperspy_symmetry use (pytest ``doctest_namespace``).

The examples of the signal methods run on small real results: ``s`` (a 200x200 px
calibrated lattice image, 0.12 Å/px), ``p`` and ``u`` (its classification with
``tiny_model``, the folder of a small random-weight model with the ``aistem`` class names,
which finds ``FCC_Cu_100`` everywhere), ``movie`` (three frames of it, over ``time`` in s)
and ``f`` (the movie's phase fractions). They are built once per session, and only when a
doctest runs. Examples that need trained classes use the shipped models on these images.
Each doctest runs in a fresh temporary folder (the files an example writes land there) with
matplotlib's Agg backend, and its figures are closed after.
"""

from __future__ import annotations

import pytest
from _pytest.doctest import DoctestItem


@pytest.fixture(scope="session")
def _doctest_results(tmp_path_factory):
    import sys
    from pathlib import Path

    import hyperspy.api as hs
    import numpy as np

    sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
    from conftest import calibrated, lattice_image, make_model_folder

    from hyperspy_symmetry.models import resolve_model

    model = make_model_folder(
        tmp_path_factory.mktemp("doctest") / "tiny",
        "aistem",
        classes=list(resolve_model("aistem")[0].classes),
    )
    s = calibrated(lattice_image((200, 200), period=(17.0, 17.0)))
    s.metadata.General.title = "Cu"
    kw = dict(model=model, window_size="12 Å", stride="4.8 Å", n_samples=4, seed=0)
    p, u = s.classify_symmetry(**kw), s.mc_uncertainty(**kw)
    movie = calibrated(
        np.stack([lattice_image((200, 200), (17.0, 17.0), seed=k) for k in range(3)])
    )
    time = movie.axes_manager.navigation_axes[0]
    time.name, time.scale, time.units = "time", 10.0, "s"
    f = movie.classify_symmetry(**kw).phase_fractions()
    return {
        "np": np,
        "hs": hs,
        "s": s,
        "p": p,
        "u": u,
        "movie": movie,
        "f": f,
        "tiny_model": model,
    }


@pytest.fixture(autouse=True)
def _doctest_names(request, doctest_namespace):
    if not isinstance(request.node, DoctestItem):
        yield
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    doctest_namespace.update(request.getfixturevalue("_doctest_results"))
    request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))
    yield
    plt.close("all")
