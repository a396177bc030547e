"""HyperSpy signal classes of hyperspy-symmetry (registered in ``hyperspy_extension.yaml``)."""

from .atomic_resolution import AtomicResolution2D, LazyAtomicResolution2D
from .probabilities import LazySymmetryProbabilities, SymmetryProbabilities
from .uncertainty import LazySymmetryUncertainty, SymmetryUncertainty

__all__ = [
    "AtomicResolution2D",
    "LazyAtomicResolution2D",
    "SymmetryProbabilities",
    "LazySymmetryProbabilities",
    "SymmetryUncertainty",
    "LazySymmetryUncertainty",
]
