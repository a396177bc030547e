"""Simulated training and test data: HAADF-STEM crystals, 2D Bravais lattices, scenes.

The models are trained only on images simulated here, as in both papers.

- :func:`crystal_image`: HAADF-STEM images of the ``aistem`` classes (or any ASE ``Atoms``
  and zone axis) with abTEM: projected potential convolved with the probe intensity.
- :func:`~.bravais.bravais_image`: the six ``bravais`` classes, with the rules that keep them
  apart.
- :mod:`.augment`: what microscopes do to images (noise, blur, drift, scan distortions, ...).
- :func:`build_training_set`: descriptors and labels written to chunked zarr.
- Ground-truth scenes: :func:`polycrystal_scene`, :func:`bicrystal`, :func:`damage_movie`,
  :func:`transforming_lattice`.

Importing this module imports neither abTEM nor TensorFlow.
"""

from . import augment
from .augment import AugmentationRecipe
from .bravais import BRAVAIS_CLASSES, bravais_array, bravais_image, lattice_class, sample_lattice
from .crystals import AISTEM_CLASSES, CrystalClass, crystal_array, crystal_image
from .scenes import bicrystal, damage_movie, polycrystal_scene, transforming_lattice
from .training_set import (
    TrainingSetRecipe,
    build_training_set,
    load_training_set,
    make_samples,
)

__all__ = [
    "AISTEM_CLASSES",
    "AugmentationRecipe",
    "BRAVAIS_CLASSES",
    "CrystalClass",
    "TrainingSetRecipe",
    "augment",
    "bicrystal",
    "bravais_array",
    "bravais_image",
    "build_training_set",
    "crystal_array",
    "crystal_image",
    "damage_movie",
    "lattice_class",
    "load_training_set",
    "make_samples",
    "polycrystal_scene",
    "sample_lattice",
    "transforming_lattice",
]
