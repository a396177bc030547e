"""Throughput of each stage of the pipeline, peak memory, and the ratio to the published path.

The image is the AI-STEM polycrystal (Fe bcc [100], Cu fcc [100], Ti hcp [0001] and an
amorphous grain, realistic microscope noise) cropped to ``--size`` pixels, classified with
the shipped ``aistem`` model (or ``--model``) in ``--window`` px windows every ``--stride``
px at T = ``--samples``. Stages:

- window extraction (strided view, copied out) and FFT-HAADF descriptors;
- the MC-dropout network in the exact mode (float32, all T samples) and with the defaults
  (``precision="auto"``, adaptive sampling), in passes/s (windows x T per second);
- end to end: ``classify_symmetry`` and ``mc_uncertainty`` computed together, defaults and
  exact mode;
- the naive reference (``naive_reference.py``: per-window descriptors, T ``predict()``
  calls) on the same image and model, unless ``--no-reference``.

Each stage reports the peak resident memory above the process's baseline. The agreement of
the defaults with the exact mode (predicted class, correlation of the MI maps) is printed,
and everything is written as JSON with ``--json``. The figures in ``docs/benchmarks.md``
come from::

    .venv/bin/python benchmarks/bench_pipeline.py --json benchmarks/results/pipeline_512.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from contextlib import contextmanager

import numpy as np
import psutil


class PeakMemory:
    """Peak resident memory of this process while a block runs, sampled every 10 ms."""

    def __init__(self):
        self.process = psutil.Process()
        self.peak = 0

    @contextmanager
    def measure(self):
        base = self.process.memory_info().rss
        self.peak = base
        stop = threading.Event()

        def sample():
            while not stop.wait(0.01):
                self.peak = max(self.peak, self.process.memory_info().rss)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self.peak = max(self.peak, self.process.memory_info().rss)
            self.above_base_mib = (self.peak - base) / 2**20


def write_json(results: dict, path: str) -> None:
    """Write a benchmark's figures as JSON (making the folder) and say so."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"wrote {path}")


def finish(results: dict, began: float, path: str | None) -> dict:
    """Record a benchmark's run time (since ``began``, a ``perf_counter``), write its JSON
    when ``path`` is given, and return the results."""
    results["seconds"] = round(time.perf_counter() - began, 1)
    if path:
        write_json(results, path)
    return results


def polycrystal_image(size: int, seed: int = 7) -> np.ndarray:
    """A ``size`` x ``size`` crop of the AI-STEM polycrystal with realistic noise."""
    from hyperspy_symmetry.simulate import polycrystal_scene
    from hyperspy_symmetry.simulate.augment import AugmentationRecipe

    image, _ = polycrystal_scene(
        seed=seed, grain_size=size * 0.12 / 2 + 1, augmentation=AugmentationRecipe.realistic()
    )
    return np.asarray(image.data, dtype=np.float32)[:size, :size]


def timed(fn, memory: PeakMemory, repeat: int = 1):
    """Best wall time of ``repeat`` runs of ``fn``, its result and the peak memory."""
    best, result = np.inf, None
    with memory.measure():
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - t0)
    return best, result, memory.above_base_mib


