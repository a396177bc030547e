"""How a HAADF model holds up against each imperfection of real images, one at a time.

Each imperfection of :class:`~hyperspy_symmetry.simulate.imaging.ImagingRecipe` and
:class:`~hyperspy_symmetry.simulate.augment.AugmentationRecipe` is swept over strengths from
none to beyond its realistic range, on held-out windows of every class (a seed the training
never used). Everything else is clean: a 60 Å specimen, an ideal probe, no noise, with the
random lattice parameter, rotation and displacements of the training set. At each strength
:func:`robustness_sweep` records the window accuracy, the median mutual information and the
fraction of windows that are *confidently wrong*: wrong, with MI below the model's
interface threshold. :func:`combined_metrics` draws all imperfections at once, as the
training recipe does.

The card's ``metrics.robustness`` holds these figures (``benchmarks/robustness.py`` writes them
and plots them; docs/benchmarks.md shows the table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Imperfection",
    "IMPERFECTIONS",
    "robustness_windows",
    "robustness_sweep",
    "combined_metrics",
    "window_metrics",
]

#: Specimen thickness (Å) of the sweeps' base images.
BASE_THICKNESS = 60.0


@dataclass(frozen=True)
class Imperfection:
    """One imperfection swept in strength.

    Attributes
    ----------
    name
        Key in the card's ``metrics.robustness``.
    what
        One line for tables.
    unit
        Unit of the strength.
    strengths
        Swept values, from none (or mildest) to beyond the realistic range.
    realistic
        The largest strength of the documented realistic range (docs/training.md).
    """

    name: str
    what: str
    unit: str
    strengths: tuple[float, ...]
    realistic: float

    def parameters(self, strength: float, rng: np.random.Generator) -> tuple[dict, dict]:
        """``(imaging kwargs, augmentation params)`` of one window at ``strength``."""
        s = float(strength)
        angle = float(rng.uniform(0.0, 360.0))
        imaging: dict[str, Any] = {"thickness": BASE_THICKNESS}
        augmentation: dict[str, Any] = {}
        phi = float(rng.uniform(0.0, 2 * np.pi))
        match self.name:
            case "blur":
                if s:
                    augmentation["gaussian_blur"] = {"sigma": s}
            case "directional_blur":
                if s:
                    augmentation["directional_blur"] = {"sigma": s, "angle": angle}
            case "mistilt":
                imaging.update(thickness=150.0, tilt=[s, angle])
            case "thickness":
                imaging["thickness"] = s
            case "column_exponent":
                imaging["exponent"] = s
            case "defocus":
                imaging["aberrations"] = {"C10": s * float(rng.choice([-1.0, 1.0]))}
            case "astigmatism":
                imaging["aberrations"] = {"C12": s, "phi12": phi}
            case "coma":
                imaging["aberrations"] = {"C21": s, "phi21": phi}
            case "trefoil":
                imaging["aberrations"] = {"C23": s, "phi23": phi}
            case "amorphous_carbon" | "amorphous_own_element":
                if s:
                    top = float(rng.uniform(0.0, s))
                    imaging["amorphous"] = {
                        "element": "C" if self.name == "amorphous_carbon" else "own",
                        "top": top,
                        "bottom": s - top,
                    }
            case "slow_modulation":
                if s:
                    augmentation["slow_modulation"] = {
                        "amplitude": s,
                        "length": float(rng.uniform(150.0, 500.0)),
                    }
            case "drift":
                if s:
                    augmentation["linear_drift"] = {
                        "velocity": [
                            s * float(rng.choice([-1.0, 1.0])),
                            s * float(rng.choice([-1.0, 1.0])),
                        ]
                    }
            case "shear":
                if s:
                    augmentation["shear"] = {"shear": s * float(rng.choice([-1.0, 1.0]))}
            case "line_jitter":
                if s:
                    augmentation["row_jitter"] = {"amplitude": s, "correlation": 0.5}
            case "flyback":
                if s:
                    augmentation["flyback"] = {"amplitude": s, "decay": 10.0, "start": 0.0}
            case "contamination":
                if s:
                    augmentation["contamination"] = {
                        "amplitude": s,
                        "length": float(rng.uniform(15.0, 40.0)),
                    }
            case "dose":
                augmentation["poisson_noise"] = {"dose": s}
            case "detector_noise":
                if s:
                    augmentation["gaussian_noise"] = {"sigma": s}
            case _:
                raise ValueError(f"Unknown imperfection {self.name!r}.")
        return imaging, augmentation


#: The sweeps, at the ``aistem`` training pixel size (0.12 Å/px): px lengths are multiples of
#: 0.12 Å. The realistic limits are those of the training recipe (docs/training.md).
IMPERFECTIONS: tuple[Imperfection, ...] = (
    Imperfection(
        "blur",
        "Gaussian blur sigma (1.2 Å FWHM = 4.25 px)",
        "px",
        (0.0, 1.0, 2.0, 3.0, 4.3, 5.5),
        4.3,
    ),
    Imperfection(
        "directional_blur",
        "smear along one direction, sigma",
        "px",
        (0.0, 1.0, 2.0, 3.0, 4.0),
        3.0,
    ),
    Imperfection(
        "mistilt", "specimen mistilt, 150 Å thick", "mrad", (0.0, 2.0, 4.0, 6.0, 8.0), 6.0
    ),
    Imperfection("thickness", "specimen thickness", "Å", (20.0, 60.0, 120.0, 250.0, 400.0), 250.0),
    Imperfection(
        "column_exponent",
        "power on the projected potential (saturation)",
        "",
        (1.0, 0.8, 0.6, 0.45),
        0.6,
    ),
    Imperfection("defocus", "probe defocus |C10|", "Å", (0.0, 20.0, 40.0, 60.0, 90.0), 60.0),
    Imperfection(
        "astigmatism", "two-fold astigmatism C12", "Å", (0.0, 10.0, 20.0, 40.0, 60.0), 40.0
    ),
    Imperfection("coma", "axial coma C21", "Å", (0.0, 100.0, 200.0, 400.0, 600.0), 400.0),
    Imperfection(
        "trefoil", "three-fold astigmatism C23", "Å", (0.0, 100.0, 200.0, 400.0, 600.0), 400.0
    ),
    Imperfection(
        "amorphous_carbon",
        "amorphous carbon layers, total",
        "Å",
        (0.0, 20.0, 40.0, 80.0, 120.0),
        80.0,
    ),
    Imperfection(
        "amorphous_own_element",
        "amorphous layers of the crystal's element",
        "Å",
        (0.0, 20.0, 40.0, 80.0, 120.0),
        80.0,
    ),
    Imperfection(
        "slow_modulation", "slow intensity modulation depth", "", (0.0, 0.1, 0.2, 0.3, 0.45), 0.3
    ),
    Imperfection(
        "drift",
        "drift |vx| = |vy| (shear and stretch)",
        "px/line",
        (0.0, 0.02, 0.035, 0.05, 0.07),
        0.05,
    ),
    Imperfection("shear", "affine shear", "", (0.0, 0.02, 0.05, 0.08), 0.05),
    Imperfection("line_jitter", "scan-line jitter sigma", "px", (0.0, 0.3, 0.6, 0.8, 1.2), 0.8),
    Imperfection(
        "flyback", "fly-back lag at the line start", "px", (0.0, 0.5, 1.0, 2.0, 3.0), 2.0
    ),
    Imperfection(
        "contamination", "contamination background height", "", (0.0, 0.1, 0.2, 0.4, 0.6), 0.4
    ),
    Imperfection(
        "dose",
        "dose (Poisson), counts per pixel",
        "counts/px",
        (5000.0, 500.0, 50.0, 10.0, 5.0, 2.0, 1.0),
        2.0,
    ),
    Imperfection(
        "detector_noise",
        "detector (Gaussian) noise sigma",
        "",
        (0.0, 0.02, 0.05, 0.08, 0.12),
        0.08,
    ),
)


def _imperfection(name: str) -> Imperfection:
    for imperfection in IMPERFECTIONS:
        if imperfection.name == name:
            return imperfection
    raise ValueError(f"Unknown imperfection {name!r}; known: {[i.name for i in IMPERFECTIONS]}.")


def _window(
    class_index: int,
    rng: np.random.Generator,
    imaging: dict,
    augmentation: dict,
    window: int,
    pixel_size: float,
    lattice_jitter: float,
    displacement: float,
):
    from ..simulate.augment import apply
    from ..simulate.crystals import AISTEM_CLASSES, crystal_array

    crystal = list(AISTEM_CLASSES.values())[class_index]
    a = crystal.a + rng.uniform(-lattice_jitter, lattice_jitter)
    c_over_a = None
    if crystal.c_over_a is not None:
        c_over_a = (
            crystal.a * crystal.c_over_a + rng.uniform(-lattice_jitter, lattice_jitter)
        ) / a
    imaging = dict(imaging)
    if imaging.get("amorphous", {}).get("element") == "own":
        imaging["amorphous"] = {**imaging["amorphous"], "element": crystal.element}
    margin = 40  # covers every swept distortion and blur (see augment.required_margin)
    image, _ = crystal_array(
        crystal.name,
        window + 2 * margin,
        pixel_size,
        float(rng.uniform(0.0, 180.0)),
        rng,
        lattice_parameter=a,
        c_over_a=c_over_a,
        displacement=rng.uniform(0.0, displacement),
        **imaging,
    )
    return apply(image, augmentation, rng, out_size=window)


def robustness_windows(
    imperfection: str,
    strength: float,
    n_per_class: int = 20,
    seed: int = 1000,
    window: int = 100,
    pixel_size: float = 0.12,
    lattice_jitter: float = 0.1,
    displacement: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Windows of all ten ``aistem`` classes with one imperfection at one strength.

    Returns
    -------
    windows : numpy.ndarray
        ``(10 * n_per_class, window, window)`` float32 images in [0, 1].
    labels : numpy.ndarray
        Class indices, in the order of :data:`~hyperspy_symmetry.simulate.AISTEM_CLASSES`.
    """
    from ..simulate.crystals import AISTEM_CLASSES

    spec = _imperfection(imperfection)
    n_classes = len(AISTEM_CLASSES)
    out = np.empty((n_classes * n_per_class, window, window), dtype=np.float32)
    labels = np.arange(n_classes * n_per_class) % n_classes
    for k, c in enumerate(labels):
        # the same crystals at every strength of a sweep: only the imperfection changes
        rng = np.random.default_rng([seed, int(c), k // n_classes])
        imaging, augmentation = spec.parameters(strength, np.random.default_rng([seed, k, 1]))
        out[k] = _window(
            int(c), rng, imaging, augmentation, window, pixel_size, lattice_jitter, displacement
        )
    return out, labels


def window_metrics(
    probabilities: np.ndarray, mi: np.ndarray, labels: np.ndarray, threshold: float
) -> dict[str, float]:
    """Accuracy, median MI and the confidently-wrong fraction of classified windows.

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6]])
    >>> window_metrics(p, np.array([0.01, 0.02, 0.5]), np.array([0, 1, 0]), 0.1)
    {'accuracy': 0.3333, 'mi_median': 0.02, 'confidently_wrong': 0.3333}
    """
    wrong = np.argmax(probabilities, axis=1) != np.asarray(labels)
    return {
        "accuracy": round(float(np.mean(~wrong)), 4),
        "mi_median": round(float(np.median(mi)), 6),
        "confidently_wrong": round(float(np.mean(wrong & (np.asarray(mi) < threshold))), 4),
    }


def _loaded(model):
    """A :class:`~hyperspy_symmetry.models.SymmetryModel`: loaded from a name or folder."""
    from ..models import load_model

    if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
        return load_model(model)
    return model


def _predict(model, descriptors: np.ndarray, n_samples: int, seed: int):
    """Mean class probabilities and MI (bits) of descriptors, with adaptive sampling as in
    the public defaults."""
    from ..uncertainty import MEASURES

    stats = model.engine.statistics(descriptors, n_samples=n_samples, seed=seed, adaptive=True)
    n = model.engine.n_classes
    return stats[:, :n], stats[:, n + MEASURES.index("mutual_information")]


def robustness_sweep(
    model: Any = "aistem",
    names: Sequence[str] | None = None,
    n_per_class: int = 20,
    n_samples: int = 100,
    seed: int = 1000,
    log=None,
) -> dict[str, dict[str, Any]]:
    """Sweep each imperfection's strength and measure the model at each.

    Parameters
    ----------
    model
        A model name, folder or loaded :class:`~hyperspy_symmetry.models.SymmetryModel`.
    names
        Imperfections to sweep (default: all of :data:`IMPERFECTIONS`).
    n_per_class
        Windows per class at each strength.
    n_samples
        MC-dropout samples T (adaptive, as the public defaults).
    seed
        Seed of the held-out windows.

    Returns
    -------
    dict
        Per imperfection: ``what``, ``unit``, ``realistic`` (limit of the realistic range),
        ``strengths``, ``accuracy``, ``mi_median`` and ``confidently_wrong`` at each strength,
        and ``accuracy_below_95_at``: the first swept strength whose accuracy is below 95 %
        (``None`` if none is).
    """
    from ..descriptors import get_descriptor

    model = _loaded(model)
    describe = get_descriptor(model.card.descriptor)
    result = {}
    for spec in IMPERFECTIONS if names is None else [_imperfection(n) for n in names]:
        rows = []
        for strength in spec.strengths:
            windows, labels = robustness_windows(spec.name, strength, n_per_class, seed)
            p, mi = _predict(model, describe(windows).astype(np.float32), n_samples, seed)
            rows.append(window_metrics(p, mi, labels, model.card.threshold))
        below = [s for s, r in zip(spec.strengths, rows, strict=False) if r["accuracy"] < 0.95]
        result[spec.name] = {
            "what": spec.what,
            "unit": spec.unit,
            "realistic": spec.realistic,
            "strengths": list(spec.strengths),
            **{key: [r[key] for r in rows] for key in rows[0]},
            "accuracy_below_95_at": below[0] if below else None,
        }
        if log is not None:
            log(
                f"{spec.name}: "
                + ", ".join(
                    f"{s:g}: {r['accuracy']:.3f}"
                    for s, r in zip(spec.strengths, rows, strict=False)
                )
            )
    return result


def combined_metrics(
    model: Any = "aistem", n_per_class: int = 50, n_samples: int = 100, seed: int = 2000
) -> dict[str, float]:
    """All imperfections at once, drawn as the ``aistem`` training recipe draws them, on
    held-out windows (seed ``seed``): accuracy, median MI, confidently-wrong fraction."""
    from dataclasses import replace

    from ..simulate import TrainingSetRecipe, make_samples

    model = _loaded(model)
    recipe = replace(TrainingSetRecipe.default("aistem"), seed=seed, n_per_class=n_per_class)
    x, labels, _ = make_samples(recipe, 0, recipe.n_samples)
    p, mi = _predict(model, x, n_samples, seed)
    return {
        "n_windows": int(len(labels)),
        "seed": seed,
        **window_metrics(p, mi, labels, model.card.threshold),
    }
