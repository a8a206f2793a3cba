"""Data sets made on the spot from a seed: nothing is downloaded, ever.

- ``digits``: scikit-learn's 8 × 8 digits (1797 × 64, 10 classes), which ship inside the
  scikit-learn package: the embedded default data;
- ``linear_regression``: y = X w* + noise, for the lecture's linear model;
- ``spirals``: the NYU course's K-arm spiral classification (not linearly separable);
- ``two_moons``: two interleaved half circles.

Each returns (X, y) as NumPy arrays: X float32 (P, d), y int32 labels (P,) or float32
targets (P, 1) for regression.
"""

from __future__ import annotations

import warnings

import numpy as np

from handgrad._validate import check_positive_int


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: 1797 images of 8 × 8 pixels (values 0–16), labels 0–9."""
    with warnings.catch_warnings():  # joblib warns when it cannot make a semaphore file (a
        # full disk, a file-size limit) and then runs serially, which load_digits never minds
        warnings.filterwarnings("ignore", ".*joblib will operate in serial mode", UserWarning)
        from sklearn.datasets import load_digits  # imported here: only this data set needs it

    X, y = load_digits(return_X_y=True)
    return X.astype(np.float32), y.astype(np.int32)


def linear_regression(
    n: int = 256, d: int = 8, *, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """y = X w* + ε with X ~ N(0, I), w* ~ N(0, I), ε ~ N(0, noise²); y of shape (n, 1)."""
    check_positive_int("n", n)
    check_positive_int("d", d)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = X @ w + noise * rng.standard_normal(n)
    return X.astype(np.float32), y[:, None].astype(np.float32)


def spirals(
    n_per_class: int = 100, classes: int = 3, *, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """K spiral arms in the plane, one per class (the NYU deep-learning course's data)."""
    check_positive_int("n_per_class", n_per_class)
    check_positive_int("classes", classes)
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(k * 2 * np.pi / classes, (k + 2) * 2 * np.pi / classes, n_per_class)
        t = t + noise * rng.standard_normal(n_per_class)
        X.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        y.append(np.full(n_per_class, k))
    return np.concatenate(X).astype(np.float32), np.concatenate(y).astype(np.int32)


def two_moons(n: int = 200, *, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles, n samples split between them, labels 0 and 1."""
    check_positive_int("n", n)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0, t1 = np.pi * rng.random(n0), np.pi * rng.random(n - n0)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    return X.astype(np.float32), y.astype(np.int32)
