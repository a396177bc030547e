"""Simulated images of the five 2D Bravais lattices and a ``noise`` class (``bravais`` model).

After Vasudevan et al., npj Comput. Mater. 4, 30 (2018): lattices of every class with all
lattice parameters varied, any rotation, a range of scales, several column shapes and small
random displacements; the ``noise`` class is an oblique lattice perturbed until no lattice is
recognisable. The sampling ranges keep every sampled lattice at least :data:`SAMPLING_MARGIN`
away from the defining equalities of the other classes (see ``docs/simulation_bravais.md``).

Lattice geometry
----------------
A lattice is classified by its Lagrange-Gauss reduced basis ``a, b`` (``|a| <= |b|``,
``0 <= a.b <= |a|^2 / 2``) through three dimensionless deviations (:func:`metric_deviations`):
``length = |b|/|a| - 1``, ``orthogonality = a.b/|a|^2`` and ``centring = 1/2 - a.b/|a|^2``.
Each class is the set where some of them vanish:

=======================  ===================================
square                   length = 0 and orthogonality = 0
hexagonal                length = 0 and centring = 0
rectangular              orthogonality = 0
centered_rectangular     length = 0 or centring = 0
oblique                  none of them
=======================  ===================================

:func:`lattice_class` returns the first class of this table whose equalities hold within
``rtol``, so every lattice has exactly one class.

Coordinates are ``(x, y)`` in pixels, ``x`` along columns and ``y`` along rows of the image;
positive rotations are counter-clockwise as displayed (``y`` points down on screen, so they
turn ``x`` towards ``-y``), the convention of the whole package.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "BRAVAIS_CLASSES",
    "CENTERED_RATIO_RANGES",
    "CLASSIFY_RTOL",
    "COLUMN_SHAPES",
    "COLUMN_WIDTH_RANGES",
    "DISPLACEMENT_RANGE",
    "ELONGATION_RANGE",
    "INTENSITY_SPREAD_RANGE",
    "MIN_SPACING",
    "NOISE_DISPLACEMENT_RANGE",
    "OBLIQUE_PROJECTION_RANGE",
    "OBLIQUE_RATIO_RANGE",
    "RECTANGULAR_RATIO_RANGE",
    "SAMPLING_MARGIN",
    "SPACING_RANGE",
    "Deviations",
    "bravais_array",
    "lattice_columns",
    "render_columns",
    "bravais_image",
    "class_distances",
    "class_margin",
    "lattice_class",
    "metric_deviations",
    "reduce_basis",
    "sample_lattice",
]

#: Class names of the ``bravais`` model, in the order of its outputs.
BRAVAIS_CLASSES = (
    "square",
    "rectangular",
    "centered_rectangular",
    "hexagonal",
    "oblique",
    "noise",
)

#: The five lattice classes, most specific first: :func:`lattice_class` returns the first
#: whose equalities hold.
_CLASS_ORDER = ("square", "hexagonal", "rectangular", "centered_rectangular", "oblique")

#: Classes of which each class is a special case (a square is a rectangle with b = a, ...).
#: A lattice is at distance 0 from these by construction, so margins ignore them.
_GENERALISATIONS = {
    "square": ("rectangular", "centered_rectangular", "oblique"),
    "hexagonal": ("centered_rectangular", "oblique"),
    "rectangular": ("oblique",),
    "centered_rectangular": ("oblique",),
    "oblique": (),
}

#: Smallest distance, in the deviations of :func:`metric_deviations` (max-norm), between any
#: sampled lattice and the ideal lattices of the classes it does not belong to.
SAMPLING_MARGIN = 0.15
#: Default tolerance of :func:`lattice_class`: half the sampling margin.
CLASSIFY_RTOL = SAMPLING_MARGIN / 2
#: Range (px) of the lengths of both reduced primitive vectors of sampled lattices.
SPACING_RANGE = (6.0, 20.0)
#: Shortest lattice spacing (px) accepted when a spacing is given explicitly.
MIN_SPACING = 3.0
#: ``b/a`` of rectangular lattices: never within 20 % of square.
RECTANGULAR_RATIO_RANGE = (1.2, 2.0)
#: Conventional ``b/a`` of centered rectangular lattices: two intervals, away from 1 (square)
#: and sqrt(3) (hexagonal). Below sqrt(3) the reduced cell is a rhombus, above it the reduced
#: basis has ``2 a.b = |a|^2``.
CENTERED_RATIO_RANGES = ((1.17, 1.44), (2.08, 3.0))
#: Reduced ``|b|/|a|`` of oblique (and noise) lattices.
OBLIQUE_RATIO_RANGE = (1.15, 2.0)
#: Normalised projection ``a.b/|a|^2`` of the reduced basis of oblique (and noise) lattices.
OBLIQUE_PROJECTION_RANGE = (0.15, 0.35)
#: Standard deviation of the random column displacements, per coordinate, in units of ``a``.
DISPLACEMENT_RANGE = (0.0, 0.05)
#: The same for the ``noise`` class: in 128 px windows, from 0.3 on fewer than 3 % of the
#: images show two independent first-order FFT spots above the strongest speckle.
NOISE_DISPLACEMENT_RANGE = (0.3, 0.4)
#: Standard deviation of the relative column intensities within one image.
INTENSITY_SPREAD_RANGE = (0.0, 0.1)
COLUMN_SHAPES = ("gaussian", "elliptical", "disk", "lorentzian")
#: Column width in units of ``a``: gaussian sigma, elliptical minor sigma, disk radius,
#: lorentzian half width.
COLUMN_WIDTH_RANGES = {
    "gaussian": (0.08, 0.18),
    "elliptical": (0.07, 0.13),
    "disk": (0.15, 0.3),
    "lorentzian": (0.08, 0.2),
}
#: Major / minor width of elliptical columns.
ELONGATION_RANGE = (1.3, 1.8)

_PARAMETERS = (
    "a",
    "b_over_a",
    "gamma",
    "rotation",
    "offset",
    "column",
    "displacement",
    "intensity_spread",
)
_COLUMN_KEYS = {
    "gaussian": ("shape", "width"),
    "elliptical": ("shape", "width", "elongation", "angle"),
    "disk": ("shape", "width"),
    "lorentzian": ("shape", "width"),
}


# -- lattice geometry -----------------------------------------------------------------------


class Deviations(NamedTuple):
    """Distances of a reduced basis from the equalities that define the lattice classes.

    Attributes
    ----------
    length
        ``|b|/|a| - 1`` (0: equal lengths).
    orthogonality
        ``a.b/|a|^2`` (0: ``a`` perpendicular to ``b``).
    centring
        ``1/2 - a.b/|a|^2`` (0: ``2 a.b = |a|^2``, a centred cell).
    """

    length: float
    orthogonality: float
    centring: float


def _basis(a, b=None) -> tuple[np.ndarray, np.ndarray]:
    """Two float 2-vectors from ``(a, b)`` or from a ``(2, 2)`` array of rows."""
    if b is None:
        basis = np.asarray(a, dtype=float)
        if basis.shape != (2, 2):
            raise ValueError(f"Give two 2-vectors or one (2, 2) array, got shape {basis.shape}.")
        a, b = basis
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != (2,) or b.shape != (2,):
        raise ValueError(f"Lattice vectors must be 2-vectors, got shapes {a.shape} and {b.shape}.")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("Lattice vectors must be finite.")
    cross = abs(a[0] * b[1] - a[1] * b[0])
    if cross <= 1e-12 * max(a @ a, b @ b) or cross == 0:
        raise ValueError(f"Lattice vectors {a.tolist()} and {b.tolist()} are (nearly) collinear.")
    return a, b


def reduce_basis(a, b=None) -> tuple[np.ndarray, np.ndarray]:
    """Lagrange-Gauss reduction of a 2D lattice basis.

    Parameters
    ----------
    a, b
        Two non-collinear 2-vectors, or ``a`` a ``(2, 2)`` array of rows and ``b=None``.

    Returns
    -------
    a, b : numpy.ndarray
        A basis of the same lattice with ``|a| <= |b|`` and ``0 <= a.b <= |a|^2 / 2``: ``a`` is
        a shortest lattice vector and ``b`` a shortest one not parallel to it.

    Examples
    --------
    >>> a, b = reduce_basis([2.0, 0.0], [7.0, 3.0])
    >>> a.tolist(), b.tolist()
    ([2.0, 0.0], [1.0, 3.0])
    """
    a, b = _basis(a, b)
    if a @ a > b @ b:
        a, b = b, a
    for _ in range(200):
        # Nearest integer, ties rounded down: a tie then leaves a.b = +|a|^2 / 2, no sign flip.
        b = b - math.ceil((a @ b) / (a @ a) - 0.5) * a
        # Swap only on a real decrease so rounding noise cannot make it cycle.
        if b @ b < (a @ a) * (1.0 - 1e-12):
            a, b = b, a
        else:
            break
    if a @ b < 0:
        b = -b
    return a, b


def metric_deviations(a, b=None) -> Deviations:
    """Deviations of the reduced basis of a lattice from the class-defining equalities.

    Parameters
    ----------
    a, b
        Any basis of the lattice (reduced first), as for :func:`reduce_basis`.

    Returns
    -------
    Deviations
        ``(length, orthogonality, centring)``, all >= 0, the last two summing to 1/2.

    Examples
    --------
    >>> metric_deviations([2.0, 0.0], [0.0, 3.0])
    Deviations(length=0.5, orthogonality=0.0, centring=0.5)
    """
    a, b = reduce_basis(a, b)
    aa = a @ a
    p = min(max((a @ b) / aa, 0.0), 0.5)
    return Deviations(
        length=max(math.sqrt((b @ b) / aa) - 1.0, 0.0),
        orthogonality=float(p),
        centring=float(0.5 - p),
    )


def class_distances(a, b=None) -> dict[str, float]:
    """Distance of a lattice from the ideal lattices of each class.

    The distance is the max-norm, in the deviations of :func:`metric_deviations`, to the set of
    lattices where the class's equalities hold exactly. Every lattice is at distance 0 from
    ``oblique``, the generic class.

    Parameters
    ----------
    a, b
        Any basis of the lattice, as for :func:`reduce_basis`.

    Returns
    -------
    dict
        Class name -> distance, for the five lattice classes.

    Examples
    --------
    >>> d = class_distances([1.0, 0.0], [0.0, 1.3])
    >>> round(d["square"], 3), d["rectangular"]
    (0.3, 0.0)
    """
    length, ortho, centring = metric_deviations(a, b)
    return {
        "square": max(length, ortho),
        "hexagonal": max(length, centring),
        "rectangular": ortho,
        "centered_rectangular": min(length, centring),
        "oblique": 0.0,
    }


def _check_rtol(rtol: float) -> float:
    rtol = float(rtol)
    # At rtol >= 1/4 a lattice could be within tolerance of both orthogonality and centring.
    if not 0.0 <= rtol < 0.25:
        raise ValueError(f"rtol must be in [0, 0.25), got {rtol}.")
    return rtol


def lattice_class(a, b=None, rtol: float = CLASSIFY_RTOL) -> str:
    """The Bravais class of the lattice spanned by ``a`` and ``b``.

    Parameters
    ----------
    a, b
        Any basis of the lattice (reduced here), as for :func:`reduce_basis`.
    rtol
        Tolerance on the deviations of :func:`metric_deviations` (a relative length difference
        and a projection in units of ``|a|^2``), in ``[0, 0.25)``.

    Returns
    -------
    str
        The first of ``square, hexagonal, rectangular, centered_rectangular`` whose defining
        equalities hold within ``rtol`` (:func:`class_distances` <= ``rtol``), else
        ``"oblique"``. Never ``"noise"``: that class is not a lattice geometry.

    Examples
    --------
    >>> lattice_class([1.0, 0.0], [1.5, 3**0.5 / 2])
    'hexagonal'
    >>> lattice_class([2.0, 0.0], [1.0, 1.5])  # centring vector of a 2 x 3 rectangle
    'centered_rectangular'
    """
    rtol = _check_rtol(rtol)
    distances = class_distances(a, b)
    for name in _CLASS_ORDER[:-1]:
        if distances[name] <= rtol:
            return name
    return "oblique"


def class_margin(a, b=None, rtol: float = 1e-6) -> float:
    """How far a lattice is from every class other than its own.

    Parameters
    ----------
    a, b
        Any basis of the lattice, as for :func:`reduce_basis`.
    rtol
        Tolerance used to decide the lattice's own class (tiny: exact lattices).

    Returns
    -------
    float
        The smallest :func:`class_distances` to a class that is neither the lattice's own class
        nor a generalisation of it (a square is also an ideal rectangle, centred rectangle and
        oblique lattice). :func:`lattice_class` gives the same class for every tolerance from
        ``rtol`` up to, not including, the margin.

    Examples
    --------
    >>> round(class_margin([1.0, 0.0], [0.0, 1.2]), 6)  # 20 % away from square
    0.2
    """
    own = lattice_class(a, b, rtol=rtol)
    distances = class_distances(a, b)
    excluded = (own, *_GENERALISATIONS[own])
    return float(min(d for name, d in distances.items() if name not in excluded))


# -- sampling --------------------------------------------------------------------------------


def _check_lattice(lattice: str) -> str:
    if lattice not in BRAVAIS_CLASSES:
        raise ValueError(
            f"Unknown lattice {lattice!r}; valid names are: {', '.join(BRAVAIS_CLASSES)}."
        )
    return lattice


def _lerp(lo_hi: tuple[float, float], u: float) -> float:
    lo, hi = lo_hi
    return float(lo + (hi - lo) * u)


def _given(fixed: Mapping[str, Any], name: str, default):
    """``fixed[name]`` unless missing or None."""
    value = fixed.get(name)
    return default if value is None else value


def _real(
    name: str,
    value,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    open_min: bool = False,
) -> float:
    """A finite float, within bounds, or a ValueError naming the parameter."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}.") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}.")
    if minimum is not None and (value < minimum or (open_min and value == minimum)):
        bound = ">" if open_min else ">="
        raise ValueError(f"{name} must be {bound} {minimum}, got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}.")
    return value


