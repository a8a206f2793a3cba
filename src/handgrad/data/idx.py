"""The IDX format of MNIST and Fashion-MNIST: read and validated, raw or gzip-compressed.

An IDX file is a magic number — two zero bytes, a type code, the number of dimensions —
then each dimension as a big-endian 32-bit integer, then the data, row-major, big-endian.
A file is accepted only if all of that holds and the data has exactly the size the
dimensions promise; anything else raises ``DataError`` naming the file and the problem.

>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
>>> write_idx(path, np.array([3, 1, 4], np.uint8))
>>> read_idx(path).tolist()
[3, 1, 4]
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

TYPES = {  # IDX type code -> big-endian dtype
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
CODES = {dtype.newbyteorder("="): code for code, dtype in TYPES.items()}


class DataError(ValueError):
    """A data file is missing, corrupt or does not fit what it claims to hold."""


def _read_bytes(path: str) -> bytes:
    if os.path.isdir(path):
        raise DataError(f"{path}: is a folder, not an IDX file")
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file")
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as err:
        # permission denied is an OSError; a damaged gzip stream raises BadGzipFile (an
        # OSError), EOFError when cut short, or zlib.error for a corrupt deflate block
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        raise DataError(f"{path}: cannot be read ({reason})") from None


def read_idx(path: str) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` is decompressed), in native byte order.

    Raises:
      DataError: if the file is missing, unreadable, has a bad magic number or type
        code, or holds more or fewer bytes than its dimensions promise.
    """
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code not in TYPES:
        raise DataError(
            f"{path}: bad IDX magic number 0x{raw[:4].hex()} (expected 0x0000, a type code in "
            f"{[hex(c) for c in TYPES]}, and the number of dimensions)"
        )
    header = 4 + 4 * ndim
    if ndim == 0:
        raise DataError(f"{path}: IDX header declares 0 dimensions (an IDX array has at least one)")
    if len(raw) < header:
        raise DataError(f"{path}: IDX header promises {ndim} dimensions but the file ends first")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = TYPES[code]
    expected = math.prod(dims) * dtype.itemsize  # Python integers: no overflow
    if len(raw) - header != expected:
        raise DataError(
            f"{path}: IDX dimensions {dims} of {dtype.name} need {expected} bytes of data, "
            f"the file holds {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str, array: np.ndarray) -> None:
    """Writes ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``)."""
    array = np.asarray(array)
    if array.dtype not in CODES:
        raise ValueError(
            f"IDX cannot store dtype {array.dtype}; use one of {sorted(map(str, CODES))}"
        )
    header = struct.pack(">HBB", 0, CODES[array.dtype], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(data)


def load_idx_pair(
    images_path: str, labels_path: str, *, num_classes: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, rows, cols) and labels (N,) from two IDX files, checked to agree.

    Args:
      images_path, labels_path: the two files, raw or ``.gz``.
      num_classes: when given, every label must lie in 0..num_classes − 1.

    Returns:
      (X, y): X as float32 of shape (N, rows·cols) (uint8 pixels scaled to [0, 1]), y as int32.

    Raises:
      DataError: if either file is bad, holds no images, non-finite pixels or labels out of
        range, or the shapes or counts do not agree.
    """
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise DataError(
            f"{images_path}: images must be (N, rows, cols), got dimensions {images.shape}"
        )
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: labels must be (N,), got dimensions {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{images_path} holds {images.shape[0]} images but {labels_path} holds {labels.shape[0]} labels"
        )
    if 0 in images.shape:
        raise DataError(
            f"{images_path}: holds no data: dimensions {images.shape} (N, rows, cols) must all be >= 1"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{labels_path}: labels must be integers, got {labels.dtype}")
    if num_classes is not None:
        bad = (labels < 0) | (labels >= num_classes)
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"{labels_path}: labels must lie in 0..{num_classes - 1}, got {labels[i]} "
                f"at index {i} ({int(bad.sum())} label(s) out of range)"
            )
    if not np.issubdtype(images.dtype, np.integer):
        if not np.all(np.isfinite(images)):
            raise DataError(f"{images_path}: images hold non-finite values (NaN or infinity)")
        if np.abs(images).max() > np.finfo(np.float32).max:
            raise DataError(f"{images_path}: images overflow float32 (values beyond ±3.4e38)")
    X = images.reshape(images.shape[0], -1).astype(np.float32)
    if images.dtype == np.uint8:
        X /= 255.0
    return X, labels.astype(np.int32)
