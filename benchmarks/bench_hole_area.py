"""Noise phase fraction against the true hole area of damage movies, and the growth rate.

For each seed, ``simulate.damage_movie(n_frames=24, seed=S)`` (384 px frames, 10 s per
frame, rho = 0.02 /s) is classified by the shipped ``bravais`` model with 128 px windows
every ``--strides`` px (T = ``--samples``, ``--dropout``), and the ``noise`` fraction of
every frame is compared with ``truth["hole_fraction"]`` (mean absolute error over frames),
as the paper defines it (``p.phase_fractions()``, the mean probability), as the hole
area solved from the windows' ``noise`` probabilities (``p.phase_fractions(hole_area=True)``)
and as the hole area solved from the windows' Bragg amplitudes
(``p.phase_fractions(hole_area=True, image=movie)``). ``fit_growth("noise", baseline_until=T/3)``
(T: the movie's duration) gives rho, also for the true hole fraction and for the
intensity-threshold cross-check (``movie.hole_fraction()``). Run::

    nice .venv/bin/python benchmarks/bench_hole_area.py --json benchmarks/results/hole_area.json

Goals (issue 15, point 4): per-frame MAE <= 0.03 and rho within 15 % on every seed.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
from bench_hole_readings import fitted_rho


def measure(seed: int, stride: int, samples: int, dropout: str) -> dict:
    """MAE and rho error of the raw and hole-area noise fractions of one damage movie."""
    from hyperspy_symmetry.analysis import fit_growth
    from hyperspy_symmetry.simulate import damage_movie

    movie, truth = damage_movie(n_frames=24, seed=seed)
    t = movie.axes_manager["time"]
    baseline = t.size * t.scale / 3.0
    start = time.perf_counter()
    p = movie.classify_symmetry(
        "bravais",
        window_size=128,
        stride=stride,
        n_samples=samples,
        seed=0,
        dropout=dropout,
        show_progressbar=False,
    )
    seconds = time.perf_counter() - start
    hf = np.asarray(truth["hole_fraction"])
    row = {"seed": seed, "stride": stride, "classify_s": round(seconds, 1)}
    start = time.perf_counter()
    bragg = p.phase_fractions(hole_area=True, image=movie, show_progressbar=False)
    row["bragg_s"] = round(time.perf_counter() - start, 1)
    for name, f in [
        ("raw", p.phase_fractions()),
        ("hole_area", p.phase_fractions(hole_area=True)),
        ("bragg", bragg),
    ]:
        noise = f.data[f.class_names.index("noise")]
        fit = f.fit_growth("noise", baseline_until=baseline)
        row[f"{name}_mae"] = round(float(np.mean(np.abs(noise - hf))), 4)
        row[f"{name}_rho_error"] = round(float(fit["rho"] / truth["rho"] - 1), 4)
    row["truth_rho_error"] = round(fitted_rho(hf, t.scale) / truth["rho"] - 1, 4)
    cross = fit_growth(movie.hole_fraction(), baseline)
    row["threshold_rho_error"] = round(float(cross["rho"] / truth["rho"] - 1), 4)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(3, 23, 2)))
    parser.add_argument("--strides", type=int, nargs="+", default=[32, 16])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--dropout", default="model", choices=["model", "all"])
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    rows = []
    for stride in args.strides:
        for seed in args.seeds:
            row = measure(seed, stride, args.samples, args.dropout)
            rows.append(row)
            print(json.dumps(row), flush=True)
            write(args, rows, summarise(rows, args.strides))  # kept if interrupted
    print(json.dumps(summarise(rows, args.strides), indent=1))
    write(args, rows, summarise(rows, args.strides))


def summarise(rows: list[dict], strides: list[int]) -> dict:
    """Per stride: the worst MAE and |rho error| of each reading, seeds meeting both goals."""
    summary = {}
    for stride in strides:
        sub = [r for r in rows if r["stride"] == stride]
        if not sub:
            continue
        summary[str(stride)] = {
            f"{name}_{what}": (
                max(r[f"{name}_mae"] for r in sub)
                if what == "max_mae"
                else max(abs(r[f"{name}_rho_error"]) for r in sub)
            )
            for name in ("raw", "hole_area", "bragg")
            for what in ("max_mae", "max_abs_rho_error")
        }
        for name in ("raw", "hole_area", "bragg"):
            summary[str(stride)][f"{name}_goals_met"] = sum(
                r[f"{name}_mae"] <= 0.03 and abs(r[f"{name}_rho_error"]) <= 0.15 for r in sub
            )
        summary[str(stride)]["n_seeds"] = len(sub)
    return summary


def write(args, rows: list[dict], summary: dict) -> None:
    """The arguments, machine, rows and summary as JSON at ``--json`` (if given)."""
    if not args.json:
        return
    with open(args.json, "w") as fh:
        json.dump(
            {
                "arguments": vars(args),
                "machine": f"{platform.machine()}, {platform.processor() or ''}".strip(", "),
                "rows": rows,
                "summary": summary,
            },
            fh,
            indent=1,
        )


if __name__ == "__main__":
    main()
