"""Robustness of a HAADF model to each imperfection of real imaging, and to all of them.

Sweeps every imperfection of :data:`hyperspy_symmetry.training.robustness.IMPERFECTIONS` on
held-out simulated windows of all ten ``aistem`` classes (seed 1000, never used in training)
and draws all of them together as the training recipe does (seed 2000). For each strength:
window accuracy, median mutual information and the fraction of windows that are wrong with MI
below the model's interface threshold ("confidently wrong"). Writes JSON (``--json``), a
plot of accuracy and median MI against strength (``--plot``) and the Markdown table of
docs/benchmarks.md (``--markdown``)::

    .venv/bin/python benchmarks/robustness.py --json benchmarks/results/robustness.json \\
        --plot docs/images/robustness.png --markdown benchmarks/results/robustness.md

The model's card holds the same figures (``metrics.robustness``), written by
``hyperspy-symmetry train aistem``.
"""

from __future__ import annotations

import argparse
import json
import time


def markdown_table(robustness: dict) -> str:
    """The sweep as a Markdown table: accuracy (median MI, confidently wrong) per strength."""
    lines = [
        "| imperfection | unit | realistic up to "
        "| strength: accuracy (median MI bits, confidently wrong) | accuracy < 95 % from |",
        "|---|---|---|---|---|",
    ]
    combined = robustness.get("combined")
    for name, r in robustness.items():
        if name == "combined":
            continue
        cells = "; ".join(
            f"{s:g}: {100 * a:.1f} % ({m:.2g}, {100 * w:.1f} %)"
            for s, a, m, w in zip(
                r["strengths"], r["accuracy"], r["mi_median"], r["confidently_wrong"], strict=False
            )
        )
        below = r["accuracy_below_95_at"]
        lines.append(
            f"| {r['what']} | {r['unit']} | {r['realistic']:g} | {cells} | "
            f"{'-' if below is None else f'{below:g}'} |"
        )
    if combined:
        lines.append(
            f"| all together, as in training ({combined['n_windows']} windows) | | | "
            f"{100 * combined['accuracy']:.1f} % ({combined['mi_median']:.2g}, "
            f"{100 * combined['confidently_wrong']:.1f} %) | |"
        )
    return "\n".join(lines) + "\n"


def plot(robustness: dict, path: str, threshold: float = 0.1) -> None:
    """Accuracy and median MI against strength, one panel per imperfection; every MI axis
    spans the same 1e-4 to 1 bits, with the interface ``threshold`` dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in robustness if n != "combined"]
    cols = 5
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), layout="constrained")
    for ax, name in zip(axes.flat, names, strict=False):
        r = robustness[name]
        x = range(len(r["strengths"]))
        ax.plot(x, [100 * a for a in r["accuracy"]], "o-", color="#0072B2")
        ax.axhline(95, color="#0072B2", lw=0.6, ls=":")
        ax.set_ylim(0, 102)
        ax.set_xticks(list(x), [f"{s:g}" for s in r["strengths"]], fontsize=7)
        ax.set_title(f"{name} ({r['unit']})" if r["unit"] else name, fontsize=9)
        ax.set_ylabel("accuracy (%)", color="#0072B2", fontsize=8)
        twin = ax.twinx()
        twin.semilogy(x, [max(m, 1e-4) for m in r["mi_median"]], "s--", color="#D55E00")
        twin.set_ylim(1e-4, 1)
        twin.axhline(threshold, color="#D55E00", lw=0.6, ls=":")
        twin.set_ylabel("median MI (bits)", color="#D55E00", fontsize=8)
        realistic = [i for i, s in enumerate(r["strengths"]) if s == r["realistic"]]
        if realistic:
            ax.axvline(realistic[0], color="0.5", lw=0.8)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.savefig(path, dpi=90)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="aistem")
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--combined-per-class", type=int, default=50)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--only", nargs="*", help="imperfections to sweep (default all)")
    parser.add_argument("--json")
    parser.add_argument("--plot")
    parser.add_argument("--markdown")
    args = parser.parse_args(argv)

    from hyperspy_symmetry.models import load_model
    from hyperspy_symmetry.training.robustness import combined_metrics, robustness_sweep

    model = load_model(args.model)
    t0 = time.perf_counter()
    result = robustness_sweep(
        model, args.only, n_per_class=args.per_class, n_samples=args.samples, log=print
    )
    result["combined"] = combined_metrics(
        model, n_per_class=args.combined_per_class, n_samples=args.samples
    )
    print(f"combined: {result['combined']}; {time.perf_counter() - t0:.0f} s")
    table = markdown_table(result)
    print(table)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "model": model.card.name,
                    "sha256": model.card.sha256,
                    "interface_threshold": model.card.threshold,
                    "robustness": result,
                },
                fh,
                indent=1,
            )
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(table)
    if args.plot:
        plot(result, args.plot, model.card.threshold)


if __name__ == "__main__":
    main()
