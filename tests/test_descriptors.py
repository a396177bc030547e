"""Descriptors against plain per-window references written here, step by step."""

import numpy as np
import pytest

from hyperspy_symmetry.descriptors import (
    POOLED_WORKSPACE_BYTES,
    Workspace,
    fft_amplitude,
    fft_haadf,
    reciprocal_axis,
    window_descriptors,
)
from hyperspy_symmetry.windows import sliding_windows


def _mm(a):
    return (a - a.min()) / (a.max() - a.min())


def reference_fft_haadf(window):
    """The AI-STEM FFT-HAADF recipe for one window, written plainly."""
    n = window.shape[0]
    w = _mm(window.astype(float))
    hann = np.hanning(n)
    w = w * np.sqrt(np.outer(hann, hann))
    f = np.abs(np.fft.fft2(w)) ** 2
    f = np.fft.fftshift(f)
    f = _mm(f)
    f = f / 0.1
    f[f > 1] = 1
    f = _mm(f)
    s = n // 2 - 32
    f = f[s : s + 64, s : s + 64]
    return _mm(f)


def reference_fft_amplitude(window):
    n = window.shape[0]
    w = window.astype(float) - window.mean()
    hann = np.hanning(n)
    w = w * np.sqrt(np.outer(hann, hann))
    a = np.fft.fftshift(np.abs(np.fft.fft2(w)))
    s = n // 2 - 32
    a = a[s : s + 64, s : s + 64]
    a = np.log1p(a / a.mean())
    return _mm(a)


def _windows(n, size, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:size, :size]
    out = []
    for _k in range(n):
        period = rng.uniform(5, 12)
        angle = rng.uniform(0, np.pi)
        u = np.cos(angle) * x + np.sin(angle) * y
        v = -np.sin(angle) * x + np.cos(angle) * y
        img = np.cos(2 * np.pi * u / period) + np.cos(2 * np.pi * v / (period * 1.3))
        out.append(img + 0.2 * rng.standard_normal((size, size)))
    return np.array(out)


@pytest.mark.parametrize("size", [64, 96, 100, 101, 136])
def test_fft_haadf_matches_reference(size):
    windows = _windows(5, size)
    got = fft_haadf(windows)
    assert got.shape == (5, 64, 64) and got.dtype == np.float32
    for w, g in zip(windows, got, strict=False):
        np.testing.assert_allclose(g, reference_fft_haadf(w), atol=1e-6)
    assert got.min() == 0.0 and got.max() == 1.0


@pytest.mark.parametrize("size", [64, 100, 128])
def test_fft_amplitude_matches_reference(size):
    windows = _windows(4, size, seed=1)
    got = fft_amplitude(windows)
    assert got.shape == (4, 64, 64) and got.dtype == np.float32
    for w, g in zip(windows, got, strict=False):
        np.testing.assert_allclose(g, reference_fft_amplitude(w), atol=1e-6)


def test_fft_haadf_saturates_above_threshold():
    d = fft_haadf(_windows(1, 100))[0]
    # the central peak region is clipped to exactly 1 and more than one pixel saturates
    assert d[32, 32] == 1.0
    assert (d == 1.0).sum() > 1


def test_descriptors_leading_dims_and_integer_input():
    windows = (_windows(6, 100) * 1000 + 5000).astype(np.uint16).reshape(2, 3, 100, 100)
    got = fft_haadf(windows)
    assert got.shape == (2, 3, 64, 64)
    np.testing.assert_allclose(got[1, 2], reference_fft_haadf(windows[1, 2]), atol=1e-6)


def test_constant_and_nan_windows():
    windows = np.stack([np.full((100, 100), 3.0), _windows(1, 100)[0]])
    windows_nan = windows.copy()
    windows_nan[1, 10, 10] = np.nan
    d = fft_haadf(windows)
    assert np.all(d[0] == 0)
    d = fft_haadf(windows_nan)
    assert np.all(d[0] == 0) and np.all(np.isnan(d[1]))
    assert np.all(np.isnan(fft_amplitude(windows_nan)[1]))


def test_descriptor_input_errors():
    with pytest.raises(ValueError, match="at least 32"):
        fft_haadf(np.zeros((2, 16, 16)))
    with pytest.raises(ValueError, match="square"):
        fft_haadf(np.zeros((2, 64, 80)))
    with pytest.raises(TypeError, match="complex"):
        fft_haadf(np.zeros((1, 64, 64), complex))


