"""Offline data: generated from a seed, shipped with scikit-learn, or read from local IDX files.

- ``dataset``: a data set's name to standardised train and test splits (``load_dataset``);
- ``synthetic``: digits, linear regression, spirals and two moons, made on the spot;
- ``idx``: the IDX files of MNIST and Fashion-MNIST, read and validated.
"""

# a data set by name, split and standardised
from handgrad.data.dataset import (
    load_dataset,
    Dataset,
    DATASETS,
    split,
    standardize,
)

# data made on the spot
from handgrad.data.synthetic import (
    digits,
    linear_regression,
    spirals,
    two_moons,
)

# MNIST's file format
from handgrad.data.idx import (
    read_idx,
    write_idx,
    load_idx_pair,
    DataError,
)

__all__ = (
    "load_dataset",
    "Dataset",
    "DATASETS",
    "split",
    "standardize",
    "digits",
    "linear_regression",
    "spirals",
    "two_moons",
    "read_idx",
    "write_idx",
    "load_idx_pair",
    "DataError",
)
