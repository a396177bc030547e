"""What the result signal types share: reading ``metadata.Symmetry``."""

from __future__ import annotations


class SymmetryResultMixin:
    """Access to the ``metadata.Symmetry`` record of a symmetry result."""

    @property
    def class_names(self) -> list[str]:
        """Class names of the model, in the order of its outputs."""
        names = self.metadata.get_item("Symmetry.class_names")
        if names is None:
            raise AttributeError(
                "This signal has no metadata.Symmetry.class_names; it was not made by "
                "classify_symmetry, mc_uncertainty or phase_fractions."
            )
        return [str(n) for n in names]

    def _class_index(self, name: str) -> int:
        names = self.class_names
        if name not in names:
            raise ValueError(f"Unknown class {name!r}; this model's classes are {names}.")
        return names.index(name)

    @property
    def model_name(self) -> str:
        """Name of the model that made this result."""
        return str(self.metadata.get_item("Symmetry.model"))
