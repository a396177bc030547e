"""Classify one image: simulate a polycrystal, map its symmetry and uncertainty, save.

The image is the AI-STEM test scene (bcc Fe [100], fcc Cu [100], hcp Ti [0001] and an
amorphous grain, simulated with abTEM), so the result can be checked against the ground
truth: the script reports the accuracy on windows wholly inside a crystalline grain and the
median mutual information inside the crystals and inside the amorphous grain.

Writes to ``--out``: ``image.zspy``, ``probabilities.zspy``, ``uncertainty.zspy``,
``maps.png`` and ``summary.json``.

Run ``python examples/classify_image.py --out classify_output`` (about a minute on 2 cores
with the defaults; ``--grain-size 15 --stride "6 Å" --samples 5`` for a quick look).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("classify_output"),
        help="output folder (default: %(default)s)",
    )
    parser.add_argument(
        "--grain-size",
        type=float,
        default=40.0,
        help="side of each of the four grains, Å (default: %(default)s)",
    )
    parser.add_argument(
        "--pixel-size", type=float, default=0.12, help="Å per pixel (default: %(default)s)"
    )
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="add realistic microscope noise, blur and scan distortions",
    )
    parser.add_argument(
        "--model", default="aistem", help="model name or folder (default: %(default)s)"
    )
    parser.add_argument(
        "--window", default="12 Å", help="window side, px or length (default: %(default)s)"
    )
    parser.add_argument(
        "--stride", default="2.4 Å", help="window step, px or length (default: %(default)s)"
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=100,
        help="Monte-Carlo dropout samples T (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    return parser.parse_args(argv)


def as_size(text: str):
    """``"100"`` -> 100 px; anything else (``"12 Å"``) is a length."""
    return int(text) if text.strip().isdigit() else text


def main(argv=None) -> dict:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hyperspy_symmetry.simulate import AugmentationRecipe, polycrystal_scene
    from hyperspy_symmetry.training.scenes import window_labels

    # 1. A test image with per-pixel ground truth.
    t0 = time.perf_counter()
    recipe = AugmentationRecipe.realistic() if args.realistic else None
    image, labels = polycrystal_scene(
        seed=args.seed, grain_size=args.grain_size, pixel_size=args.pixel_size, augmentation=recipe
    )
    image.save(args.out / "image.zspy", overwrite=True)
    print(
        f"simulated a {image.data.shape[1]} x {image.data.shape[0]} px image "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    # 2. Class probabilities and mutual information; the second call reuses the first's
    #    Monte-Carlo samples (same model, window, stride, samples and seed).
    t0 = time.perf_counter()
    kw = dict(
        model=args.model,
        window_size=as_size(args.window),
        stride=as_size(args.stride),
        n_samples=args.samples,
        seed=args.seed,
        show_progressbar=False,
    )
    p = image.classify_symmetry(**kw)
    u = image.mc_uncertainty(**kw)
    seconds = time.perf_counter() - t0
    window = int(p.metadata.Symmetry.window_size)
    stride = int(p.metadata.Symmetry.stride)
    n_windows = int(u.data.size)
    print(f"classified {n_windows} windows of {window} px (T = {args.samples}) in {seconds:.1f} s")

    # 3. Save the results (they load back with their signal types).
    p.save(args.out / "probabilities.zspy", overwrite=True)
    u.save(args.out / "uncertainty.zspy", overwrite=True)

    # 4. Compare with the ground truth on windows wholly inside one grain.
    predicted = p.predicted_class().data
    truth_names = list(labels.metadata.Symmetry.class_names)
    truth = window_labels(labels.data, window, stride)
    to_model = np.array(
        [p.class_names.index(n) if n in p.class_names else -2 for n in truth_names]
    )
    inside = truth >= 0
    crystal = inside & (to_model[np.where(inside, truth, 0)] >= 0)
    amorphous = inside & ~crystal
    expected = to_model[np.where(crystal, truth, 0)]
    summary = {
        "image_shape": list(image.data.shape),
        "probabilities_shape": list(p.data.shape),
        "uncertainty_shape": list(u.data.shape),
        "class_names": p.class_names,
        "window_px": window,
        "stride_px": stride,
        "n_samples": args.samples,
        "seconds": round(seconds, 2),
        "uncertainty_quantity": u.metadata.Signal.quantity,
        "crystal_windows": int(crystal.sum()),
        "crystal_accuracy": float((predicted[crystal] == expected[crystal]).mean())
        if crystal.any()
        else None,
        "median_mi_crystal": float(np.median(u.data[crystal])) if crystal.any() else None,
        "median_mi_amorphous": float(np.median(u.data[amorphous])) if amorphous.any() else None,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    for key in ("crystal_windows", "crystal_accuracy", "median_mi_crystal", "median_mi_amorphous"):
        print(f"  {key}: {summary[key]}")

    # 5. A figure: image, predicted class, mutual information.
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.5))
    axes[0].imshow(image.data, cmap="gray")
    axes[0].set_title("image")
    im = axes[1].imshow(np.ma.masked_less(predicted, 0), cmap="tab10", vmin=-0.5, vmax=9.5)
    axes[1].set_title("predicted class")
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=plt.cm.tab10(i % 10)) for i in range(len(p.class_names))
    ]
    axes[1].legend(handles, p.class_names, fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    im = axes[2].imshow(u.data, cmap="viridis")
    fig.colorbar(im, ax=axes[2], label=u.metadata.Signal.quantity)
    axes[2].set_title("mutual information")
    fig.tight_layout()
    fig.savefig(args.out / "maps.png", dpi=90)
    plt.close(fig)
    print(
        f"wrote {args.out}/image.zspy, probabilities.zspy, uncertainty.zspy, maps.png, "
        f"summary.json"
    )
    return summary


if __name__ == "__main__":
    main()
