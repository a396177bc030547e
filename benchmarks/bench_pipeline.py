"""Throughput of each stage of the pipeline on one image, and peak memory.

Stages: window extraction + FFT-HAADF descriptors, MC-dropout network passes, end to end
through ``classify_symmetry``. The network is the full-size AI-STEM architecture with
random weights (speed does not depend on the weights' values; no model ships from here).

    .venv/bin/python benchmarks/bench_pipeline.py --size 512 --window 96 --stride 6 --samples 100

prints windows/s per stage and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import numpy as np


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--window", type=int, default=96)
    parser.add_argument("--stride", type=int, default=6)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args(argv)

    import hyperspy.api as hs
    import keras

    from hyperspy_symmetry import pipeline
    from hyperspy_symmetry.descriptors import window_descriptors
    from hyperspy_symmetry.models import ModelCard, load_model, save_model
    from hyperspy_symmetry.models.architectures import build_architecture

    rng = np.random.default_rng(0)
    image = rng.random((args.size, args.size), dtype=np.float32)
    folder = tempfile.mkdtemp(prefix="bench_model_")
    spec = {"name": "aistem_cnn", "kwargs": {}}
    keras.utils.set_random_seed(0)
    card = ModelCard(name="bench", version="random-weights", classes=[str(i) for i in range(10)],
                     descriptor="fft_haadf", architecture=spec, weights="", sha256="",
                     default_window=args.window, default_stride=args.stride)
    save_model(build_architecture(spec), card, folder)

    t0 = time.perf_counter()
    desc = window_descriptors(image, "fft_haadf", args.window, args.stride)
    t_desc = time.perf_counter() - t0
    n = desc.shape[0] * desc.shape[1]
    print(f"{n} windows of {args.window} px, stride {args.stride}, T = {args.samples}")
    print(f"windows + descriptors: {n / t_desc:10.0f} windows/s ({t_desc:.2f} s)")

    model = load_model(folder)
    flat = desc.reshape(-1, 64, 64)
    model.statistics(flat[:8], 2, 0)  # trace the tf.function once
    t0 = time.perf_counter()
    model.statistics(flat, args.samples, 0)
    t_cnn = time.perf_counter() - t0
    print(f"MC-dropout network:    {n / t_cnn:10.1f} windows/s "
          f"({n * args.samples / t_cnn:.0f} passes/s, {t_cnn:.1f} s)")

    s = hs.signals.Signal2D(image)
    s.set_signal_type("atomic_resolution")
    pipeline.clear_cache()
    t0 = time.perf_counter()
    s.classify_symmetry(model=folder, window_size=args.window, stride=args.stride,
                        n_samples=args.samples, seed=1, show_progressbar=False)
    t_all = time.perf_counter() - t0
    print(f"end to end:            {n / t_all:10.1f} windows/s ({t_all:.1f} s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory:  {peak:10.0f} MiB")


if __name__ == "__main__":
    main()