def test_window_descriptors_equals_per_window_loop():
    rng = np.random.default_rng(3)
    images = rng.random((2, 180, 230))
    got = window_descriptors(images, "fft_haadf", 100, 13, batch_windows=7)  # part rows
    gy, gx = (180 - 100) // 13 + 1, (230 - 100) // 13 + 1
    assert got.shape == (2, gy, gx, 64, 64)
    # the same bits batch by batch, whole rows at a time or all at once
    for batch in (None, 25, 1000):
        np.testing.assert_array_equal(
            window_descriptors(images, "fft_haadf", 100, 13, batch_windows=batch), got
        )
    for f in range(2):
        for i in range(gy):
            for j in range(gx):
                win = images[f, i * 13 : i * 13 + 100, j * 13 : j * 13 + 100]
                np.testing.assert_allclose(got[f, i, j], reference_fft_haadf(win), atol=1e-6)


def test_workspace_reuses_and_grows_its_buffers():
    ws = Workspace()
    a = ws.array("x", (3, 4), np.float64)
    b = ws.array("x", (2, 4), np.float64)
    assert np.shares_memory(a, b) and b.shape == (2, 4) and b.flags.c_contiguous
    c = ws.array("x", (5, 5), np.complex128)  # larger than the buffer: a new one
    assert c.shape == (5, 5) and c.dtype == np.complex128 and not np.shares_memory(a, c)
    assert not np.shares_memory(ws.array("y", (5, 5), np.complex128), c)
    with Workspace.pooled() as first:
        first.array("x", (4, 64, 64), np.float64)
    with Workspace.pooled() as again:
        assert again is first and again.nbytes >= 4 * 64 * 64 * 8  # back in the pool
        again.array("huge", (POOLED_WORKSPACE_BYTES + 1,), np.uint8)
    with Workspace.pooled() as other:
        assert other is not first  # grown past the limit: not kept


@pytest.mark.parametrize(
    "descriptor, fn", [("fft_haadf", fft_haadf), ("fft_amplitude", fft_amplitude)]
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint16])
def test_reused_buffers_keep_the_bits_of_fresh_ones(descriptor, fn, dtype):
    """window_descriptors reuses one pooled workspace from batch to batch and call to call
    (windows of other sizes in between); every window gets the bits of a fresh one."""
    rng = np.random.default_rng(5)
    image = (rng.random((150, 170)) * 300).astype(dtype)
    for window in (100, 128, 64, 40, 100):
        got = window_descriptors(image, descriptor, window, 11, batch_windows=5)
        expected = fn(sliding_windows(image, window, 11))  # one batch, a new workspace
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(got[1, 2], fn(image[11:, 22:][:window, :window]))


def test_reciprocal_axis():
    ax = reciprocal_axis(100, 0.12, "Å", "kx")
    assert ax["units"] == "1 / Å" and ax["size"] == 64
    assert ax["scale"] == pytest.approx(1 / 12.0)
    assert ax["offset"] == pytest.approx(-32 / 12.0)
    # the zero frequency sits on descriptor pixel 32
    assert ax["offset"] + 32 * ax["scale"] == pytest.approx(0.0)
    ax = reciprocal_axis(128, 0.5, "nm", "kx")
    assert ax["scale"] == pytest.approx(1 / (128 * 0.5)) and ax["units"] == "1 / nm"
    assert reciprocal_axis(128, 1.0, "<undefined>", "kx")["units"] == "1 / px"


@pytest.mark.parametrize("descriptor", [fft_haadf, fft_amplitude])
def test_same_field_of_view_gives_the_same_descriptor_at_any_pixel_size(descriptor):
    # A 12 Å window of a lattice with 2.4 Å and 1.5 Å periods, sampled at 0.08-0.2 Å/px:
    # the frequency step is 1/12 Å^-1 at every pixel size, so the spots land on the same
    # descriptor pixels; windows under 64 px have their spectrum padded beyond Nyquist.
    def window(pixel):
        n = int(round(12.0 / pixel))
        y, x = np.mgrid[:n, :n] * pixel
        return (
            np.cos(2 * np.pi * x / 2.4)
            + np.cos(2 * np.pi * y / 1.5)
            + np.cos(2 * np.pi * (x + y) / 3.0)
        )[None]

    reference = descriptor(window(0.12))[0]
    for pixel in (0.08, 0.1, 0.16, 0.2):
        d = descriptor(window(pixel))[0]
        assert d.shape == (64, 64)
        assert np.corrcoef(d.ravel(), reference.ravel())[0, 1] > 0.9, pixel
