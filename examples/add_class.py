"""Add your own class to a model: gold [110] on top of the ten ``aistem`` classes.

``hyperspy_symmetry.training.extend_model`` takes any ASE bulk structure and zone axis,
simulates HAADF windows of it (and of the base model's classes, so they are not
forgotten), adds an output unit to the network and fine-tunes it. The new model is a folder
with its own card; this script writes it to ``<models dir>/<name>`` and then uses it by
name and by path on a simulated gold image.

The models folder is ``--models-dir`` if given, else ``$HYPERSPY_SYMMETRY_MODELS``, else
``~/.local/share/hyperspy_symmetry/models``: models there are found by name
(``classify_symmetry(model="aistem_au")``, ``hyperspy_symmetry.list_models()``).

Writes to ``--out``: ``gold.zspy``, ``probabilities.zspy`` and ``summary.json``.

Run ``python examples/add_class.py --out add_class_output`` (roughly 10 minutes on 2 cores
with the defaults: 1,000 training windows per class; ``--quick`` trains on 12 windows per
class for one epoch, in about a minute, to try the steps; its model is not accurate).
"""

from __future__ import annotations

import argparse
import json
import os
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
        default=Path("add_class_output"),
        help="output folder (default: %(default)s)",
    )
    parser.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="user models folder (default: $HYPERSPY_SYMMETRY_MODELS or "
        "~/.local/share/hyperspy_symmetry/models)",
    )
    parser.add_argument(
        "--name", default="aistem_au", help="new model's name (default: %(default)s)"
    )
    parser.add_argument("--base", default="aistem", help="model to extend (default: %(default)s)")
    parser.add_argument(
        "--per-class",
        type=int,
        default=1000,
        help="simulated training windows per class (default: %(default)s)",
    )
    parser.add_argument(
        "--epochs", type=int, default=6, help="fine-tuning epochs (default: %(default)s)"
    )
    parser.add_argument(
        "--held-out",
        type=int,
        default=100,
        help="held-out windows per class for the card (default: %(default)s)",
    )
    parser.add_argument(
        "--mc-samples",
        type=int,
        default=30,
        help="MC samples for the card's metrics and the map (default: %(default)s)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="simulation processes (default: all cores)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny settings to try the steps: 12 windows per class, 1 epoch, "
        "4 held-out windows per class, 4 MC samples",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.per_class, args.epochs, args.held_out, args.mc_samples = 12, 1, 4, 4
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.models_dir is not None:
        # where list_models() and classify_symmetry(model=name) look for the user's models
        os.environ["HYPERSPY_SYMMETRY_MODELS"] = str(args.models_dir.resolve())

    from ase.build import bulk

    import hyperspy_symmetry as hss
    from hyperspy_symmetry.models.registry import user_models_dir
    from hyperspy_symmetry.simulate import crystal_image
    from hyperspy_symmetry.training import extend_model

    # 1. The new class: an ASE bulk cell and the zone axis looking down the beam.
    gold = bulk("Au", "fcc", a=4.08, cubic=True)
    new_classes = {"FCC_Au_110": (gold, (1, 1, 0))}

    # 2. Extend and fine-tune; the model folder goes to the user models folder.
    folder = user_models_dir() / args.name
    t0 = time.perf_counter()
    card = extend_model(
        args.base,
        new_classes,
        name=args.name,
        out=folder,
        n_per_class=args.per_class,
        epochs=args.epochs,
        held_out_per_class=args.held_out,
        eval_samples=args.mc_samples,
        seed=args.seed,
        num_workers=args.workers,
        verbose=0,
    )
    seconds = time.perf_counter() - t0
    print(
        f"{args.name}: {len(card.classes)} classes, held-out accuracy "
        f"{card.metrics['accuracy']:.3f} (new class {card.metrics['accuracy_new_classes']:.3f}), "
        f"{seconds:.0f} s"
    )
    print(f"list_models(): {hss.list_models()}")

    # 3. Use it, by name (found in the user models folder) and by path (any folder).
    image = crystal_image(
        gold, zone_axis=(1, 1, 0), size=200, pixel_size=0.12, rotation=10, seed=args.seed + 7
    )
    image.save(args.out / "gold.zspy", overwrite=True)
    kw = dict(stride="4.8 Å", n_samples=args.mc_samples, seed=args.seed, show_progressbar=False)
    p = image.classify_symmetry(model=args.name, **kw)
    p_path = image.classify_symmetry(model=folder, **kw)
    p.save(args.out / "probabilities.zspy", overwrite=True)
    mean = np.asarray(p.data).mean(axis=(-2, -1))
    order = np.argsort(mean)[::-1]
    summary = {
        "model": args.name,
        "model_folder": str(folder),
        "classes": card.classes,
        "base_model": card.training["base_model"],
        "accuracy": card.metrics["accuracy"],
        "accuracy_old_classes": card.metrics["accuracy_old_classes"],
        "accuracy_new_classes": card.metrics["accuracy_new_classes"],
        "seconds": round(seconds, 1),
        "listed_by_name": args.name in hss.list_models(),
        "by_name_equals_by_path": bool(np.array_equal(p.data, p_path.data)),
        "probabilities_shape": list(p.data.shape),
        "gold_image_mean_probability": {card.classes[k]: float(mean[k]) for k in order[:3]},
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(
        "mean probabilities on a gold [110] image: "
        + ", ".join(f"{k} {v:.2f}" for k, v in summary["gold_image_mean_probability"].items())
    )
    return summary


if __name__ == "__main__":
    main()