def _cell(lattice: str, u: np.ndarray, fixed: Mapping[str, Any]) -> tuple[float, float, str]:
    """``(b_over_a, gamma, cell)`` of a class, fixed values first, the rest drawn from ``u``."""
    geometry = "oblique" if lattice == "noise" else lattice
    r = fixed.get("b_over_a")
    gamma = fixed.get("gamma")
    if r is not None:
        r = _real("b_over_a", r, minimum=1.0)
    if gamma is not None:
        gamma = _real("gamma", gamma, minimum=0.0, maximum=180.0, open_min=True)
        if gamma == 180.0:
            raise ValueError("gamma must be < 180 degrees, got 180.0.")
    if geometry == "square":
        return (1.0 if r is None else r), (90.0 if gamma is None else gamma), "primitive"
    if geometry == "hexagonal":
        return (1.0 if r is None else r), (60.0 if gamma is None else gamma), "primitive"
    if geometry == "rectangular":
        r = _lerp(RECTANGULAR_RATIO_RANGE, u[0]) if r is None else r
        return r, (90.0 if gamma is None else gamma), "primitive"
    if geometry == "centered_rectangular":
        if gamma is not None and gamma != 90.0:
            raise ValueError(
                f"gamma of a centered_rectangular lattice is the angle of its conventional "
                f"cell and must be 90, got {gamma}."
            )
        if r is None:
            r = _lerp(CENTERED_RATIO_RANGES[int(u[1] >= 0.5)], u[0])
        return r, 90.0, "conventional"
    # Oblique: draw the reduced ratio and the normalised projection p = r cos(gamma).
    if r is None:
        lo, hi = OBLIQUE_RATIO_RANGE
        if gamma is not None and math.cos(math.radians(gamma)) > 0:
            # Keep p in range for the given angle where the two ranges intersect.
            c = math.cos(math.radians(gamma))
            p_lo, p_hi = OBLIQUE_PROJECTION_RANGE
            lo2, hi2 = max(lo, p_lo / c), min(hi, p_hi / c)
            if lo2 <= hi2:
                lo, hi = lo2, hi2
        r = _lerp((lo, hi), u[0])
    if gamma is None:
        cos_gamma = min(_lerp(OBLIQUE_PROJECTION_RANGE, u[1]) / r, 1.0)
        gamma = math.degrees(math.acos(cos_gamma))
    return r, gamma, "primitive"


