"""Cost and outcome of the ``aistem`` calibration check (:mod:`hyperspy_symmetry.calibration`).

For simulated images of the 10 ``aistem`` classes (256 and 1024 px, 0.12 Å/px) and the real
images of the test tier (``tests/realdata.py``: Au on carbon, MoS2, a perovskite), the check
runs ``--repeats`` times on the in-memory image; the median time, what it measured and whether
it warns are written as JSON, and, for each factor of ``--factors``, which simulated classes
warn when read at that factor times their pixel size. The real images are fetched from
their wheels once (cached). The figures in ``docs/benchmarks.md`` come from::

    nice .venv/bin/python benchmarks/bench_calibration.py \\
        --json benchmarks/results/calibration.json

``--classify`` adds ``classify_symmetry`` with ``aistem`` at default arguments on the real
MoS2 image, and the share of its time that the check took.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path


def _real_images():
    sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
    from realdata import ATOMAP_ADF, AU_NANOPARTICLE, MOS2, load_real

    from hyperspy_symmetry.windows import length_unit

    for label, which, kwargs in (
        ("real Au on carbon (temul)", AU_NANOPARTICLE, {}),
        ("real MoS2 (temul)", MOS2, {}),
        ("real perovskite ADF (atomap, nm)", ATOMAP_ADF, {"file_format": "HSPY"}),
    ):
        s = load_real(which, **kwargs)
        ax = s.axes_manager.signal_axes[0]
        pixel = (ax.scale * length_unit(ax.units)).to("angstrom").magnitude
        yield label, s.data, float(pixel)


def _simulated(sizes):
    from hyperspy_symmetry.simulate import AISTEM_CLASSES, crystal_image

    for size in sizes:
        for name in AISTEM_CLASSES:
            yield f"{name} {size} px", crystal_image(name, size, 0.12, 17.0, seed=0).data, 0.12


def classify_mos2() -> dict:
    """``classify_symmetry`` with ``aistem`` at default arguments on the real MoS2 image, and
    the share of its time the calibration check took."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
    from realdata import MOS2, load_real

    s = load_real(MOS2)
    start = time.perf_counter()
    p = s.classify_symmetry(model="aistem", seed=0, show_progressbar=False)
    total = time.perf_counter() - start
    check = float(p.metadata.Symmetry.calibration.seconds)
    out = {
        "image": "real MoS2 (temul)",
        "n_windows": int(p.data.shape[-1] * p.data.shape[-2]),
        "classify_seconds": round(total, 2),
        "check_seconds": round(check, 4),
        "check_share": round(check / total, 4),
    }
    print(out, flush=True)
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--factors", type=float, nargs="+", default=[0.1, 0.5, 0.7, 0.8, 1.2, 1.3, 1.5, 2.0, 10.0]
    )
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--classify",
        action="store_true",
        help="also time classify_symmetry (aistem, defaults) on the real MoS2 image",
    )
    args = parser.parse_args(argv)

    from hyperspy_symmetry.calibration import check_calibration, class_spacings
    from hyperspy_symmetry.simulate import AISTEM_CLASSES

    classes = class_spacings(list(AISTEM_CLASSES))
    rows = []
    for source in (_simulated(args.sizes), _real_images()):
        for label, image, pixel in source:
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                check = check_calibration(image, pixel, classes)
                times.append(time.perf_counter() - start)
            row = {
                "image": label,
                "shape": list(image.shape),
                "pixel_size_A": round(pixel, 5),
                "median_ms": round(1000 * statistics.median(times), 1),
                **check.metadata(),
                "warns": check.ok is False,
            }
            rows.append(row)
            print(
                f"{label:36s} {row['median_ms']:8.1f} ms  ok={check.ok}  "
                f"{check.nearest_class}  {row['relative_mismatch']}  {check.cause}  "
                f"({check.region})",
                flush=True,
            )
    # Scale errors: each simulated class read at `factor` times its true pixel size.
    sweep = {}
    images = {label: (image, pixel) for label, image, pixel in _simulated(args.sizes[:1])}
    for factor in args.factors:
        warned = [
            label.split()[0]
            for label, (image, pixel) in images.items()
            if check_calibration(image, pixel * factor, classes).ok is False
        ]
        sweep[str(factor)] = warned
        print(
            f"pixel size x {factor:<5g}: {len(warned)} of {len(images)} classes warn", flush=True
        )
    if args.classify:
        mos2 = classify_mos2()
    out = {
        "classify_mos2": mos2 if args.classify else None,
        "scale_errors": sweep,
        "machine": f"{platform.processor() or platform.machine()}, {platform.system()}",
        "command": "benchmarks/bench_calibration.py " + " ".join(argv or sys.argv[1:]),
        "rows": rows,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
