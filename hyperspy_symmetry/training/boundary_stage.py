"""A training stage that teaches a HAADF model to be unsure where its classes end.

A plan with ``boundary_stage`` set runs it after the fit; the shipped ``aistem`` plan does
since version 0.5.0 of that model (at weight 0.5; since 0.5.2 at weight 1 with
``agreement`` 1; since 0.5.3 for 8 epochs: docs/training.md, "A boundary stage").

The AI-STEM paper reads interfaces by the mutual information (MI) of the Monte-Carlo
dropout samples: a window over a boundary holds two grains, and the samples should disagree
there. Trained on single-crystal windows only, a network often agrees with itself on such a
window (one class's spots, twice), most of all at sharp and low-angle boundaries
(docs/training.md). A target that leaves the class open (the uniform distribution) does
not help: every sample learns to be flat, and the MI falls.

This stage fine-tunes a trained network on two losses at once (three with ``agreement``):

- the usual cross-entropy on windows of its training set, so that crystals stay known;
- on windows across simulated boundaries (:func:`~hyperspy_symmetry.simulate.boundaries.
  boundary_windows`), minus their MI over ``samples`` dropout passes, capped at ``cap``
  bits and weighted by ``min(1, 2 x share)`` (the other grain's share of the descriptor's
  taper): the samples are asked to disagree, in proportion to how much of the window is the
  other grain;
- optionally (``agreement``), plus the MI of some of the training windows: their samples
  are asked to agree, so that the stage does not make crystals uncertain as well.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["BoundaryStage", "boundary_stage"]


@dataclass(frozen=True)
class BoundaryStage:
    """Settings of :func:`boundary_stage` (stored in the card).

    Attributes
    ----------
    windows
        Boundary windows simulated (:func:`~hyperspy_symmetry.simulate.boundaries.
        boundary_windows`, seed ``training seed + 4``).
    base_windows
        Training-set windows drawn for the cross-entropy.
    epochs, learning_rate
        Passes over ``base_windows`` and the Adam step.
    batch_size, boundary_batch
        Training windows and boundary windows per step.
    samples
        Dropout passes per boundary window and step (the MI's samples).
    weight
        Weight of the MI term against the cross-entropy.
    cap
        Bits above which a window's MI is not pushed further.
    agreement
        Weight of the MI of ``boundary_batch`` training windows per step, added to the loss
        (their samples asked to agree); 0 leaves it out.
    """

    windows: int = 3000
    base_windows: int = 15000
    epochs: int = 2
    learning_rate: float = 1e-4
    batch_size: int = 64
    boundary_batch: int = 16
    samples: int = 4
    weight: float = 1.0
    cap: float = 0.6
    agreement: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def boundary_stage(
    network,
    descriptors: np.ndarray,
    labels: np.ndarray,
    boundary_descriptors: np.ndarray,
    share: np.ndarray,
    stage: BoundaryStage | None = None,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> dict[str, list[float]]:
    """Fine-tune ``network`` in place: cross-entropy on crystals, MI on boundary windows.

    Parameters
    ----------
    network
        A Keras classifier with dropout layers, softmax output.
    descriptors, labels
        Training windows ``(n, 64, 64, 1)`` and their integer classes; ``stage.base_windows``
        of them are drawn.
    boundary_descriptors, share
        Boundary windows ``(m, 64, 64, 1)`` and the other grain's share of each (0-0.5).
    stage
        :class:`BoundaryStage`; default the defaults.
    seed
        Seed of the draws, the order and the dropout masks.
    log
        Where one line per epoch goes.

    Returns
    -------
    dict
        Per epoch: ``cross_entropy`` (mean) and ``boundary_mi_bits`` (mean MI of the
        boundary windows of the epoch's steps, as sampled in training).
    """
    import keras
    import tensorflow as tf

    stage = stage or BoundaryStage()
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(int(seed))
    pick = rng.choice(len(labels), min(stage.base_windows, len(labels)), replace=False)
    x = np.asarray(descriptors[pick], dtype=np.float32)
    y = np.asarray(labels[pick], dtype=np.int64)
    xb = np.asarray(boundary_descriptors, dtype=np.float32)
    wb = np.minimum(1.0, 2.0 * np.asarray(share, dtype=np.float32))
    optimizer = keras.optimizers.Adam(stage.learning_rate)
    cross_entropy = keras.losses.SparseCategoricalCrossentropy()
    n_classes = int(network.output_shape[-1])
    ln2 = math.log(2.0)

    def entropy_bits(p):
        return -tf.reduce_sum(p * tf.math.log(p + 1e-12), axis=-1) / ln2

    def mutual_information(inputs):
        passes = network(tf.tile(inputs, [stage.samples, 1, 1, 1]), training=True)
        p = tf.reshape(passes, [stage.samples, -1, n_classes])
        return entropy_bits(tf.reduce_mean(p, 0)) - tf.reduce_mean(entropy_bits(p), 0)

    @tf.function
    def step(xc, yc, xw, ww):
        with tf.GradientTape() as tape:
            ce = cross_entropy(yc, network(xc, training=True))
            mi = mutual_information(xw)
            boundary = tf.reduce_sum(ww * tf.minimum(mi, stage.cap)) / tf.reduce_sum(ww)
            loss = ce - stage.weight * boundary
            if stage.agreement:
                crystals = mutual_information(xc[: stage.boundary_batch])
                loss += stage.agreement * tf.reduce_mean(crystals)
            if network.losses:
                loss += tf.add_n(network.losses)
        grads = tape.gradient(loss, network.trainable_variables)
        optimizer.apply_gradients(zip(grads, network.trainable_variables, strict=True))
        return ce, tf.reduce_mean(mi)

    history: dict[str, list[float]] = {"cross_entropy": [], "boundary_mi_bits": []}
    steps = max(1, len(y) // stage.batch_size)  # a first batch of all, if fewer
    for epoch in range(stage.epochs):
        order = rng.permutation(len(y))
        ces, mis = [], []
        for i in range(steps):
            rows = order[i * stage.batch_size : (i + 1) * stage.batch_size]
            cut = rng.choice(len(xb), min(stage.boundary_batch, len(xb)), replace=False)
            ce, mi = step(x[rows], y[rows], xb[cut], wb[cut])
            ces.append(float(ce))
            mis.append(float(mi))
        history["cross_entropy"].append(round(float(np.mean(ces)), 5))
        history["boundary_mi_bits"].append(round(float(np.mean(mis)), 5))
        ce_mean, mi_mean = history["cross_entropy"][-1], history["boundary_mi_bits"][-1]
        log(
            f"boundary stage epoch {epoch + 1}/{stage.epochs}: cross-entropy {ce_mean:.4f}, "
            f"boundary MI {mi_mean:.3f} bits"
        )
    return history