def agreement(stats: np.ndarray, exact: np.ndarray, n_classes: int) -> dict[str, float]:
    """Class agreement and MI-map correlation of ``stats`` with ``exact`` (windows x stats)."""
    mi = n_classes + 1
    return {
        "class_agreement": float(
            np.mean(stats[:, :n_classes].argmax(1) == exact[:, :n_classes].argmax(1))
        ),
        "mi_correlation": float(np.corrcoef(stats[:, mi], exact[:, mi])[0, 1]),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--window", type=int, default=96)
    parser.add_argument("--stride", type=int, default=6)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--model", default="aistem")
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the naive reference (about 12 minutes at the defaults)",
    )
    parser.add_argument(
        "--reference-from",
        default=None,
        metavar="JSON",
        help="take the naive reference's figures from an earlier --json run "
        "(same image, model and machine) instead of running it again",
    )
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args(argv)

    import dask
    import hyperspy.api as hs

    from hyperspy_symmetry import __version__, load_model, pipeline
    from hyperspy_symmetry.descriptors import window_descriptors
    from hyperspy_symmetry.models.mc_dropout import bfloat16_supported, resolve_precision
    from hyperspy_symmetry.windows import sliding_windows

    memory = PeakMemory()
    image = polycrystal_image(args.size)
    model = load_model(args.model)
    c = model.card.n_classes
    w, st, T = args.window, args.stride, args.samples
    results: dict = {
        "command": "benchmarks/bench_pipeline.py " + " ".join(argv or []),
        "image": f"AI-STEM polycrystal, realistic noise, {args.size} x {args.size} px",
        "model": f"{model.name} {model.card.version}",
        "window": w,
        "stride": st,
        "n_samples": T,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"bfloat16 native: {bfloat16_supported()}",
        "package_version": __version__,
        "default_precision": resolve_precision("auto"),
        "stages": {},
    }
    stages = results["stages"]

    def report(name, seconds, n, mib, unit="windows", **extra):
        stages[name] = {
            "seconds": round(seconds, 3),
            f"{unit}_per_s": round(n / seconds, 1),
            "peak_memory_mib": round(mib, 1),
            **extra,
        }
        print(
            f"{name:<34} {n / seconds:>10.1f} {unit}/s  {seconds:>8.2f} s  "
            f"+{mib:>6.0f} MiB " + " ".join(f"{k}={v}" for k, v in extra.items())
        )

    t, views, mib = timed(lambda: np.ascontiguousarray(sliding_windows(image, w, st)), memory, 3)
    n = views.shape[0] * views.shape[1]
    results["n_windows"] = n
    print(f"{n} windows of {w} px, stride {st}, T = {T}, model {model.name}")
    report("window extraction", t, n, mib)
    del views
    t, desc, mib = timed(
        lambda: window_descriptors(image, model.card.descriptor, w, st), memory, 2
    )
    report("windows + descriptors", t, n, mib)
    flat = desc.reshape(-1, 64, 64)

    modes = {
        "exact": dict(precision="float32", adaptive=False),
        "defaults": dict(precision="auto", adaptive=True),
    }
    stats = {}
    for name, mode in modes.items():
        engine = model.engine_for(mode["precision"])
        engine.statistics(flat[:64], T, 0, adaptive=mode["adaptive"])  # trace once
        t, (s, counts), mib = timed(
            lambda engine=engine, mode=mode: engine.statistics(
                flat, T, 0, adaptive=mode["adaptive"], return_counts=True
            ),
            memory,
        )
        stats[name] = s
        report(
            f"network, {name}",
            t,
            n * T,
            mib,
            unit="passes",
            mean_samples=round(float(counts.mean()), 1),
        )

    signal = hs.signals.Signal2D(image)
    signal.set_signal_type("atomic_resolution")
    for name, mode in modes.items():

        def end_to_end(mode=mode):
            pipeline.clear_cache()
            kw = dict(
                model=args.model,
                window_size=w,
                stride=st,
                n_samples=T,
                seed=0,
                lazy_output=True,
                show_progressbar=False,
                **mode,
            )
            p = signal.classify_symmetry(**kw)
            u = signal.mc_uncertainty(**kw)
            return dask.compute(p.data, u.data)

        t, _, mib = timed(end_to_end, memory)
        report(f"end to end, {name}", t, n, mib)

    results["defaults_vs_exact"] = agreement(stats["defaults"], stats["exact"], c)
    print("defaults vs exact:", results["defaults_vs_exact"])

    reference = "naive reference, end to end"
    if args.reference_from:
        with open(args.reference_from) as f:
            earlier = json.load(f)
        for key in ("image", "model", "window", "stride", "n_samples", "machine"):
            if earlier[key] != results[key]:
                raise SystemExit(
                    f"{args.reference_from}: {key} {earlier[key]!r} differs from "
                    f"this run's {results[key]!r}"
                )
        stages[reference] = dict(earlier["stages"][reference], measured_in=args.reference_from)
        results["reference_vs_exact"] = earlier["reference_vs_exact"]
        t = stages[reference]["seconds"]
        print(
            f"{reference:<34} {n / t:>10.1f} windows/s  {t:>8.2f} s  (from {args.reference_from})"
        )
    elif not args.no_reference:
        from naive_reference import naive_classify

        t, (ref, parts), mib = timed(
            lambda: naive_classify(image, model.network, w, st, T), memory
        )
        report(
            reference,
            t,
            n,
            mib,
            descriptors_s=round(parts["descriptors"], 2),
            network_s=round(parts["network"], 1),
        )
        results["reference_vs_exact"] = agreement(ref.reshape(n, -1), stats["exact"], c)
    if reference in stages:
        print("reference vs exact:", results["reference_vs_exact"])
        ratios = {name: round(t / stages[f"end to end, {name}"]["seconds"], 1) for name in modes}
        results["speed_up_vs_reference"] = ratios
        print("speed-up vs the naive reference:", ratios)

    if args.json:
        write_json(results, args.json)
    return results


if __name__ == "__main__":
    main()
