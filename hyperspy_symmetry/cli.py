"""The ``hyperspy-symmetry`` command line: a thin layer over the Python API.

Examples
--------
.. code-block:: console

    $ hyperspy-symmetry simulate crystal FCC_Cu_100 --size 256 --seed 0 --out cu.zspy
    $ hyperspy-symmetry simulate polycrystal --seed 0 --out poly.zspy
    $ hyperspy-symmetry simulate training-set aistem --out aistem_train.zarr
    $ hyperspy-symmetry classify image.dm4 --stride "2.4 Å" --samples 100 --out result
    $ hyperspy-symmetry models

Errors in the input end the command with one line on stderr and a non-zero exit status,
not a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .signal_types import IMAGE, IMAGE_TYPES

__all__ = ["main", "build_parser"]

PROG = "hyperspy-symmetry"


class CommandError(Exception):
    """An error to report in one line (bad input, existing output, ...)."""


def _labels_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}_labels{out.suffix}")


def _save(signal, out: Path, overwrite: bool) -> None:
    if out.exists() and not overwrite:
        raise CommandError(f"{out} exists; pass --overwrite to replace it.")
    out.parent.mkdir(parents=True, exist_ok=True)
    signal.save(str(out), overwrite=True)
    print(f"wrote {out}")


def _recipe(name: str | None):
    if name is None or name == "none":
        return None
    from .simulate.augment import AugmentationRecipe

    return AugmentationRecipe.realistic() if name == "realistic" else AugmentationRecipe.papers()


# -- simulate ------------------------------------------------------------------------------


def _sim_crystal(args) -> None:
    from .simulate import crystal_image

    s = crystal_image(
        args.class_name,
        size=args.size,
        pixel_size=args.pixel_size,
        rotation=args.rotation,
        seed=args.seed,
        method=args.method,
        lattice_parameter=args.lattice_parameter,
        augmentation=_recipe(args.augmentation),
    )
    _save(s, args.out, args.overwrite)


def _sim_bravais(args) -> None:
    from .simulate import bravais_image

    fixed = {
        k: getattr(args, k)
        for k in ("a", "b_over_a", "gamma", "rotation")
        if getattr(args, k) is not None
    }
    s = bravais_image(args.lattice, size=args.size, seed=args.seed, **fixed)
    if args.augmentation:
        import numpy as np

        from .simulate.augment import augment

        s.data = augment(s.data, np.random.default_rng(args.seed), _recipe(args.augmentation))
    _save(s, args.out, args.overwrite)


def _sim_polycrystal(args) -> None:
    from .simulate import polycrystal_scene

    image, labels = polycrystal_scene(
        seed=args.seed,
        grain_size=args.grain_size,
        pixel_size=args.pixel_size,
        augmentation=_recipe(args.augmentation),
    )
    _save(image, args.out, args.overwrite)
    _save(labels, _labels_path(args.out), args.overwrite)


def _sim_bicrystal(args) -> None:
    from .simulate import bicrystal

    image, labels = bicrystal(
        args.class_name,
        args.misorientation,
        size=args.size,
        pixel_size=args.pixel_size,
        rotation=args.rotation,
        second_class=args.second_class,
        seed=args.seed,
        core_disorder=args.core_disorder,
        augmentation=_recipe(args.augmentation),
    )
    _save(image, args.out, args.overwrite)
    _save(labels, _labels_path(args.out), args.overwrite)


def _sim_damage(args) -> None:
    from .simulate import damage_movie

    movie, truth = damage_movie(
        n_frames=args.frames,
        seed=args.seed,
        size=args.size,
        frame_time=args.frame_time,
        rho=args.rho,
        A0=args.A0,
        n_holes=args.holes,
    )
    _save(movie, args.out, args.overwrite)
    _save(truth.pop("labels"), _labels_path(args.out), args.overwrite)
    truth_path = args.out.with_name(f"{args.out.stem}_truth.json")
    truth_path.write_text(
        json.dumps(
            {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in truth.items()}, indent=1
        )
    )
    print(f"wrote {truth_path}")


def _sim_transforming(args) -> None:
    from .simulate import transforming_lattice

    movie, labels = transforming_lattice(
        n_frames=args.frames, seed=args.seed, size=args.size, frame_time=args.frame_time
    )
    _save(movie, args.out, args.overwrite)
    _save(labels, _labels_path(args.out), args.overwrite)


LOCAL_SCHEDULERS = ("threads", "processes", "synchronous")


def _scheduler(address: str | None, default: str | None):
    """A local scheduler's name (``default`` for None), or a Client of the scheduler at
    ``address``; a one-line error for anything else or an unreachable scheduler."""
    if address is None or address in LOCAL_SCHEDULERS:
        return address or default
    if "://" not in address and ":" not in address:
        raise CommandError(
            f"--scheduler {address!r} is neither one of {', '.join(LOCAL_SCHEDULERS)} nor a "
            f"dask.distributed scheduler address such as tcp://host:8786."
        )
    from dask.distributed import Client

    try:  # gives up after dask's distributed.comm.timeouts.connect (30 s by default)
        return Client(address)
    except (OSError, TimeoutError, ValueError) as err:
        raise CommandError(f"cannot connect to the dask scheduler at {address}: {err}") from err


def _sim_training_set(args) -> None:
    from .simulate import build_training_set

    scheduler = _scheduler(args.scheduler, "processes")
    group = build_training_set(
        str(args.out),
        args.model,
        n_per_class=args.per_class,
        seed=args.seed,
        chunk_size=args.chunk_size,
        scheduler=scheduler,
        num_workers=args.workers,
        overwrite=args.overwrite,
        show_progressbar=not args.quiet,
    )
    attrs = group.attrs
    n = group["labels"].shape[0]
    print(
        f"wrote {args.out}: {n} descriptors of {len(attrs['class_names'])} classes in "
        f"{attrs['build_seconds']:.0f} s"
    )


def _add_common(p: argparse.ArgumentParser, seed_default: int | None = 0) -> None:
    p.add_argument(
        "--seed", type=int, default=seed_default, help="random seed (default: %(default)s)"
    )
    p.add_argument("--out", type=Path, required=True, help="output file (.zspy, .hspy, .tif, ...)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output")


def _add_size(p: argparse.ArgumentParser, default: int, pixel_size: bool = True) -> None:
    p.add_argument("--size", type=int, default=default, help="pixels (default: %(default)s)")
    if pixel_size:
        p.add_argument(
            "--pixel-size", type=float, default=0.12, help="Å/px (default: %(default)s)"
        )


def _add_augmentation(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--augmentation",
        choices=["none", "papers", "realistic"],
        default=None,
        help="noise, blur and scan distortions to add (default: none)",
    )


def _simulate_parser(sub) -> None:
    from .simulate.bravais import BRAVAIS_CLASSES
    from .simulate.crystals import AISTEM_CLASSES

    simulate = sub.add_parser(
        "simulate",
        help="simulate images, scenes and training sets",
        epilog=_examples(
            "hyperspy-symmetry simulate crystal FCC_Cu_100 --out cu.zspy",
            "hyperspy-symmetry simulate KIND --help",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = simulate.add_subparsers(dest="kind", required=True, metavar="KIND")

    p = kinds.add_parser(
        "crystal",
        help="HAADF-STEM image of an aistem class",
        epilog=_examples(
            "hyperspy-symmetry simulate crystal FCC_Cu_100 --size 256 --seed 0 --out cu.zspy",
            "hyperspy-symmetry simulate crystal HCP_Ti_0001 --rotation 15 --out ti.zspy",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "class_name",
        choices=list(AISTEM_CLASSES),
        metavar="CLASS",
        help=f"one of {', '.join(AISTEM_CLASSES)}",
    )
    _add_size(p, 256)
    p.add_argument("--rotation", type=float, default=0.0, help="degrees (default: %(default)s)")
    p.add_argument(
        "--lattice-parameter", type=float, default=None, help="a in Å (default: nominal)"
    )
    p.add_argument("--method", choices=["convolution", "multislice"], default="convolution")
    _add_augmentation(p)
    _add_common(p)
    p.set_defaults(run=_sim_crystal)

    p = kinds.add_parser(
        "bravais",
        help="image of a 2D Bravais lattice (or the noise class)",
        epilog=_examples(
            "hyperspy-symmetry simulate bravais hexagonal --size 256 --out hex.zspy",
            "hyperspy-symmetry simulate bravais oblique --a 12 --gamma 70 --out obl.zspy",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "lattice",
        choices=list(BRAVAIS_CLASSES),
        metavar="LATTICE",
        help=f"one of {', '.join(BRAVAIS_CLASSES)}",
    )
    _add_size(p, 256, pixel_size=False)
    p.add_argument("--a", type=float, default=None, help="lattice spacing, px (default: random)")
    p.add_argument("--b-over-a", type=float, default=None, help="length ratio (default: random)")
    p.add_argument("--gamma", type=float, default=None, help="degrees (default: random)")
    p.add_argument("--rotation", type=float, default=None, help="degrees (default: random)")
    _add_augmentation(p)
    _add_common(p)
    p.set_defaults(run=_sim_bravais)

    p = kinds.add_parser(
        "polycrystal",
        help="the AI-STEM four-grain test image and its labels",
        epilog=_examples(
            "hyperspy-symmetry simulate polycrystal --seed 0 --out poly.zspy",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--grain-size", type=float, default=40.0, help="Å (default: %(default)s)")
    p.add_argument("--pixel-size", type=float, default=0.12, help="Å/px (default: %(default)s)")
    _add_augmentation(p)
    _add_common(p)
    p.set_defaults(run=_sim_polycrystal)

    p = kinds.add_parser(
        "bicrystal",
        help="two grains and a boundary, with labels",
        epilog=_examples(
            "hyperspy-symmetry simulate bicrystal FCC_Cu_100 20 --out gb.zspy",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("class_name", choices=list(AISTEM_CLASSES), metavar="CLASS")
    p.add_argument("misorientation", type=float, help="degrees between the grains")
    p.add_argument("--rotation", type=float, default=0.0, help="left grain, degrees")
    p.add_argument("--second-class", choices=list(AISTEM_CLASSES), default=None)
    p.add_argument(
        "--core-disorder",
        type=float,
        default=0.4,
        help="rms displacement (Å) of atoms at the boundary plane; 0: a sharp boundary",
    )
    _add_size(p, 320)
    _add_augmentation(p)
    _add_common(p)
    p.set_defaults(run=_sim_bicrystal)

    p = kinds.add_parser(
        "damage-movie",
        help="a lattice in which holes grow exponentially",
        epilog=_examples(
            "hyperspy-symmetry simulate damage-movie --frames 24 --rho 0.02 --out damage.zspy",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--frames", type=int, default=24)
    _add_size(p, 384, pixel_size=False)
    p.add_argument("--frame-time", type=float, default=10.0, help="seconds per frame")
    p.add_argument("--rho", type=float, default=0.02, help="growth rate, 1/s")
    p.add_argument("--A0", type=float, default=0.004, help="initial hole fraction")
    p.add_argument("--holes", type=int, default=4, help="number of hole nucleation sites")
    _add_common(p)
    p.set_defaults(run=_sim_damage)

    p = kinds.add_parser(
        "transforming-lattice",
        help="a square lattice turning hexagonal",
        epilog=_examples(
            "hyperspy-symmetry simulate transforming-lattice --frames 30 --out t.zspy",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--frames", type=int, default=30)
    _add_size(p, 256, pixel_size=False)
    p.add_argument("--frame-time", type=float, default=1.0, help="seconds per frame")
    _add_common(p)
    p.set_defaults(run=_sim_transforming)

    p = kinds.add_parser(
        "training-set",
        help="descriptors and labels to a zarr folder",
        epilog=_examples(
            "hyperspy-symmetry simulate training-set aistem --out aistem_train.zarr",
            "hyperspy-symmetry simulate training-set bravais --per-class 100 --out small.zarr",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", choices=["aistem", "bravais"])
    p.add_argument(
        "--per-class",
        type=int,
        default=None,
        help="samples per class (default: 3100 aistem, 4000 bravais)",
    )
    p.add_argument("--chunk-size", type=int, default=256)
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument(
        "--scheduler",
        default=None,
        help="processes (default), threads, synchronous, or a dask.distributed scheduler address",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_common(p)
    p.set_defaults(run=_sim_training_set)


# -- train ---------------------------------------------------------------------------------


def _train(args) -> None:
    from .training import train_model

    train_model(
        args.model,
        args.out,
        seed=args.seed,
        epochs=args.epochs,
        n_per_class=args.per_class,
        held_out_per_class=args.held_out,
        eval_samples=args.mc_samples,
        data_dir=args.data_dir,
        num_workers=args.workers,
        verbose=0 if args.quiet else 2,
        overwrite=args.overwrite,
        initial_model=args.initial_model,
    )


def _train_parser(sub) -> None:
    from .training import PLANS

    p = sub.add_parser(
        "train",
        help="rebuild a shipped model from scratch (simulate, train, "
        "measure, write weights and card)",
        epilog=_examples(
            "hyperspy-symmetry train aistem --out my_aistem",
            "hyperspy-symmetry train bravais --epochs 5 --per-class "
            "200 --data-dir sets --out small_bravais",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", choices=sorted(PLANS))
    p.add_argument("--out", type=Path, required=True, help="model folder to write")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the plan's)")
    p.add_argument(
        "--per-class",
        type=int,
        default=None,
        help="training samples per class (default: the plan's)",
    )
    p.add_argument(
        "--held-out",
        type=int,
        default=None,
        help="held-out samples per class for the card's metrics (default: 300)",
    )
    p.add_argument(
        "--mc-samples",
        type=int,
        default=None,
        help="MC-dropout samples T for the card's metrics (default: 30)",
    )
    p.add_argument(
        "--data-dir", type=Path, default=None, help="keep (and reuse) the simulated sets here"
    )
    p.add_argument("--workers", type=int, default=None, help="processes for the simulation")
    p.add_argument("--quiet", action="store_true", help="no progress output from Keras")
    p.add_argument("--overwrite", action="store_true", help="replace a model already in --out")
    p.add_argument(
        "--initial-model",
        default=None,
        help="a model an earlier run trained with the same plan and seed: its weights replace "
        "the first stage, the later stages and the measurements run on them",
    )
    p.set_defaults(run=_train)


# -- classify ------------------------------------------------------------------------------


def _pixels_or_length(text: str) -> int | str:
    """``"100"`` -> 100 (pixels); anything else is a length for the signal methods."""
    try:
        return int(text)
    except ValueError:
        return text.strip()


def _classify(args) -> None:
    from .report import classify_file, format_summary

    scheduler = _scheduler(args.scheduler, None)
    client = None if scheduler is None or isinstance(scheduler, str) else scheduler
    try:
        summary = classify_file(
            args.input,
            args.out,
            model=args.model,
            window_size=args.window,
            stride=args.stride,
            n_samples=args.samples,
            seed=args.seed,
            lazy=True if args.lazy else None,
            signal_type=args.signal_type,
            signal_index=args.signal_index,
            overwrite=args.overwrite,
            show_progressbar=not args.quiet,
            scheduler=scheduler,
            precision="float32" if args.exact else args.precision,
            adaptive=False if args.exact else None,
            dropout="all" if args.exact else args.dropout,
        )
    except TypeError as err:  # e.g. complex data: a user error, reported in one line
        raise CommandError(str(err)) from err
    finally:
        if client is not None:
            client.close()
    window, stride = summary["window"], summary["stride"]
    print(
        f"{summary['model']['name']} {summary['model']['version']}: "
        f"window {window['pixels']} px, stride {stride['pixels']} px, "
        f"{summary['n_samples']} samples, seed {summary['seed']}, "
        f"{summary['n_windows']} windows in {summary['run_time_s']:.1f} s"
    )
    print(format_summary(summary))
    print(f"wrote {args.out}")


def _classify_parser(sub) -> None:
    p = sub.add_parser(
        "classify",
        help="classify an image file: probability and uncertainty maps, plots, summary.json",
        description="Map the local crystal symmetry of the image(s) in INPUT (any file "
        "RosettaSciIO reads) and write probabilities.zspy, uncertainty.zspy, "
        "class_map.png, uncertainty.png (first frame of a stack) and "
        "summary.json to DIR.",
        epilog=_examples(
            "hyperspy-symmetry classify image.dm4 --out result",
            'hyperspy-symmetry classify image.dm4 --window "12 Å" --stride "2.4 Å" '
            "--samples 100 --seed 0 --out result",
            "hyperspy-symmetry classify movie.zspy --model bravais --window 128 --stride 16 "
            "--lazy --out movie_result",
            "hyperspy-symmetry classify big.zspy --scheduler tcp://scheduler:8786 --out big",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "input",
        type=Path,
        metavar="INPUT",
        help="image file (dm3, dm4, emd, tif, hspy, zspy, ...)",
    )
    p.add_argument(
        "--model",
        default="aistem",
        help="shipped model name (see `hyperspy-symmetry models`) or model "
        "folder (default: %(default)s)",
    )
    p.add_argument(
        "--window",
        type=_pixels_or_length,
        default=None,
        help="window side: pixels (100) or a length ('12 Å', 1.2nm); default: the model card's",
    )
    p.add_argument(
        "--stride",
        type=_pixels_or_length,
        default=None,
        help="step between windows, pixels or a length; default: the model card's",
    )
    p.add_argument(
        "--samples",
        type=int,
        default=100,
        help="MC-dropout samples per window (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="dropout seed (default: random, recorded in summary.json)",
    )
    p.add_argument(
        "--precision",
        choices=["auto", "float32", "bfloat16"],
        default="auto",
        help="network arithmetic; auto: bfloat16 where the CPU (AVX512-BF16/AMX) "
        "or a GPU runs it natively (default: %(default)s)",
    )
    p.add_argument(
        "--exact",
        action="store_true",
        help="exact mode: float32, all samples for every window, every dropout layer "
        "sampled (default: the model card's sampling: the dropout layers it names, and "
        "adaptive stopping of converged windows where the card allows it)",
    )
    p.add_argument(
        "--dropout",
        choices=["model", "all"],
        default="model",
        help="dropout layers sampled: those the model card names, or all of them "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--lazy",
        action="store_true",
        help="read the input lazily (default: only large .zspy/.hspy files)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="threads (default), processes, synchronous, or a dask.distributed scheduler address",
    )
    p.add_argument(
        "--signal-type",
        default=IMAGE,
        choices=list(IMAGE_TYPES),
        help="signal type to give the image (default: %(default)s)",
    )
    p.add_argument(
        "--signal-index",
        type=int,
        default=None,
        help="which signal of a multi-signal file (default: its only 2D image)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.set_defaults(run=_classify)


def _demo(args) -> None:
    from .demo import format_demo, run_demo

    summary = run_demo(
        args.out,
        seed=args.seed,
        n_samples=args.samples,
        show_progressbar=not args.quiet,
        log=lambda message: args.quiet or print(message, file=sys.stderr),
    )
    print(format_demo(summary))
    print(f"wrote {args.out}")


def _demo_parser(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="the whole job on built-in simulated scenes (a few minutes)",
        description="Classify the simulated AI-STEM polycrystal with the aistem model and a "
        "short simulated beam-damage movie with the bravais model; write maps, "
        "phase fractions, the hole-growth fit and summary.json to DIR.",
        epilog=_examples(
            "hyperspy-symmetry demo --out demo_output",
            "hyperspy-symmetry demo --samples 10 --seed 1 --quiet --out quick",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument("--seed", type=int, default=0, help="scene and dropout seed (default: 0)")
    p.add_argument(
        "--samples",
        type=int,
        default=30,
        help="MC-dropout samples per window (default: %(default)s)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_demo)


# -- models --------------------------------------------------------------------------------


def _models(args) -> None:
    from .models import list_models, resolve_model

    cards = [resolve_model(name)[0] for name in list_models()]
    if args.json:
        print(json.dumps([_model_row(card) for card in cards], indent=2, ensure_ascii=False))
        return
    for card in cards:
        row = _model_row(card)
        print(
            f"{row['name']} (version {row['version']}): {row['n_classes']} classes, "
            f"descriptor {row['descriptor']}, window {row['window']}, stride {row['stride']}"
            + (f", trained at {row['pixel_size']}/px" if row["pixel_size"] else "")
        )
        print(f"  classes: {', '.join(row['classes'])}")


def _model_row(card) -> dict[str, Any]:
    return {
        "name": card.name,
        "version": card.version,
        "n_classes": card.n_classes,
        "classes": list(card.classes),
        "descriptor": card.descriptor,
        "window": card.default_window,
        "stride": card.default_stride,
        "pixel_size": card.pixel_size,
    }


def _models_parser(sub) -> None:
    p = sub.add_parser(
        "models",
        help="list the models: name, classes, descriptor, window",
        description="List the shipped models with their classes, descriptor and default "
        "window and stride (the names --model accepts).",
        epilog=_examples("hyperspy-symmetry models", "hyperspy-symmetry models --json"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(run=_models)


def _examples(*commands: str) -> str:
    """An ``epilog`` of example command lines."""
    return "examples:\n" + "\n".join(f"  $ {c}" for c in commands)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hyperspy-symmetry`` command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Local crystal-symmetry maps of atomic-resolution images.",
        epilog=_examples(
            "hyperspy-symmetry models",
            'hyperspy-symmetry classify image.dm4 --stride "2.4 Å" --out result',
            "hyperspy-symmetry demo --out demo_output",
            "hyperspy-symmetry simulate polycrystal --seed 0 --out poly.zspy",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _simulate_parser(sub)
    _train_parser(sub)
    _classify_parser(sub)
    _demo_parser(sub)
    _models_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Examples
    --------
    >>> from hyperspy_symmetry.cli import main
    >>> main(["simulate", "bravais", "hexagonal", "--size", "64", "--out", "hex.zspy"])
    wrote hex.zspy
    0
    """
    import warnings

    # RosettaSciIO's zspy writer uses a zarr 2 store that zarr announces as deprecated; the
    # package pins zarr < 3, so the warning only distracts on the command line.
    warnings.filterwarnings("ignore", message=".*NestedDirectoryStore is deprecated.*")
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[Any], None] = args.run
    try:
        run(args)
    except (CommandError, ValueError, FileExistsError, OSError, ImportError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
