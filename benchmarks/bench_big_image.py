"""One big image from a chunked ``.zspy``: time per megapixel, peak memory, cores kept busy.

For each ``--sizes`` value, writes a ``size`` x ``size`` float32 image (a 1024 px crop of
the AI-STEM polycrystal with realistic noise, repeated, each 1024 px block with its own
extra noise so that no two windows are the same; 1024 x 1024 zarr chunks), then in a
fresh process: loads it lazily, computes ``classify_symmetry`` and ``mc_uncertainty``
(``aistem``, defaults, 100 px windows every 64 px, T = 100) and writes both to ``.zspy``.
It reports the wall time, the time per megapixel (all of it, and the computing alone: the
graph, the calibration check and the network, without RosettaSciIO's two writes), the
process's CPU time over wall time while computing, the peak resident memory, and the
number of blocks (tiles) of the result.
The figures in ``docs/benchmarks.md`` come from::

    cd benchmarks && ../.venv/bin/python bench_big_image.py \\
        --sizes 1024 2048 4096 8192 16384 --repeats 5 --movie-frames 4 \\
        --json results/big_image.json

Before timing, each process traces the network on a 256 px crop and then computes a first
1024 px image of other content (the top-left block, transposed): the process's one-off
costs (FFT plans, TensorFlow's kernels and buffers, the allocator's growth) are timed apart
as ``first_image_seconds``, not charged to the image.
Within a process, an image that computes in under 1.5 s is computed again (its content
scaled by 1 + 1e-6 k, which the result cache does not recognise) until 1.5 s or 7 runs, and
the median run is its computing time: a 1024 px image computes in about 0.2 s, and single
runs vary by 10-20 %. ``--repeats N`` runs each image in ``N`` fresh processes, round robin
over the sizes (the machine's speed drifts over minutes; each size then sees the same
drift), and reports the process of median computing time.
``--movie-frames N`` also measures a movie rate: ``N`` frames of 1024 x 1024 px at 0.12 Å/px
(one zarr chunk per frame, each with its own noise) classified lazily with ``aistem`` at its
defaults (12 Å windows every 1.2 Å: 100 px every 10 px, 8,649 windows a frame), in frames
per second.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_pipeline import write_json

CHILD = """
import json, os, resource, sys, time
import hyperspy.api as hs
path, out = sys.argv[1], sys.argv[2]
window, stride, samples = (int(a) for a in sys.argv[3:6])
from hyperspy_symmetry.models import cached_model, resolve_model
cached_model(resolve_model("aistem")[1])  # TensorFlow and the model: not part of the timing
s = hs.load(path, lazy=True)
s.set_signal_type("atomic_resolution")
kw = dict(model="aistem", window_size=window, stride=stride, n_samples=samples, seed=0,
          show_progressbar=False)
s.isig[:256, :256].classify_symmetry(**kw).data.compute()  # traces the network once


def classify(image):
    # Build and compute both results: p, u, seconds, CPU seconds, blocks.
    cpu0, t0 = os.times(), time.perf_counter()
    p, u = image.classify_symmetry(**kw), image.mc_uncertainty(**kw)
    blocks = int(p.data.numblocks[-2] * p.data.numblocks[-1])
    p.compute(show_progressbar=False)
    u.compute(show_progressbar=False)  # the same computation: answered from p's
    cpu1 = os.times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    return p, u, time.perf_counter() - t0, cpu, blocks


# The process's one-off costs beyond tracing (FFT plans, TensorFlow's kernels and buffers,
# the allocator's growth) are paid by a first 1024 px image of other content (the top-left
# block, transposed), timed apart: they are not a cost per image.
edge = min(1024, *s.data.shape)
warm = hs.signals.Signal2D(s.data[:edge, :edge].T).as_lazy()
for src, dst in zip(s.axes_manager.signal_axes, warm.axes_manager.signal_axes):
    dst.scale, dst.units = src.scale, src.units