def _unit_vectors(cell: str, r: float, gamma: float) -> np.ndarray:
    """Reduced primitive vectors (rows) of the cell with ``a = 1``, before rotation."""
    if cell == "conventional":
        a_c, b_c = np.array([1.0, 0.0]), np.array([0.0, r])
        return np.array(reduce_basis(a_c, 0.5 * (a_c + b_c)))
    g = math.radians(gamma)
    return np.array(reduce_basis([1.0, 0.0], [r * math.cos(g), r * math.sin(g)]))


def _column(value, u: np.ndarray) -> dict[str, Any]:
    """Column shape dict: ``value`` (a shape name or a partial dict) completed from ``u``."""
    if value is None:
        value = {}
    elif isinstance(value, str):
        value = {"shape": value}
    elif not isinstance(value, Mapping):
        raise ValueError(f"column must be a shape name or a dict, got {value!r}.")
    n = len(COLUMN_SHAPES)
    shape = value.get("shape", COLUMN_SHAPES[min(int(u[0] * n), n - 1)])
    if shape not in COLUMN_SHAPES:
        raise ValueError(
            f"Unknown column shape {shape!r}; valid shapes are: {', '.join(COLUMN_SHAPES)}."
        )
    unknown = set(value) - set(_COLUMN_KEYS[shape])
    if unknown:
        raise ValueError(
            f"Unknown column parameter(s) {sorted(unknown)} for shape {shape!r}; "
            f"valid: {', '.join(_COLUMN_KEYS[shape])}."
        )
    out: dict[str, Any] = {"shape": shape}
    width = value.get("width", _lerp(COLUMN_WIDTH_RANGES[shape], u[1]))
    out["width"] = _real("column width", width, minimum=0.0, maximum=1.0, open_min=True)
    if shape == "elliptical":
        elongation = value.get("elongation", _lerp(ELONGATION_RANGE, u[2]))
        out["elongation"] = _real("column elongation", elongation, minimum=1.0, maximum=10.0)
        out["angle"] = _real("column angle", value.get("angle", 180.0 * u[3])) % 180.0
    return out


