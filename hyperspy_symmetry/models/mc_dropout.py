"""Monte-Carlo dropout inference: all windows x all T samples in large batches.

How sampling works
------------------
Sample ``t`` of a Bayesian network is one *network*: every dropout layer drops a fixed set
of units. The engine draws, for each sample ``t`` and each dropout layer, one keep-mask
over that layer's whole feature map from ``numpy.random.default_rng([seed, layer, t])``,
and applies the same T networks to every window. So:

- a window's result depends only on its descriptor, the weights, ``seed`` and ``T``: not on
  its position in a batch, on how the data are chunked, or on which process or machine runs
  it (tested bit for bit on the threaded, process and distributed schedulers);
- the layers before the first dropout are deterministic and run once per window, not T times;
- every call has the same tensor shapes (window batches are padded to a fixed size), so one
  traced ``tf.function`` serves all calls and floating-point results do not depend on the
  number of windows.

The masks are scaled by ``1 / (1 - rate)`` (inverted dropout, as Keras trains with).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from ..uncertainty import entropy_bits, statistics_from_sums

__all__ = ["MCDropoutEngine"]

#: Stochastic passes per TensorFlow call (windows per batch x samples per group).
DEFAULT_PASSES_PER_BATCH = 512


class MCDropoutEngine:
    """Run a Keras network with Monte-Carlo dropout and reduce the samples to statistics.

    Parameters
    ----------
    model
        A ``keras.Sequential`` whose dropout layers are ``keras.layers.Dropout`` and whose
        last layer outputs class probabilities (softmax).
    passes_per_batch
        Stochastic passes per TensorFlow call; bounds memory (activations of one call).

    Examples
    --------
    >>> from hyperspy_symmetry.models.architectures import aistem_cnn
    >>> engine = MCDropoutEngine(aistem_cnn(filters=(4, 4, 4, 4, 2, 2), dense=8))
    >>> x = np.random.default_rng(0).random((3, 64, 64), dtype=np.float32)
    >>> engine.statistics(x, n_samples=10, seed=1).shape
    (3, 13)
    """

    def __init__(self, model, passes_per_batch: int = DEFAULT_PASSES_PER_BATCH):
        import keras

        self.model = model
        self.passes_per_batch = int(passes_per_batch)
        self._layers = list(model.layers)
        self._dropout_index = [
            i for i, layer in enumerate(self._layers) if isinstance(layer, keras.layers.Dropout)
        ]
        if not self._dropout_index:
            raise ValueError(
                f"Model {model.name!r} has no Dropout layer, so it cannot be sampled with "
                "Monte-Carlo dropout."
            )
        self._rates = [float(self._layers[i].rate) for i in self._dropout_index]
        self._mask_shapes = [
            tuple(int(d) for d in self._layers[i].output.shape[1:]) for i in self._dropout_index
        ]
        self.input_shape = tuple(int(d) for d in model.input_shape[1:])
        self.n_classes = int(model.output_shape[-1])
        self._masks: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._forward = self._make_forward()

    # -- masks ------------------------------------------------------------------------

    def _keep_masks(self, seed: int, n_samples: int) -> list[np.ndarray]:
        """Boolean keep-masks ``(T, *feature_shape)`` of each dropout layer (cached)."""
        key = (int(seed), int(n_samples))
        with self._lock:
            if key in self._masks:
                self._masks.move_to_end(key)
                return self._masks[key]
        masks = []
        for layer, (rate, shape) in enumerate(zip(self._rates, self._mask_shapes)):
            keep = np.empty((n_samples,) + shape, dtype=bool)
            for t in range(n_samples):
                keep[t] = np.random.default_rng([int(seed), layer, t]).random(shape) >= rate
            masks.append(keep)
        with self._lock:
            self._masks[key] = masks
            while len(self._masks) > 2:
                self._masks.popitem(last=False)
        return masks

    # -- the forward pass ---------------------------------------------------------------

    def _make_forward(self):
        import tensorflow as tf

        layers = self._layers
        dropout_index = set(self._dropout_index)
        first = self._dropout_index[0]
        rates = dict(zip(self._dropout_index, self._rates))

        def forward(x, *masks):
            # x: (b, *input); masks[k]: (tg, *feature) as float 0/1.
            tg = tf.shape(masks[0])[0]
            b = tf.shape(x)[0]
            h = x
            k = 0
            for i, layer in enumerate(layers):
                if i in dropout_index:
                    m = masks[k] * (1.0 / (1.0 - rates[i]))
                    k += 1
                    feat = tf.shape(h)[1:]
                    if i == first:
                        h = h[None] * m[:, None]
                    else:
                        h = tf.reshape(h, tf.concat([[tg, b], feat], 0)) * m[:, None]
                    h = tf.reshape(h, tf.concat([[tg * b], feat], 0))
                else:
                    h = layer(h, training=False)
            return tf.reshape(h, [tg, b, -1])

        return tf.function(forward, reduce_retracing=True)

    def _batch_plan(self, n_samples: int) -> tuple[int, list[tuple[int, int]]]:
        """Windows per batch and the sample groups ``[(t0, t1), ...]`` (fixed for T)."""
        group = max(1, min(n_samples, self.passes_per_batch))
        windows = max(1, self.passes_per_batch // group)
        groups = [(t0, min(t0 + group, n_samples)) for t0 in range(0, n_samples, group)]
        return windows, groups

    def sample(self, x: np.ndarray, n_samples: int, seed: int):
        """Yield ``(start, probabilities)`` with probabilities of shape ``(T, b, n_classes)``.

        Windows are taken ``b`` at a time (the last batch padded and trimmed back).
        """
        import tensorflow as tf

        x = np.asarray(x, dtype=np.float32)
        if x.shape[1:] != self.input_shape:
            x = x.reshape((x.shape[0],) + self.input_shape)
        windows, groups = self._batch_plan(n_samples)
        keep = self._keep_masks(seed, n_samples)
        group_masks = [
            tuple(tf.constant(m[t0:t1], dtype=tf.float32) for m in keep) for t0, t1 in groups
        ]
        for start in range(0, x.shape[0], windows):
            batch = x[start : start + windows]
            n = batch.shape[0]
            if n < windows:
                pad = np.zeros((windows - n,) + self.input_shape, dtype=np.float32)
                batch = np.concatenate([batch, pad])
            tb = tf.constant(batch)
            probs = [self._forward(tb, *gm).numpy()[:, :n] for gm in group_masks]
            yield start, np.concatenate(probs, axis=0)

    def statistics(self, x: np.ndarray, n_samples: int, seed: int) -> np.ndarray:
        """Mean probabilities and uncertainty measures of each window.

        Parameters
        ----------
        x
            Descriptors, ``(n, 64, 64)`` or ``(n, 64, 64, 1)``.
        n_samples
            T, the number of stochastic passes per window.
        seed
            Seed of the dropout masks.

        Returns
        -------
        numpy.ndarray
            float32 ``(n, n_classes + 3)``, see
            :func:`hyperspy_symmetry.uncertainty.statistics_from_sums`.
        """
        x = np.asarray(x, dtype=np.float32)
        # Activations like ReLU turn NaN into numbers, so mark windows with NaN or inf here:
        # their statistics are NaN, and they run as zeros.
        bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
        if bad.any():
            x = np.where(bad.reshape((-1,) + (1,) * (x.ndim - 1)), np.float32(0), x)
        n = len(x)
        c = self.n_classes
        sum_p = np.zeros((n, c))
        sum_h = np.zeros(n)
        votes = np.zeros((n, c))
        eye = np.eye(c)
        for start, probs in self.sample(x, n_samples, seed):
            p = probs.astype(np.float64)
            stop = start + p.shape[1]
            sum_p[start:stop] = p.sum(axis=0)
            sum_h[start:stop] = entropy_bits(p).sum(axis=0)
            votes[start:stop] = eye[p.argmax(axis=-1)].sum(axis=0)
        stats = statistics_from_sums(sum_p, sum_h, votes, n_samples)
        stats[bad] = np.nan
        return stats
