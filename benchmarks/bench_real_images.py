"""What the shipped ``aistem`` model says on the real images of the test tier.

The real-data tier's images (``tests/realdata.py``: Au particles on amorphous carbon and MoS2
from temul-toolkit 0.1.9, a perovskite ADF crop from atomap 0.4.2; each fetched once from its
PyPI wheel and cached), classified with the default window and T, seed 0, stride 4.8 Å on the
Au image and 2.4 Å on the others. The Au image is split as ``tests/test_real_images.py``
splits it: windows wholly on the particles (Otsu's threshold on the smoothed HAADF intensity)
and windows of amorphous carbon only. For each set: the predicted classes, and the share of
windows above the model's interface threshold with their median and 10th-percentile mutual
information, and the classes of the windows below it (what the model says with confidence). The
table in ``docs/training.md`` comes from::

    .venv/bin/python benchmarks/bench_real_images.py --json benchmarks/results/real_images.json
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from bench_pipeline import write_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def summary(p, u, mask) -> dict:
    """Predicted classes, share above the threshold and median MI of the windows in ``mask``."""
    names = np.asarray(p.class_names)
    predicted = names[np.asarray(p.predicted_class().data)[mask]]
    classes, counts = np.unique(predicted, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    mi = np.asarray(u.data)[mask]
    sure, sure_counts = np.unique(predicted[mi <= u.interface_threshold], return_counts=True)
    return {
        "n_windows": int(mask.sum()),
        "classes": {str(classes[i]): round(float(counts[i] / mask.sum()), 4) for i in order},
        "above_threshold": round(float(np.mean(mi > u.interface_threshold)), 4),
        "median_mi_bits": round(float(np.median(mi)), 4),
        "p10_mi_bits": round(float(np.percentile(mi, 10)), 4),
        "below_threshold_classes": {
            str(c): int(n) for c, n in zip(sure.tolist(), sure_counts.tolist(), strict=True)
        },
    }


def main(argv=None) -> dict:
    from realdata import ATOMAP_ADF, AU_NANOPARTICLE, MOS2, bright_share, load_real

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument(
        "--model", default="aistem", help="a model name or folder (default: the shipped aistem)"
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    results: dict = {}
    s = load_real(AU_NANOPARTICLE)
    kw = dict(model=args.model, stride="4.8 Å", seed=0, show_progressbar=False)
    p, u = s.classify_symmetry(**kw), s.mc_uncertainty(**kw)
    md = p.metadata.Symmetry
    gold_share = bright_share(s.data, int(md.window_size), int(md.stride), u.data.shape)
    results["Au particles"] = summary(p, u, gold_share == 1)
    results["amorphous carbon"] = summary(p, u, gold_share == 0)
    for name, which, kwargs in (
        ("MoS2", MOS2, {}),
        ("perovskite", ATOMAP_ADF, {"file_format": "HSPY"}),
    ):
        s = load_real(which, **kwargs)
        kw = dict(model=args.model, stride="2.4 Å", seed=0, show_progressbar=False)
        p, u = s.classify_symmetry(**kw), s.mc_uncertainty(**kw)
        results[name] = summary(p, u, np.ones(u.data.shape, bool))
    results["model_version"] = str(p.metadata.Symmetry.model_version)
    for name, r in results.items():
        print(name, r)
    if args.json:
        write_json(results, args.json)
    return results


if __name__ == "__main__":
    main()