def sample_lattice(lattice: str, rng=None, **fixed) -> dict[str, Any]:
    """Draw the parameters of a simulated lattice of one class.

    Parameters
    ----------
    lattice
        One of :data:`BRAVAIS_CLASSES`.
    rng
        ``numpy.random.Generator``, or a seed for ``numpy.random.default_rng``.
    **fixed
        Values for any of ``a, b_over_a, gamma, rotation, offset, column, displacement,
        intensity_spread`` (meanings below); the others are drawn. ``column`` may be a shape
        name, or a dict fixing some of its keys. Fixed values may lie outside the sampling
        ranges but must describe a lattice of the requested class, by its reduced cell where
        ``cell`` is primitive (hexagonal ``gamma=60``, not 120). The draws do not depend on
        what is fixed: for a seed, fixing one parameter leaves the others unchanged.

    Returns
    -------
    dict
        ``lattice``; ``a`` (px): the shortest primitive vector, or for
        ``centered_rectangular`` the short side of the conventional cell; ``b_over_a`` and
        ``gamma`` (degrees): length ratio and angle of the two vectors of the same cell,
        ``cell`` saying which (``"primitive"``: the reduced primitive cell, hexagonal
        ``gamma=60``; ``"conventional"``: the centred rectangle, ``gamma=90``); ``rotation``
        (degrees, [0, 360)); ``offset``: position of a lattice site from the image centre in
        fractions of the two ``vectors``; ``column``: ``shape``, ``width`` (units of ``a``),
        for ``elliptical`` also ``elongation`` and ``angle`` (degrees, image frame);
        ``displacement``: standard deviation of the random displacements per coordinate in
        units of ``a``; ``intensity_spread``: relative standard deviation of the column
        intensities; ``nn_distance`` (px): shortest lattice spacing; ``vectors``: the two
        reduced primitive vectors ``[[ax, ay], [bx, by]]`` in px, rotated.

    Examples
    --------
    >>> p = sample_lattice("rectangular", np.random.default_rng(0), rotation=30)
    >>> p["lattice"], p["gamma"], p["rotation"], 1.2 <= p["b_over_a"] <= 2.0
    ('rectangular', 90.0, 30.0, True)
    """
    lattice = _check_lattice(lattice)
    unknown = set(fixed) - set(_PARAMETERS)
    if unknown:
        raise TypeError(
            f"Unknown lattice parameter(s) {sorted(unknown)}; valid: {', '.join(_PARAMETERS)}."
        )
    rng = np.random.default_rng(rng)
    u = rng.random(12)

    r, gamma, cell = _cell(lattice, u[0:2], fixed)
    unit = _unit_vectors(cell, r, gamma)
    nn_unit = float(np.hypot(*unit[0]))
    ratio = float(np.hypot(*unit[1])) / nn_unit
    geometry = "oblique" if lattice == "noise" else lattice
    found = lattice_class(unit, rtol=1e-6)
    if found != geometry:
        raise ValueError(
            f"b_over_a={r:g} and gamma={gamma:g} describe a {found} lattice, not {geometry}"
            + (
                " (the noise class is a disordered oblique lattice)."
                if lattice == "noise"
                else "."
            )
        )
    if cell == "primitive":
        angle = math.degrees(math.acos(unit[0] @ unit[1] / (nn_unit * nn_unit * ratio)))
        if not (
            math.isclose(nn_unit, 1.0, rel_tol=1e-9)
            and math.isclose(ratio, r, rel_tol=1e-9)
            and math.isclose(angle, gamma, abs_tol=1e-6)
        ):
            raise ValueError(
                f"b_over_a={r:g} and gamma={gamma:g} are not the reduced cell; give the same "
                f"lattice as b_over_a={ratio:.6g}, gamma={angle:.6g} (and a times {nn_unit:.6g})."
            )
    if fixed.get("a") is None:
        lo, hi = SPACING_RANGE
        # Both reduced vectors within the spacing range where possible.
        a = _lerp((lo, max(lo, hi / ratio)), u[2]) / nn_unit
    else:
        a = _real("a", fixed["a"], minimum=0.0, open_min=True)
        if a * nn_unit < MIN_SPACING:
            raise ValueError(
                f"a={a} px gives a lattice spacing of {a * nn_unit:.3g} px, below the "
                f"{MIN_SPACING} px that can be resolved."
            )
    rotation = _real("rotation", _given(fixed, "rotation", 360.0 * u[3])) % 360.0
    offset = _given(fixed, "offset", (u[4], u[5]))
    try:
        offset = [_real("offset", o) for o in offset]
    except TypeError:
        raise ValueError(f"offset must be two numbers, got {offset!r}.") from None
    if len(offset) != 2:
        raise ValueError(f"offset must be two numbers, got {offset!r}.")
    column = _column(fixed.get("column"), u[6:10])
    disp_range = NOISE_DISPLACEMENT_RANGE if lattice == "noise" else DISPLACEMENT_RANGE
    displacement = _real(
        "displacement",
        _given(fixed, "displacement", _lerp(disp_range, u[10])),
        minimum=0.0,
        maximum=1.0,
    )
    spread = _real(
        "intensity_spread",
        _given(fixed, "intensity_spread", _lerp(INTENSITY_SPREAD_RANGE, u[11])),
        minimum=0.0,
        maximum=0.5,
    )

    t = math.radians(-rotation)  # counter-clockwise as displayed, with y pointing down
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    vectors = a * unit @ rot.T
    return {
        "lattice": lattice,
        "a": float(a),
        "b_over_a": float(r),
        "gamma": float(gamma),
        "cell": cell,
        "rotation": float(rotation),
        "offset": offset,
        "column": column,
        "displacement": float(displacement),
        "intensity_spread": float(spread),
        "nn_distance": float(a * nn_unit),
        "vectors": vectors.tolist(),
    }


