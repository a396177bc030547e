"""Registration of the signal types, lazy twins, and .zspy round trips."""

import subprocess
import sys

import hyperspy.api as hs
import numpy as np
import pytest
from conftest import calibrated, lattice_image

from hyperspy_symmetry.signals import (
    AtomicResolution2D,
    LazyAtomicResolution2D,
    LazySymmetryProbabilities,
    LazySymmetryUncertainty,
    SymmetryProbabilities,
    SymmetryUncertainty,
)


@pytest.mark.parametrize("signal_type", ["atomic_resolution", "STEM", "HAADF", "STM"])
def test_set_signal_type(signal_type):
    s = hs.signals.Signal2D(np.zeros((4, 64, 64)))
    s.set_signal_type(signal_type)
    assert isinstance(s, AtomicResolution2D)
    assert s._signal_type == "atomic_resolution"
    lazy = s.as_lazy()
    assert isinstance(lazy, LazyAtomicResolution2D) and lazy._lazy


def test_registered_with_hyperspy():
    from hyperspy.extensions import ALL_EXTENSIONS

    signals = ALL_EXTENSIONS["signals"]
    for name, signal_type, lazy in [
        ("AtomicResolution2D", "atomic_resolution", False),
        ("LazyAtomicResolution2D", "atomic_resolution", True),
        ("SymmetryProbabilities", "symmetry_probabilities", False),
        ("LazySymmetryProbabilities", "symmetry_probabilities", True),
        ("SymmetryUncertainty", "symmetry_uncertainty", False),
        ("LazySymmetryUncertainty", "symmetry_uncertainty", True),
    ]:
        assert signals[name]["signal_type"] == signal_type
        assert signals[name]["lazy"] is lazy
        assert signals[name]["signal_dimension"] == 2
    assert hs.print_known_signal_types is not None


def test_importing_and_setting_type_does_not_import_tensorflow(tmp_path):
    # nor abTEM: importing the simulation package and building the CLI stay light
    code = f"""
import sys
import numpy as np
import hyperspy.api as hs
s = hs.signals.Signal2D(np.zeros((64, 64)))
s.set_signal_type("atomic_resolution")
s.save(r"{tmp_path / "img.zspy"}")
t = hs.load(r"{tmp_path / "img.zspy"}", lazy=True)
t2 = hs.load(r"{tmp_path / "img.zspy"}", signal_type="STEM")
import hyperspy_symmetry
hyperspy_symmetry.list_models()
import hyperspy_symmetry.simulate, hyperspy_symmetry.lattice, hyperspy_symmetry.cli
hyperspy_symmetry.cli.build_parser()
assert "abtem" not in sys.modules
assert type(t).__name__ == "LazyAtomicResolution2D", type(t)
assert type(t2).__name__ == "AtomicResolution2D", type(t2)
bad = [m for m in ("tensorflow", "keras") if m in sys.modules]
assert not bad, bad
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "ok" in out.stdout


def test_load_with_signal_type(tmp_path):
    s = hs.signals.Signal2D(lattice_image((64, 80)))
    s.save(tmp_path / "plain.zspy")
    t = hs.load(tmp_path / "plain.zspy", signal_type="atomic_resolution")
    assert isinstance(t, AtomicResolution2D)
    t = hs.load(tmp_path / "plain.zspy", signal_type="atomic_resolution", lazy=True)
    assert isinstance(t, LazyAtomicResolution2D)


@pytest.mark.parametrize("lazy", [False, True])
def test_atomic_resolution_zspy_round_trip(tmp_path, lazy):
    s = calibrated(np.stack([lattice_image(seed=i) for i in range(2)]), scale=0.012, units="nm")
    s.metadata.General.title = "movie"
    s.axes_manager.navigation_axes[0].name = "time"
    s.axes_manager.navigation_axes[0].units = "s"
    s.axes_manager.navigation_axes[0].scale = 0.5
    s.save(tmp_path / "movie.zspy")
    t = hs.load(tmp_path / "movie.zspy", lazy=lazy)
    assert isinstance(t, LazyAtomicResolution2D if lazy else AtomicResolution2D)
    assert t.metadata.General.title == "movie"
    assert t.axes_manager.signal_axes[0].units == "nm"
    assert t.axes_manager.signal_axes[0].scale == pytest.approx(0.012)
    assert t.axes_manager.navigation_axes[0].name == "time"
    np.testing.assert_array_equal(np.asarray(t.data), s.data)


@pytest.mark.parametrize("lazy", [False, True])
def test_result_zspy_round_trip(tmp_path, tiny_aistem, lazy):
    s = calibrated(np.stack([lattice_image(seed=i) for i in range(2)]))
    kw = dict(model=tiny_aistem, window_size=100, stride=40, n_samples=4, seed=0)
    p = s.classify_symmetry(**kw)
    u = s.mc_uncertainty(measure="predictive_entropy", **kw)
    p.save(tmp_path / "p.zspy")
    u.save(tmp_path / "u.zspy")
    p2 = hs.load(tmp_path / "p.zspy", lazy=lazy)
    u2 = hs.load(tmp_path / "u.zspy", lazy=lazy)
    assert isinstance(p2, LazySymmetryProbabilities if lazy else SymmetryProbabilities)
    assert isinstance(u2, LazySymmetryUncertainty if lazy else SymmetryUncertainty)
    assert p2.class_names == p.class_names
    for key in (
        "model",
        "model_version",
        "model_sha256",
        "descriptor",
        "window_size",
        "stride",
        "n_samples",
        "seed",
    ):
        assert p2.metadata.Symmetry[key] == p.metadata.Symmetry[key]
    assert u2.metadata.Signal.quantity == "Predictive entropy (bits)"
    assert u2.measure == "predictive_entropy"
    assert p2.axes_manager.navigation_axes[0].name == "class"
    assert p2.axes_manager.signal_axes[0].scale == pytest.approx(40 * 0.12)
    np.testing.assert_array_equal(np.asarray(p2.data), p.data)
    np.testing.assert_array_equal(np.asarray(u2.data), u.data)
    # a loaded result still works
    assert p2.class_map("class_3").data.shape == (2, 4, 4)


def test_signal_type_names_match_the_registration():
    """``signal_types`` (the leaf module the plots, report and CLI read) agrees with the
    ``hyperspy_extension.yaml`` that HyperSpy reads."""
    from importlib.resources import files

    import yaml

    from hyperspy_symmetry import signal_types

    spec = yaml.safe_load(
        files("hyperspy_symmetry").joinpath("hyperspy_extension.yaml").read_text()
    )["signals"]
    assert spec["AtomicResolution2D"]["signal_type"] == signal_types.IMAGE
    assert tuple(spec["AtomicResolution2D"]["signal_type_aliases"]) == signal_types.IMAGE_ALIASES
    assert spec["SymmetryProbabilities"]["signal_type"] == signal_types.PROBABILITIES
    assert spec["SymmetryUncertainty"]["signal_type"] == signal_types.UNCERTAINTY
    assert spec["PhaseFractions"]["signal_type"] == signal_types.PHASE_FRACTIONS
