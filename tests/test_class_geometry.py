"""The lattice class of the network against the lattice measured from the FFT peaks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hyperspy_symmetry.class_geometry import (
    GEOMETRY_TOLERANCE,
    LatticeGeometryWarning,
    check_class_geometry,
)
from hyperspy_symmetry.simulate.bravais import BRAVAIS_CLASSES, bravais_array, sample_lattice

NAMES = list(BRAVAIS_CLASSES)
RHOMBUS = [60.0, 60.0, 80.8]  # a centred rectangular cell (conventional b/a 1.18)


def _labels(*classes, shape=(4, 5)):
    """A stack of label maps, frame n all ``classes[n]`` (a name, or a list of names)."""
    out = []
    for names in classes:
        names = [names] if isinstance(names, str) else names
        flat = np.resize([NAMES.index(n) for n in names], shape[0] * shape[1])
        out.append(flat.reshape(shape))
    return np.stack(out)


def test_a_class_of_higher_symmetry_than_the_lattice_is_ruled_out():
    check = check_class_geometry(_labels("square")[0], NAMES, np.array(RHOMBUS))
    assert check.ok is False and check.frames_checked == 1
    (r,) = check.ruled_out
    assert (r["class"], r["closest_class"], r["share"]) == ("square", "centered_rectangular", 1.0)
    assert r["distance"] > GEOMETRY_TOLERANCE
    assert (r["a"], r["b"], r["gamma"]) == (60.0, 60.0, 80.8)
    message = check.message("bravais")
    assert "100% of the lattice windows as square" in message and "frame" not in message
    assert "closest class: centered_rectangular" in message
    md = check.metadata()
    assert md["ok"] is False and md["ruled_out"][0]["class"] == "square"


@pytest.mark.parametrize(
    "name, lattice",
    [
        ("centered_rectangular", RHOMBUS),  # its own class
        ("oblique", RHOMBUS),  # every lattice is oblique: a lower symmetry is never ruled out
        ("hexagonal", [10.0, 10.4, 61.5]),  # a hexagonal lattice drifted by 4 %
        ("square", [10.0, 10.3, 88.5]),  # a square one drifted by 3 % and sheared
    ],
)
def test_a_class_the_lattice_has_passes(name, lattice):
    check = check_class_geometry(_labels(name)[0], NAMES, np.array(lattice))
    assert check.ok is True and check.frames_checked == 1 and not check.ruled_out
    assert check.message() == ""


def test_frames_are_checked_one_by_one_and_only_where_one_class_dominates():
    labels = _labels(
        "hexagonal",  # 0: right
        "square",  # 1: ruled out by the rhombus
        ["square", "centered_rectangular"],  # 2: no dominant class: not checked
        ["square", "noise", "noise", "noise"],  # 3: noise is no lattice class: square rules
        "noise",  # 4: no lattice window
        "square",  # 5: no lattice measured
    )
    labels[3, 0, :3] = -1  # NaN windows
    lattices = np.array(
        [[10.0, 10.0, 60.0], RHOMBUS, RHOMBUS, RHOMBUS, RHOMBUS, [np.nan] * 3]
    ).reshape(2, 3, 3)
    check = check_class_geometry(labels.reshape(2, 3, 4, 5), NAMES, lattices)
    assert check.ok is False and check.frames_checked == 3
    assert [r["frame"] for r in check.ruled_out] == [1, 3]
    message = check.message("bravais", n_frames=6)
    assert "windows of frame 1 as square" in message and "(2 of 3 frames checked" in message
    # Nothing checkable: None, not True.
    nothing = check_class_geometry(labels[4:], NAMES, lattices.reshape(6, 3)[4:])
    assert nothing.ok is None and nothing.frames_checked == 0


def _oblique_read_as_centred():
    """The oblique image of the period table (12 px, b/a 1.30 at 76 deg) that ``bravais``
    reads as centred rectangular in every window (docs/benchmarks.md)."""
    name, period, case = "oblique", 12.0, [0, NAMES.index("oblique"), 120, 1]
    nn_unit = sample_lattice(name, np.random.default_rng(case), a=10.0)["nn_distance"] / 10.0
    img, _ = bravais_array(name, 331, np.random.default_rng(case), a=period / nn_unit)
    return img + 0.1 * np.random.default_rng(case + [1]).standard_normal(img.shape)


def test_classify_warns_when_the_measured_lattice_rules_the_class_out():
    import hyperspy.api as hs

    s = hs.signals.Signal2D(_oblique_read_as_centred().astype(np.float32))
    s.set_signal_type("atomic_resolution")
    with pytest.warns(LatticeGeometryWarning, match="as centered_rectangular") as record:
        p = s.classify_symmetry("bravais", n_samples=30, seed=0, show_progressbar=False)
    assert len([w for w in record if w.category is LatticeGeometryWarning]) == 1
    check = p.metadata.Symmetry.lattice_check
    assert check.ok is False and check.ruled_out[0]["closest_class"] == "oblique"
    assert check.ruled_out[0]["distance"] == pytest.approx(0.18, abs=0.01)
    # An explicit window: no scale-free measurement, no check. A lazy result: not checked.
    with warnings.catch_warnings():
        warnings.simplefilter("error", LatticeGeometryWarning)
        explicit = s.classify_symmetry(
            "bravais", window_size=128, n_samples=5, seed=0, show_progressbar=False
        )
        lazy = s.as_lazy().classify_symmetry("bravais", n_samples=5, seed=0)
    assert not explicit.metadata.Symmetry.has_item("lattice_check")
    assert not lazy.metadata.Symmetry.has_item("lattice_check")
    with pytest.raises(ValueError, match="records no measured lattices"):
        explicit.lattice_check()
    # The method checks a lazy result alike (and warns); a sliced one no longer matches.
    with pytest.warns(LatticeGeometryWarning, match="as centered_rectangular"):
        assert lazy.lattice_check()["ruled_out"][0]["closest_class"] == "oblique"
    stack = hs.stack([s, s])
    with pytest.warns(LatticeGeometryWarning, match="windows of frame 0"):
        both = stack.classify_symmetry("bravais", n_samples=5, seed=0, show_progressbar=False)
    assert [r["frame"] for r in both.metadata.Symmetry.lattice_check.ruled_out] == [0, 1]
    with pytest.raises(ValueError, match="no longer match"):
        both.inav[:, 0].lattice_check()


def test_classify_records_a_passing_check_without_warning():
    img, _ = bravais_array("hexagonal", 300, 0, a=12.0)
    import hyperspy.api as hs

    s = hs.signals.Signal2D(img.astype(np.float32))
    s.set_signal_type("atomic_resolution")
    with warnings.catch_warnings():
        warnings.simplefilter("error", LatticeGeometryWarning)
        p = s.classify_symmetry("bravais", n_samples=10, seed=0, show_progressbar=False)
    check = p.metadata.Symmetry.lattice_check
    assert check.ok is True and check.frames_checked == 1 and check.ruled_out == []


def test_cli_summary_records_the_check(tmp_path, capsys):
    """``hyperspy-symmetry classify --model bravais`` at default window: the summary holds
    the lattice geometry check of the stored result, and the warning reaches the console."""
    import json

    import hyperspy.api as hs

    from hyperspy_symmetry.cli import main

    s = hs.signals.Signal2D(_oblique_read_as_centred().astype(np.float32))
    s.save(tmp_path / "oblique.zspy")
    out = tmp_path / "res"
    argv = ["classify", str(tmp_path / "oblique.zspy"), "--model", "bravais", "--out", str(out)]
    with pytest.warns(LatticeGeometryWarning, match="as centered_rectangular"):
        assert main(argv + ["--samples", "30", "--seed", "0", "--quiet"]) == 0
    check = json.loads((out / "summary.json").read_text())["lattice_check"]
    assert check["ok"] is False and check["ruled_out"][0]["closest_class"] == "oblique"
