"""abTEM and ASE are the optional ``[simulate]`` extra: imported only when a simulation runs.

Classification, segmentation, plots, lattice rotations and the CLI's ``classify``,
``models`` and ``demo`` work without them; :func:`simulation_module` turns their absence
into one clear error where a crystal is really simulated.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: How to install what simulation needs.
SIMULATE_INSTALL = "pip install 'hyperspy-symmetry[simulate]'"


def simulation_module(name: str, what: str = "Simulating crystals") -> ModuleType:
    """Import ``abtem``, ``ase`` or one of their submodules.

    Parameters
    ----------
    name
        Module name, e.g. ``"abtem"`` or ``"ase.build"``.
    what
        What needs it, for the error message.

    Raises
    ------
    ImportError
        Naming the ``[simulate]`` extra, when the module cannot be imported.

    Examples
    --------
    >>> simulation_module("ase.build").bulk("Cu", "fcc", a=3.6).get_chemical_symbols()
    ['Cu']
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"{what} needs abTEM and ASE (the [simulate] extra), and {name!r} cannot be "
            f"imported ({exc}). Install them with: {SIMULATE_INSTALL}"
        ) from exc
