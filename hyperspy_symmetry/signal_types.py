"""Names shared by the signal classes, the plots, the report and the CLI.

A leaf module: it imports nothing of the package, so any module may import it without
creating an import cycle. ``hyperspy_extension.yaml`` registers the same names (a test
checks that they agree).
"""

from __future__ import annotations

#: Signal type of the input images, and its aliases.
IMAGE = "atomic_resolution"
IMAGE_ALIASES: tuple[str, ...] = ("STEM", "HAADF", "STM")
IMAGE_TYPES: tuple[str, ...] = (IMAGE, *IMAGE_ALIASES)
#: Signal types of the results.
PROBABILITIES = "symmetry_probabilities"
UNCERTAINTY = "symmetry_uncertainty"
PHASE_FRACTIONS = "symmetry_phase_fractions"
#: Name of the axis of a result that runs over the model's classes.
CLASS_AXIS = "class"


def signal_type(signal) -> str:
    """The ``metadata.Signal.signal_type`` of a HyperSpy signal ('' for none or not a signal).

    Examples
    --------
    >>> import numpy as np, hyperspy.api as hs
    >>> s = hs.signals.Signal2D(np.zeros((4, 4)))
    >>> s.set_signal_type("STEM")
    >>> signal_type(s) in IMAGE_TYPES, signal_type(np.zeros(3))
    (True, '')
    """
    metadata = getattr(signal, "metadata", None)
    if metadata is None or not hasattr(metadata, "get_item"):
        return ""
    return str(metadata.get_item("Signal.signal_type", "") or "")