# -- rendering -------------------------------------------------------------------------------


def _profile(column: Mapping[str, Any], a: float) -> tuple[Callable, float]:
    """``(f(dx, dy), cutoff)``: column profile (peak ~1) and the radius (px) beyond which it is 0.

    Each profile has its value at the cutoff subtracted so it goes to zero continuously: no
    truncation edges in the image or its FFT.
    """
    shape = column["shape"]
    w = column["width"] * a
    if shape == "gaussian":
        k = -0.5 / w**2
        floor = math.exp(-8.0)
        return (lambda dx, dy: np.maximum(np.exp(k * (dx * dx + dy * dy)) - floor, 0)), 4.0 * w
    if shape == "elliptical":
        w2 = w * column["elongation"]
        t = math.radians(column["angle"])
        c, s = math.cos(t), math.sin(t)
        floor = math.exp(-8.0)

        def elliptical(dx, dy):
            u = c * dx + s * dy  # along the major axis
            v = c * dy - s * dx
            return np.maximum(np.exp(-0.5 * ((u / w2) ** 2 + (v / w) ** 2)) - floor, 0)

        return elliptical, 4.0 * w2
    if shape == "disk":
        edge = max(0.1 * w, 0.35)
        cutoff = w + 8.0 * edge
        floor = 1.0 / (1.0 + math.exp(8.0))

        def disk(dx, dy):
            r = np.sqrt(dx * dx + dy * dy)
            return np.maximum(1.0 / (1.0 + np.exp((r - w) / edge)) - floor, 0)

        return disk, cutoff
    # Squared Lorentzian (Moffat, beta = 2): a Lorentzian-like peak whose tails stay finite.
    cutoff = 6.0 * w
    floor = 1.0 / (1.0 + 36.0) ** 2

    def lorentzian(dx, dy):
        q = 1.0 / (1.0 + (dx * dx + dy * dy) / (w * w))
        return np.maximum(q * q - floor, 0)

    return lorentzian, cutoff


