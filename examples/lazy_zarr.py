"""Big data from zarr: write a movie to ``.zspy``, load it lazily, classify it lazily, save.

Nothing is held in memory but one chunk per dask task: the movie is read from the zarr
store chunk by chunk (one frame per chunk here), each chunk's windows go through the
network, and the results are written to ``.zspy`` as they are computed. The results load
back lazily with their signal types.

The movie is a simulated lattice under the beam in which holes grow (the Bravais paper's
experiment, ``hyperspy_symmetry.simulate.damage_movie``), classified with the ``bravais``
model. Give ``--input`` to classify your own ``.zspy`` file instead.

Writes to ``--out``: ``movie.zspy`` (unless ``--input``), ``probabilities.zspy``,
``uncertainty.zspy`` and ``summary.json``.

Run ``python examples/lazy_zarr.py --out lazy_output`` (a few minutes on 2 cores with the
defaults; ``--frames 3 --size 160 --stride 32 --samples 5`` for a quick look).
"""

from __future__ import annotations

import argparse
import json
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
        default=Path("lazy_output"),
        help="output folder (default: %(default)s)",
    )
    parser.add_argument(
        "--input",
        type=Path,
        default=None,
        help="a .zspy file of images to classify instead of the simulated movie",
    )
    parser.add_argument(
        "--frames", type=int, default=20, help="movie frames (default: %(default)s)"
    )
    parser.add_argument(
        "--size", type=int, default=256, help="frame side, px (default: %(default)s)"
    )
    parser.add_argument(
        "--model", default="bravais", help="model name or folder (default: %(default)s)"
    )
    parser.add_argument(
        "--window", type=int, default=128, help="window side, px (default: %(default)s)"
    )
    parser.add_argument(
        "--stride", type=int, default=16, help="window step, px (default: %(default)s)"
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=30,
        help="Monte-Carlo dropout samples T (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    import hyperspy.api as hs

    # 1. A movie on disk, one frame per zarr chunk.
    truth = None
    if args.input is None:
        from hyperspy_symmetry.simulate import damage_movie

        movie, truth = damage_movie(n_frames=args.frames, seed=args.seed, size=args.size)
        path = args.out / "movie.zspy"
        movie.save(path, chunks=(1, args.size, args.size), overwrite=True)
        print(f"wrote {path}: {movie.data.shape}, {movie.data.nbytes / 2**20:.1f} MiB")
        del movie
    else:
        path = args.input

    # 2. Load lazily: only the axes and metadata are read now.
    s = hs.load(path, lazy=True)
    if s.metadata.Signal.signal_type != "atomic_resolution":
        s.set_signal_type("atomic_resolution")
    print(f"loaded {type(s).__name__}, data chunks {s.data.chunksize}")

    # 3. Classify lazily: this builds a dask graph and computes nothing.
    kw = dict(
        model=args.model,
        window_size=args.window,
        stride=args.stride,
        n_samples=args.samples,
        seed=args.seed,
    )
    p = s.classify_symmetry(**kw)
    u = s.mc_uncertainty(**kw)
    print(f"lazy results: {type(p).__name__} {p.data.shape}, chunks {p.data.chunksize}")

    # 4. Saving computes chunk by chunk; the uncertainty reuses the cached MC samples.
    t0 = time.perf_counter()
    progress = not args.quiet
    p.save(args.out / "probabilities.zspy", overwrite=True, show_progressbar=progress)
    u.save(args.out / "uncertainty.zspy", overwrite=True, show_progressbar=progress)
    seconds = time.perf_counter() - t0
    print(f"computed and saved in {seconds:.1f} s")

    # 5. Reload lazily and reduce: the mean probability of each class in each frame.
    p2 = hs.load(args.out / "probabilities.zspy", lazy=True)
    u2 = hs.load(args.out / "uncertainty.zspy", lazy=True)
    fractions = np.asarray(p2.data.mean(axis=(-2, -1)).compute())  # (frames, classes)
    mean_mi = np.asarray(u2.data.mean(axis=(-2, -1)).compute())  # (frames,)
    names = p2.class_names
    summary = {
        "input": str(path),
        "input_shape": list(s.data.shape),
        "input_chunks": [list(c) for c in s.data.chunks],
        "probabilities_type": type(p2).__name__,
        "probabilities_shape": list(p2.data.shape),
        "uncertainty_type": type(u2).__name__,
        "uncertainty_shape": list(u2.data.shape),
        "class_names": names,
        "seconds": round(seconds, 2),
        "phase_fractions": fractions.tolist(),
        "mean_uncertainty": mean_mi.tolist(),
    }
    if truth is not None:
        summary["hole_fraction"] = np.asarray(truth["hole_fraction"]).tolist()
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))

    top = np.argsort(fractions.mean(axis=0))[::-1][:3]
    header = "frame " + " ".join(f"{names[k]:>14}" for k in top) + "   mean MI"
    if truth is not None:
        header += "  hole fraction"
    print(header)
    for i in range(len(fractions)):
        row = f"{i:>5} " + " ".join(f"{fractions[i, k]:>14.3f}" for k in top)
        row += f" {mean_mi[i]:>9.3f}"
        if truth is not None:
            row += f"  {summary['hole_fraction'][i]:>13.3f}"
        print(row)
    return summary


if __name__ == "__main__":
    main()
