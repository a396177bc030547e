"""Scale-free ``bravais`` classification: accuracy per class and lattice period, defaults.

For every lattice class and every period (the shortest lattice spacing, px of the image)
``--images`` simulated images (random rotation, column shape, cell and displacements of
:func:`hyperspy_symmetry.simulate.bravais.sample_lattice`, plus Gaussian noise of
``--noise`` times the image range) are classified with the shipped ``bravais`` model at
default window and stride (windows scaled to each image's measured period), T =
``--samples``. Each image is about 1.8 windows wide, so it holds a few dozen windows. The
fraction of windows of the true class, the measured period, the window and stride chosen,
the time of the period measurement, and per image its share of windows right and whether
the lattice geometry check (:mod:`hyperspy_symmetry.class_geometry`) ruled its class out
are written as JSON. The table in
``docs/benchmarks.md`` comes from::

    nice .venv/bin/python benchmarks/bench_scale_free.py \\
        --json benchmarks/results/scale_free.json

``--seed`` draws other images (the docs also give ``--seed 1``: 100 images never used to
choose anything). ``--mirror`` mirrors every image: the simulated lattices, like the
training set's, all have one handedness (an oblique cell's ``b`` turned counter-clockwise
from ``a``), which rotations keep; real lattices come in both. ``--real`` adds the real
MoS2 image of the test tier (``tests/realdata.py``) at default arguments, T =
``--real-samples``: the fraction of windows in each class.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np


def scale_free_table(periods, images, samples, noise, seed=0, classes=None, mirror=False):
    import hyperspy.api as hs

    from hyperspy_symmetry.class_geometry import LatticeGeometryWarning
    from hyperspy_symmetry.fft_lattice import frame_periods
    from hyperspy_symmetry.scale_free import TARGET_PERIOD
    from hyperspy_symmetry.simulate.bravais import BRAVAIS_CLASSES, bravais_array, sample_lattice

    rows = []
    for ci, name in enumerate(BRAVAIS_CLASSES[:5]):
        if classes and name not in classes:
            continue
        for period in periods:
            right = total = 0
            measured, seconds, windows, per_image = [], [], [], []
            for k in range(images):
                case = [seed, ci, int(period * 10), k]
                # The draws do not depend on what is fixed: the same cell, scaled to `period`.
                nn_unit = (
                    sample_lattice(name, np.random.default_rng(case), a=10.0)["nn_distance"] / 10.0
                )
                size = int(max(96, 1.8 * 128 * period / TARGET_PERIOD * 1.2))
                img, p = bravais_array(name, size, np.random.default_rng(case), a=period / nn_unit)
                img = img + noise * np.random.default_rng(case + [1]).standard_normal(img.shape)
                if mirror:  # the other handedness: rotations alone never give it
                    img = img[:, ::-1]
                t = time.perf_counter()
                found = frame_periods(img, plausible=True)  # as classify_symmetry measures it
                seconds.append(time.perf_counter() - t)
                measured.append(float(found[0]))
                s = hs.signals.Signal2D(img.astype(np.float32))
                s.set_signal_type("atomic_resolution")
                with warnings.catch_warnings():  # the geometry check is recorded below
                    warnings.simplefilter("ignore", LatticeGeometryWarning)
                    prob = s.classify_symmetry(
                        "bravais", n_samples=samples, seed=0, show_progressbar=False
                    )
                labels = prob.predicted_class().data
                right += int((labels == ci).sum())
                total += labels.size
                per_image.append(
                    {
                        "accuracy": round(float((labels == ci).mean()), 4),
                        "lattice_check_ok": prob.metadata.Symmetry.lattice_check.ok,
                    }
                )
                windows.append(
                    (
                        int(prob.metadata.Symmetry.window_size),
                        int(prob.metadata.Symmetry.stride),
                        size,
                    )
                )
            rows.append(
                {
                    "class": name,
                    "period": period,
                    "accuracy": round(right / total, 4),
                    "n_windows": total,
                    "n_images": images,
                    "measured_period_median": round(float(np.nanmedian(measured)), 3),
                    "window_stride_image": windows,
                    "period_seconds_mean": round(float(np.mean(seconds)), 3),
                    "images": per_image,
                }
            )
            print(
                f"{name:22s} {period:5.1f} px  accuracy {right / total:.3f} "
                f"({total} windows)  measured {np.nanmedian(measured):.2f}  "
                f"window/stride/image {windows[0]}  {np.mean(seconds):.2f} s",
                flush=True,
            )
    return rows


def real_mos2(samples: int, seed: int = 0) -> dict:
    """The real MoS2 image of the test tier (temul-toolkit 0.1.9, 60 kV HAADF, 1024 px at
    0.127 Å/px) with the shipped ``bravais`` model at default window and stride."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
    from realdata import MOS2, load_real

    s = load_real(MOS2)
    t = time.perf_counter()
    p = s.classify_symmetry("bravais", n_samples=samples, seed=seed, show_progressbar=False)
    u = s.mc_uncertainty("bravais", n_samples=samples, seed=seed, show_progressbar=False)
    seconds = time.perf_counter() - t
    labels = np.asarray(p.predicted_class().data)
    md = p.metadata.Symmetry
    fractions = {
        name: round(float((labels == i).mean()), 4) for i, name in enumerate(p.class_names)
    }
    result = {
        "image": "real MoS2 (temul-toolkit 0.1.9 example_Se_implanted_MoS2.dm3)",
        "n_windows": int(labels.size),
        "class_fractions": fractions,
        "median_mi_bits": round(float(np.median(u.data)), 4),
        "measured_period_px": round(float(md.measured_period), 3),
        "window_stride_px": [int(md.window_size), int(md.stride)],
        "mc_samples": samples,
        "seconds": round(seconds, 1),
    }
    print(result, flush=True)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--periods", type=float, nargs="+", default=[4, 5, 6, 8, 12, 20, 30, 40, 60, 80]
    )
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--classes", nargs="*")
    parser.add_argument(
        "--mirror",
        action="store_true",
        help="mirror every image (left-right): lattices of the other handedness",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the images (0: the table in the docs)"
    )
    parser.add_argument("--json")
    parser.add_argument(
        "--real", action="store_true", help="also the real MoS2 image of the test tier"
    )
    parser.add_argument("--real-samples", type=int, default=100)
    args = parser.parse_args(argv)
    t = time.perf_counter()
    rows = scale_free_table(
        args.periods,
        args.images,
        args.samples,
        args.noise,
        seed=args.seed,
        classes=args.classes,
        mirror=args.mirror,
    )
    images = [image for row in rows for image in row["images"]]
    flags = {
        kind: {
            "images": len(chosen),
            "ruled_out": sum(image["lattice_check_ok"] is False for image in chosen),
        }
        for kind, chosen in (
            ("wrong (under 50 % right)", [i for i in images if i["accuracy"] < 0.5]),
            ("right (90 % or more)", [i for i in images if i["accuracy"] >= 0.9]),
        )
    }
    print("lattice check:", flags, flush=True)
    result = {
        "periods": args.periods,
        "images_per_case": args.images,
        "mc_samples": args.samples,
        "noise": args.noise,
        "seed": args.seed,
        "mirror": args.mirror,
        "lattice_check": flags,
        "rows": rows,
        "seconds": round(time.perf_counter() - t, 1),
    }
    if args.real:
        result["real_mos2"] = real_mos2(args.real_samples)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1)


if __name__ == "__main__":
    main()
