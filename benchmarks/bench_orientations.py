"""How a HAADF model's uncertainty depends on a perfect crystal's orientation.

For every ``aistem`` class, clean simulated single crystals (200 px at 0.12 Å/px, seed 1,
no imperfection) are turned through every orientation in ``--step`` degree steps over 180°
and read with 100 px windows every 50 px (9 windows), T = 100, default sampling. An
orientation counts as flagged when at least half of its windows lie above the model's
interface threshold: the model then calls a perfect crystal an interface; ``--thresholds``
adds the same count at other thresholds. The table in ``docs/training.md`` comes from::

    .venv/bin/python benchmarks/bench_orientations.py --json benchmarks/results/orientations.json
    .venv/bin/python benchmarks/bench_orientations.py --model <another model> --thresholds 0.1
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_pipeline import finish


def orientation_scan(model: str, step: float, thresholds=()) -> dict:
    from hyperspy_symmetry.simulate import AISTEM_CLASSES, crystal_image

    results = {}
    for name in AISTEM_CLASSES:
        rotations = np.arange(0.0, 180.0, step)
        flagged, right, more = [], [], {t: [] for t in thresholds}
        for rotation in rotations:
            s = crystal_image(name, 200, rotation=float(rotation), seed=1)
            kw = dict(
                model=model, window_size=100, stride=50, n_samples=100, seed=0,
                show_progressbar=False,
            )  # fmt: skip
            p, u = s.classify_symmetry(**kw), s.mc_uncertainty(**kw)
            flagged.append(float(np.mean(np.asarray(u.data) > u.interface_threshold)))
            for t in thresholds:
                more[t].append(float(np.mean(np.asarray(u.data) > t)) >= 0.5)
            predicted = np.asarray(p.predicted_class().data)
            right.append(float(np.mean(predicted == list(p.class_names).index(name))))
        flagged, right = np.array(flagged), np.array(right)
        results[name] = {
            "orientations": len(rotations),
            "flagged": int((flagged >= 0.5).sum()),
            "flagged_at": rotations[flagged >= 0.5].round(1).tolist(),
            "windows_above_threshold": round(float(flagged.mean()), 4),
            "windows_right": round(float(right.mean()), 4),
            **{f"flagged_at_{t:g}_bits": int(np.sum(more[t])) for t in thresholds},
        }
        print(name, results[name], flush=True)
    return results


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="aistem", help="a model name or folder")
    parser.add_argument("--step", type=float, default=2.0, help="degrees between orientations")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[])
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    results = {"model": args.model, "step_degrees": args.step}
    results["classes"] = orientation_scan(args.model, args.step, args.thresholds)
    return finish(results, began, args.json)


if __name__ == "__main__":
    main()
