"""The published AI-STEM inference path, written plainly: the baseline of the benchmarks.

As in the papers' public code: a Python loop takes one window at a time and computes its
FFT-HAADF descriptor with NumPy, one window per call; then T separate Keras ``predict()``
calls run the whole network over all descriptors with dropout switched on (Keras draws
its own random masks), and the T softmax outputs are reduced to the mean probabilities and
the uncertainty measures.

It shares nothing with the package's fast path except the reduction of the samples
(:func:`hyperspy_symmetry.uncertainty.mc_statistics`), so it also checks it:
``tests/test_benchmarks.py`` runs it on a small image.
"""

from __future__ import annotations

import numpy as np


def fft_haadf_one(window: np.ndarray, threshold: float = 0.1) -> np.ndarray:
    """FFT-HAADF descriptor of one window, step by step as the AI-STEM paper gives it."""

    def minmax(a):
        lo, hi = a.min(), a.max()
        return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)

    n = window.shape[0]
    w = minmax(window.astype(np.float64))
    hann = np.hanning(n)
    w = w * np.sqrt(np.outer(hann, hann))
    spectrum = np.fft.fftshift(np.abs(np.fft.fft2(w)) ** 2)
    spectrum = minmax(spectrum)
    spectrum = np.clip(spectrum / threshold, 0.0, 1.0)
    spectrum = minmax(spectrum)
    start = n // 2 - 32
    return minmax(spectrum[start : start + 64, start : start + 64]).astype(np.float32)


def always_on_dropout_copy(network):
    """A copy of ``network`` whose dropout layers drop units in ``predict()`` too."""
    import keras

    class AlwaysOnDropout(keras.layers.Dropout):
        def call(self, inputs, training=None):
            return super().call(inputs, training=True)

    layers = [keras.Input(network.input_shape[1:])]
    for layer in network.layers:
        if isinstance(layer, keras.layers.Dropout):
            layers.append(AlwaysOnDropout(layer.rate, name=layer.name))
        else:
            layers.append(layer.__class__.from_config(layer.get_config()))
    copy = keras.Sequential(layers)
    copy.set_weights(network.get_weights())
    return copy


def naive_classify(
    image: np.ndarray, network, window: int, stride: int, n_samples: int, batch_size: int = 32
) -> tuple[np.ndarray, dict[str, float]]:
    """Statistics ``(gy, gx, n_classes + 3)`` of every window, the published way.

    Returns the statistics and the seconds spent on descriptors and on the network.
    """
    import time

    from hyperspy_symmetry.uncertainty import mc_statistics

    t0 = time.perf_counter()
    gy = (image.shape[0] - window) // stride + 1
    gx = (image.shape[1] - window) // stride + 1
    descriptors = []
    for i in range(gy):
        for j in range(gx):
            patch = image[i * stride : i * stride + window, j * stride : j * stride + window]
            descriptors.append(fft_haadf_one(patch))
    x = np.stack(descriptors)[..., None]
    t1 = time.perf_counter()
    mc = always_on_dropout_copy(network)
    samples = np.stack([mc.predict(x, batch_size=batch_size, verbose=0) for _ in range(n_samples)])
    t2 = time.perf_counter()
    stats = mc_statistics(samples).reshape(gy, gx, -1)
    return stats, {"descriptors": t1 - t0, "network": t2 - t1}
