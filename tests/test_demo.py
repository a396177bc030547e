"""The built-in demonstration (``hyperspy-symmetry demo``), at a small size."""

import json

import hyperspy.api as hs
import numpy as np
import pytest

import hyperspy_symmetry as hss
from hyperspy_symmetry.cli import main
from hyperspy_symmetry.demo import format_demo, run_demo

pytestmark = pytest.mark.skipif(
    not {"aistem", "bravais"} <= set(hss.list_models()), reason="needs the shipped models"
)


@pytest.mark.timeout(600)
def test_demo_writes_maps_fractions_and_a_true_summary(tmp_path):
    # 6 baseline frames (the demo fixes C from the first six), then 8 of growth.
    small_movie = dict(n_frames=14, size=256, frame_time=20.0)
    summary = run_demo(
        tmp_path,
        seed=1,
        n_samples=5,
        show_progressbar=False,
        log=lambda m: None,
        grain_size=16.0,
        movie=small_movie,
    )
    assert summary == json.loads((tmp_path / "summary.json").read_text())
    poly, movie = summary["polycrystal"], summary["damage_movie"]
    assert set(poly["grains"]) == {"BCC_Fe_100", "FCC_Cu_100", "HCP_Ti_0001", "amorphous"}
    for name in ("BCC_Fe_100", "FCC_Cu_100", "HCP_Ti_0001"):
        assert poly["grains"][name]["windows"] > 0 and poly["grains"][name]["correct"] >= 0.9
    assert (
        poly["grains"]["amorphous"]["mi_median"] > 10 * poly["grains"]["FCC_Cu_100"]["mi_median"]
    )
    assert 0 < poly["bulk_fraction"] < 1
    # the amorphous grain is mostly not bulk: the model flags it above its interface
    # threshold (here T = 5 and 16 Å grains; polycrystal_scene(seed=0) at T = 100: 99.8 %)
    assert poly["grains"]["amorphous"]["bulk"] <= 0.5
    assert poly["grains"]["FCC_Cu_100"]["bulk"] >= 0.9
    # The stores hold what the summary says.
    p = hs.load(tmp_path / "polycrystal_probabilities.zspy")
    u = hs.load(tmp_path / "polycrystal_uncertainty.zspy")
    assert p.metadata.Signal.signal_type == "symmetry_probabilities"
    assert u.data.size == poly["n_windows"] and p.data.shape[0] == 10
    f = hs.load(tmp_path / "damage_movie_phase_fractions.zspy")
    assert f.data.shape == (6, 14) and f.metadata.Signal.signal_type == "symmetry_phase_fractions"
    np.testing.assert_allclose(f.data.sum(axis=0), 1.0, rtol=1e-5)
    assert movie["true_rho"] == 0.02 and np.isfinite(movie["noise_fit"]["rho"])
    assert abs(movie["hole_threshold_rho_error"]) < 0.3
    # the hole area from the Bragg amplitudes follows the true hole fraction frame by frame
    assert movie["hole_area_mae"] < 0.03 and abs(movie["hole_area_rho_error"]) < 0.3
    for png in (
        "polycrystal_classes.png",
        "polycrystal_uncertainty.png",
        "damage_movie_fractions.png",
    ):
        assert (tmp_path / png).stat().st_size > 10_000
    text = format_demo(summary)
    assert "FCC_Cu_100" in text and "true rho 0.02" in text and "bulk" in text


def test_demo_command_line_errors_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["demo"])  # --out is required
    assert "--out" in capsys.readouterr().err
