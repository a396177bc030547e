"""Latent features: the activations of one layer of a model's network, window by window.

The representation a network has learned is read from one layer, by default the
penultimate one (the 128-unit ``dense`` layer of ``aistem_cnn`` and ``bravais_cnn``: the
input of the softmax). The pass is **deterministic, with dropout off** (``training=False``):
MC-dropout samples the posterior over networks, which the class probabilities need but a
representation of the windows does not; the features are those of the mean network (the
inverted-dropout weights, as Keras trains them).

Windows are taken in fixed-size batches (the last one padded), so one traced
``tf.function`` serves all calls and a window's features do not depend on how many windows
there are or how the data are chunked. Each process builds one extractor per model and layer
(:func:`cached_extractor`); dask tasks carry only a small
:class:`~hyperspy_symmetry.models.registry.ModelRef`.

Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from ..descriptors import DESCRIPTOR_SIZE, window_descriptors
from ..windows import window_grid_shape
from .registry import ModelRef, cached_model
from .tf_runtime import import_tensorflow

__all__ = [
    "FeatureExtractor",
    "feature_layer",
    "cached_extractor",
    "window_features",
    "features_array",
]

#: Windows per TensorFlow call.
DEFAULT_BATCH = 256


def feature_layer(network, layer: str | None = None) -> str:
    """The name of the layer whose output is the latent vector.

    Parameters
    ----------
    network
        A Keras model.
    layer
        A layer name; default the penultimate layer: the last layer before the output
        layer that is not a ``Dropout`` (``"dense"`` for ``aistem_cnn`` and ``bravais_cnn``).

    Raises
    ------
    ValueError
        For an unknown layer name (the message lists the layers).

    Examples
    --------
    >>> from hyperspy_symmetry.models.architectures import aistem_cnn
    >>> feature_layer(aistem_cnn())
    'dense'
    >>> feature_layer(aistem_cnn(), "flatten")
    'flatten'
    """
    import keras

    names = [lay.name for lay in network.layers]
    if layer is not None:
        if layer not in names:
            raise ValueError(
                f"Model {network.name!r} has no layer {layer!r}; its layers are {names}."
            )
        return layer
    for lay in reversed(network.layers[:-1]):
        if not isinstance(lay, keras.layers.Dropout):
            return lay.name
    raise ValueError(f"Model {network.name!r} has no layer before its output layer.")


class FeatureExtractor:
    """Deterministic (dropout off) activations of one layer of a Keras model.

    Parameters
    ----------
    network
        A Keras model with one input.
    layer
        See :func:`feature_layer`.
    batch_size
        Windows per TensorFlow call (the last batch is padded).

    Attributes
    ----------
    layer : str
        The layer read.
    n_features : int
        Length of the (flattened) latent vector.

    Examples
    --------
    >>> from hyperspy_symmetry.models.architectures import aistem_cnn
    >>> extract = FeatureExtractor(aistem_cnn(filters=(4, 4, 4, 4, 2, 2), dense=8))
    >>> x = np.random.default_rng(0).random((3, 64, 64), dtype=np.float32)
    >>> extract(x).shape
    (3, 8)
    >>> bool(np.array_equal(extract(x), extract(x)))  # no dropout: deterministic
    True
    """

    def __init__(self, network, layer: str | None = None, batch_size: int = DEFAULT_BATCH):
        import keras

        tf = import_tensorflow()

        self.layer = feature_layer(network, layer)
        output = network.get_layer(self.layer).output
        self.n_features = int(math.prod(int(d) for d in output.shape[1:]))
        self.input_shape = tuple(int(d) for d in network.input_shape[1:])
        self.batch_size = int(batch_size)
        inputs = network.inputs[0] if len(network.inputs) == 1 else network.inputs
        sub = keras.Model(inputs, output, name=f"{network.name}_{self.layer}")
        self._forward = tf.function(
            lambda x: tf.reshape(sub(x, training=False), [tf.shape(x)[0], -1]),
            reduce_retracing=True,
        )

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Features ``(n, n_features)`` float32 of descriptors ``(n, 64, 64)``.

        Windows whose descriptor holds NaN or inf get NaN features.
        """
        tf = import_tensorflow()

        x = np.asarray(x, dtype=np.float32)
        n = len(x)
        x = x.reshape((n,) + self.input_shape)
        bad = ~np.isfinite(x.reshape(n, -1)).all(axis=1)
        if bad.any():
            x = np.where(bad.reshape((-1,) + (1,) * (x.ndim - 1)), np.float32(0), x)
        out = np.empty((n, self.n_features), dtype=np.float32)
        for start in range(0, n, self.batch_size):
            batch = x[start : start + self.batch_size]
            m = len(batch)
            if m < self.batch_size:
                pad = np.zeros((self.batch_size - m,) + self.input_shape, dtype=np.float32)
                batch = np.concatenate([batch, pad])
            out[start : start + m] = self._forward(tf.constant(batch)).numpy()[:m]
        out[bad] = np.nan
        return out


_EXTRACTORS: dict[tuple[ModelRef, str | None], FeatureExtractor] = {}
_LOCK = threading.Lock()


def cached_extractor(ref: ModelRef, layer: str | None = None) -> FeatureExtractor:
    """The feature extractor of a model and layer, built once per process (thread-safe)."""
    with _LOCK:
        extractor = _EXTRACTORS.get((ref, layer))
        if extractor is None:
            extractor = FeatureExtractor(cached_model(ref).network, layer)
            _EXTRACTORS[(ref, layer)] = extractor
        return extractor


def window_features(
    images: np.ndarray,
    ref: ModelRef,
    descriptor: str,
    window: int,
    stride: int,
    layer: str | None = None,
) -> np.ndarray:
    """Latent features of every window of a block of images.

    Parameters
    ----------
    images
        ``(..., H, W)`` real array.
    ref
        The model.
    descriptor, window, stride
        The descriptor name and the sliding-window geometry (pixels).
    layer
        See :func:`feature_layer`.

    Returns
    -------
    numpy.ndarray
        float32 ``(..., gy, gx, n_features)``.
    """
    lead = images.shape[:-2]
    grid = window_grid_shape(images.shape[-2:], window, stride)
    descriptors = window_descriptors(images, descriptor, window, stride)
    extractor = cached_extractor(ref, layer)
    features = extractor(descriptors.reshape((-1, DESCRIPTOR_SIZE, DESCRIPTOR_SIZE)))
    return features.reshape(lead + grid + (extractor.n_features,))


def features_array(
    images, ref: ModelRef, descriptor: str, window: int, stride: int, layer: str | None = None
):
    """Lazy features ``(..., gy, gx, n_features)`` of whole-image blocks ``(..., H, W)``.

    Builds (once per process) the extractor to know ``n_features`` and check ``layer``;
    computes nothing else.
    """
    import dask

    from ..pipeline import _blockwise_images

    extractor = cached_extractor(ref, layer)
    gy, gx = window_grid_shape(images.shape[-2:], window, stride)
    name = "symmetry-features-" + dask.base.tokenize(
        images.name, ref, descriptor, window, stride, extractor.layer
    )
    return _blockwise_images(
        window_features,
        images,
        {"i": gy, "j": gx, "f": extractor.n_features},
        np.float32,
        name,
        ref=ref,
        descriptor=descriptor,
        window=window,
        stride=stride,
        layer=layer,
    )
