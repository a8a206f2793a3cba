"""From a data set's name to standardised train and test splits.

The split is a seeded permutation (the same seed, the same split); standardisation
(x − μ) / σ is fitted on the training split only, so nothing about the test samples
leaks into training. Features that never vary in training get σ = 1. ``DATASETS`` lists
the names there are: the generated ones and, from local IDX files, mnist and fashion_mnist.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from handgrad.data import synthetic
from handgrad.data.idx import DataError, load_idx_pair

IDX_FILES = {  # file names of MNIST and Fashion-MNIST (raw or with .gz)
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
GENERATED: dict[str, Callable] = {
    "digits": lambda seed, **kw: synthetic.digits(**kw),
    "linear_regression": lambda seed, **kw: synthetic.linear_regression(seed=seed, **kw),
    "spirals": lambda seed, **kw: synthetic.spirals(seed=seed, **kw),
    "two_moons": lambda seed, **kw: synthetic.two_moons(seed=seed, **kw),
}
FROM_FILES = ("mnist", "fashion_mnist")
DATASETS = tuple(GENERATED) + FROM_FILES


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
    """(X − μ) / σ with μ, σ from the training split: (X_train, X_test, μ, σ)."""
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0).astype(X_train.dtype)
    return (X_train - mean) / std, (X_test - mean) / std, mean, std


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
      ValueError: for an unknown name or bad options; ``DataError`` for bad files.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {list(DATASETS)}")
    if name in FROM_FILES:
        if not path:
            raise DataError(
                f"dataset {name!r} is read from local IDX files: set data.path to their folder"
            )
        if options:
            raise ValueError(f"dataset {name!r} takes no options, got {sorted(options)}")
        X_train, Y_train = load_idx_pair(*(_find(path, f) for f in IDX_FILES["train"]))
        X_test, Y_test = load_idx_pair(*(_find(path, f) for f in IDX_FILES["test"]))
        if X_train.shape[1] != X_test.shape[1]:
            raise DataError(
                f"{path}: training images have {X_train.shape[1]} pixels, test images {X_test.shape[1]}"
            )
    else:
        try:
            X, Y = GENERATED[name](seed, **options)
        except TypeError as err:
            raise ValueError(f"bad options for dataset {name!r}: {err}") from None
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
