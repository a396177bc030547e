"""What the result signal types share: the ``metadata.Symmetry`` record and the class axis.

The class axis is found by its name, ``class``, wherever HyperSpy operations
(``transpose``, ``inav``, ``sum``, ``rebin``, ...) have moved it, never by position.
"""

from __future__ import annotations

import copy

from ..signal_types import CLASS_AXIS


class ClassAxisError(ValueError):
    """A result that needs every class's probability has no ``class`` axis."""


class SymmetryResultMixin:
    """Access to the ``metadata.Symmetry`` record and the ``class`` axis of a result."""

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

    def _has_class_axis(self) -> bool:
        return any(ax.name == CLASS_AXIS for ax in _axes_in_array_order(self))

    def _class_axis(self, needed_by: str):
        """The axis named ``class``, wherever it is; a clear error when there is none."""
        for ax in _axes_in_array_order(self):
            if ax.name == CLASS_AXIS:
                return ax
        raise ClassAxisError(
            f"{needed_by} needs the probability of every class, but this signal has no "
            f"`{CLASS_AXIS}` axis: it was sliced to one class (e.g. p.inav[3]) or reduced "
            f"over classes (e.g. p.sum('class')). Use the signal that classify_symmetry "
            f"returned, or slice the other axes only (e.g. p.inav[:, 3] for one frame). "
            f"A signal made by hand needs its class axis named `{CLASS_AXIS}`."
        )

    def _derived(
        self,
        data,
        title: str,
        quantity: str,
        drop=None,
        extra: dict | None = None,
        lazy: bool | None = None,
    ):
        """A plain HyperSpy signal of ``data`` with this signal's axes (less ``drop``),
        metadata (new title and quantity, no signal type) and original metadata.

        The signal class follows the number of signal axes left; lazy if this one is
        (or as ``lazy`` says).
        """
        import hyperspy.signals as signals

        axes = [ax.get_axis_dictionary() for ax in _axes_in_array_order(self) if ax is not drop]
        n_signal = sum(not ax["navigate"] for ax in axes)
        name = {0: "BaseSignal", 1: "Signal1D", 2: "Signal2D"}.get(n_signal, "BaseSignal")
        if self._lazy if lazy is None else lazy:
            name = "LazySignal" if name == "BaseSignal" else f"Lazy{name}"
        metadata = self.metadata.as_dictionary()
        metadata.setdefault("General", {})["title"] = title
        metadata.setdefault("Signal", {})["quantity"] = quantity
        metadata["Signal"].pop("signal_type", None)
        if extra:
            metadata.setdefault("Symmetry", {}).update(extra)
        out = getattr(signals, name)(data, axes=axes, metadata=metadata)
        out.original_metadata.add_dictionary(copy.deepcopy(self.original_metadata.as_dictionary()))
        return out


def _axes_in_array_order(signal) -> list:
    """All axes of ``signal``, in the order of its data array's dimensions."""
    am = signal.axes_manager
    return sorted(list(am.navigation_axes) + list(am.signal_axes), key=lambda a: a.index_in_array)
