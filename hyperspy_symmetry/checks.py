"""Argument checks shared by the public functions: one clear message per bad argument.

Every public function checks its arguments before it does any work, so that a wrong value
fails at once with an error that names the parameter, what was given and what is
accepted, rather than later, deep inside NumPy, TensorFlow or dask.

Examples
--------
>>> from hyperspy_symmetry.checks import check_number
>>> check_number(0.5, "min_quality", low=0, high=1)
0.5
>>> check_number("high", "min_quality", low=0, high=1)
Traceback (most recent call last):
...
TypeError: `min_quality` must be a number between 0 and 1, not 'high'.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["check_instance", "check_number", "check_output_folder"]


def _describe(
    low: float | None, high: float | None, low_open: bool, high_open: bool, integer: bool
) -> str:
    kind = "an integer" if integer else "a number"
    if low is not None and high is not None and not (low_open or high_open):
        return f"{kind} between {low:g} and {high:g}"
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        bounds.append(f"{'<' if high_open else '<='} {high:g}")
    if not bounds:
        return f"a finite {'integer' if integer else 'number'}"
    return f"{kind} {' and '.join(bounds)}"


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    hint: str = "",
) -> float | int:
    """``value`` as a finite float (or int) within the bounds, or a clear error.

    Parameters
    ----------
    value
        The argument as given.
    name
        The parameter's name, used in the message.
    low, high : float, optional
        Inclusive bounds; exclusive with ``low_open=True`` / ``high_open=True``.
    integer : bool, default False
        Require an integer (bools are refused either way).
    hint : str, optional
        A sentence appended to the message, e.g. what the value means.

    Returns
    -------
    float or int

    Raises
    ------
    TypeError
        ``value`` is not a real number (or not an integer when ``integer``).
    ValueError
        ``value`` is NaN, infinite or out of bounds.

    Examples
    --------
    >>> check_number(3, "n_holes", low=1, integer=True)
    3
    >>> check_number(0.0, "frame_time", low=0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: `frame_time` must be a number > 0, got 0.0.
    >>> check_number(1.0, "tolerance", low=0, high=1, low_open=True, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: `tolerance` must be a number > 0 and < 1, got 1.0.
    """
    wanted = _describe(low, high, low_open, high_open, integer)
    suffix = f" {hint}" if hint else ""
    types = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, types):
        raise TypeError(f"`{name}` must be {wanted}, not {value!r}.{suffix}")
    number = int(value) if integer else float(value)
    bad = not math.isfinite(number)
    if low is not None:
        bad = bad or number < low or (low_open and number == low)
    if high is not None:
        bad = bad or number > high or (high_open and number == high)
    if bad:
        raise ValueError(f"`{name}` must be {wanted}, got {value!r}.{suffix}")
    return number


def check_instance(value: Any, name: str, types: type | tuple[type, ...], what: str) -> Any:
    """``value`` if it is one of ``types``, else a ``TypeError`` that says what is wanted.

    Parameters
    ----------
    value
        The argument as given.
    name
        The parameter's name, used in the message.
    types
        Accepted classes.
    what
        The accepted kind in words, e.g. ``"the SymmetryProbabilities from
        classify_symmetry"``.

    Examples
    --------
    >>> check_instance([1], "image", (str,), "a file name")
    Traceback (most recent call last):
    ...
    TypeError: `image` must be a file name, not list.
    """
    if not isinstance(value, types):
        raise TypeError(f"`{name}` must be {what}, not {type(value).__name__}.")
    return value


def check_output_folder(out: str | Path) -> Path:
    """``out`` as a Path, refused at once if it exists and is not a folder.

    Examples
    --------
    >>> check_output_folder("results")
    PosixPath('results')
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder; choose another output folder.")
    return out
