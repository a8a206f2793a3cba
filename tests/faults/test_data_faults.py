"""Bad data files and generated data, each refused with a DataError that names the file."""

import gzip
import os
import struct
import zlib

import numpy as np
import pytest

from handgrad import data
from handgrad.data import DataError, load_dataset, load_idx_pair, read_idx, write_idx


def _header(code, *dims):
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def _write(path, raw):
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(raw)
    else:
        path.write_bytes(raw)
    return str(path)


@pytest.mark.parametrize("ext", ["", ".gz"])
@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x00\x00\x08", r"too short to be an IDX file \(3 bytes\)"),
        (b"\x00\x01\x08\x01" + b"\x00" * 5, r"bad IDX magic number 0x00010801"),
        (b"\x00\x00\x07\x01" + b"\x00" * 5, r"bad IDX magic number 0x00000701"),
        (b"\x00\x00\x08\x00", r"declares 0 dimensions"),
        (b"\x00\x00\x08\x04" + b"\x00" * 8, r"promises 4 dimensions but the file ends first"),
        (_header(8, 2, 3) + b"\x00" * 7, r"need 6 bytes of data, the file holds 7"),
        (_header(0x0D, 2) + b"\x00" * 4, r"dimensions \(2,\) of float32 need 8 bytes"),
        # dimensions whose product overflows int64 in NumPy, but not in Python
        (_header(8, 2**32 - 1, 2**32 - 1, 2**32 - 1) + b"\x00", r"need 79228162458924105385300197375 bytes"),
    ],
)  # fmt: skip
def test_corrupt_headers_raw_and_gzip(tmp_path, ext, raw, message):
    path = _write(tmp_path / f"bad-idx{ext}", raw)
    with pytest.raises(DataError, match=message) as err:
        read_idx(path)
    assert str(err.value).startswith(path + ": ")


