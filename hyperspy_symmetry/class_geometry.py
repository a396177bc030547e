"""Does the lattice class a network gives fit the lattice measured from the FFT peaks?

Pure NumPy. A 2D Bravais class is a statement about geometry: a lattice is centred
rectangular only if its reduced cell is (close to) a rhombus, square only if its two sides
are equal at a right angle, and so on. The lattice of a frame is measured from its Bragg
peaks to about 0.2 % (:func:`hyperspy_symmetry.fft_lattice.frame_periods`), far more
finely than a network reads it from its descriptor: ``bravais`` tells cells apart only to
within about 10-20 % of side ratio and 10° of angle, and now and then reads a whole image's
lattice as a class of higher symmetry than it has, with confidence (``docs/benchmarks.md``).
Such a class cannot be right, and the measured lattice says so:
:func:`check_class_geometry` compares, frame by frame, the class that most of the lattice
windows get with the measured lattice, by
:func:`hyperspy_symmetry.simulate.bravais.class_distances` (0 for a lattice of the class;
the sampling margin of the training lattices is 0.15).

It can only catch a class *above* the lattice's symmetry: every lattice is oblique
(distance 0), so an ``oblique`` or ``noise`` reading of a square lattice passes; and a frame
holding two lattices is checked only when one class holds most of its lattice windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "GEOMETRY_TOLERANCE",
    "DOMINANT_SHARE",
    "LatticeGeometryWarning",
    "GeometryCheck",
    "check_class_geometry",
]

#: A class whose ideal cell is further than this from the measured lattice cannot be it.
#: Above the drift of real images (MoS2 of the test tier: 0.033) and below the sampling
#: margin of the training lattices (0.15); on the period table's images the classes read
#: right lie within 0.01 of the measured lattice, those ruled out 0.16-0.22 from it.
GEOMETRY_TOLERANCE = 0.1
#: A frame is checked when its most frequent lattice class holds at least this share of
#: its lattice windows (one lattice dominates, so the frame's Bragg peaks are its).
DOMINANT_SHARE = 0.75


class LatticeGeometryWarning(UserWarning):
    """A lattice class that the lattice measured from the image's FFT peaks rules out."""


@dataclass(frozen=True)
class GeometryCheck:
    """The result of :func:`check_class_geometry`.

    Attributes
    ----------
    ok
        ``False`` if some frame's dominant class is ruled out by its measured lattice,
        ``True`` if none is, ``None`` if no frame could be checked.
    frames_checked
        Number of frames with a measured 2D lattice and a dominant lattice class.
    ruled_out
        One dict per frame whose class is ruled out: ``frame`` (flat index), ``class``,
        ``share`` of the frame's lattice windows, ``distance`` of its ideal cell from the
        measured lattice, ``closest_class`` of the measured lattice, and the lattice
        ``a``, ``b`` (px) and ``gamma`` (degrees).
    tolerance, dominant_share
        The thresholds used.
    """

    ok: bool | None
    frames_checked: int
    ruled_out: tuple[dict, ...]
    tolerance: float = GEOMETRY_TOLERANCE
    dominant_share: float = DOMINANT_SHARE

    def metadata(self) -> dict:
        """``metadata.Symmetry.lattice_check``: plain numbers and strings."""
        return {
            "ok": self.ok,
            "frames_checked": self.frames_checked,
            "ruled_out": [dict(r) for r in self.ruled_out],
            "tolerance": self.tolerance,
            "dominant_share": self.dominant_share,
        }

    def message(self, model: str = "bravais", n_frames: int = 1) -> str:
        """The warning text: the class, the measured lattice, and what to make of it."""
        if self.ok is not False:
            return ""
        r = self.ruled_out[0]
        where = "" if n_frames == 1 else f" of frame {r['frame']}"
        more = (
            f" ({len(self.ruled_out)} of {self.frames_checked} frames checked are alike)"
            if len(self.ruled_out) > 1
            else ""
        )
        return (
            f"The {model!r} model reads {r['share']:.0%} of the lattice windows{where} as "
            f"{r['class']}, but the lattice measured from the FFT peaks (a = {r['a']:.4g} px, "
            f"b = {r['b']:.4g} px, gamma = {r['gamma']:.1f} deg) is {r['distance']:.2f} from "
            f"any {r['class']} cell (closest class: {r['closest_class']}){more}. The network "
            f"tells cells apart only to within about 10-20 % of side ratio and 10 deg of "
            f"angle, so this class is likely wrong: see metadata.Symmetry.lattice_check."
        )


def check_class_geometry(
    labels: np.ndarray,
    class_names: list[str],
    lattices: np.ndarray,
    tolerance: float = GEOMETRY_TOLERANCE,
    dominant_share: float = DOMINANT_SHARE,
) -> GeometryCheck:
    """Check each frame's dominant lattice class against its measured lattice.

    Parameters
    ----------
    labels
        Predicted class index of every window, ``(..., gy, gx)`` (``...`` the frames).
    class_names
        Names of the classes; those that are 2D Bravais lattices are checked, the others
        (``noise``) are not lattice windows.
    lattices
        ``(..., 3)`` measured ``a, b`` (px) and ``gamma`` (degrees) of each frame, as
        :func:`hyperspy_symmetry.fft_lattice.frame_periods` gives them (NaN: none).
    tolerance
        Largest distance of the class's ideal cell from the measured lattice.
    dominant_share
        Smallest share of a frame's lattice windows the class must hold to be checked.

    Returns
    -------
    GeometryCheck

    Examples
    --------
    A rhombic cell at 81° read as square: ruled out (a square cell has a right angle).

    >>> names = ["square", "centered_rectangular", "noise"]
    >>> labels = np.zeros((4, 4), int)
    >>> check = check_class_geometry(labels, names, np.array([60.0, 60.0, 80.8]))
    >>> check.ok, check.ruled_out[0]["closest_class"], round(check.ruled_out[0]["distance"], 2)
    (False, 'centered_rectangular', 0.16)
    >>> check_class_geometry(labels + 1, names, np.array([60.0, 60.0, 80.8])).ok
    True
    """
    from .fft_lattice import lattice_readout
    from .simulate.bravais import BRAVAIS_CLASSES

    labels = np.asarray(labels)
    lattices = np.asarray(lattices, dtype=float).reshape(-1, 3)
    frames = labels.reshape((len(lattices), -1))
    lattices_only = BRAVAIS_CLASSES[:-1]  # the five lattices; "noise" is last
    lattice_ids = [i for i, name in enumerate(class_names) if name in lattices_only]
    checked, ruled_out = 0, []
    for n, (frame, (a, b, gamma)) in enumerate(zip(frames, lattices, strict=True)):
        if not np.isfinite([a, b, gamma]).all():
            continue
        counts = np.bincount(frame[frame >= 0], minlength=len(class_names))[lattice_ids]
        if counts.sum() == 0 or counts.max() < dominant_share * counts.sum():
            continue
        checked += 1
        name = class_names[lattice_ids[int(np.argmax(counts))]]
        readout = lattice_readout(float(a), float(b), float(gamma))
        distance = readout["class_distances"][name]
        if distance > tolerance:
            ruled_out.append(
                {
                    "frame": n,
                    "class": name,
                    "share": round(float(counts.max() / counts.sum()), 4),
                    "distance": round(float(distance), 4),
                    "closest_class": readout["closest_class"],
                    "a": round(float(a), 4),
                    "b": round(float(b), 4),
                    "gamma": round(float(gamma), 3),
                }
            )
    ok = None if not checked else not ruled_out
    return GeometryCheck(ok, checked, tuple(ruled_out), tolerance, dominant_share)
