"""``bravais``: which dropout layers to sample, judged by accuracy, uncertainty and speed.

The shipped ``bravais`` network (Vasudevan et al. 2018) has dropout after each of its three
convolutions and its dense layer, and was trained so. Sampling all four with masks
(``dropout="all"``) makes each of the T samples a full pass of about 60 M multiply-adds.
The card's way (``dropout="model"``, version 0.2.1) samples the third convolution's dropout
from the Gaussian it gives the dense layer (``gaussian_dropout``) and the dense layer's with
masks (``sampled_dropout``): everything up to the dense layer runs once per window, and a
sample is the last layer, 128 x 6 multiply-adds. Version 0.1.0 sampled the masks of the
third convolution's dropout and the dense layer's, version 0.2.0 the dense layer's alone.

Part 1, on the card's held-out data, each of those ways the network has, with the same
weights and masks: the held-out windows (``bravais`` recipe, seed 1, no holes), the
out-of-distribution windows (decagonal quasicrystals) and lattice windows with holes
(seed 3). Reports accuracy, top-2, expected calibration error, median mutual information
(MI) in and out of distribution, how well MI separates them (AUROC), the noise probability
against the hole coverage, and the agreement of the card's way with every layer (same
predicted class, MI correlation).

Part 2, speed: frame ``--frame`` of a ``--size`` px
:func:`hyperspy_symmetry.simulate.damage_movie` (seed 3: a hexagonal lattice, with holes
growing from frame 0 on), 128 px windows every 16 px, T = 100, after one untimed run of the
defaults with another seed (the process's one-off costs), classified in the exact mode
(float32, all samples, all layers), in the exact mode with another seed, with adaptive
stopping over all layers (the defaults of the first release), with adaptive stopping over
the card's layers, with the defaults (the card's layers and its ``adaptive_sampling``), and
with all T samples of the masks of the dense layer alone and of the third convolution's
and the dense layer's dropout (copies of the model whose cards sample those), each end to
end (``classify_symmetry`` + ``mc_uncertainty``), against the exact mode.

The figures in ``docs/benchmarks.md`` and the card come from::

    .venv/bin/python benchmarks/bench_bravais_sampling.py \\
        --json benchmarks/results/bravais_sampling.json
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from bench_pipeline import write_json


def auroc(inside: np.ndarray, outside: np.ndarray) -> float:
    """Probability that an out-of-distribution window has a higher MI than an inside one."""
    from scipy.stats import mannwhitneyu

    u = mannwhitneyu(outside, inside, alternative="greater").statistic
    return float(u / (len(inside) * len(outside)))


def held_out_figures(per_class: int, samples: int) -> dict:
    """Part 1: the card's held-out figures with every dropout layer and with the card's."""
    import hyperspy_symmetry as hss
    from hyperspy_symmetry.simulate import TrainingSetRecipe, make_samples
    from hyperspy_symmetry.training.ood import ood_descriptors
    from hyperspy_symmetry.training.trainer import evaluate_network, hole_metrics

    model = hss.load_model("bravais")
    card = model.card
    recipe = TrainingSetRecipe.default("bravais", n_per_class=per_class, seed=1, holes=None)
    x, y, _ = make_samples(recipe, 0, recipe.n_samples)
    ood, _ = ood_descriptors("bravais", n=max(200, per_class), seed=1)
    hole_recipe = TrainingSetRecipe.from_dict(card.training["data_recipe"])
    # each way: the engine's sampled_layers and gaussian_layers
    ways = {
        "all": {},
        "conv3 and dense (version 0.1.0)": {"sampled_layers": ["dropout_conv3", "dropout_dense"]},
        "dense only (version 0.2.0)": {"sampled_layers": ["dropout_dense"]},
        "model": card.sampling,
    }
    # Only the ways this network has: one trained with dropout after the dense layer alone
    # (bravais_cnn(dropout_from=4), the trials in docs/training.md) has no dropout_conv3, and
    # there "all" and "model" are the same.
    names = {layer.name for layer in model.network.layers}
    ways = {w: kw for w, kw in ways.items() if set(kw.get("sampled_layers") or []) <= names}
    out, arrays = {}, {}
    for way, sampling in ways.items():
        mi: dict = {}
        t0 = time.perf_counter()
        m = evaluate_network(
            model.network,
            x,
            y,
            samples,
            0,
            ood=ood,
            mi_out=mi,
            **sampling,
        )
        m.pop("confusion_matrix")
        m["auroc_in_vs_out"] = auroc(mi["in"], mi["out"])
        m["holes"] = hole_metrics(model.network, hole_recipe, 100, samples, 3, **sampling)
        m["seconds"] = round(time.perf_counter() - t0, 1)
        m["sampled_layers"] = sampling.get("sampled_layers") or "all"
        m["gaussian_layers"] = sampling.get("gaussian_layers") or []
        out[way], arrays[way] = m, mi
        print(way, {k: v for k, v in m.items() if k != "holes"}, m["holes"])
    same = np.mean(arrays["model"]["p_in"].argmax(1) == arrays["all"]["p_in"].argmax(1))
    out["agreement"] = {
        "class_agreement": float(same),
        "mi_correlation": float(np.corrcoef(arrays["model"]["in"], arrays["all"]["in"])[0, 1]),
    }
    print("agreement", out["agreement"])
    return out


def _sampling_copy(folder: str, sampled: list[str], into: str, name: str = "model") -> str:
    """A copy of the model in ``folder`` whose card samples the dropout layers ``sampled``,
    all with masks."""
    import shutil
    from dataclasses import replace

    from hyperspy_symmetry.models.cards import CARD_FILENAME, ModelCard

    copy = shutil.copytree(folder, os.path.join(into, name))
    path = os.path.join(copy, CARD_FILENAME)
    card = ModelCard.load(path)
    replace(card, sampled_dropout=list(sampled), gaussian_dropout=None).save(path)
    return copy


def damage_frame(size: int, frame_index: int) -> np.ndarray:
    """Frame ``frame_index`` of the ``size`` px ``damage_movie(seed=3)``, float32; prints its
    hole fraction."""
    from hyperspy_symmetry.simulate import damage_movie

    movie, truth = damage_movie(n_frames=frame_index + 1, seed=3, size=size)
    print(f"frame {frame_index}: hole fraction {truth['hole_fraction'][frame_index]:.3f}")
    return np.asarray(movie.data[frame_index], dtype=np.float32)


def frame_speed(size: int, samples: int, frame_index: int = 0) -> dict:
    """Part 2: seconds per frame in the exact mode and the other modes, and how they agree."""
    import tempfile

    import dask
    import hyperspy.api as hs

    from hyperspy_symmetry import pipeline
    from hyperspy_symmetry.models import cached_model, resolve_model

    s = hs.signals.Signal2D(damage_frame(size, frame_index))
    s.set_signal_type("atomic_resolution")
    shipped = resolve_model("bravais")[1]
    cached_model(shipped)  # TensorFlow and the weights: not timed
    scratch = tempfile.TemporaryDirectory()
    conv3 = _sampling_copy(shipped.folder, ["dropout_conv3", "dropout_dense"], scratch.name)
    dense = _sampling_copy(shipped.folder, ["dropout_dense"], scratch.name, "dense")
    modes = {
        "exact": dict(precision="float32", adaptive=False, dropout="all"),
        # how well the exact mode agrees with itself: its Monte-Carlo noise
        "exact, another seed": dict(precision="float32", adaptive=False, dropout="all", seed=1),
        "all layers, adaptive": dict(precision="auto", adaptive=True, dropout="all"),
        "card's layers, adaptive": dict(precision="auto", adaptive=True, dropout="model"),
        "defaults": dict(precision="auto", adaptive=None, dropout="model"),
        # the defaults of version 0.2.0: the dense layer's masks alone
        "dense only, all samples": dict(
            precision="auto", adaptive=False, dropout="model", model=dense
        ),
        # the masks of both layers are the exact mode's (each keeps its place among all four)
        "conv3 and dense, all samples": dict(
            precision="auto", adaptive=False, dropout="model", model=conv3
        ),
    }
    out, stats = {}, {}
    base = dict(
        model="bravais",
        window_size=128,
        stride=16,
        n_samples=samples,
        seed=0,
        lazy_output=True,
        show_progressbar=False,
    )
    # The process's one-off costs (TensorFlow's kernels and buffers, the allocator's growth)
    # are paid by one untimed run of the defaults with another seed, not by the first mode.
    dask.compute(s.classify_symmetry(**dict(base, seed=7)).data)
    for name, mode in modes.items():
        kw = dict(base)
        kw.update(mode)
        s.classify_symmetry(**dict(kw, n_samples=2)).data[:, :1, :1].compute()  # trace once
        pipeline.clear_cache()
        cpu0, t0 = os.times(), time.perf_counter()
        p = s.classify_symmetry(**kw)
        u = s.mc_uncertainty(**kw)
        p_data, u_data = dask.compute(p.data, u.data)
        wall, cpu1 = time.perf_counter() - t0, os.times()
        cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        n = int(np.prod(p_data.shape[-2:]))
        stats[name] = (p_data.reshape(p_data.shape[0], -1).argmax(0), u_data.ravel())
        out[name] = {
            "seconds": round(wall, 2),
            "frames_per_second": round(1 / wall, 4),
            "windows_per_second": round(n / wall, 1),
            "cpu_over_wall": round(cpu / wall, 2),
            "windows": n,
            **mode,
            "model": (
                "bravais"
                if mode.get("model") is None
                else "bravais, masks of "
                + ("conv3 and dense" if mode["model"] == conv3 else "dense only")
            ),
            "adaptive": bool(p.metadata.Symmetry.adaptive),
        }
        print(name, out[name])
    labels, mi = stats["exact"]
    for name in modes:
        if name != "exact":
            out[name]["vs_exact"] = {
                "class_agreement": float(np.mean(stats[name][0] == labels)),
                "mi_correlation": float(np.corrcoef(stats[name][1], mi)[0, 1]),
            }
            print(name, "vs exact:", out[name]["vs_exact"])
    scratch.cleanup()
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=300, help="held-out windows per class")
    parser.add_argument("--eval-samples", type=int, default=30, help="T of part 1 (the card's)")
    parser.add_argument("--size", type=int, default=1024, help="frame side of part 2, px")
    parser.add_argument("--samples", type=int, default=100, help="T of part 2")
    parser.add_argument("--frame", type=int, default=0, help="frame of the movie in part 2")
    parser.add_argument("--skip-held-out", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the start",
    }
    if not args.skip_held_out:
        results["held_out"] = held_out_figures(args.per_class, args.eval_samples)
    if not args.skip_speed:
        results["frame"] = {"size": args.size, "n_samples": args.samples, "index": args.frame}
        results["frame"].update(frame_speed(args.size, args.samples, args.frame))
    if args.json:
        write_json(results, args.json)
    return results


if __name__ == "__main__":
    main()
