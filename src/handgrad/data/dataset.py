"""From a data set's name to standardised train and test splits.

The split is a seeded permutation (the same seed, the same split); standardisation
(x − μ) / σ is fitted on the training split only, so nothing about the test samples
leaks into training. Features that never vary in training get σ = 1. ``DATASETS`` lists
the names there are: the generated ones and, from local IDX files, mnist and fashion_mnist.
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from handgrad.data import synthetic
from handgrad.data.idx import DataError, load_idx_pair
from handgrad.names import did_you_mean

IDX_FILES = {  # file names of MNIST and Fashion-MNIST (raw or with .gz)
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
GENERATED: dict[str, Callable] = {  # the generators; their keywords but seed are the options
    "digits": synthetic.digits,
    "linear_regression": synthetic.linear_regression,
    "spirals": synthetic.spirals,
    "two_moons": synthetic.two_moons,
}
SHAPES: dict[str, Callable] = {  # options -> (samples, features), known before generating
    "digits": lambda: (1797, 64),
    "linear_regression": lambda n, d, **_: (n, d),
    "spirals": lambda n_per_class, classes, **_: (n_per_class * classes, 2),
    "two_moons": lambda n, **_: (n, 2),
}
FROM_FILES = ("mnist", "fashion_mnist")
IDX_CLASSES = 10  # MNIST and Fashion-MNIST: labels 0..9
DATASETS = tuple(GENERATED) + FROM_FILES
MAX_COUNT = 2**31 - 1  # sample counts and sizes index with int32


class Dataset(NamedTuple):
    """Standardised splits; ``num_classes`` is None for regression (targets (P, q))."""

    name: str
    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    num_classes: int | None
    mean: np.ndarray
    std: np.ndarray


def dataset_options(name: str) -> dict[str, Any]:
    """The options of a generated data set and their defaults (the generator's keywords but
    ``seed``, which the config's own ``seed`` sets); ``{}`` for the data sets read from files."""
    if name not in GENERATED:
        return {}
    parameters = inspect.signature(GENERATED[name]).parameters.values()
    return {p.name: p.default for p in parameters if p.name != "seed"}


def check_options(name: str, options: dict) -> dict[str, Any]:
    """The options of data set ``name``, checked by the generator's signature.

    A name must be one of the generator's keywords; a value must have the kind of its default
    (an integer is accepted for a float), a float must be finite, and an integer (a count:
    samples, features, classes) must lie in 1..2**31 − 1.

    Raises:
      ValueError: naming the option and what is allowed.
    """
    allowed = dataset_options(name)
    if options and name in FROM_FILES:
        raise ValueError(f"dataset {name!r} takes no options, got {sorted(options)}")
    checked, where = {}, f"bad options for dataset {name!r}"
    for key, value in options.items():
        if key not in allowed:
            hint = did_you_mean(str(key), allowed)
            raise ValueError(f"{where}: no option {key!r}{hint} (options: {sorted(allowed)})")
        kind = type(allowed[key])
        if kind is float and type(value) is int:
            value = float(value)
        if type(value) is not kind:
            raise ValueError(
                f"{where}: {key} must be {_KIND_NAMES.get(kind, kind.__name__)}, "
                f"got {value!r} ({type(value).__name__})"
            )
        if kind is float and not math.isfinite(value):
            raise ValueError(f"{where}: {key} must be finite, got {value!r}")
        if kind is int and not 1 <= value <= MAX_COUNT:
            raise ValueError(
                f"{where}: {key} must be a positive integer below 2**31, got {value!r}"
            )
        checked[key] = value
    if name in SHAPES:
        P, d = generated_shape(name, checked)
        if P * d > MAX_COUNT:
            raise ValueError(
                f"{where}: {P} samples of {d} features are {P * d} numbers, more than "
                "2**31 − 1 (arrays index with int32)"
            )
    return checked


_KIND_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def generated_shape(name: str, options: dict) -> tuple[int, int]:
    """(samples, features) of generated data set ``name`` with checked ``options``."""
    return SHAPES[name](**{**dataset_options(name), **options})


def split(X: np.ndarray, Y: np.ndarray, test_fraction: float, seed: int):
    """A seeded random split: (X_train, Y_train, X_test, Y_test)."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction!r}")
    P = X.shape[0]
    n_test = round(P * test_fraction)
    if n_test < 1 or n_test >= P:
        raise ValueError(f"test_fraction {test_fraction} of {P} samples leaves an empty split")
    order = np.random.default_rng(seed).permutation(P)
    test, train = order[:n_test], order[n_test:]
    return X[train], Y[train], X[test], Y[test]


def standardize(X_train: np.ndarray, X_test: np.ndarray):
    """(X − μ) / σ with μ, σ from the training split: (X_train, X_test, μ, σ).

    μ and σ are computed in float64, so that features as large as float32 allows do not
    overflow the sum of squares; the result is cast back to the data's dtype.
    """
    dtype = X_train.dtype
    wide = X_train.astype(np.float64)
    mean = wide.mean(axis=0)
    std = wide.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    scaled = ((X_train - mean) / std).astype(dtype), ((X_test - mean) / std).astype(dtype)
    return *scaled, mean.astype(dtype), std.astype(dtype)


def _find(path: str, name: str) -> str:
    for candidate in (os.path.join(path, name), os.path.join(path, name + ".gz")):
        if os.path.isfile(candidate):
            return candidate
    raise DataError(f"{os.path.join(path, name)}[.gz]: no such file (the IDX files go in {path!r})")


def load_dataset(
    name: str,
    *,
    seed: int = 0,
    test_fraction: float = 0.2,
    path: str | None = None,
    standardise: bool = True,
    **options,
) -> Dataset:
    """Loads or generates ``name`` and splits it.

    Args:
      name: one of ``DATASETS``.
      seed: seeds the generated data and the split.
      test_fraction: the share of samples held out (MNIST files bring their own split).
      path: the folder holding the IDX files, for mnist and fashion_mnist.
      standardise: whether to standardise features with training statistics.
      **options: passed to the generator (e.g. ``n``, ``noise`` for two_moons).

    Raises:
      ValueError: for an unknown name or bad options (``check_options``); ``DataError`` for
        bad files, and for generated data that is not finite.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {list(DATASETS)}")
    options = check_options(name, options)
    if name in FROM_FILES:
        if not path:
            raise DataError(
                f"dataset {name!r} is read from local IDX files: set data.path to their folder"
            )
        X_train, Y_train = load_idx_pair(
            *(_find(path, f) for f in IDX_FILES["train"]), num_classes=IDX_CLASSES
        )
        X_test, Y_test = load_idx_pair(
            *(_find(path, f) for f in IDX_FILES["test"]), num_classes=IDX_CLASSES
        )
        if X_train.shape[1] != X_test.shape[1]:
            test_images = _find(path, IDX_FILES["test"][0])
            raise DataError(
                f"{test_images}: test images have {X_test.shape[1]} pixels, the training images "
                f"{X_train.shape[1]}"
            )
        num_classes = IDX_CLASSES
    else:
        generate = GENERATED[name]
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is named just below
            X, Y = generate(**options) if name == "digits" else generate(seed=seed, **options)
        for what, array in (("X", X), ("Y", Y)):
            if not np.all(np.isfinite(array)):
                raise DataError(
                    f"dataset {name!r} with options {options}: the generated {what} holds "
                    "non-finite values (NaN or infinity)"
                )
        X_train, Y_train, X_test, Y_test = split(X, Y, test_fraction, seed)
        classification = np.issubdtype(Y_train.dtype, np.integer)
        num_classes = int(max(Y_train.max(), Y_test.max())) + 1 if classification else None
    if standardise:
        X_train, X_test, mean, std = standardize(X_train, X_test)
    else:
        mean, std = (
            np.zeros(X_train.shape[1], X_train.dtype),
            np.ones(X_train.shape[1], X_train.dtype),
        )
    return Dataset(name, X_train, Y_train, X_test, Y_test, num_classes, mean, std)