warm.set_signal_type("atomic_resolution")
first = classify(warm)[2]
p, u, seconds, cpu, blocks = classify(s)
t0 = time.perf_counter()
p.save(out + "_p.zspy", overwrite=True, show_progressbar=False)
u.save(out + "_u.zspy", overwrite=True, show_progressbar=False)
write = time.perf_counter() - t0
# A small image computes in a fraction of a second, where the machine's moment-to-moment
# speed varies by 10-20 %: it is computed again (new content each time, as the result cache
# would answer a repeat) until 1.5 s have been computed or 7 runs, and the median is taken.
runs, cpus = [seconds], [cpu]
while sum(runs) < 1.5 and len(runs) < 7:
    again = s * (1 + 1e-6 * len(runs))
    again.set_signal_type("atomic_resolution")
    seconds, cpu = classify(again)[2:4]
    runs.append(seconds)
    cpus.append(cpu)
median = sorted(runs)[(len(runs) - 1) // 2]
print(json.dumps({"seconds": median + write, "compute_seconds": median, "write_seconds": write,
                  "compute_seconds_in_process": runs,
                  "first_image_seconds": first, "first_image_size": edge,
                  "cpu_over_wall": sum(cpus) / sum(runs),
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "blocks": blocks,
                  "chunks_in": [list(c) for c in s.data.chunks],
                  "windows": int(p.data.shape[-2] * p.data.shape[-1])}))
"""


CHILD_MOVIE = """
import json, os, sys, time
import hyperspy.api as hs
from hyperspy_symmetry.models import cached_model, resolve_model
cached_model(resolve_model("aistem")[1])
s = hs.load(sys.argv[1], lazy=True)
s.set_signal_type("atomic_resolution")
kw = dict(model="aistem", n_samples=100, seed=0, show_progressbar=False)
s.inav[0].isig[:256, :256].classify_symmetry(**kw).data.compute()  # traces the network once
cpu0, t0 = os.times(), time.perf_counter()
p = s.classify_symmetry(**kw)
u = s.mc_uncertainty(**kw)
p.save(sys.argv[2] + "_p.zspy", overwrite=True, show_progressbar=False)
u.save(sys.argv[2] + "_u.zspy", overwrite=True, show_progressbar=False)
wall, cpu1 = time.perf_counter() - t0, os.times()
cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
frames = s.data.shape[0]
print(json.dumps({"frames": frames, "seconds": wall, "frames_per_second": frames / wall,
                  "cpu_over_wall": cpu / wall, "window": int(p.metadata.Symmetry.window_size),
                  "stride": int(p.metadata.Symmetry.stride),
                  "windows_per_frame": int(p.data.shape[-2] * p.data.shape[-1])}))
"""


def with_own_noise(images, sigma: float):
    """``images`` (dask) plus Gaussian noise of 5 % of ``sigma``, seeded by each block's place.

    Repeated tiles or frames would otherwise hold identical windows, whose statistics the
    package computes once per process (its result cache is keyed by content), and the
    benchmark would time cache hits instead of the network.
    """
    import numpy as np

    def add(block, block_info=None):
        rng = np.random.default_rng([7, *block_info[0]["chunk-location"]])
        return (block + 0.05 * sigma * rng.standard_normal(block.shape)).astype(block.dtype)

    return images.map_blocks(add, dtype=images.dtype)


def write_movie(path: Path, frames: int, size: int = 1024) -> None:
    """``frames`` polycrystal frames of ``size`` px at 0.12 Å/px, one zarr chunk each."""
    import dask.array as da
    import hyperspy.api as hs
    from bench_pipeline import polycrystal_image

    frame = polycrystal_image(size)
    data = da.stack([da.from_array(frame)] * frames).rechunk((1, size, size))
    s = hs.signals.Signal2D(with_own_noise(data, float(frame.std()))).as_lazy()
    for ax in s.axes_manager.signal_axes:
        ax.scale, ax.units = 0.12, "Å"
    s.save(path, overwrite=True, chunks=(1, size, size), show_progressbar=False)


def write_image(path: Path, size: int, chunk: int = 1024) -> None:
    """A ``size`` x ``size`` float32 image in ``chunk`` x ``chunk`` zarr chunks."""
    import dask.array as da
    import hyperspy.api as hs
    from bench_pipeline import polycrystal_image

    tile = polycrystal_image(min(size, 1024))
    reps = -(-size // tile.shape[0])
    image = da.tile(da.from_array(tile), (reps, reps))[:size, :size].rechunk(chunk)
    s = hs.signals.Signal2D(with_own_noise(image, float(tile.std()))).as_lazy()
    s.save(
        path,
        overwrite=True,
        chunks=(min(chunk, size), min(chunk, size)),
        show_progressbar=False,
    )


def run_child(code: str, *args) -> dict:
    """Run ``code`` in a fresh interpreter with ``args``; its last stdout line, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"the benchmark's child process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_run(runs: list[dict]) -> dict:
    """The run of median computing time among ``runs`` (fresh processes of one image)."""
    order = sorted(runs, key=lambda r: r["compute_seconds"])
    return dict(order[(len(order) - 1) // 2], repeats=len(runs))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--stride", type=int, default=64)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="fresh processes per image; the run of median computing time is reported",
    )
    parser.add_argument("--movie-frames", type=int, default=0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    results = {"window": args.window, "stride": args.stride, "n_samples": args.samples, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for size in args.sizes:
            paths[size] = Path(tmp) / f"image_{size}.zspy"
            write_image(paths[size], size)
        # Round robin over the sizes: the machine's speed drifts over minutes, and each size
        # then sees the same drift.
        repeats = {size: [] for size in args.sizes}
        for _ in range(args.repeats):
            for size in args.sizes:
                repeats[size].append(
                    run_child(
                        CHILD,
                        paths[size],
                        Path(tmp) / f"out_{size}",
                        args.window,
                        args.stride,
                        args.samples,
                    )
                )
        for size in args.sizes:
            run = median_run(repeats[size])
            run["size"] = size
            run["seconds_per_megapixel"] = run["seconds"] / (size * size / 1e6)
            run["compute_seconds_per_megapixel"] = run["compute_seconds"] / (size * size / 1e6)
            run["compute_seconds_runs"] = [r["compute_seconds"] for r in repeats[size]]
            run["first_image_seconds_runs"] = [r["first_image_seconds"] for r in repeats[size]]
            results["runs"].append(run)
            print(
                f"{size:>6} px: {run['seconds']:7.2f} s, "
                f"{run['seconds_per_megapixel']:6.3f} s/MP "
                f"(computing {run['compute_seconds_per_megapixel']:.3f} s/MP, "
                f"writing {run['write_seconds']:.2f} s), "
                f"CPU/wall {run['cpu_over_wall']:.2f}, peak {run['peak_rss_mib']:,.0f} MiB, "
                f"{run['blocks']} blocks, {run['windows']} windows; the first "
                f"{run['first_image_size']} px image of each process (one-off costs): "
                f"{min(run['first_image_seconds_runs']):.2f}-"
                f"{max(run['first_image_seconds_runs']):.2f} s"
                + (
                    f"; computing {min(run['compute_seconds_runs']):.2f}-"
                    f"{max(run['compute_seconds_runs']):.2f} s in {args.repeats} runs"
                    if args.repeats > 1
                    else ""
                ),
                flush=True,
            )
        if args.movie_frames:
            path = Path(tmp) / "movie.zspy"
            write_movie(path, args.movie_frames)
            results["movie"] = run_child(CHILD_MOVIE, path, Path(tmp) / "movie_out")
            print("aistem movie, 1024 px frames, defaults:", results["movie"], flush=True)
    if args.json:
        write_json(results, args.json)
    return results


if __name__ == "__main__":
    main()
