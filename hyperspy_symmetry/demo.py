"""The built-in demonstration: the whole job on simulated scenes with known answers.

``hyperspy-symmetry demo --out DIR`` (and ``make demo``) runs :func:`run_demo`:

1. the AI-STEM polycrystal (:func:`~hyperspy_symmetry.simulate.polycrystal_scene`: bcc Fe,
   fcc Cu, hcp Ti and an amorphous grain) classified with the shipped ``aistem`` model:
   class and uncertainty maps, the bulk/interface segmentation and the accuracy inside the
   grains against the ground truth;
2. a short beam-damage movie (:func:`~hyperspy_symmetry.simulate.damage_movie`) classified
   with the shipped ``bravais`` model: phase fractions per frame and the hole-growth fit
   ``A(t) = A0 exp(rho t) + C`` of the ``noise`` fraction (the mean probability, as the
   paper defines it) and of the hole area read from the windows' Bragg amplitudes, next to
   the true ``rho`` and an intensity-threshold cross-check.

Everything is written to ``DIR`` (``.zspy`` stores, PNG figures, ``summary.json``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .plotting import save_figure

__all__ = ["run_demo", "format_demo", "DEMO_MOVIE"]

#: The damage movie of the demo: frames large enough that the holes outgrow the
#: 128 px windows, as in the Bravais paper's movie.
DEMO_MOVIE = dict(n_frames=24, size=384, frame_time=10.0, rho=0.02, A0=0.004, n_holes=4)


def _polycrystal(
    out: Path, seed: int, n_samples: int, progress: bool, log, grain_size: float
) -> dict[str, Any]:
    from .simulate import polycrystal_scene
    from .training.scenes import window_labels

    t0 = time.perf_counter()
    image, labels = polycrystal_scene(seed=seed, grain_size=grain_size)
    kw = dict(model="aistem", stride=16, n_samples=n_samples, seed=seed, show_progressbar=progress)
    log(f"polycrystal: {image.data.shape[1]} x {image.data.shape[0]} px, classifying with aistem")
    p = image.classify_symmetry(**kw)
    u = image.mc_uncertainty(**kw)
    seg = u.segment(probabilities=p, show_progressbar=progress)  # the model's interface threshold
    window, stride = int(p.metadata.Symmetry.window_size), int(p.metadata.Symmetry.stride)
    inside = window_labels(labels.data, window, stride)
    grains = list(labels.metadata.Symmetry.class_names)
    predicted = np.asarray(p.predicted_class().data)
    mi = np.asarray(u.data)
    per_grain = {}
    for g, name in enumerate(grains):
        mask = inside == g
        entry = {
            "windows": int(mask.sum()),
            "mi_median": float(np.median(mi[mask])),
            "bulk": round(float(np.mean(seg.bulk.data[mask])), 4),
        }
        if name != "amorphous":
            entry["correct"] = round(
                float(np.mean(predicted[mask] == p.class_names.index(name))), 4
            )
        per_grain[name] = entry
    image.save(out / "polycrystal.zspy", overwrite=True)
    labels.save(out / "polycrystal_labels.zspy", overwrite=True)
    p.save(out / "polycrystal_probabilities.zspy", overwrite=True)
    u.save(out / "polycrystal_uncertainty.zspy", overwrite=True)
    save_figure(p.plot_class_map, out / "polycrystal_classes.png", image=image)
    save_figure(u.plot_map, out / "polycrystal_uncertainty.png", image=image)
    return {
        "image_pixels": list(image.data.shape),
        "window": window,
        "stride": stride,
        "n_windows": int(mi.size),
        "n_samples": n_samples,
        "grains": per_grain,
        "interface_threshold": seg.threshold,
        "bulk_fraction": round(float(np.mean(seg.bulk.data)), 4),
        "segmented_grains": seg.grain_classes,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _movie(
    out: Path, seed: int, n_samples: int, progress: bool, log, settings: dict[str, Any]
) -> dict[str, Any]:
    from .simulate import damage_movie

    t0 = time.perf_counter()
    movie, truth = damage_movie(seed=seed, **settings)
    baseline = 6 * settings["frame_time"]
    log(
        f"damage movie: {settings['n_frames']} frames of {settings['size']} px, "
        "classifying with bravais"
    )
    p = movie.classify_symmetry(
        model="bravais",
        window_size=128,
        stride=32,
        n_samples=n_samples,
        seed=seed,
        show_progressbar=progress,
    )
    fractions = p.phase_fractions()
    fit = fractions.fit_growth("noise", baseline_until=baseline, show_progressbar=progress)
    area = p.phase_fractions(hole_area=True, image=movie, show_progressbar=progress)
    area_fit = area.fit_growth("noise", baseline_until=baseline, show_progressbar=progress)
    from .analysis.kinetics import fit_growth

    cross = fit_growth(movie.hole_fraction(show_progressbar=progress), baseline)
    movie.save(out / "damage_movie.zspy", overwrite=True)
    fractions.save(out / "damage_movie_phase_fractions.zspy", overwrite=True)
    save_figure(lambda ax: fractions.plot_fractions(ax=ax), out / "damage_movie_fractions.png")
    rho = float(truth["rho"])
    return {
        "frames": settings["n_frames"],
        "frame_pixels": settings["size"],
        "window": 128,
        "stride": 32,
        "n_samples": n_samples,
        "true_rho": rho,
        "noise_fit": {k: fit[k] for k in ("A0", "rho", "C", "A0_std", "rho_std")},
        "noise_rho_error": round(fit["rho"] / rho - 1, 4),
        "hole_area_fit": {k: area_fit[k] for k in ("A0", "rho", "C", "A0_std", "rho_std")},
        "hole_area_rho_error": round(area_fit["rho"] / rho - 1, 4),
        "hole_area_mae": round(
            float(np.mean(np.abs(area.fraction("noise").data - truth["hole_fraction"]))), 4
        ),
        "hole_threshold_fit": {k: cross[k] for k in ("A0", "rho", "C", "A0_std", "rho_std")},
        "hole_threshold_rho_error": round(cross["rho"] / rho - 1, 4),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def run_demo(
    out: str | Path,
    seed: int = 0,
    n_samples: int = 30,
    show_progressbar: bool = True,
    log: Callable[[str], None] = print,
    *,
    grain_size: float = 40.0,
    movie: dict[str, Any] | None = None,
) -> dict:
    """Run the demonstration and write its results to ``out``.

    Parameters
    ----------
    out
        Output folder (created when missing; existing demo files are replaced).
    seed
        Seed of the scenes and of the dropout masks.
    n_samples
        MC-dropout samples per window.
    show_progressbar
        Show progress bars (tqdm, on stderr).
    log
        Where progress messages go.
    grain_size
        Grain side of the polycrystal, Å (the paper: 40 Å).
    movie
        Changes to :data:`DEMO_MOVIE` (arguments of
        :func:`~hyperspy_symmetry.simulate.damage_movie`).

    Returns
    -------
    dict
        The content of ``out/summary.json``.

    Examples
    --------
    >>> # Not run as a test: the full-size scenes take minutes to simulate and classify.
    >>> summary = run_demo("demo_output")  # doctest: +SKIP
    >>> summary["polycrystal"]["grains"]["FCC_Cu_100"]["correct"]  # doctest: +SKIP
    1.0
    """
    from . import __version__
    from .checks import check_number, check_output_folder

    check_number(n_samples, "n_samples", low=1, integer=True)
    out = check_output_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    summary = {
        "version": __version__,
        "seed": int(seed),
        "polycrystal": _polycrystal(out, seed, n_samples, show_progressbar, log, grain_size),
        "damage_movie": _movie(
            out, seed, n_samples, show_progressbar, log, {**DEMO_MOVIE, **(movie or {})}
        ),
    }
    summary["seconds"] = round(time.perf_counter() - began, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def format_demo(summary: dict) -> str:
    """A short text report of :func:`run_demo`'s summary."""
    poly, movie = summary["polycrystal"], summary["damage_movie"]
    lines = ["Polycrystal (aistem): grain       windows  correct     bulk  median MI (bits)"]
    for name, g in poly["grains"].items():
        correct = f"{100 * g['correct']:6.1f} %" if "correct" in g else "      -"
        lines.append(
            f"  {name:<28s}{g['windows']:>7d}  {correct}  {100 * g['bulk']:5.1f} %  "
            f"{g['mi_median']:.2g}"
        )
    lines.append(
        f"  bulk (MI < {poly['interface_threshold']:g} bits, the model's interface "
        f"threshold): {100 * poly['bulk_fraction']:.1f} % of windows; "
        f"{poly['seconds']:.0f} s"
    )
    lines.append(f"Damage movie (bravais): true rho {movie['true_rho']:.4g} /s")
    for label, key in (
        ("noise phase fraction", "noise"),
        ("hole area (Bragg)", "hole_area"),
        ("intensity threshold", "hole_threshold"),
    ):
        fit = movie[f"{key}_fit"]
        lines.append(
            f"  {label:<22s} rho {fit['rho']:.4g} ± {fit['rho_std']:.2g} /s "
            f"({100 * movie[f'{key}_rho_error']:+.1f} %)"
        )
    lines.append(f"  {movie['seconds']:.0f} s; all done in {summary['seconds']:.0f} s")
    return "\n".join(lines)
