"""``pip install hyperspy-symmetry`` without the ``[simulate]`` extra (abTEM, ASE) classifies,
segments, plots, measures lattice rotations and runs the CLI.

The work runs in a subprocess in which importing ``abtem`` or ``ase`` raises ImportError (a
``sys.meta_path`` finder installed before anything else), on a crystal simulated here, in
the test's own process, where abTEM is installed.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import hyperspy_symmetry as hss

ROOT = Path(__file__).parents[1]

#: Installed first in the child: abTEM and ASE cannot be imported, as without [simulate].
BLOCKER = """
import sys

class _NoSimulateExtra:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("abtem", "ase"):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, _NoSimulateExtra())
"""

CHILD = """
import json, sys
import matplotlib
matplotlib.use("Agg")
import hyperspy.api as hs
import numpy as np

from hyperspy_symmetry.cli import main

image_path, out = sys.argv[1], sys.argv[2]
s = hs.load(image_path, signal_type="atomic_resolution")
kwargs = dict(model="aistem", stride=30, n_samples=8, seed=0)
p = s.classify_symmetry(**kwargs)
u = s.mc_uncertainty(**kwargs)
segmentation = u.segment(probabilities=p)
ax = u.plot_map(image=s)
ax.figure.savefig(out + "/uncertainty.png")
ax = p.plot_class_map(image=s)
ax.figure.savefig(out + "/classes.png")
rotation = s.lattice_rotation(probabilities=p, **kwargs)

crystal_error = ""
try:
    from hyperspy_symmetry.simulate import crystal_image
    crystal_image("FCC_Cu_100", size=64)
except ImportError as err:
    crystal_error = str(err)

codes = {
    "classify": main(["classify", image_path, "--out", out + "/cli", "--stride", "30",
                      "--samples", "8", "--seed", "0", "--quiet"]),
    "models": main(["models", "--json"]),
    "simulate_crystal": main(["simulate", "crystal", "FCC_Cu_100", "--size", "64",
                              "--out", out + "/cu.zspy"]),
}
result = {
    "classes": [p.class_names[k] for k in np.unique(p.predicted_class().data)],
    "mi_max": float(np.nanmax(u.data)),
    "bulk": np.asarray(segmentation.bulk.data).tolist(),
    "grain_classes": segmentation.grain_classes,
    "rotation": np.asarray(rotation.data).tolist(),
    "periods": rotation.metadata.Symmetry.periods.as_dictionary(),
    "crystal_error": crystal_error,
    "codes": codes,
    "loaded": sorted({m.split(".")[0] for m in sys.modules} & {"abtem", "ase"}),
}
print("RESULT " + json.dumps(result))
"""


@pytest.mark.skipif("aistem" not in hss.list_models(), reason="aistem weights not shipped")
def test_classify_segment_plot_rotation_and_cli_without_abtem_and_ase(tmp_path):
    from hyperspy_symmetry.simulate import crystal_image

    image = crystal_image("FCC_Cu_100", size=160, rotation=20.0, seed=0)
    image_path = tmp_path / "cu.zspy"
    image.save(str(image_path))

    out = tmp_path / "out"
    out.mkdir()
    code = BLOCKER + "\nexec(compile(sys.argv.pop(1), '<child>', 'exec'))"
    run = subprocess.run(
        [sys.executable, "-c", code, CHILD, str(image_path), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    line = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")][-1]
    result = json.loads(line[len("RESULT ") :])

    assert result["loaded"] == []
    assert result["classes"] == ["FCC_Cu_100"]
    assert result["mi_max"] < 0.1
    assert result["bulk"] == [[True] * 3] * 3
    assert result["grain_classes"] == ["FCC_Cu_100"]
    assert result["periods"] == {"FCC_Cu_100": 90.0}
    for row in result["rotation"]:
        for angle in row:
            assert angle == pytest.approx(20.0, abs=0.5)
    for name in ("uncertainty.png", "classes.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert result["codes"] == {"classify": 0, "models": 0, "simulate_crystal": 1}
    assert (out / "cli" / "summary.json").is_file()
    models = json.loads(run.stdout[run.stdout.index("[") : run.stdout.index("RESULT ")])
    assert {m["name"] for m in models} >= {"aistem", "bravais"}
    extra = "pip install 'hyperspy-symmetry[simulate]'"
    assert extra in result["crystal_error"]
    assert "error: Building crystal cells needs abTEM and ASE" in run.stderr
    assert extra in run.stderr
