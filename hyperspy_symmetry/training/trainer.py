"""Train a Bayesian CNN on simulated data, measure it on held-out data, write its card.

One call, :func:`train_model`, rebuilds a shipped model from scratch:

1. simulate the training set (seed ``seed``) and a held-out test set (seed ``seed + 1``,
   never used in training) with :func:`~hyperspy_symmetry.simulate.build_training_set`;
2. train the plan's architecture with Adam on a stratified 80/20 split of the training set,
   stopping when the validation loss stops improving (best weights kept);
3. measure on the held-out set with MC dropout: accuracy, top-2 accuracy, confusion matrix,
   expected calibration error, and mutual information on in- versus out-of-distribution
   windows;
4. write the ``.weights.h5`` file and the card (with sha256, recipe, run time, metrics).
"""

from __future__ import annotations

import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import check_number, check_output_folder
from .metrics import (
    accuracy,
    choose_threshold,
    confusion_matrix,
    expected_calibration_error,
    top_k_accuracy,
)
from .plans import TrainingPlan, get_plan

__all__ = [
    "train_model",
    "evaluate_network",
    "stratified_split",
    "measure_scenes",
    "measure_threshold",
]


def stratified_split(
    labels: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a stratified split: ``fraction`` of every class goes to the second part.

    Examples
    --------
    >>> train, val = stratified_split(np.repeat([0, 1], 10), 0.2, seed=0)
    >>> len(train), len(val), sorted(np.repeat([0, 1], 10)[val].tolist())
    (16, 4, [0, 0, 1, 1])
    """
    rng = np.random.default_rng([seed, 104729])
    first, second = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = int(round(fraction * len(idx)))
        second.append(idx[:k])
        first.append(idx[k:])
    return np.sort(np.concatenate(first)), np.sort(np.concatenate(second))


def mc_predictions(network, descriptors: np.ndarray, n_samples: int, seed: int, **sampling):
    """Mean class probabilities and mutual information (bits) of MC-dropout samples.

    ``sampling``: the dropout layers sampled, as keyword arguments of
    :class:`~..models.mc_dropout.MCDropoutEngine` (``sampled_layers``, ``gaussian_layers``;
    a card's way is :attr:`~..models.cards.ModelCard.sampling`); default: every layer, with
    masks."""
    from ..models.mc_dropout import MCDropoutEngine
    from ..uncertainty import MEASURES

    engine = MCDropoutEngine(network, **sampling)
    stats = engine.statistics(descriptors, n_samples=n_samples, seed=seed)
    n_classes = engine.n_classes
    return stats[:, :n_classes], stats[:, n_classes + MEASURES.index("mutual_information")]


def evaluate_network(
    network,
    descriptors: np.ndarray,
    labels: np.ndarray,
    n_samples: int,
    seed: int,
    ood: np.ndarray | None = None,
    mi_out: dict | None = None,
    **sampling,
) -> dict[str, Any]:
    """MC-dropout metrics of a network on labelled descriptors (and optional OOD inputs).

    Returns accuracy, top-2 accuracy, the confusion matrix (rows: true class), the
    expected calibration error, and the median and 90th percentile of the mutual
    information (bits) in distribution and, with ``ood``, out of distribution. With
    ``mi_out``, the per-window MI arrays are also stored there (``"in"``, ``"out"``), and
    the mean probabilities (``"p_in"``). ``sampling``: the dropout layers sampled, as
    for :func:`mc_predictions`.
    """
    p, mi = mc_predictions(network, descriptors, n_samples, seed, **sampling)
    n_classes = p.shape[1]
    result: dict[str, Any] = {
        "n_windows": int(len(labels)),
        "mc_samples": int(n_samples),
        "accuracy": round(accuracy(p, labels), 5),
        "top2_accuracy": round(top_k_accuracy(p, labels, 2), 5),
        "confusion_matrix": confusion_matrix(p, labels, n_classes).tolist(),
        "expected_calibration_error": round(expected_calibration_error(p, labels), 5),
        "mi_in_distribution_median": float(np.median(mi)),
        "mi_in_distribution_p90": float(np.percentile(mi, 90)),
    }
    if mi_out is not None:
        mi_out["in"], mi_out["p_in"] = mi, p
    if ood is not None:
        _, ood_mi = mc_predictions(network, ood, n_samples, seed, **sampling)
        result.update(
            {
                "mi_out_of_distribution_median": float(np.median(ood_mi)),
                "mi_out_of_distribution_p90": float(np.percentile(ood_mi, 90)),
            }
        )
        if mi_out is not None:
            mi_out["out"] = ood_mi
    return result


def run_seconds(began: float, simulated: float, trained: float, finished: float) -> dict:
    """The card's ``training.seconds``: time spent in each stage of a run."""
    return {
        "simulation": round(simulated - began, 1),
        "training": round(trained - simulated, 1),
        "evaluation": round(finished - trained, 1),
        "total": round(finished - began, 1),
    }


def load_arrays(path: Path):
    """Network inputs ``(n, 64, 64, 1)`` and int64 labels of a training set."""
    from ..simulate import load_training_set

    data = load_training_set(path)
    return data["descriptors"][..., None], data["labels"].astype(np.int64)


def training_targets(path: Path, labels: np.ndarray, recipe) -> np.ndarray:
    """The targets to fit: ``labels``, or soft targets when the recipe has holes.

    See :func:`~hyperspy_symmetry.simulate.training_set.soft_targets`.
    """
    if getattr(recipe, "holes", None) is None:
        return labels
    from ..simulate import load_training_set
    from ..simulate.training_set import PARAMETER_NAMES, soft_targets

    # Lazily: only the parameters column is read, not the descriptors a second time.
    parameters = load_training_set(path, lazy=True)["parameters"]
    column = PARAMETER_NAMES[recipe.model].index("hole_coverage")
    coverage = np.asarray(parameters[:, column].compute())
    names = recipe.class_names
    return soft_targets(labels, coverage, len(names), names.index("noise"))


def hole_window_predictions(
    network, recipe, n_per_class: int, n_samples: int, seed: int, **sampling
) -> tuple[np.ndarray, np.ndarray]:
    """The hole coverage of lattice windows and the network's mean ``noise`` probability.

    Windows of every lattice class of ``recipe`` (``bravais``), each with holes (as
    ``recipe.holes`` places them) of a uniform random coverage, from ``seed``, which also
    seeds the Monte-Carlo masks. ``sampling``: the dropout layers sampled, as for
    :func:`mc_predictions`.

    Returns
    -------
    coverage, p_noise : numpy.ndarray
        ``(n,)`` each: the Hann-weighted coverage and the mean ``noise`` probability.
    """
    from dataclasses import replace

    from ..models.mc_dropout import MCDropoutEngine
    from ..simulate import make_samples
    from ..simulate.training_set import PARAMETER_NAMES

    holes = dict(recipe.holes, lattice_probability=1.0)
    test = replace(recipe, seed=int(seed), n_per_class=int(n_per_class), holes=holes)
    x, y, params = make_samples(test, 0, test.n_samples)
    noise = test.class_names.index("noise")
    keep = y != noise
    coverage = params[keep, PARAMETER_NAMES[test.model].index("hole_coverage")]
    stats = MCDropoutEngine(network, **sampling).statistics(x[keep][..., None], n_samples, seed)
    return np.asarray(coverage), stats[:, noise]


def hole_metrics(network, recipe, n_per_class: int, n_samples: int, seed: int, **sampling):
    """How well the mean ``noise`` probability follows the hole coverage of lattice windows.

    Windows of every lattice class, each with holes of a uniform random coverage, from a
    seed never used in training (:func:`hole_window_predictions`). Returns the mean
    absolute error of ``p(noise)`` against the coverage, the least-squares slope and
    intercept, and the correlation. ``sampling``: the dropout layers sampled, as for
    :func:`mc_predictions`.
    """
    coverage, p_noise = hole_window_predictions(
        network, recipe, n_per_class, n_samples, seed, **sampling
    )
    slope, intercept = np.polyfit(coverage, p_noise, 1)
    return {
        "n_windows": int(len(coverage)),
        "seed": int(seed),
        "mae": round(float(np.mean(np.abs(p_noise - coverage))), 4),
        "slope": round(float(slope), 4),
        "intercept": round(float(intercept), 4),
        "correlation": round(float(np.corrcoef(coverage, p_noise)[0, 1]), 4),
    }


def _writable_model_folder(out: str | Path, overwrite: bool) -> Path:
    """``out`` as a Path, checked before any work: a missing or empty folder, or (with
    ``overwrite``) a model folder to replace; never a file, never another model's folder
    replaced by accident."""
    out = check_output_folder(out)
    if (out / "card.json").exists() and not overwrite:
        raise FileExistsError(
            f"{out} already holds a model (card.json); choose another folder or pass "
            f"overwrite=True (--overwrite) to replace it."
        )
    return out


def train_model(
    name: str,
    out: str | Path,
    *,
    seed: int = 0,
    plan: TrainingPlan | None = None,
    epochs: int | None = None,
    n_per_class: int | None = None,
    held_out_per_class: int | None = None,
    eval_samples: int | None = None,
    data_dir: str | Path | None = None,
    num_workers: int | None = None,
    scenes: bool = True,
    verbose: int = 2,
    log: Callable[[str], None] = print,
    overwrite: bool = False,
    initial_model: str | Path | None = None,
):
    """Rebuild a model from scratch: simulate, train, measure, write weights and card.

    Parameters
    ----------
    name
        ``"aistem"`` or ``"bravais"`` (see :data:`~hyperspy_symmetry.training.plans.PLANS`).
    out
        Model folder to write (``card.json`` and ``<name>.weights.h5``); usable as
        ``classify_symmetry(model=out)``.
    seed
        Seed of the training data, the initial weights, the split and the shuffling; the
        held-out set uses ``seed + 1``.
    plan
        A :class:`~hyperspy_symmetry.training.plans.TrainingPlan`; default the shipped one.
    epochs, n_per_class, held_out_per_class, eval_samples
        Override the plan's maximum number of epochs, training samples per class, held-out
        samples per class and MC samples T of the measurements.
    data_dir
        Keep the simulated sets in this folder (and reuse them if they are complete and
        were made from the same recipe); default: a temporary folder, deleted afterwards.
    num_workers
        Processes for simulating the data; default: all cores.
    scenes
        For HAADF models, also measure the polycrystal and bicrystal scenes
        (:func:`measure_scenes`; a few minutes).
    verbose
        Keras ``fit`` verbosity.
    log
        Where progress lines go.
    overwrite
        Replace a model already in ``out``; without it, such a folder is refused before
        anything is simulated.
    initial_model
        A model (name or folder) that an earlier run of this function trained with the same
        plan and seed: its weights replace the first stage (the fit), and the plan's
        ``boundary_stage`` and every measurement run on them. The card keeps that model's
        training history and names it.

    Returns
    -------
    ModelCard
        The card as written.
    """
    from ..simulate import TrainingSetRecipe, build_training_set

    plan = plan or get_plan(name)
    if epochs is not None:
        plan = replace(plan, epochs=epochs)
    if n_per_class is not None:
        plan = plan.with_changes(data={"n_per_class": n_per_class})
    if held_out_per_class is not None:
        plan = replace(plan, held_out_per_class=held_out_per_class)
    if eval_samples is not None:
        plan = replace(plan, eval_samples=eval_samples)
    seed = check_number(seed, "seed", low=0, integer=True)
    out = _writable_model_folder(out, overwrite)
    if num_workers is not None:
        check_number(num_workers, "num_workers", low=1, integer=True)
    if data_dir is not None:
        check_output_folder(data_dir)
    if initial_model is not None:
        _check_initial_model(initial_model, plan)  # before anything is simulated
    train_recipe = TrainingSetRecipe.default(seed=int(seed), **plan.data)

    from ..models.tf_runtime import import_tensorflow

    import_tensorflow()  # quietly, before Keras imports it
    import keras

    from .. import __version__
    from ..models import ModelCard, save_model
    from ..models.architectures import build_architecture  # imports TensorFlow quietly
    from ..models.tf_runtime import gpu_available
    from .ood import ood_descriptors

    began = time.perf_counter()
    # Held-out windows have no holes: the headline figures are the paper's lattice task;
    # hole_metrics measures the holes separately.
    test_recipe = replace(
        train_recipe, seed=int(seed) + 1, n_per_class=plan.held_out_per_class, holes=None
    )
    tmp = None
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix=f"{name}_data_")
        data_dir = tmp.name
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        paths = {}
        for part, recipe in (("train", train_recipe), ("test", test_recipe)):
            path = data_dir / f"{name}_{part}_seed{recipe.seed}.zarr"
            if not _reusable(path, recipe):
                log(f"simulating {recipe.n_samples} {part} samples -> {path}")
                build_training_set(
                    path,
                    recipe=recipe,
                    num_workers=num_workers,
                    show_progressbar=verbose > 0,
                    overwrite=True,
                )
            paths[part] = path
        simulated = time.perf_counter()
        x, y = load_arrays(paths["train"])
        targets = training_targets(paths["train"], y, train_recipe)
        x_test, y_test = load_arrays(paths["test"])
    finally:
        if tmp is not None:
            tmp.cleanup()

    train_idx, val_idx = stratified_split(y, plan.validation_fraction, seed)
    keras.utils.set_random_seed(int(seed))
    network = build_architecture(plan.architecture)
    if initial_model is not None:
        history, first_stage = _initial_weights(network, initial_model, log)
    else:
        history, first_stage = _fit(network, plan, x, targets, train_idx, val_idx, verbose, log)
    boundary = None
    if plan.boundary_stage is not None:
        boundary = _run_boundary_stage(
            network, x[train_idx], y[train_idx], plan, int(seed), num_workers, log
        )
    trained = time.perf_counter()
    network = inference_network(network, plan)

    log(f"measuring on {len(y_test)} held-out windows (seed {test_recipe.seed})")
    ood, ood_what = ood_descriptors(plan.data["model"], seed=int(seed) + 2)
    mi = {}
    metrics = evaluate_network(
        network, x_test, y_test, plan.eval_samples, seed, ood=ood, mi_out=mi
    )
    metrics["held_out_seed"] = test_recipe.seed
    metrics["out_of_distribution"] = ood_what
    threshold = None
    if plan.data["model"] == "aistem":
        # Held-out crystals (with every imperfection of the recipe) below, never-seen
        # amorphous structures above. With ``scenes``, measure_threshold replaces it by the
        # same criterion on validation crystals and polycrystals, the paper's own.
        threshold, why = choose_threshold(mi["in"], mi["out"])
        metrics["interface_threshold_reason"] = f"held-out windows: {why}"
    if train_recipe.holes is not None:
        metrics["holes"] = hole_metrics(
            network,
            train_recipe,
            max(plan.held_out_per_class // 3, 1),
            plan.eval_samples,
            int(seed) + 3,
        )
    val = history
    best = int(np.argmin(val["val_loss"]))
    metrics["validation_accuracy"] = round(float(val["val_accuracy"][best]), 5)
    metrics["train_accuracy"] = round(float(val["accuracy"][best]), 5)
    finished = time.perf_counter()

    card = ModelCard(
        name=name,
        version=__version__,
        classes=train_recipe.class_names,
        architecture=plan.inference_architecture,
        weights="",
        sha256="",
        description=plan.description,
        training={
            "command": f"hyperspy-symmetry train {name} --seed {seed}"
            + (f" --epochs {epochs}" if epochs is not None else "")
            + (f" --per-class {n_per_class}" if n_per_class is not None else "")
            + (f" --initial-model {initial_model}" if initial_model is not None else ""),
            "seed": int(seed),
            "plan": plan.to_dict(),
            "data_recipe": train_recipe.to_dict(),
            "epochs_run": len(val["loss"]),
            "best_epoch": best + 1,
            "history": {k: [round(float(v), 5) for v in vals] for k, vals in val.items()},
            **first_stage,
            **({"boundary_stage": boundary} if boundary is not None else {}),
            "seconds": run_seconds(began, simulated, trained, finished),
            "machine": f"{platform.machine()}, {_cores()} cores, "
            f"{'GPU' if gpu_available() else 'no GPU'}",
            "software": _versions(),
        },
        metrics=metrics,
        interface_threshold=threshold,
        **plan.card,
    )
    card = save_model(network, card, out)
    if scenes and plan.data.get("model") == "aistem":
        log("choosing the interface threshold on validation crystals and polycrystals")
        card = measure_threshold(out, seeds=range(int(seed) + 200, int(seed) + 208))
        log(f"interface threshold {card.threshold:g} bits")
        log("measuring on the polycrystal and bicrystal scenes")
        card = measure_scenes(out, seed=int(seed) + 100, n_samples=plan.eval_samples)
        log("measuring robustness to each imperfection of real imaging")
        card = measure_robustness(out, log=log)
    log(
        f"wrote {Path(out) / 'card.json'}: held-out accuracy {metrics['accuracy']:.4f}, "
        f"top-2 {metrics['top2_accuracy']:.4f}, {card.training['seconds']['total']:.0f} s"
    )
    return card


def _fit(network, plan: TrainingPlan, x, targets, train_idx, val_idx, verbose: int, log):
    """The first stage: Adam with early stopping on the validation loss."""
    import keras

    network.compile(
        optimizer=keras.optimizers.Adam(plan.learning_rate),
        loss="sparse_categorical_crossentropy"
        if targets.ndim == 1
        else "categorical_crossentropy",
        metrics=["accuracy"],
    )
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=plan.patience, restore_best_weights=True
    )
    log(
        f"training {plan.architecture['name']} on {len(train_idx)} windows, "
        f"validating on {len(val_idx)}"
    )
    history = network.fit(
        x[train_idx],
        targets[train_idx],
        validation_data=(x[val_idx], targets[val_idx]),
        epochs=plan.epochs,
        batch_size=plan.batch_size,
        shuffle=True,
        callbacks=[stop],
        verbose=verbose,
    )
    return history.history, {}


def _check_initial_model(model: str | Path, plan: TrainingPlan) -> None:
    """An initial model must have the plan's architecture and a training history."""
    from ..models.registry import resolve_model

    card, _ = resolve_model(model)
    if card.architecture != plan.inference_architecture:
        raise ValueError(
            f"The initial model's architecture {card.architecture} is not the plan's "
            f"{plan.inference_architecture}."
        )
    if "history" not in (card.training or {}):
        raise ValueError("The initial model's card has no training history to carry over.")


def _initial_weights(network, model: str | Path, log):
    """The first stage from an earlier run: its weights, history and name for the card."""
    from ..models import load_model

    earlier = load_model(model)
    network.set_weights(earlier.network.get_weights())
    training = earlier.card.training
    # Named as given: the card of an unshipped run carries the package's version.
    label = f"{model} (its card: {earlier.card.name}, version {earlier.card.version})"
    log(f"first stage: the weights of {label}")
    first = {
        "first_stage": {
            "model": label,
            "sha256": earlier.card.sha256,
            "command": training.get("command"),
            "seconds": training.get("seconds"),
        },
    }
    return training["history"], first


def _run_boundary_stage(network, x, y, plan: TrainingPlan, seed: int, num_workers, log):
    """Simulate the boundary windows (seed + 4) and run :func:`.boundary_stage.boundary_stage`."""
    from ..descriptors import get_descriptor
    from ..simulate.boundaries import BoundaryRecipe, boundary_windows
    from .boundary_stage import BoundaryStage, boundary_stage

    settings = BoundaryStage(**plan.boundary_stage)
    began = time.perf_counter()
    recipe = BoundaryRecipe()
    log(f"simulating {settings.windows} boundary windows (seed {seed + 4})")
    windows, share = boundary_windows(settings.windows, seed + 4, recipe, num_workers)
    descriptors = get_descriptor(plan.card["descriptor"])(windows)[..., None]
    history = boundary_stage(network, x, y, descriptors, share, settings, seed, log)
    return {
        "settings": settings.to_dict(),
        "recipe": recipe.to_dict(),
        "seed": seed + 4,
        "history": history,
        "seconds": round(time.perf_counter() - began, 1),
    }


def inference_network(network, plan: TrainingPlan):
    """The trained ``network`` in the architecture its card names (``plan.sampling`` applied).

    Only dropout layers differ between the two, and they hold no weights.
    """
    from ..models.architectures import build_architecture

    if not plan.sampling:
        return network
    inference = build_architecture(plan.inference_architecture)
    inference.set_weights(network.get_weights())
    return inference


def measure_threshold(
    folder: str | Path,
    seeds=range(200, 208),
    rotations=range(1, 180, 2),
    n_samples: int = 100,
):
    """Choose an ``aistem``-like model's interface threshold on validation scenes.

    Runs :func:`~hyperspy_symmetry.training.scenes.validation_threshold` (perfect crystals
    and polycrystal grains below, the amorphous grains above, read with the default
    sampling) and writes the
    threshold, the reason and the figures behind it to the card
    (``interface_threshold``, ``metrics["interface_threshold_reason"]`` and
    ``metrics["threshold_validation"]``); the weights are untouched. Run it before
    :func:`measure_scenes` and :func:`measure_robustness`, which judge the model at its
    threshold, and on seeds that those do not use.
    """
    from ..models.cards import CARD_FILENAME, ModelCard
    from .scenes import validation_threshold

    folder = Path(folder)
    threshold, why, figures = validation_threshold(
        folder, seeds=seeds, rotations=rotations, n_samples=n_samples
    )
    card = ModelCard.load(folder / CARD_FILENAME)
    held_out = card.metrics.get("interface_threshold_reason")
    card.interface_threshold = threshold
    card.metrics["interface_threshold_reason"] = f"validation crystals and polycrystals: {why}"
    card.metrics["threshold_validation"] = figures
    if held_out and not held_out.startswith("validation"):
        card.metrics["held_out_threshold_reason"] = held_out
    card.save(folder / CARD_FILENAME)
    return card


def measure_scenes(folder: str | Path, seed: int = 100, n_samples: int = 30):
    """Add the polycrystal and bicrystal figures of an ``aistem``-like model to its card.

    Runs :func:`~hyperspy_symmetry.training.scenes.polycrystal_metrics` (clean and with the
    realistic augmentation) and
    :func:`~hyperspy_symmetry.training.scenes.bicrystal_metrics` on each boundary of
    :data:`~hyperspy_symmetry.training.scenes.CARD_BICRYSTALS`, and stores them in
    ``card.metrics["scenes"]``; the weights and their sha256 are untouched.
    """
    from ..models.cards import CARD_FILENAME, ModelCard
    from ..simulate.augment import AugmentationRecipe
    from .scenes import CARD_BICRYSTALS, bicrystal_metrics, polycrystal_metrics

    folder = Path(folder)
    realistic = AugmentationRecipe.realistic()
    scenes = {
        "polycrystal": polycrystal_metrics(folder, seed=seed, n_samples=n_samples),
        "polycrystal_realistic_noise": polycrystal_metrics(
            folder, seed=seed, n_samples=n_samples, augmentation=realistic
        ),
        **{
            key: bicrystal_metrics(
                folder,
                b.class_name,
                b.misorientation,
                rotation=b.rotation,
                seed=seed,
                n_samples=n_samples,
                augmentation=realistic if b.realistic else None,
                core_disorder=b.core_disorder,
            )
            for key, b in CARD_BICRYSTALS.items()
        },
        "seed": int(seed),
        "mc_samples": int(n_samples),
    }
    card = ModelCard.load(folder / CARD_FILENAME)
    card.metrics["scenes"] = scenes
    card.save(folder / CARD_FILENAME)
    return card


def measure_robustness(
    folder: str | Path,
    n_per_class: int = 20,
    n_samples: int = 100,
    log: Callable[[str], None] | None = None,
):
    """Add the robustness sweeps (:mod:`~hyperspy_symmetry.training.robustness`) of a HAADF
    model to its card's ``metrics.robustness``; the weights are untouched."""
    from ..models import load_model
    from ..models.cards import CARD_FILENAME, ModelCard
    from .robustness import combined_metrics, robustness_sweep

    folder = Path(folder)
    model = load_model(folder)
    result = robustness_sweep(model, n_per_class=n_per_class, n_samples=n_samples, log=log)
    result["combined"] = combined_metrics(model, n_samples=n_samples)
    card = ModelCard.load(folder / CARD_FILENAME)
    card.metrics["robustness"] = result
    card.save(folder / CARD_FILENAME)
    return card


def _reusable(path: Path, recipe) -> bool:
    from ..simulate import load_training_set

    try:
        return load_training_set(path, lazy=True)["recipe"].to_dict() == recipe.to_dict()
    except (ValueError, KeyError, TypeError):
        return False


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {pkg: version(pkg) for pkg in ("tensorflow", "keras", "numpy", "abtem", "ase")}
