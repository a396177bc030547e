"""Hole area on a real lattice: the real MoS2 image with holes of vacuum cut into it.

No real movie with holes and a known hole area ships with a public wheel, so this takes the
real-data tier's 60 kV HAADF-STEM image of MoS2 (temul-toolkit 0.1.9, 1024 px at
0.127 Å/px, ``tests/realdata.py``: its lattice contrast, distortions and noise are real) and
cuts ``--frames`` frames of growing round holes into it (``--holes`` sites; hole pixels set
to the image's 1st-percentile intensity plus Gaussian noise of the image's pixel-to-pixel
noise). Each frame is classified by the shipped ``bravais`` model at default arguments (the
scale-free windows), and the ``noise`` fraction per frame is compared with the cut area:
the mean probability, the hole area from the ``noise`` probabilities and the hole area from
the Bragg amplitudes (``p.phase_fractions(hole_area=True, image=movie)``). The first frame
has no hole: its hole area is what each reading makes of the real, whole lattice. Run::

    nice .venv/bin/python benchmarks/bench_hole_area_real.py \\
        --json benchmarks/results/hole_area_real.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def main(argv=None):
    from realdata import MOS2, holed_movie, load_real

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=9)
    parser.add_argument("--holes", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    real = load_real(MOS2)
    rows = []
    for seed in args.seeds:
        movie, masks = holed_movie(real, args.frames, args.holes, seed)
        start = time.perf_counter()
        p = movie.classify_symmetry("bravais", n_samples=args.samples, seed=0)
        seconds = time.perf_counter() - start
        truth = masks.mean(axis=(1, 2))
        row = {
            "seed": seed,
            "window_size": int(p.metadata.Symmetry.window_size),
            "stride": int(p.metadata.Symmetry.stride),
            "classify_s": round(seconds, 1),
            "true_hole_fraction": np.round(truth, 4).tolist(),
        }
        for name, f in [
            ("raw", p.phase_fractions()),
            ("hole_area", p.phase_fractions(hole_area=True)),
            ("bragg", p.phase_fractions(hole_area=True, image=movie, show_progressbar=False)),
        ]:
            noise = np.asarray(f.data[f.class_names.index("noise")], dtype=float)
            row[name] = np.round(noise, 4).tolist()
            row[f"{name}_mae"] = round(float(np.mean(np.abs(noise - truth))), 4)
            row[f"{name}_first_frame"] = round(float(noise[0]), 4)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "arguments": vars(args),
                    "machine": f"{platform.machine()}, {platform.processor() or ''}".strip(", "),
                    "image": "real MoS2 (temul-toolkit 0.1.9 example_Se_implanted_MoS2.dm3)",
                    "rows": rows,
                },
                fh,
                indent=1,
            )


if __name__ == "__main__":
    main()
