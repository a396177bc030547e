"""HyperSpy signal classes of hyperspy-symmetry (registered in ``hyperspy_extension.yaml``)."""

from .atomic_resolution import AtomicResolution2D, LazyAtomicResolution2D
from .phase_fractions import LazyPhaseFractions, PhaseFractions
from .probabilities import LazySymmetryProbabilities, SymmetryProbabilities
from .uncertainty import LazySymmetryUncertainty, Segmentation, SymmetryUncertainty

__all__ = [
    "AtomicResolution2D",
    "LazyAtomicResolution2D",
    "SymmetryProbabilities",
    "LazySymmetryProbabilities",
    "SymmetryUncertainty",
    "LazySymmetryUncertainty",
    "PhaseFractions",
    "LazyPhaseFractions",
    "Segmentation",
]
