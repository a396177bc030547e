"""Add classes to a trained HAADF model: new structures and zone axes, fine-tuned.

The new network has the base model's layers and weights; the output layer gets one more
unit per new class (the base's units keep their weights). It is fine-tuned on a fresh
simulated set holding all classes, so the old classes are not forgotten.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["extend_model"]


def _base_recipe(card):
    from ..simulate import TrainingSetRecipe

    recipe = card.training.get("data_recipe")
    if recipe:
        return TrainingSetRecipe.from_dict(recipe)
    return TrainingSetRecipe.default("aistem")


def _grow_output(base, n_new: int, seed: int):
    """A copy of ``base`` with ``n_new`` more output units; old weights kept."""
    import keras

    from ..models.architectures import build_architecture

    spec = dict(base.card.architecture)
    kwargs = dict(spec.get("kwargs", {}))
    kwargs["n_classes"] = len(base.card.classes) + n_new
    spec = {"name": spec["name"], "kwargs": kwargs}
    keras.utils.set_random_seed(seed)
    network = build_architecture(spec)
    for old, new in zip(base.network.layers[:-1], network.layers[:-1], strict=False):
        new.set_weights(old.get_weights())
    kernel, bias = base.network.layers[-1].get_weights()
    new_kernel, new_bias = network.layers[-1].get_weights()
    new_kernel[:, : kernel.shape[1]] = kernel
    new_bias[: bias.shape[0]] = bias
    network.layers[-1].set_weights([new_kernel, new_bias])
    return network, spec


def extend_model(
    base: str | Path,
    new_classes: Mapping[str, tuple[Any, Sequence[int]]],
    name: str,
    out: str | Path | None = None,
    *,
    n_per_class: int = 1000,
    epochs: int = 6,
    learning_rate: float = 5e-4,
    held_out_per_class: int = 100,
    eval_samples: int = 30,
    seed: int = 0,
    num_workers: int | None = None,
    verbose: int = 2,
    log: Callable[[str], None] = print,
):
    """Add structure/orientation classes to an FFT-HAADF model and fine-tune it.

    Parameters
    ----------
    base
        The model to extend, by name (``"aistem"``) or path.
    new_classes
        ``{class_name: (ase.Atoms bulk cell, zone_axis)}``; zone axes as in
        :func:`~hyperspy_symmetry.simulate.crystal_image`.
    name
        Name of the new model.
    out
        Folder to write; default ``user_models_dir() / name``, so that
        ``classify_symmetry(model=name)`` finds it.
    n_per_class
        Simulated training windows per class (old and new).
    epochs, learning_rate
        Fine-tuning of all layers with Adam (early stopping on a 20 % validation split).
    held_out_per_class, eval_samples
        Held-out windows per class (seed ``seed + 1``) and MC samples for the card's metrics.
    seed
        Seed of the data, the new output units and the shuffling.
    num_workers, verbose, log
        Simulation processes, Keras verbosity, and where progress lines go.

    Returns
    -------
    ModelCard
        The new model's card (written to ``out``).

    Examples
    --------
    >>> from ase.build import bulk
    >>> from hyperspy_symmetry.training import extend_model
    >>> gold = bulk("Au", "fcc", a=4.08, cubic=True)
    >>> # Not run as a test: it simulates and fine-tunes (about 10 minutes on 2 cores).
    >>> card = extend_model("aistem", {"FCC_Au_110": (gold, (1, 1, 0))},
    ...                     "aistem_au")  # doctest: +SKIP
    >>> p = s.classify_symmetry(model="aistem_au")  # doctest: +SKIP
    """
    from ..models.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    from .. import __version__
    from ..models import ModelCard, load_model, save_model
    from ..models.registry import user_models_dir
    from ..simulate import build_training_set
    from ..simulate.training_set import crystal_spec
    from .trainer import evaluate_network, load_arrays, run_seconds, stratified_split

    if not new_classes:
        raise ValueError("new_classes is empty: give {class_name: (ase.Atoms, zone_axis)}.")
    began = time.perf_counter()
    base_model = load_model(base)
    if base_model.card.descriptor != "fft_haadf":
        raise ValueError(
            f"extend_model adds HAADF crystal classes; {base_model.card.name!r} uses the "
            f"{base_model.card.descriptor!r} descriptor."
        )
    clash = set(new_classes) & set(base_model.class_names)
    if clash:
        raise ValueError(f"{sorted(clash)} are already classes of {base_model.card.name!r}.")
    base_recipe = _base_recipe(base_model.card)
    if base_recipe.class_names != base_model.class_names:
        raise ValueError(
            f"The card of {base_model.card.name!r} does not describe how its classes were "
            "simulated; only models trained or extended by this package can be extended."
        )
    extra = dict(base_recipe.extra_classes or {})
    for class_name, (atoms, zone_axis) in new_classes.items():
        extra[class_name] = crystal_spec(atoms, zone_axis)
    recipe = replace(
        base_recipe, extra_classes=extra, n_per_class=int(n_per_class), seed=int(seed)
    )
    test_recipe = replace(recipe, seed=int(seed) + 1, n_per_class=int(held_out_per_class))
    out = Path(out) if out is not None else user_models_dir() / name

    import tempfile

    with tempfile.TemporaryDirectory(prefix=f"{name}_data_") as tmp:
        log(f"simulating {recipe.n_samples} windows of {len(recipe.class_names)} classes")
        for part, r in (("train", recipe), ("test", test_recipe)):
            build_training_set(
                Path(tmp) / f"{part}.zarr",
                recipe=r,
                num_workers=num_workers,
                show_progressbar=verbose > 0,
            )
        x, y = load_arrays(Path(tmp) / "train.zarr")
        x_test, y_test = load_arrays(Path(tmp) / "test.zarr")
    simulated = time.perf_counter()

    network, spec = _grow_output(base_model, len(new_classes), int(seed))
    network.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    fit_idx, val_idx = stratified_split(y, 0.2, int(seed))
    log(f"fine-tuning on {len(fit_idx)} windows")
    history = network.fit(
        x[fit_idx],
        y[fit_idx],
        validation_data=(x[val_idx], y[val_idx]),
        epochs=int(epochs),
        batch_size=64,
        shuffle=True,
        verbose=verbose,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=2, restore_best_weights=True
            )
        ],
    )
    trained = time.perf_counter()
    metrics = evaluate_network(network, x_test, y_test, eval_samples, int(seed))
    metrics["held_out_seed"] = test_recipe.seed
    n_old = len(base_model.class_names)
    per_class = np.diag(metrics["confusion_matrix"]) / np.sum(metrics["confusion_matrix"], axis=1)
    metrics["accuracy_old_classes"] = round(float(per_class[:n_old].mean()), 5)
    metrics["accuracy_new_classes"] = round(float(per_class[n_old:].mean()), 5)
    finished = time.perf_counter()

    base_card = base_model.card
    card = ModelCard(
        name=name,
        version=__version__,
        classes=recipe.class_names,
        architecture=spec,
        weights="",
        sha256="",
        description=f"{base_card.name} extended with {', '.join(new_classes)} by fine-tuning.",
        descriptor=base_card.descriptor,
        pixel_size=base_card.pixel_size,
        field_of_view=base_card.field_of_view,
        default_window=base_card.default_window,
        default_stride=base_card.default_stride,
        training={
            "base_model": {
                "name": base_card.name,
                "version": base_card.version,
                "sha256": base_card.sha256,
            },
            "new_classes": {k: extra[k] for k in new_classes},
            "seed": int(seed),
            "data_recipe": recipe.to_dict(),
            "epochs_run": len(history.history.get("loss", [])),
            "learning_rate": learning_rate,
            "seconds": run_seconds(began, simulated, trained, finished),
        },
        metrics=metrics,
    )
    card = save_model(network, card, out)
    log(
        f"wrote {out}: held-out accuracy {metrics['accuracy']:.4f} (new classes "
        f"{metrics['accuracy_new_classes']:.4f}), {card.training['seconds']['total']:.0f} s"
    )
    return card
