"""Keras 3 definitions of the Bayesian CNNs.

Networks are always built from this code, by the name and keyword arguments stored in a
model card; weight files hold numbers only. Every network is a plain ``keras.Sequential``
of standard layers with ``keras.layers.Dropout`` where the Bayesian model samples: during
training Keras applies dropout as usual, and at inference
:class:`hyperspy_symmetry.models.mc_dropout.MCDropoutEngine` keeps it active with masks
of its own (see there).

Importing this module imports Keras (and so TensorFlow).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .tf_runtime import import_tensorflow

import_tensorflow()  # quietly, before Keras imports it

import keras  # noqa: E402
from keras import layers  # noqa: E402

from ..descriptors import DESCRIPTOR_SIZE  # noqa: E402

__all__ = ["ARCHITECTURES", "build_architecture", "aistem_cnn", "bravais_cnn"]


def aistem_cnn(
    n_classes: int = 10,
    filters: Sequence[int] = (32, 32, 16, 16, 8, 8),
    dense: int = 128,
    dropout: float = 0.07,
    pool_after: Sequence[int] = (2, 4),
    input_size: int = DESCRIPTOR_SIZE,
    dropout_from: int = 1,
) -> keras.Sequential:
    """The AI-STEM Bayesian CNN (Leitherer et al. 2023, Table 1).

    3x3 'same' ReLU convolutions with ``filters`` channels, dropout after the convolutions
    numbered ``dropout_from`` and up (1-based; 1, the default, is every convolution as
    published) and after the dense layer, 2x2 max pooling after the convolutions numbered in
    ``pool_after``, a ``dense``-unit ReLU layer and a softmax output. With the defaults:
    about 282k parameters and 47 M multiply-adds per pass.

    Layers before the first dropout are the same in every Monte-Carlo sample, so the engine
    runs them once per window: with ``dropout_from=5`` (conv1-5 once per window) a sample
    costs about 0.4 M multiply-adds (conv6 and the dense layers) instead of 47 M. Dropout
    layers hold no weights, so ``dropout_from`` does not change the parameter count.

    Examples
    --------
    >>> aistem_cnn().count_params()
    281818
    >>> aistem_cnn(dropout_from=5).count_params()
    281818
    """
    model = keras.Sequential(name="aistem_cnn")
    model.add(keras.Input((input_size, input_size, 1), name="descriptor"))
    for i, n in enumerate(filters, start=1):
        model.add(layers.Conv2D(n, 3, padding="same", activation="relu", name=f"conv{i}"))
        if i >= dropout_from:
            model.add(layers.Dropout(dropout, name=f"dropout_conv{i}"))
        if i in pool_after:
            model.add(layers.MaxPooling2D(2, name=f"maxpool{i}"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dense(dense, activation="relu", name="dense"))
    model.add(layers.Dropout(dropout, name="dropout_dense"))
    model.add(layers.Dense(n_classes, activation="softmax", name="probabilities"))
    return model


def bravais_cnn(
    n_classes: int = 6,
    filters: Sequence[int] = (32, 32, 16),
    dense: int = 128,
    dropout: float = 0.2,
    l2: float = 1e-4,
    input_size: int = DESCRIPTOR_SIZE,
    dropout_from: int = 1,
    pooled_dropout: bool = False,
) -> keras.Sequential:
    """A Vasudevan-style Bayesian CNN for the 2D Bravais lattices plus noise.

    As in Vasudevan et al. (2018): three 3x3 ReLU convolutions, one 2x2 average pooling,
    a dense ReLU layer and a softmax output, with dropout after every convolution and the
    dense layer, and L2 weight decay on all kernels. ``dropout_from`` (1-based) puts
    dropout only after the convolutions numbered ``dropout_from`` and up; the dense layer
    always has it, so ``dropout_from=len(filters) + 1`` keeps dropout after the dense layer
    alone. ``pooled_dropout`` adds dropout after the pooling (on the dense layer's input).
    Layers before the first dropout run once per window in Monte-Carlo sampling.

    Examples
    --------
    >>> bravais_cnn().output_shape
    (None, 6)
    >>> [l.name for l in bravais_cnn(dropout_from=4).layers if "dropout" in l.name]
    ['dropout_dense']
    >>> net = bravais_cnn(dropout_from=4, pooled_dropout=True)
    >>> [l.name for l in net.layers if "dropout" in l.name]
    ['dropout_pooled', 'dropout_dense']
    """
    reg = keras.regularizers.L2(l2) if l2 else None
    model = keras.Sequential(name="bravais_cnn")
    model.add(keras.Input((input_size, input_size, 1), name="descriptor"))
    for i, n in enumerate(filters, start=1):
        model.add(
            layers.Conv2D(
                n, 3, padding="same", activation="relu", kernel_regularizer=reg, name=f"conv{i}"
            )
        )
        if i >= dropout_from:
            model.add(layers.Dropout(dropout, name=f"dropout_conv{i}"))
    model.add(layers.AveragePooling2D(2, name="avgpool"))
    if pooled_dropout:
        model.add(layers.Dropout(dropout, name="dropout_pooled"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dense(dense, activation="relu", kernel_regularizer=reg, name="dense"))
    model.add(layers.Dropout(dropout, name="dropout_dense"))
    model.add(
        layers.Dense(n_classes, activation="softmax", kernel_regularizer=reg, name="probabilities")
    )
    return model


#: Architecture builders by the name used in model cards.
ARCHITECTURES: dict[str, Callable[..., keras.Sequential]] = {
    "aistem_cnn": aistem_cnn,
    "bravais_cnn": bravais_cnn,
}


def build_architecture(spec: dict[str, Any]) -> keras.Sequential:
    """Build the network a card's ``architecture`` entry describes.

    Parameters
    ----------
    spec
        ``{"name": "aistem_cnn", "kwargs": {...}}``.
    """
    name = spec.get("name")
    if name not in ARCHITECTURES:
        raise ValueError(
            f"Unknown architecture {name!r} in the model card; known: {sorted(ARCHITECTURES)}."
        )
    kwargs = dict(spec.get("kwargs", {}))
    try:
        return ARCHITECTURES[name](**kwargs)
    except TypeError as exc:
        raise ValueError(f"Architecture {name!r} does not accept {kwargs}: {exc}") from exc
