"""Classify on a dask cluster, and check that the cluster gives the same bits as threads.

A small stack of simulated HAADF images (one per ``aistem`` class) is classified lazily
twice: with the threaded scheduler in this process, then on a ``dask.distributed`` cluster
(a ``LocalCluster`` of worker processes, or the scheduler at ``--address``), saving the
results to ``.zspy`` from the cluster. The tasks carry the model's folder and sha256, not
its weights; each worker loads the model once. With the same seed and chunks the two runs
agree bit for bit where TensorFlow runs with the same number of threads: on some CPUs its
matrix kernels sum in another order for another thread count (last-bit differences). So the
LocalCluster here shares the machine's cores evenly among its workers (one worker gets them
all, like the threaded run), and the summary gives the largest difference and the share of
windows with the same predicted class as well as the bit-for-bit verdict.

Writes to ``--out``: ``probabilities.zspy``, ``uncertainty.zspy`` and ``summary.json``.

Run ``python examples/dask_cluster.py --out cluster_output`` (a minute or two on 2 cores;
``--frames 2 --size 160 --stride 60 --samples 5`` for a quick look). On a real cluster, the
output folder and the model folder must be readable and writable by every worker.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import time
import warnings
from pathlib import Path

import numpy as np

# RosettaSciIO's .zspy writer uses a zarr 2 store that zarr announces as deprecated; the
# package pins zarr < 3, so the warning says nothing a user can act on.
warnings.filterwarnings("ignore", message=".*NestedDirectoryStore is deprecated.*")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("cluster_output"),
        help="output folder (default: %(default)s)",
    )
    parser.add_argument(
        "--address",
        default=None,
        help="address of a running dask scheduler (default: start a LocalCluster)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="LocalCluster worker processes (default: %(default)s)",
    )
    parser.add_argument(
        "--frames",
        type=int,
        default=10,
        help="images in the stack, one aistem class each (default: %(default)s)",
    )
    parser.add_argument(
        "--size", type=int, default=256, help="image side, px (default: %(default)s)"
    )
    parser.add_argument(
        "--model", default="aistem", help="model name or folder (default: %(default)s)"
    )
    parser.add_argument(
        "--stride", default="2.4 Å", help="window step, px or length (default: %(default)s)"
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=30,
        help="Monte-Carlo dropout samples T (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    return parser.parse_args(argv)


def image_stack(frames: int, size: int, seed: int):
    """A lazy (frames, size, size) stack at 0.12 Å/px, one image per chunk."""
    import dask.array as da
    import hyperspy.api as hs

    from hyperspy_symmetry.simulate import AISTEM_CLASSES, crystal_image

    names = list(AISTEM_CLASSES)
    images = [
        crystal_image(
            names[i % len(names)], size=size, pixel_size=0.12, rotation=17.0 * i, seed=seed + i
        )
        for i in range(frames)
    ]
    data = da.from_array(np.stack([im.data for im in images]), chunks=(1, size, size))
    s = hs.signals.Signal2D(data).as_lazy()
    s.set_signal_type("atomic_resolution")
    s.axes_manager[0].name = "frame"
    for ax, name in zip(s.axes_manager.signal_axes, "xy", strict=False):
        ax.name, ax.scale, ax.units = name, 0.12, "Å"
    s.metadata.General.title = "aistem classes"
    return s, [names[i % len(names)] for i in range(frames)]


def models_in_worker() -> list[str]:
    """Names of the models a worker process has loaded (peeks at the package's private
    per-process cache, for this demonstration only)."""
    from hyperspy_symmetry.models import registry

    return sorted(m.card.name for m in registry._CACHE.values())


def main(argv=None) -> dict:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    import dask
    import hyperspy.api as hs
    from distributed import Client, LocalCluster

    s, truth = image_stack(args.frames, args.size, args.seed)
    stride = int(args.stride) if args.stride.strip().isdigit() else args.stride
    kw = dict(model=args.model, stride=stride, n_samples=args.samples, seed=args.seed)
    p = s.classify_symmetry(**kw)  # lazy: nothing computed yet
    u = s.mc_uncertainty(**kw)
    graph = dict(p.data.__dask_graph__())
    task_bytes = max(
        len(pickle.dumps(v)) for k, v in graph.items() if "symmetry-statistics" in str(k)
    )
    print(
        f"{s.data.shape} images -> {p.data.shape} probabilities; the largest network task "
        f"pickles to {task_bytes} bytes (the model travels by name)"
    )

    # 1. Threaded scheduler, in this process.
    t0 = time.perf_counter()
    p_threads, u_threads = dask.compute(p.data, u.data, scheduler="threads")
    threaded_s = time.perf_counter() - t0
    print(f"threads: {threaded_s:.1f} s")

    # 2. A dask.distributed cluster: the default scheduler while the client is open.
    t0 = time.perf_counter()
    if args.address:
        client, cluster = Client(args.address), None
    else:
        # TensorFlow on a worker uses the worker's threads (see the module docstring).
        threads = max(1, (os.cpu_count() or 1) // args.workers)
        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=threads,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        print(
            f"cluster: {len(client.scheduler_info()['workers'])} workers, "
            f"started in {time.perf_counter() - t0:.1f} s"
        )
        p.save(args.out / "probabilities.zspy", overwrite=True, show_progressbar=False)
        u.save(args.out / "uncertainty.zspy", overwrite=True, show_progressbar=False)
        loaded = client.run(models_in_worker)
    finally:
        client.close()
        if cluster is not None:
            # TensorFlow's threads make workers slow to stop; that is not worth a warning
            logging.getLogger("distributed.nanny").setLevel(logging.ERROR)
            cluster.close()
    cluster_s = time.perf_counter() - t0
    print(f"cluster: {cluster_s:.1f} s (with start-up); models loaded per worker: {loaded}")

    # 3. The saved cluster results against the threaded ones.
    p2 = hs.load(args.out / "probabilities.zspy")
    u2 = hs.load(args.out / "uncertainty.zspy")
    identical = bool(np.array_equal(p2.data, p_threads) and np.array_equal(u2.data, u_threads))
    difference = max(
        float(np.nanmax(np.abs(np.asarray(p2.data) - p_threads))),
        float(np.nanmax(np.abs(np.asarray(u2.data) - u_threads))),
    )
    same_class = float(
        np.mean(np.argmax(np.asarray(p2.data), axis=1) == np.argmax(p_threads, axis=1))
    )
    labels = np.asarray(p2.predicted_class().data).reshape(len(truth), -1)
    predicted = [p2.class_names[int(np.bincount(row[row >= 0]).argmax())] for row in labels]
    summary = {
        "images_shape": list(s.data.shape),
        "probabilities_type": type(p2).__name__,
        "probabilities_shape": list(p2.data.shape),
        "uncertainty_shape": list(u2.data.shape),
        "task_bytes": task_bytes,
        "threads_seconds": round(threaded_s, 2),
        "cluster_seconds": round(cluster_s, 2),
        "workers_models": {str(k): v for k, v in loaded.items()},
        "bit_identical": identical,
        "max_abs_difference": difference,
        "same_class_fraction": same_class,
        "true_class": truth,
        "most_frequent_class": predicted,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(
        f"cluster result bit-identical to threads: {identical} (largest difference "
        f"{difference:.2g}, same class on {100 * same_class:.1f} % of windows)"
    )
    for t, q in zip(truth, predicted, strict=False):
        print(f"  {t:<14} -> {q}")
    return summary


if __name__ == "__main__":  # needed: the LocalCluster starts worker processes
    main()
