"""``handgrad graph``: the image it draws, and what a failed write leaves (nothing lost)."""

from handgrad.cli import main
from test_cli import CONFIGS


def test_graph_draws_a_configs_objective_and_its_backward_graph(tmp_path, capsys):
    png, svg = tmp_path / "J.png", tmp_path / "J.svg"
    assert main(["graph", str(CONFIGS / "digits_mlp1.toml"), "--out", str(png)]) == 0
    assert (
        png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"wrote {png}" in capsys.readouterr().out
    )
    assert main(["graph", str(CONFIGS / "linear_gd.toml"), "--out", str(svg), "--backward"]) == 0
    assert "<svg" in svg.read_text()


def test_graph_refuses_an_unknown_image_type_in_one_line(tmp_path, capsys):
    assert main(["graph", str(CONFIGS / "digits_mlp1.toml"), "--out", str(tmp_path / "J.jpg")]) == 2
    assert "handgrad graph: error: unsupported extension '.jpg'" in capsys.readouterr().err
    assert not (tmp_path / "J.jpg").exists()


def test_a_failed_graph_write_loses_no_file_and_leaves_no_partial_one(
    tmp_path, monkeypatch, capsys
):
    """No data lost: the image is written beside --out and moved over it only once whole."""
    import errno

    from matplotlib.figure import Figure

    def half_written(fig, out, **kwargs):
        assert not isinstance(out, str) and kwargs["format"] == "png"  # a file beside --out
        out.write(b"\x89PNG half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", half_written)
    new, old = tmp_path / "new.png", tmp_path / "old.png"
    assert main(["graph", "linear_gd", "--out", str(new)]) == 2
    assert capsys.readouterr().err == f"handgrad graph: error: {new}: No space left on device\n"
    assert not new.exists()  # it wrote the file: its half is removed
    old.write_bytes(b"mine")
    assert main(["graph", "linear_gd", "--out", str(old)]) == 2
    assert capsys.readouterr().err == f"handgrad graph: error: {old}: No space left on device\n"
    assert old.read_bytes() == b"mine"  # there before: kept byte for byte
    assert [p.name for p in tmp_path.iterdir()] == ["old.png"]  # no temporary file left


def test_a_graph_written_over_a_file_replaces_it_whole(tmp_path, capsys):
    old = tmp_path / "J.svg"
    old.write_bytes(b"an older drawing")
    assert main(["graph", "linear_gd", "--out", str(old)]) == 0
    assert "<svg" in old.read_text() and [p.name for p in tmp_path.iterdir()] == ["J.svg"]


def test_graph_refuses_a_bad_samples_count_by_its_flag_before_loading(tmp_path, capsys):
    assert (
        main(["graph", "no_such_config", "--out", str(tmp_path / "J.svg"), "--samples", "0"]) == 2
    )
    err = capsys.readouterr().err
    assert err == "handgrad graph: error: --samples must be a positive integer, got 0\n"
