"""Scale-free ``bravais`` classification: accuracy per class and lattice period, defaults.

For every lattice class and every period (the shortest lattice spacing, px of the image)
``--images`` simulated images (random rotation, column shape, cell and displacements of
:func:`hyperspy_symmetry.simulate.bravais.sample_lattice`, plus Gaussian noise of
``--noise`` times the image range) are classified with the shipped ``bravais`` model at
default window and stride (windows scaled to each image's measured period), T =
``--samples``. Each image is about 1.8 windows wide, so it holds a few dozen windows. The
fraction of windows of the true class, the measured period, the window and stride chosen
and the time of the period measurement are written as JSON. The table in
``docs/benchmarks.md`` comes from::

    nice .venv/bin/python benchmarks/bench_scale_free.py \\
        --json benchmarks/results/scale_free.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def scale_free_table(periods, images, samples, noise, seed=0, classes=None):
    import hyperspy.api as hs

    from hyperspy_symmetry.fft_lattice import frame_periods
    from hyperspy_symmetry.scale_free import TARGET_PERIOD
    from hyperspy_symmetry.simulate.bravais import BRAVAIS_CLASSES, bravais_array, sample_lattice

    rows = []
    for ci, name in enumerate(BRAVAIS_CLASSES[:5]):
        if classes and name not in classes:
            continue
        for period in periods:
            right = total = 0
            measured, seconds, windows = [], [], []
            for k in range(images):
                case = [seed, ci, int(period * 10), k]
                # The draws do not depend on what is fixed: the same cell, scaled to `period`.
                nn_unit = (
                    sample_lattice(name, np.random.default_rng(case), a=10.0)["nn_distance"] / 10.0
                )
                size = int(max(96, 1.8 * 128 * period / TARGET_PERIOD * 1.2))
                img, p = bravais_array(name, size, np.random.default_rng(case), a=period / nn_unit)
                img = img + noise * np.random.default_rng(case + [1]).standard_normal(img.shape)
                t = time.perf_counter()
                found = frame_periods(img)
                seconds.append(time.perf_counter() - t)
                measured.append(float(found[0]))
                s = hs.signals.Signal2D(img.astype(np.float32))
                s.set_signal_type("atomic_resolution")
                prob = s.classify_symmetry(
                    "bravais", n_samples=samples, seed=0, show_progressbar=False
                )
                labels = prob.predicted_class().data
                right += int((labels == ci).sum())
                total += labels.size
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
                }
            )
            print(
                f"{name:22s} {period:5.1f} px  accuracy {right / total:.3f} "
                f"({total} windows)  measured {np.nanmedian(measured):.2f}  "
                f"window/stride/image {windows[0]}  {np.mean(seconds):.2f} s",
                flush=True,
            )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--periods", type=float, nargs="+", default=[4, 5, 6, 8, 12, 20, 30, 40, 60, 80]
    )
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--classes", nargs="*")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    t = time.perf_counter()
    rows = scale_free_table(
        args.periods, args.images, args.samples, args.noise, classes=args.classes
    )
    result = {
        "periods": args.periods,
        "images_per_case": args.images,
        "mc_samples": args.samples,
        "noise": args.noise,
        "rows": rows,
        "seconds": round(time.perf_counter() - t, 1),
    }
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1)


if __name__ == "__main__":
    main()
