"""What the specimen and the probe do to a HAADF-STEM image, drawn for training sets.

:mod:`~hyperspy_symmetry.simulate.augment` changes a simulated image after the fact (blur,
scan distortions, noise). Some imperfections of real images act before that, on the
simulation itself, and are drawn here:

- specimen thickness, and a mistilt of a few mrad: the atoms are tilted before they are
  projected, so each column is smeared over ``thickness * tilt`` along the tilt azimuth;
- amorphous layers above and below the crystal (carbon contamination, or the crystal's own
  element amorphised by ion milling);
- residual probe aberrations of an aberration-corrected probe, through abTEM's probe:
  defocus, two-fold astigmatism, coma and three-fold astigmatism (trefoil);
- non-linear column intensities: HAADF intensity does not grow linearly with the projected
  potential (channelling, absorption); the projected potential is raised to a power.

``docs/training.md`` gives each range and where it comes from. Pure NumPy: the parameters
are plain floats, JSON-ready, and :func:`~hyperspy_symmetry.simulate.crystals.crystal_array`
takes them as keyword arguments.

Examples
--------
>>> import numpy as np
>>> kwargs = draw_imaging(ImagingRecipe.haadf_stem(), np.random.default_rng(3), "Fe")
>>> sorted(kwargs)
['amorphous', 'exponent', 'thickness', 'tilt']
>>> draw_imaging(ImagingRecipe.none(), np.random.default_rng(0), "Fe")
{}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._recipe import RecipeDict

__all__ = ["ImagingRecipe", "draw_imaging", "PROBE_ABERRATIONS"]

#: abTEM's names of the probe aberrations drawn (their angles are drawn uniformly).
PROBE_ABERRATIONS = ("C10", "C12", "C21", "C23")

_RANGE_FIELDS = (
    "thickness", "tilt_mrad", "amorphous_thickness", "defocus", "astigmatism", "coma",
    "trefoil", "exponent",
)  # fmt: skip
_PROBABILITY_FIELDS = (
    "tilt_p", "amorphous_p", "amorphous_own_element_p", "probe_p", "exponent_p",
)  # fmt: skip


@dataclass(frozen=True)
class ImagingRecipe(RecipeDict):
    """Probability and range of each specimen and probe imperfection (lengths in Å).

    Attributes
    ----------
    thickness
        Specimen thickness, drawn uniformly (``None``: the simulator's default, 10 Å).
    tilt_p, tilt_mrad
        Probability and range of a mistilt; its azimuth is uniform in [0, 360) degrees.
    amorphous_p, amorphous_thickness, amorphous_own_element_p
        Probability of amorphous layers, their total thickness (split at random between the
        entrance and the exit surface), and the probability that they are of the crystal's
        own element (ion-milling damage) rather than carbon (contamination, support film).
    probe_p, defocus, astigmatism, coma, trefoil
        Probability of residual aberrations and the range of each coefficient's magnitude
        (abTEM's C10, C12, C21, C23, in Å); defocus takes either sign.
    exponent_p, exponent
        Probability and range of the power applied to the projected potential.

    Examples
    --------
    >>> r = ImagingRecipe.haadf_stem()
    >>> ImagingRecipe.from_dict(r.to_dict()) == r
    True
    """

    thickness: tuple[float, float] | None = None
    tilt_p: float = 0.0
    tilt_mrad: tuple[float, float] = (0.0, 6.0)
    amorphous_p: float = 0.0
    amorphous_thickness: tuple[float, float] = (5.0, 80.0)
    amorphous_own_element_p: float = 0.5
    probe_p: float = 0.0
    defocus: tuple[float, float] = (0.0, 60.0)
    astigmatism: tuple[float, float] = (0.0, 40.0)
    coma: tuple[float, float] = (0.0, 400.0)
    trefoil: tuple[float, float] = (0.0, 400.0)
    exponent_p: float = 0.0
    exponent: tuple[float, float] = (0.6, 1.5)

    def __post_init__(self) -> None:
        from .augment import check_recipe_fields

        check_recipe_fields(self, _PROBABILITY_FIELDS, _RANGE_FIELDS, optional=("thickness",))
        for name in _RANGE_FIELDS:
            value = getattr(self, name)
            if value is not None and value[0] < 0:
                raise ValueError(f"{name} must satisfy 0 <= low <= high, got {value!r}.")
        if self.thickness is not None and self.thickness[0] <= 0:
            raise ValueError("thickness must be > 0.")
        if self.exponent[0] <= 0:
            raise ValueError("exponent must be > 0.")

    @classmethod
    def none(cls) -> ImagingRecipe:
        """No imperfection: the simulator's defaults (10 Å, no tilt, ideal probe).

        Examples
        --------
        >>> ImagingRecipe.none() == ImagingRecipe()
        True
        """
        return cls()

    @classmethod
    def haadf_stem(cls) -> ImagingRecipe:
        """Specimens and probes as an aberration-corrected 300 kV HAADF-STEM session sees them.

        Thickness 20-250 Å; mistilt up to 6 mrad in 50 % of the images; amorphous layers of
        5-80 Å in 35 %; residual aberrations in 60 %: defocus up to ±60 Å, two-fold
        astigmatism up to 40 Å, coma and trefoil up to 400 Å; a column-intensity exponent of
        0.6-1.5 in 50 %. ``docs/training.md`` says where each range comes from.

        Examples
        --------
        >>> ImagingRecipe.haadf_stem().tilt_mrad
        (0.0, 6.0)
        """
        return cls(
            thickness=(20.0, 250.0),
            tilt_p=0.5,
            tilt_mrad=(0.0, 6.0),
            amorphous_p=0.35,
            amorphous_thickness=(5.0, 80.0),
            amorphous_own_element_p=0.5,
            probe_p=0.6,
            defocus=(0.0, 60.0),
            astigmatism=(0.0, 40.0),
            coma=(0.0, 400.0),
            trefoil=(0.0, 400.0),
            exponent_p=0.5,
            exponent=(0.6, 1.5),
        )


def draw_imaging(recipe: ImagingRecipe, rng: np.random.Generator, element: str) -> dict[str, Any]:
    """Draw the imperfections of one image, as keyword arguments of ``crystal_array``.

    Parameters
    ----------
    recipe
        Probabilities and ranges.
    rng
        Random generator. Nothing is drawn for an imperfection whose probability is 0.
    element
        The crystal's element, for amorphous layers of its own kind.

    Returns
    -------
    dict
        A subset of ``thickness`` (Å), ``tilt`` (``[mrad, azimuth in degrees]``),
        ``amorphous`` (``{"element", "top", "bottom"}`` in Å), ``aberrations`` (abTEM
        names, Å and radians) and ``exponent``.
    """
    if not isinstance(recipe, ImagingRecipe):
        raise TypeError(f"recipe must be an ImagingRecipe, got {type(recipe).__name__}.")
    r = recipe
    out: dict[str, Any] = {}

    def uniform(bounds: tuple[float, float]) -> float:
        return float(rng.uniform(bounds[0], bounds[1]))

    def chosen(p: float) -> bool:
        return p > 0 and bool(rng.random() < p)

    if r.thickness is not None:
        out["thickness"] = uniform(r.thickness)
    if chosen(r.tilt_p):
        out["tilt"] = [uniform(r.tilt_mrad), float(rng.uniform(0.0, 360.0))]
    if chosen(r.amorphous_p):
        total = uniform(r.amorphous_thickness)
        top = float(rng.uniform(0.0, 1.0)) * total
        own = chosen(r.amorphous_own_element_p)
        out["amorphous"] = {"element": element if own else "C", "top": top, "bottom": total - top}
    if chosen(r.probe_p):
        aberrations = {"C10": uniform(r.defocus) * float(rng.choice([-1.0, 1.0]))}
        for name, bounds in (("C12", r.astigmatism), ("C21", r.coma), ("C23", r.trefoil)):
            aberrations[name] = uniform(bounds)
            aberrations["phi" + name[1:]] = float(rng.uniform(0.0, 2.0 * np.pi))
        out["aberrations"] = aberrations
    if chosen(r.exponent_p):
        out["exponent"] = uniform(r.exponent)
    return out
