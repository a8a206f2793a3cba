import importlib

import handgrad


def test_every_public_name_imports():
    for name in handgrad.__all__:
        assert getattr(handgrad, name) is not None, name


def test_public_names_are_listed_once_and_sorted():
    assert len(set(handgrad.__all__)) == len(handgrad.__all__)
    assert list(handgrad.__all__) == sorted(handgrad.__all__, key=str)


def test_names_later_work_relies_on():
    for name in ("mlp1_objective", "mlp1_hand_grads", "check_gradients"):
        assert callable(getattr(handgrad, name))


def test_cli_module_runs_as_main():
    assert importlib.util.find_spec("handgrad.__main__") is not None


def test_import_handgrad_loads_neither_plotting_nor_data_set_libraries():
    import subprocess
    import sys

    probe = "import sys, handgrad; print(sorted(m for m in ('matplotlib', 'sklearn', 'tqdm') if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
