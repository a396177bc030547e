"""Drifted hexagonal lattices: is hexagonal in the top 2, and does the readout see the drift?

A hexagonal lattice (random rotation, column shape and period ``--period`` px) is stretched
along the scan's x axis by ``1 + drift`` (uniaxial drift), rendered at ``--size`` px with
Gaussian noise ``--noise``, and classified by the shipped ``bravais`` model at default
window and stride (T = ``--samples``). Per drift: the fraction of windows whose two most
probable classes include hexagonal, the fraction predicted hexagonal, and the uniaxial
distortion that the Bragg-peak readout (:func:`hyperspy_symmetry.fft_lattice.distortion`)
measures on the whole image and per window (median), against the true drift. Run::

    nice .venv/bin/python benchmarks/bench_drift.py --json benchmarks/results/drift.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def drifted_hexagonal(drift, period, size, seed, noise=0.1):
    """Image and true reduced vectors of a hexagonal lattice stretched by ``1 + drift`` in x."""
    from hyperspy_symmetry.simulate.bravais import lattice_columns, render_columns, sample_lattice

    rng = np.random.default_rng(seed)
    p = sample_lattice("hexagonal", rng, a=period)
    p["vectors"] = (np.asarray(p["vectors"]) * [1.0 + drift, 1.0]).tolist()
    _, positions, intensities = lattice_columns(p, size, rng)
    img = render_columns(positions, size, p["column"], p["a"], intensities)
    img = (img - img.min()) / (img.max() - img.min())
    return img + noise * rng.standard_normal(img.shape), np.asarray(p["vectors"])


def main(argv=None):
    import hyperspy.api as hs

    from hyperspy_symmetry.fft_lattice import distortion, fft_lattice, window_lattices

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drifts", type=float, nargs="+", default=[0.0, 0.02, 0.04, 0.06])
    parser.add_argument("--period", type=float, default=14.0)
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    rows = []
    for drift in args.drifts:
        top2 = top1 = total = 0
        image_error, window_error = [], []
        for k in range(args.images):
            img, _ = drifted_hexagonal(drift, args.period, args.size, seed=k)
            s = hs.signals.Signal2D(img.astype(np.float32))
            s.set_signal_type("atomic_resolution")
            p = s.classify_symmetry(
                "bravais", n_samples=args.samples, seed=0, show_progressbar=False
            )
            hexagonal = p.class_names.index("hexagonal")
            order = np.argsort(p.data, axis=0)
            top2 += int(((order[-1] == hexagonal) | (order[-2] == hexagonal)).sum())
            top1 += int((order[-1] == hexagonal).sum())
            total += order[-1].size
            image_error.append(distortion(fft_lattice(img).vectors) - drift)
            w, st = int(p.metadata.Symmetry.window_size), int(p.metadata.Symmetry.stride)
            lat = window_lattices(img, w, st).reshape(3, -1).T
            g = np.radians(lat[:, 2])
            per_window = [
                distortion([[a, 0], [b * np.cos(t), b * np.sin(t)]])
                for a, b, t in zip(lat[:, 0], lat[:, 1], g, strict=False)
                if np.isfinite(a)
            ]
            window_error.append(float(np.median(per_window)) - drift)
        rows.append(
            {
                "drift": drift,
                "top2_hexagonal": round(top2 / total, 4),
                "top1_hexagonal": round(top1 / total, 4),
                "n_windows": total,
                "image_distortion_error_max": round(float(np.max(np.abs(image_error))), 5),
                "window_distortion_error_max": round(float(np.max(np.abs(window_error))), 5),
            }
        )
        print(rows[-1], flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "period": args.period,
                    "size": args.size,
                    "noise": args.noise,
                    "mc_samples": args.samples,
                    "rows": rows,
                },
                fh,
                indent=1,
            )


if __name__ == "__main__":
    main()
