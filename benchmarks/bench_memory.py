"""Peak memory of lazily classifying a zarr movie: bounded by the chunk size, not the data size.

Writes two ``.zspy`` movies of ``--frames`` and ``6 x --frames`` frames (one frame per
chunk), then in a fresh process for each: loads it lazily, computes ``classify_symmetry``
and ``mc_uncertainty`` together and writes both to ``.zspy``, and reports the peak resident
memory of that process. The figures in ``docs/benchmarks.md`` come from::

    .venv/bin/python benchmarks/bench_memory.py --json benchmarks/results/memory.json
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_pipeline import write_json

CHILD = """
import resource, sys, time
import dask
import hyperspy.api as hs
path, out = sys.argv[1], sys.argv[2]
window, stride, samples = (int(a) for a in sys.argv[3:6])
s = hs.load(path, lazy=True)
s.set_signal_type("atomic_resolution")
kw = dict(model="aistem", window_size=window, stride=stride, n_samples=samples, seed=0,
          show_progressbar=False)
t0 = time.perf_counter()
p = s.classify_symmetry(**kw)
u = s.mc_uncertainty(**kw)
p.save(out + "_p.zspy", overwrite=True)
u.save(out + "_u.zspy", overwrite=True)
print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def write_movie(path: Path, n_frames: int, size: int) -> int:
    """A movie of ``n_frames`` noisy polycrystal frames, one frame per zarr chunk."""
    import dask.array as da
    import hyperspy.api as hs
    import numpy as np
    from bench_pipeline import polycrystal_image

    frame = polycrystal_image(size)
    rng = np.random.default_rng(0)
    frames = da.stack(
        [
            da.from_array(frame + 0.02 * rng.standard_normal(frame.shape, dtype=np.float32))
            for _ in range(n_frames)
        ]
    ).rechunk((1, size, size))
    s = hs.signals.Signal2D(frames).as_lazy()
    s.save(path, overwrite=True)
    return int(frames.nbytes)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--window", type=int, default=96)
    parser.add_argument("--stride", type=int, default=12)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    results = {
        "command": "benchmarks/bench_memory.py " + " ".join(argv or sys.argv[1:]),
        "frame": f"{args.size} x {args.size} px float32, one frame per chunk",
        "window": args.window,
        "stride": args.stride,
        "n_samples": args.samples,
        "cores": os.cpu_count(),
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp:
        for n in (args.frames, 6 * args.frames):
            path = Path(tmp) / f"movie_{n}.zspy"
            nbytes = write_movie(path, n, args.size)
            t0 = time.perf_counter()
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    str(path),
                    str(Path(tmp) / f"result_{n}"),
                    str(args.window),
                    str(args.stride),
                    str(args.samples),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            seconds, peak = map(float, out.stdout.split()[-2:])
            run = {
                "frames": n,
                "data_mib": round(nbytes / 2**20, 1),
                "seconds": round(seconds, 1),
                "peak_rss_mib": round(peak, 0),
            }
            results["runs"].append(run)
            print(
                f"{n:>4} frames ({run['data_mib']:>7.1f} MiB of data): peak RSS "
                f"{peak:>7.0f} MiB, {seconds:.1f} s ({time.perf_counter() - t0:.1f} s with "
                "start-up)"
            )
    small, large = results["runs"]
    results["peak_increase_mib"] = large["peak_rss_mib"] - small["peak_rss_mib"]
    print(f"6x the data: peak memory {results['peak_increase_mib']:+.0f} MiB")
    if args.json:
        write_json(results, args.json)
    return results


if __name__ == "__main__":
    main()
