"""The benchmarks' naive reference computes what the package computes (so ratios are fair)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))

from naive_reference import always_on_dropout_copy, fft_haadf_one, naive_classify  # noqa: E402

from hyperspy_symmetry.descriptors import window_descriptors  # noqa: E402


def _image(size=160, seed=0):
    y, x = np.mgrid[:size, :size]
    rng = np.random.default_rng(seed)
    return (
        np.cos(2 * np.pi * x / 9)
        + np.cos(2 * np.pi * (x + y) / 13)
        + 0.3 * rng.standard_normal((size, size))
    ).astype(np.float32)


def test_per_window_descriptor_matches_the_batched_one():
    image = _image()
    batched = window_descriptors(image, "fft_haadf", 96, 16)
    one = fft_haadf_one(image[16:112, 32:128])
    np.testing.assert_allclose(one, batched[1, 2], atol=1e-5)


@pytest.fixture(scope="module")
def tiny_network():
    import keras

    from hyperspy_symmetry.models.architectures import aistem_cnn

    keras.utils.set_random_seed(3)
    return aistem_cnn(filters=(4, 4, 4, 4, 2, 2), dense=16, dropout=0.2, dropout_from=5)


def test_always_on_dropout_copy_samples_in_predict(tiny_network):
    x = window_descriptors(_image(), "fft_haadf", 96, 32).reshape(-1, 64, 64, 1)
    mc = always_on_dropout_copy(tiny_network)
    a, b = mc.predict(x, verbose=0), mc.predict(x, verbose=0)
    assert not np.array_equal(a, b)  # dropout is on
    # Averaged over many samples, the network's mean is close to the deterministic one.
    mean = np.mean([mc.predict(x, verbose=0) for _ in range(200)], axis=0)
    np.testing.assert_allclose(mean, tiny_network.predict(x, verbose=0), atol=0.03)


def test_naive_reference_agrees_with_the_engine(tiny_network):
    from hyperspy_symmetry.models.mc_dropout import MCDropoutEngine

    image = _image(192)
    stats, seconds = naive_classify(image, tiny_network, 96, 16, n_samples=200)
    assert stats.shape == (7, 7, 13) and set(seconds) == {"descriptors", "network"}
    desc = window_descriptors(image, "fft_haadf", 96, 16).reshape(-1, 64, 64)
    exact = MCDropoutEngine(tiny_network).statistics(desc, 200, seed=0).reshape(7, 7, 13)
    # Different random masks, the same Bayesian network: the same means up to MC error.
    np.testing.assert_allclose(stats[..., :10], exact[..., :10], atol=0.05)
