"""Offline data: generated from a seed, shipped with scikit-learn, or read from local IDX files."""

from handgrad.data.dataset import DATASETS
from handgrad.data.dataset import Dataset
from handgrad.data.dataset import load_dataset
from handgrad.data.dataset import split
from handgrad.data.dataset import standardize
from handgrad.data.idx import DataError
from handgrad.data.idx import load_idx_pair
from handgrad.data.idx import read_idx
from handgrad.data.idx import write_idx

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
