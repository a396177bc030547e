"""``bravais``: a window's ``noise`` probability against the hole coverage it holds.

The hole-area estimate of a movie (``p.phase_fractions(hole_area=True)``) reads each window's
mean ``noise`` probability as the window's Hann-weighted hole coverage. This compares the
two, binned by coverage:

- on damage movies (``simulate.damage_movie(n_frames=24, seed=S)``, 384 px frames, 128 px
  windows every ``--stride`` px, T = ``--samples``, default sampling): the coverage of each
  window from the movie's hole masks, weighted as the descriptor weights pixels;
- on lattice windows with holes from the model's own training recipe (seed 5, never used in
  training, which also seeds the Monte-Carlo masks), as trained (hole centres inside the
  window) and with the centres drawn up to a window beyond its edges
  (``holes["centre_reach"] = 1``), as a movie's large holes reach into a window.

Run::

    .venv/bin/python benchmarks/bench_hole_coverage.py --json benchmarks/results/hole_coverage.json
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
from bench_hole_readings import movie_readings, window_coverage
from bench_pipeline import write_json

#: Coverage bins (upper edges a little above 1 so that full windows fall in the last).
BINS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0001)


def binned(coverage: np.ndarray, p_noise: np.ndarray) -> list[dict]:
    """Per coverage bin: the windows, their mean coverage and mean and median ``p(noise)``."""
    index = np.digitize(coverage, BINS) - 1
    rows = []
    for b in range(len(BINS) - 1):
        m = index == b
        if m.any():
            rows.append(
                {
                    "coverage_bin": [BINS[b], min(BINS[b + 1], 1.0)],
                    "n_windows": int(m.sum()),
                    "mean_coverage": round(float(coverage[m].mean()), 4),
                    "mean_p_noise": round(float(p_noise[m].mean()), 4),
                    "median_p_noise": round(float(np.median(p_noise[m])), 4),
                }
            )
    return rows


def movie_windows(seeds: list[int], stride: int, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Hann-weighted coverage and ``p(noise)`` of every window of every frame."""
    movies = movie_readings(seeds, samples, stride).values()
    coverage = [window_coverage(m["holes"], 1.0, stride).ravel() for m in movies]
    return np.concatenate(coverage), np.concatenate([m["p_noise"].ravel() for m in movies])


def recipe_windows(reach: float, per_class: int, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Coverage and ``p(noise)`` of lattice windows with holes from the model's recipe."""
    import hyperspy_symmetry as hss
    from hyperspy_symmetry.simulate import TrainingSetRecipe
    from hyperspy_symmetry.training.trainer import hole_window_predictions

    model = hss.load_model("bravais")
    recipe = TrainingSetRecipe.from_dict(model.card.training["data_recipe"])
    recipe = replace(recipe, holes=dict(recipe.holes, centre_reach=reach))
    coverage, p_noise = hole_window_predictions(
        model.network, recipe, per_class, samples, 5, **model.card.sampling
    )
    return coverage.astype(float), p_noise


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(3, 23, 2)))
    parser.add_argument("--stride", type=int, default=32)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--per-class", type=int, default=200, help="recipe windows per class")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    results = {"arguments": vars(args)}
    cases = {
        "damage movies": lambda: movie_windows(args.seeds, args.stride, args.samples),
        "recipe, holes centred inside the window (as trained)": lambda: recipe_windows(
            0.0, args.per_class, args.samples
        ),
        "recipe, hole centres up to a window beyond its edges": lambda: recipe_windows(
            1.0, args.per_class, args.samples
        ),
    }
    for name, run in cases.items():
        rows = binned(*run())
        results[name] = rows
        print(name)
        for r in rows:
            lo, hi = r["coverage_bin"]
            print(
                f"  coverage {lo:.2f}-{hi:.2f}: {r['n_windows']:5d} windows, mean coverage "
                f"{r['mean_coverage']:.3f}, mean p(noise) {r['mean_p_noise']:.3f}, "
                f"median {r['median_p_noise']:.3f}"
            )
    if args.json:
        write_json(results, args.json)
    return results


if __name__ == "__main__":
    main()