def _render(
    positions: np.ndarray, intensities: np.ndarray, profile: Callable, cutoff: float, size: int
) -> np.ndarray:
    """Sum of column profiles on a ``size x size`` pixel grid, each in its own patch."""
    R = max(int(math.ceil(cutoff)), 1)
    ix = np.rint(positions[:, 0]).astype(np.int64)
    iy = np.rint(positions[:, 1]).astype(np.int64)
    keep = (ix >= -R) & (ix <= size - 1 + R) & (iy >= -R) & (iy <= size - 1 + R)
    ix, iy = ix[keep], iy[keep]
    fx = (positions[keep, 0] - ix).astype(np.float32)
    fy = (positions[keep, 1] - iy).astype(np.float32)
    offsets = np.arange(-R, R + 1, dtype=np.float32)
    dx = offsets[None, None, :] - fx[:, None, None]
    dy = offsets[None, :, None] - fy[:, None, None]
    values = profile(dx, dy) * intensities[keep, None, None].astype(np.float32)
    # Canvas with a 2R border so every patch fits; flat indices for one bincount.
    width = size + 4 * R
    o = np.arange(-R, R + 1)
    rows = (iy + 2 * R)[:, None, None] + o[None, :, None]
    cols = (ix + 2 * R)[:, None, None] + o[None, None, :]
    flat = (rows * width + cols).ravel()
    canvas = np.bincount(flat, weights=values.ravel(), minlength=width * width)
    return canvas.reshape(width, width)[2 * R : 2 * R + size, 2 * R : 2 * R + size]