def test_damaged_gzip_streams_are_data_errors(tmp_path):
    good = gzip.compress(_header(8, 200) + bytes(range(200)))
    cases = {
        "not.gz": b"plain bytes, no gzip magic",  # BadGzipFile
        "cut.gz": good[: len(good) // 2],  # EOFError
        "empty.gz": b"",
        "crc.gz": good[:-8] + b"\x00\x00\x00\x00" + good[-4:],  # CRC check fails
        "flipped.gz": good[:12] + bytes([good[12] ^ 0xFF]) + good[13:],  # zlib.error
        "garbage.gz": good[:10] + b"\xff" * 40,
    }
    for name, raw in cases.items():
        path = tmp_path / name
        path.write_bytes(raw)
        with pytest.raises(DataError, match=r"cannot be read \(|too short") as err:
            read_idx(str(path))
        assert str(path) in str(err.value), name


def test_zlib_errors_are_caught(tmp_path, monkeypatch):
    path = _write(tmp_path / "z.gz", _header(8, 1) + b"\x01")

    def broken(*args, **kwargs):
        raise zlib.error("invalid stored block lengths")

    monkeypatch.setattr(gzip, "open", broken)
    with pytest.raises(DataError, match=r"z.gz: cannot be read \(invalid stored block lengths\)"):
        read_idx(path)


def test_folders_and_unreadable_files_are_named(tmp_path, monkeypatch):
    with pytest.raises(DataError, match=r"is a folder, not an IDX file"):
        read_idx(str(tmp_path))
    folder = tmp_path / "train-images-idx3-ubyte"
    folder.mkdir()
    with pytest.raises(DataError, match=r"no such file"):  # a folder is not the file sought
        load_dataset("mnist", path=str(tmp_path))
    path = _write(tmp_path / "ok-idx1", _header(8, 1) + b"\x01")
    real_open = open

    def deny(file, *args, **kwargs):
        if str(file) == path:
            raise PermissionError(13, "Permission denied", file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(DataError, match=r"ok-idx1: cannot be read \(Permission denied\)"):
        read_idx(path)


def _pair(tmp_path, images, labels, ext=""):
    i, lab = str(tmp_path / f"images{ext}"), str(tmp_path / f"labels{ext}")
    write_idx(i, images)
    write_idx(lab, labels)
    return i, lab


@pytest.mark.parametrize("ext", ["", ".gz"])
@pytest.mark.parametrize(
    "images, labels, message, where",
    [
        (np.zeros((0, 4, 4), np.uint8), np.zeros(0, np.uint8), r"holds no data: dimensions \(0, 4, 4\)", "images"),
        (np.zeros((3, 0, 4), np.uint8), np.zeros(3, np.uint8), r"holds no data", "images"),
        (np.zeros((3, 4, 0), np.uint8), np.zeros(3, np.uint8), r"holds no data", "images"),
        (np.zeros((3, 4), np.uint8), np.zeros(3, np.uint8), r"images must be \(N, rows, cols\)", "images"),
        (np.zeros((3, 2, 2, 1), np.uint8), np.zeros(3, np.uint8), r"images must be \(N, rows, cols\)", "images"),
        (np.zeros((3, 2, 2), np.uint8), np.zeros((3, 1), np.uint8), r"labels must be \(N,\)", "labels"),
        (np.zeros((3, 2, 2), np.uint8), np.zeros(2, np.uint8), r"holds 3 images but .* holds 2 labels", "images"),
        (np.zeros((3, 2, 2), np.uint8), np.array([1, 10, 2], np.uint8), r"labels must lie in 0..9, got 10 at index 1", "labels"),
        (np.zeros((3, 2, 2), np.uint8), np.array([0, 0, -1], np.int8), r"labels must lie in 0..9, got -1 at index 2", "labels"),
        (np.zeros((3, 2, 2), np.uint8), np.array([255, 3, 200], np.uint8), r"got 255 at index 0 \(2 label\(s\) out of range\)", "labels"),
        (np.zeros((3, 2, 2), np.uint8), np.array([0, 1, 2], np.float32), r"labels must be integers, got float32", "labels"),
        (np.array([[[0, np.nan]]] * 2, np.float32), np.zeros(2, np.uint8), r"images hold non-finite values", "images"),
        (np.array([[[0, np.inf]]] * 2, np.float64), np.zeros(2, np.uint8), r"images hold non-finite values", "images"),
        (np.array([[[0, 1e300]]] * 2, np.float64), np.zeros(2, np.uint8), r"images overflow float32", "images"),
    ],
)  # fmt: skip
def test_image_and_label_files_are_checked(tmp_path, ext, images, labels, message, where):
    paths = _pair(tmp_path, images, labels, ext)
    with pytest.raises(DataError, match=message) as err:
        load_idx_pair(*paths, num_classes=10)
    assert paths[0 if where == "images" else 1] in str(err.value)


def test_labels_are_unchecked_without_a_class_count(tmp_path):
    X, y = load_idx_pair(
        *_pair(tmp_path, np.zeros((2, 2, 2), np.uint8), np.array([0, 42], np.uint8))
    )
    assert y.tolist() == [0, 42] and X.shape == (2, 4)


def _mnist(folder, labels_test=None, images_test=None):
    rng = np.random.default_rng(0)
    for split, n in (("train", 8), ("t10k", 4)):
        images = rng.integers(0, 256, (n, 3, 3), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        if split == "t10k":
            images = images if images_test is None else images_test
            labels = labels if labels_test is None else labels_test
        write_idx(os.path.join(folder, f"{split}-images-idx3-ubyte"), images)
        write_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz"), labels)


def test_mnist_checks_its_labels_and_counts_ten_classes(tmp_path):
    _mnist(tmp_path, labels_test=np.array([0, 1, 2, 10], np.uint8))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz: labels must lie in 0..9"):
        load_dataset("mnist", path=str(tmp_path))
    _mnist(tmp_path, labels_test=np.array([0, 1, 1, 0], np.uint8))
    ds = load_dataset("fashion_mnist", path=str(tmp_path))
    assert ds.num_classes == 10  # the format's classes, whatever the files happen to hold
    _mnist(tmp_path, images_test=np.zeros((4, 3, 2), np.uint8))
    with pytest.raises(
        DataError, match=r"t10k-images-idx3-ubyte: test images have 6 pixels, the training images 9"
    ):
        load_dataset("mnist", path=str(tmp_path))


@pytest.mark.parametrize(
    "name, options, message",
    [
        ("two_moons", {"noise": float("nan")}, r"noise must be finite"),
        ("spirals", {"noise": float("inf")}, r"noise must be finite"),
        ("two_moons", {"nosie": 0.1}, r"no option 'nosie'; did you mean 'noise'\?"),
        ("linear_regression", {"d": 0}, r"d must be a positive integer"),
        ("linear_regression", {"n": 1.5}, r"n must be an integer, got 1.5"),
        ("mnist", {"n": 3}, r"dataset 'mnist' takes no options"),
        ("two_moons", {"n": 2**31}, r"n must be a positive integer below 2\*\*31"),
    ],
)
def test_generator_options_are_checked_before_generating(name, options, message):
    with pytest.raises(ValueError, match=message):
        load_dataset(name, **options)


def test_non_finite_generated_data_is_a_data_error(monkeypatch):
    from handgrad.data import dataset

    def broken(n=200, *, noise=0.1, seed=0):
        X, y = data.synthetic.two_moons(n, noise=0.1, seed=seed)
        X[3, 1] = noise * np.inf
        return X, y

    monkeypatch.setitem(dataset.GENERATED, "two_moons", broken)
    with pytest.raises(
        DataError,
        match=r"dataset 'two_moons' with options \{'noise': 0.5\}: the generated X holds non-finite",
    ):
        load_dataset("two_moons", noise=0.5)


@pytest.mark.parametrize(
    "name, options, fraction",
    [("two_moons", {"n": 3}, 0.1), ("two_moons", {"n": 4}, 0.9), ("spirals", {"n_per_class": 1, "classes": 1}, 0.5)],
)  # fmt: skip
def test_an_empty_split_stays_a_clear_error(name, options, fraction):
    with pytest.raises(ValueError, match=r"leaves an empty split"):
        load_dataset(name, test_fraction=fraction, **options)
