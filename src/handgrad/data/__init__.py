"""Offline data: generated from a seed, shipped with scikit-learn, or read from local IDX files."""

from handgrad.data.dataset import DATASETS, Dataset, load_dataset, split, standardize
from handgrad.data.idx import DataError, load_idx_pair, read_idx, write_idx

__all__ = (
    "DATASETS",
    "DataError",
    "Dataset",
    "load_dataset",
    "load_idx_pair",
    "read_idx",
    "split",
    "standardize",
    "write_idx",
)
