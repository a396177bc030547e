"""Which resampling keeps the FFT peaks: Fourier (the descriptor's own crop) or spline.

A lattice is rendered at period ``P`` in a window of ``N = 128 P / 10`` px, and, as the
reference, the same lattice (same cell, rotation, column shape in units of ``a``, no
displacements) at period 10 px in a 128 px window: what the ``bravais`` model was trained on.
The ``N`` px window is brought to the model's scale three ways:

- ``fourier``: the descriptor of the ``N`` px window itself; its central 64 x 64 spectrum is
  that of the window Fourier-resampled to 128 px (what the package does,
  :mod:`hyperspy_symmetry.scale_free`);
- ``fourier_explicit``: ``scipy.signal.resample`` of the window to 128 px along both axes,
  then the descriptor;
- ``spline3`` and ``spline1``: ``scipy.ndimage.zoom`` (cubic / linear spline) to 128 px, then
  the descriptor.

For each: the mean absolute difference of the descriptor from the reference descriptor, the
height of the first-order Bragg peaks relative to the reference's (1 = kept), and the
strongest descriptor value away from every Bragg peak of the lattice relative to the
reference's (spurious peaks: aliasing). Run::

    nice .venv/bin/python benchmarks/bench_resampling.py --json benchmarks/results/resampling.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import scipy.ndimage
import scipy.signal


def _descriptor(window):
    from hyperspy_symmetry.descriptors import fft_amplitude

    return fft_amplitude(window[None])[0].astype(float)


def _peak_mask(vectors, n, radius=2.5):
    """Descriptor pixels within ``radius`` of a Bragg peak of a window of ``n`` px."""
    recip = np.linalg.inv(np.asarray(vectors)).T * n  # cycles per window, rows (kx, ky)
    ky, kx = np.mgrid[-32:32, -32:32]
    mask = np.zeros((64, 64), bool)
    first = np.zeros((64, 64), bool)
    for h in range(-8, 9):
        for k in range(-8, 9):
            if h == k == 0:
                continue
            g = h * recip[0] + k * recip[1]
            near = np.hypot(kx - g[0], ky - g[1]) <= radius
            mask |= near
            if max(abs(h), abs(k)) == 1 and abs(h + k) <= 1:
                first |= near
    centre = np.hypot(kx, ky) <= 3
    return mask | centre, first


def compare(lattice, period, seed):
    from hyperspy_symmetry.simulate.bravais import bravais_array

    target = 10.0
    n = int(round(128 * period / target))
    big, p = bravais_array(lattice, n, seed, a=period, displacement=0.0, intensity_spread=0.0)
    ref, pr = bravais_array(lattice, 128, seed, a=target, displacement=0.0, intensity_spread=0.0)
    d_ref = _descriptor(ref)
    mask, first = _peak_mask(pr["vectors"], 128)
    ways = {
        "fourier": _descriptor(big),
        "fourier_explicit": _descriptor(
            scipy.signal.resample(scipy.signal.resample(big, 128, axis=0), 128, axis=1)
        ),
        "spline3": _descriptor(scipy.ndimage.zoom(big, 128 / n, order=3)[:128, :128]),
        "spline1": _descriptor(scipy.ndimage.zoom(big, 128 / n, order=1)[:128, :128]),
    }
    out = {}
    for name, d in ways.items():
        out[name] = {
            "mean_abs_difference": round(float(np.abs(d - d_ref).mean()), 4),
            "first_order_peak_ratio": round(float(d[first].max() / d_ref[first].max()), 3),
            "off_peak_max_ratio": round(float(d[~mask].max() / max(d_ref[~mask].max(), 1e-6)), 3),
        }
    return n, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--periods", type=float, nargs="+", default=[4, 6, 20, 40, 80])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    rows = []
    for lattice in ("square", "hexagonal", "oblique"):
        for period in args.periods:
            for seed in range(args.seeds):
                n, out = compare(lattice, period, seed)
                rows.append(
                    {"lattice": lattice, "period": period, "seed": seed, "window": n, **out}
                )
    summary = {}
    for period in args.periods:
        sel = [r for r in rows if r["period"] == period]
        summary[str(period)] = {
            way: {key: round(float(np.mean([r[way][key] for r in sel])), 3) for key in sel[0][way]}
            for way in ("fourier", "fourier_explicit", "spline3", "spline1")
        }
        print(f"period {period:5.1f} px (window {sel[0]['window']} px):")
        for way, v in summary[str(period)].items():
            print(f"   {way:17s} " + "  ".join(f"{k} {x}" for k, x in v.items()))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"summary": summary, "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
