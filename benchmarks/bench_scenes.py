"""Crystal interiors, amorphous grains and grain boundaries of fresh scenes, at a threshold.

A HAADF model's interface threshold is chosen on validation scenes
(``training.scenes.validation_threshold``: polycrystal seeds 200-207, perfect crystals at odd
degrees). This benchmark judges a model on scenes that choice never saw, read as a user reads
them (``mc_uncertainty``, 100 px windows every 10 px, T = 100, seed 0, default sampling):

- ``simulate.polycrystal_scene(seed)`` for each of ``--seeds`` (clean): the share of the
  windows wholly inside each crystalline grain that lie below the threshold, and of those
  wholly inside the amorphous grain that lie above it;
- the five bicrystals of the model card (``training.trainer.measure_scenes``: Cu [100] 22°
  with a disordered core, clean and with realistic noise, and sharp; the Fe [100] Σ5; the
  Ti [0001] 13° boundary) for each of ``--bicrystal-seeds``: the share of the windows
  centred on the boundary plane (within half a stride), within a quarter window of it, and
  of the windows wholly inside a grain, above or below the threshold;
- ``--boundary-windows`` windows of random bicrystals (``simulate.boundaries.
  boundary_windows``, seed ``--boundary-seed``; the boundary stage trains on seed 4): any
  two classes, the same one with at least 8° of effective misorientation half of the time,
  the HAADF-STEM imperfections. Of those whose smaller grain holds at least 0.3 of the
  descriptor's taper (the plane near the centre), the share above the threshold: all,
  same-class and two-class boundaries, same-class ones under 15°, and by class;
- the card's out-of-distribution windows (``training.ood.ood_descriptors("aistem", seed=2)``:
  40 windows each of amorphous Cu, Fe, Ti and C and featureless ones, with the HAADF-STEM
  imperfections): the share above the threshold, of all and of each kind.

Every figure is given at the model's own threshold and at each of ``--thresholds``. The
table in ``docs/training.md`` comes from::

    .venv/bin/python benchmarks/bench_scenes.py --json benchmarks/results/scenes_fresh.json
    .venv/bin/python benchmarks/bench_scenes.py --model <0.4.0 folder> --thresholds 0.236
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_pipeline import finish

WINDOW, STRIDE = 100, 10
#: The kinds of ``ood_descriptors("aistem")``, in its order (equal blocks).
OOD_KINDS = ("amorphous Cu", "amorphous Fe", "amorphous Ti", "amorphous C", "featureless")


def _mi(image, model: str) -> tuple[np.ndarray, float]:
    u = image.mc_uncertainty(
        model=model, window_size=WINDOW, stride=STRIDE, n_samples=100, seed=0,
        show_progressbar=False,
    )  # fmt: skip
    return np.asarray(u.data), float(u.interface_threshold)


def polycrystals(model: str, seeds, thresholds) -> dict:
    """Share of each crystalline grain below, and of each amorphous grain above, each
    threshold."""
    from hyperspy_symmetry.simulate import polycrystal_scene
    from hyperspy_symmetry.training.scenes import window_labels

    crystal, amorphous = [], []
    for seed in seeds:
        image, labels = polycrystal_scene(seed=seed)
        mi, _ = _mi(image, model)
        inside = window_labels(labels.data, WINDOW, STRIDE)
        for g, name in enumerate(labels.metadata.Symmetry.class_names):
            (amorphous if name == "amorphous" else crystal).append(mi[inside == g])
    out = {}
    for t in thresholds:
        below = np.array([np.mean(m < t) for m in crystal])
        above = np.array([np.mean(m > t) for m in amorphous])
        out[f"{t:g}"] = {
            "crystal_windows_below": round(float(np.mean(np.concatenate(crystal) < t)), 4),
            "crystal_grains": len(crystal),
            "grains_over_2_percent_above": int(np.sum(below < 0.98)),
            "amorphous_windows_above": round(float(np.mean(np.concatenate(amorphous) > t)), 4),
            "worst_amorphous_grain_above": round(float(above.min()), 4),
        }
    return out


def bicrystals(model: str, seeds, thresholds) -> dict:
    """Share of the boundary plane's windows, the quarter-window band and the grain
    interiors above or below each threshold, per boundary."""
    from hyperspy_symmetry.simulate import bicrystal
    from hyperspy_symmetry.simulate.augment import AugmentationRecipe
    from hyperspy_symmetry.training.scenes import CARD_BICRYSTALS, boundary_bands, window_labels

    maps = {}
    for b in CARD_BICRYSTALS.values():
        for seed in seeds:
            image, labels = bicrystal(
                b.class_name, b.misorientation, size=400, rotation=b.rotation, seed=seed,
                augmentation=AugmentationRecipe.realistic() if b.realistic else None,
                core_disorder=b.core_disorder,
            )  # fmt: skip
            mi, _ = _mi(image, model)
            bands = boundary_bands(labels.data, mi.shape[-1], WINDOW, STRIDE)
            inside = window_labels(labels.data, WINDOW, STRIDE)
            maps.setdefault(b.label, []).append(
                (mi[:, bands["plane"]], mi[:, bands["quarter"]], mi[inside >= 0])
            )
    out = {}
    for t in thresholds:
        out[f"{t:g}"] = {
            name: {
                "plane_above": round(float(np.mean([np.mean(p > t) for p, _, _ in v])), 4),
                "quarter_window_above": round(
                    float(np.mean([np.mean(q > t) for _, q, _ in v])), 4
                ),
                "interiors_below": round(float(np.mean([np.mean(b < t) for _, _, b in v])), 4),
            }
            for name, v in maps.items()
        }
    return out


def _descriptor_mi(loaded, x: np.ndarray) -> np.ndarray:
    """MI of descriptors ``x`` (n, 64, 64, 1) by a loaded model with the defaults' sampling,
    T = 100, seed 0."""
    adaptive = bool(loaded.card.adaptive_sampling)  # the defaults, as a user samples
    stats = loaded.statistics(x, 100, 0, precision="auto", adaptive=adaptive, dropout="model")
    return stats[:, len(loaded.class_names) + 1]


#: Smallest share of the descriptor's taper held by the smaller grain, for a window of
#: ``boundary_windows`` to count as on the boundary.
ON_BOUNDARY_SHARE = 0.3


def random_bicrystals(model: str, n: int, seed: int, thresholds) -> dict:
    """Share of random bicrystal windows on the boundary above each threshold, by kind."""
    import hyperspy_symmetry as hss
    from hyperspy_symmetry.descriptors import get_descriptor
    from hyperspy_symmetry.simulate.boundaries import boundary_draws, boundary_windows

    windows, share = boundary_windows(n, seed, num_workers=2)
    draws = boundary_draws(n, seed)
    loaded = hss.load_model(model)
    mi = _descriptor_mi(loaded, get_descriptor(loaded.card.descriptor)(windows)[..., None])
    on = share >= ON_BOUNDARY_SHARE
    same = np.array([d["classes"][0] == d["classes"][1] for d in draws])
    low = same & np.array([d["misorientation"] < 15.0 for d in draws])
    groups = {"all": on, "same class": on & same, "two classes": on & ~same}
    groups["same class, under 15°"] = on & low
    for name in sorted({d["classes"][0] for d in draws}):
        groups[f"same class: {name}"] = (
            on & same & np.array([d["classes"][0] == name for d in draws])
        )
    out = {"windows": int(n), "seed": int(seed), "on_boundary": int(on.sum())}
    for t in thresholds:
        out[f"{t:g}"] = {
            k: {"n": int(v.sum()), "above": round(float(np.mean(mi[v] > t)), 4)}
            for k, v in groups.items()
        }
    return out


def out_of_distribution(model: str, thresholds) -> dict:
    """Share of the card's out-of-distribution windows above each threshold, by kind."""
    import hyperspy_symmetry as hss
    from hyperspy_symmetry.training.ood import ood_descriptors

    x, _ = ood_descriptors("aistem", seed=2)
    mi = _descriptor_mi(hss.load_model(model), x)
    kinds = dict(zip(OOD_KINDS, np.array_split(mi, len(OOD_KINDS)), strict=True))
    return {
        f"{t:g}": {
            "all": round(float(np.mean(mi > t)), 4),
            **{kind: round(float(np.mean(v > t)), 4) for kind, v in kinds.items()},
        }
        for t in thresholds
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="aistem", help="a model name or folder")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(20, 40)))
    parser.add_argument("--bicrystal-seeds", type=int, nargs="+", default=[103, 104, 105])
    parser.add_argument("--boundary-windows", type=int, default=1500)
    parser.add_argument("--boundary-seed", type=int, default=77)
    parser.add_argument("--thresholds", type=float, nargs="*", default=[0.1])
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    import hyperspy_symmetry as hss

    began = time.perf_counter()
    card = hss.load_model(args.model).card
    own = card.threshold
    thresholds = sorted({own, *args.thresholds})
    results = {
        "model": args.model,
        "model_version": card.version,
        "model_threshold": own,
        "seeds": args.seeds,
        "bicrystal_seeds": args.bicrystal_seeds,
    }
    results["polycrystals"] = polycrystals(args.model, args.seeds, thresholds)
    print("polycrystals", results["polycrystals"], flush=True)
    results["bicrystals"] = bicrystals(args.model, args.bicrystal_seeds, thresholds)
    print("bicrystals", results["bicrystals"], flush=True)
    results["random_bicrystals"] = random_bicrystals(
        args.model, args.boundary_windows, args.boundary_seed, thresholds
    )
    print("random bicrystals", results["random_bicrystals"], flush=True)
    results["out_of_distribution"] = out_of_distribution(args.model, thresholds)
    print("out of distribution", results["out_of_distribution"], flush=True)
    return finish(results, began, args.json)


if __name__ == "__main__":
    main()
