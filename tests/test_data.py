"""Offline data: IDX parsing and validation, generated sets, split and standardisation."""

import gzip
import struct

import numpy as np
import pytest

from handgrad import data
from handgrad.data import DataError


@pytest.fixture
def mnist_dir(tmp_path):
    """A tiny MNIST-shaped folder: 12 training and 5 test images of 4 × 3, gzip for training."""
    rng = np.random.default_rng(0)
    for split, n, ext in (("train", 12, ".gz"), ("t10k", 5, "")):
        data.write_idx(
            str(tmp_path / f"{split}-images-idx3-ubyte{ext}"),
            rng.integers(0, 256, (n, 4, 3), dtype=np.uint8),
        )
        data.write_idx(
            str(tmp_path / f"{split}-labels-idx1-ubyte{ext}"),
            rng.integers(0, 10, n, dtype=np.uint8),
        )
    return tmp_path


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("ext", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, ext):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = str(tmp_path / f"a.idx{ext}")
    data.write_idx(path, array)
    back = data.read_idx(path)
    assert back.dtype == np.dtype(dtype) and np.array_equal(back, array)


def test_idx_is_big_endian_as_the_format_says(tmp_path):
    path = str(tmp_path / "b.idx")
    data.write_idx(path, np.array([1, 256], np.int32))
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:4] == bytes([0, 0, 0x0C, 1]) and raw[4:8] == struct.pack(">I", 2)
    assert raw[8:] == struct.pack(">ii", 1, 256)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "too short to be an IDX file"),
        (bytes([1, 0, 8, 1]) + struct.pack(">I", 1) + b"\x00", "bad IDX magic number 0x01000801"),
        (bytes([0, 0, 0x42, 1]) + struct.pack(">I", 1) + b"\x00", "bad IDX magic number"),
        (
            bytes([0, 0, 8, 3]) + struct.pack(">I", 2),
            "promises 3 dimensions but the file ends first",
        ),
        (
            bytes([0, 0, 8, 2]) + struct.pack(">II", 2, 3) + b"\x00" * 5,
            r"dimensions \(2, 3\) of uint8 need 6 bytes of data, the file holds 5",
        ),
        (
            bytes([0, 0, 8, 1]) + struct.pack(">I", 2) + b"\x00" * 3,
            "need 2 bytes of data, the file holds 3",
        ),
    ],
)
def test_corrupt_idx_files_are_named(tmp_path, content, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as err:
        data.read_idx(str(path))
    assert str(path) in str(err.value)


def test_missing_and_broken_gzip_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        data.read_idx(str(tmp_path / "nope"))
    (tmp_path / "x.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot be read"):
        data.read_idx(str(tmp_path / "x.gz"))
    with gzip.open(tmp_path / "cut.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 100) + b"\x00" * 100)
    (tmp_path / "cut.gz").write_bytes((tmp_path / "cut.gz").read_bytes()[:-12])
    with pytest.raises(DataError, match="cannot be read"):
        data.read_idx(str(tmp_path / "cut.gz"))


def test_image_and_label_files_must_agree(tmp_path):
    data.write_idx(str(tmp_path / "i"), np.zeros((3, 2, 2), np.uint8))
    data.write_idx(str(tmp_path / "l"), np.zeros(4, np.uint8))
    with pytest.raises(DataError, match=r"holds 3 images but .* holds 4 labels"):
        data.load_idx_pair(str(tmp_path / "i"), str(tmp_path / "l"))
    data.write_idx(str(tmp_path / "flat"), np.zeros((3, 4), np.uint8))
    with pytest.raises(DataError, match=r"images must be \(N, rows, cols\)"):
        data.load_idx_pair(str(tmp_path / "flat"), str(tmp_path / "l"))


def test_mnist_from_local_idx_files(mnist_dir):
    ds = data.load_dataset("mnist", path=str(mnist_dir))
    assert ds.X_train.shape == (12, 12) and ds.X_test.shape == (5, 12)
    assert ds.Y_train.dtype == np.int32 and ds.num_classes <= 10
    raw = data.read_idx(str(mnist_dir / "train-images-idx3-ubyte.gz")).reshape(12, -1) / 255.0
    assert np.allclose(ds.X_train * ds.std + ds.mean, raw, atol=1e-6)  # standardised, invertibly


def test_mnist_needs_its_folder(tmp_path):
    with pytest.raises(DataError, match=r"set data\.path"):
        data.load_dataset("fashion_mnist")
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\[.gz\]: no such file"):
        data.load_dataset("fashion_mnist", path=str(tmp_path))


def test_digits_ship_with_the_package():
    ds = data.load_dataset("digits", seed=0)
    assert ds.X_train.shape[1] == 64 and ds.X_train.shape[0] + ds.X_test.shape[0] == 1797
    assert ds.num_classes == 10 and ds.X_train.dtype == np.float32


def test_split_is_seeded_and_standardisation_uses_only_the_training_split():
    a, b, c = (data.load_dataset("two_moons", seed=s, n=100) for s in (1, 1, 2))
    assert np.array_equal(a.X_train, b.X_train) and not np.array_equal(a.X_train, c.X_train)
    assert np.allclose(a.X_train.mean(0), 0, atol=1e-6) and np.allclose(
        a.X_train.std(0), 1, atol=1e-5
    )
    assert not np.allclose(a.X_test.mean(0), 0, atol=1e-6)  # the test split is not refitted
    assert len(a.X_test) == 20


@pytest.mark.parametrize("name", ["linear_regression", "spirals", "two_moons"])
def test_generated_sets_are_deterministic_and_well_formed(name):
    ds = data.load_dataset(name, seed=3)
    again = data.load_dataset(name, seed=3)
    assert np.array_equal(ds.X_train, again.X_train) and np.array_equal(ds.Y_test, again.Y_test)
    assert np.all(np.isfinite(ds.X_train))
    if name == "linear_regression":
        assert ds.num_classes is None and ds.Y_train.ndim == 2
    else:
        assert ds.num_classes == (3 if name == "spirals" else 2)


def test_spirals_are_not_linearly_separable_but_moons_classes_differ():
    X, y = data.synthetic.spirals(200, 3, noise=0.0)
    # the mean of each arm is near the origin: a linear model has little to go on
    assert all(np.linalg.norm(X[y == k].mean(0)) < 0.35 for k in range(3))
    X, y = data.synthetic.two_moons(400, noise=0.0)
    assert np.all(np.isclose(np.linalg.norm(X[y == 0], axis=1), 1.0))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "cifar"}, r"unknown dataset 'cifar'; expected one of \['digits'"),
        (
            {"name": "two_moons", "test_fraction": 1.0},
            "test_fraction must lie strictly between 0 and 1",
        ),
        ({"name": "two_moons", "n": 0}, "n must be a positive integer"),
        ({"name": "two_moons", "arms": 3}, "bad options for dataset 'two_moons'"),
        ({"name": "two_moons", "n": 3, "test_fraction": 0.1}, "leaves an empty split"),
    ],
)
def test_bad_requests_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.load_dataset(**kwargs)