def _lattice_points(vectors: np.ndarray, origin: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """All points ``origin + n v0 + m v1`` inside the square ``[lo, hi]^2``."""
    corners = np.array([[lo, lo], [lo, hi], [hi, lo], [hi, hi]]) - origin
    nm = np.linalg.solve(vectors.T, corners.T)
    n = np.arange(math.floor(nm[0].min()), math.ceil(nm[0].max()) + 1)
    m = np.arange(math.floor(nm[1].min()), math.ceil(nm[1].max()) + 1)
    pts = origin + n[:, None, None] * vectors[0] + m[None, :, None] * vectors[1]
    pts = pts.reshape(-1, 2)
    inside = np.all((pts >= lo) & (pts <= hi), axis=1)
    return pts[inside]


def lattice_columns(
    p: Mapping[str, Any], size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sites, positions, intensities)`` of the columns of an image of parameters ``p``.

    Sites cover the image plus the column cutoff and five displacement standard deviations;
    positions are the sites plus the random displacements.
    """
    vectors = np.asarray(p["vectors"])
    _, cutoff = _profile(p["column"], p["a"])
    sigma = p["displacement"] * p["a"]
    margin = cutoff + 5.0 * sigma + 1.0
    centre = np.full(2, (size - 1) / 2.0)
    origin = centre + np.asarray(p["offset"]) @ vectors
    sites = _lattice_points(vectors, origin, -margin, size - 1 + margin)
    positions = sites + rng.normal(0.0, 1.0, sites.shape) * sigma
    intensities = np.maximum(1.0 + p["intensity_spread"] * rng.standard_normal(len(sites)), 0.05)
    return sites, positions, intensities


def render_columns(
    positions: np.ndarray,
    size: int,
    column: Mapping[str, Any],
    a: float,
    intensities: np.ndarray | None = None,
) -> np.ndarray:
    """Render atomic columns at given positions on a ``size x size`` image (not normalised).

    The building block of :func:`bravais_array`, public so that scenes can remove or move
    columns (holes, strain) before rendering.

    Parameters
    ----------
    positions
        ``(n, 2)`` column positions ``(x, y)`` in px.
    size
        Image side, px.
    column
        Column profile: ``shape`` and ``width`` (units of ``a``), see :func:`sample_lattice`.
    a
        Length unit of the column width, px.
    intensities
        ``(n,)`` relative column intensities; default all 1.

    Examples
    --------
    >>> img = render_columns(np.array([[8.0, 8.0]]), 16, {"shape": "gaussian", "width": 0.2}, 10.0)
    >>> np.unravel_index(img.argmax(), img.shape)
    (np.int64(8), np.int64(8))
    """
    positions = np.asarray(positions, dtype=float).reshape(-1, 2)
    if intensities is None:
        intensities = np.ones(len(positions))
    profile, cutoff = _profile(column, a)
    return _render(positions, np.asarray(intensities, dtype=float), profile, cutoff, int(size))


def bravais_array(
    lattice: str, size: int = 256, rng=None, **params
) -> tuple[np.ndarray, dict[str, Any]]:
    """Render a simulated image of a lattice of one class as an array.

    Columns are rendered analytically at their (displaced) positions, each within its own patch
    of pixels; the lattice fills the whole image.

    Parameters
    ----------
    lattice
        One of :data:`BRAVAIS_CLASSES`.
    size
        Side of the square image, px (>= 16).
    rng
        ``numpy.random.Generator``, or a seed for ``numpy.random.default_rng``.
    **params
        Fixed lattice parameters, see :func:`sample_lattice`.

    Returns
    -------
    image : numpy.ndarray
        float32 ``(size, size)``, min-max normalised to [0, 1].
    params : dict
        The parameters of :func:`sample_lattice`, plus ``size``.

    Examples
    --------
    >>> img, p = bravais_array("hexagonal", 128, np.random.default_rng(1), a=10.0)
    >>> img.shape, img.dtype, p["gamma"]
    ((128, 128), dtype('float32'), 60.0)
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 16:
        raise ValueError(f"size must be an integer >= 16, got {size!r}.")
    size = int(size)
    rng = np.random.default_rng(rng)
    p = sample_lattice(lattice, rng, **params)
    _, points, intensities = lattice_columns(p, size, rng)
    image = render_columns(points, size, p["column"], p["a"], intensities)
    image -= image.min()
    peak = image.max()
    if peak > 0:
        image /= peak
    p["size"] = size
    return image.astype(np.float32), p


def bravais_image(
    lattice: str,
    size: int = 256,
    seed: int | None = None,
    *,
    pixel_size: float | None = None,
    units: str | None = None,
    **params,
):
    """A simulated lattice image as an ``AtomicResolution2D`` signal.

    Parameters
    ----------
    lattice
        One of :data:`BRAVAIS_CLASSES`.
    size
        Side of the square image, px.
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives the same image.
    pixel_size, units
        Calibration of the axes; ``None`` leaves them in pixels. Lattice parameters are
        always in pixels.
    **params
        Fixed lattice parameters, see :func:`sample_lattice`.

    Returns
    -------
    AtomicResolution2D
        The image, with the parameters (and ``seed``) in ``metadata.Simulation``.

    Examples
    --------
    >>> s = bravais_image("square", 128, seed=0, a=8.0)
    >>> s.metadata.Simulation.lattice, s.metadata.Simulation.a
    ('square', 8.0)
    """
    from ._signals import as_atomic_resolution

    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"seed must be an integer or None, got {seed!r}.")
    image, p = bravais_array(lattice, size, np.random.default_rng(seed), **params)
    if seed is not None:
        p["seed"] = int(seed)
    return as_atomic_resolution(
        image, pixel_size, units, title=f"Simulated {lattice} lattice", simulation=p
    )
