"""The dict round trip shared by the simulation recipes (frozen dataclasses of numbers and
``(low, high)`` ranges), for JSON files and zarr attributes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any, Self


class RecipeDict:
    """``to_dict``/``from_dict`` for a frozen dataclass whose ranges are tuples."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (ranges as lists), e.g. for zarr attrs.

        Examples
        --------
        >>> from hyperspy_symmetry.simulate import AugmentationRecipe
        >>> AugmentationRecipe().to_dict()["shear_range"]
        [-0.05, 0.05]
        """
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_dict`; missing keys take the default, unknown keys raise.

        Examples
        --------
        >>> from hyperspy_symmetry.simulate import AugmentationRecipe
        >>> AugmentationRecipe.from_dict({"blur_p": 0.0}).blur_p
        0.0
        """
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Unknown {cls.__name__} keys: {sorted(unknown)}.")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
