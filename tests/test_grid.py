"""The one gradient grid (``handgrad.check.grid``), checked here case by case, as ``handgrad
verify`` checks it: each hand gradient against jax.grad, jax.vjp, jax.jvp (1e-12 in float64,
1e-5 in float32) and a float64 finite-difference witness (1e-6, 1e-4)."""

import pytest

import handgrad as hg

GRID = hg.check.cases()


def label(case) -> str:
    return f"{case.model}-{case.activation}-{case.loss}-{'bias' if case.bias else 'nobias'}-{case.dtype}"


@pytest.mark.parametrize("case", GRID, ids=label)
def test_every_hand_gradient_passes_every_oracle(case):
    [row] = hg.check.check_cases([case])
    assert row.report.passed, "\n".join(row.report.failures())
    assert row.report.dtype == case.dtype and len(row.report.leaves) >= 1


def test_the_grid_covers_every_model_activation_loss_bias_and_dtype():
    models = {c.model for c in GRID}
    assert {
        "linear",
        "linear-q3",
        "mlp-2",
        "mlp-4",
        "mynet",
        "module:linear",
        "module:flatten",
    } <= models
    assert {f"module:{a}" for a in hg.models.ACTIVATIONS} <= models
    mlp1 = {(c.activation, c.loss, c.bias, c.dtype) for c in GRID if c.model == "mlp1"}
    assert mlp1 == {
        (a, loss, b, d)
        for a in hg.models.ACTIVATIONS
        for loss in hg.models.COSTS
        for b in (False, True)
        for d in ("float32", "float64")
    }
    assert {c.activation for c in GRID if c.model.startswith("mlp-")} == set(hg.models.ACTIVATIONS)
    assert len({label(c) for c in GRID}) == len(GRID)  # every case is told apart


def test_a_filter_may_name_several_values():
    both = hg.check.select(GRID, model="linear,mynet", dtype="float64")
    assert {c.model for c in both} == {"linear", "linear-q3", "mynet"}  # linear: linear-q3 too
    assert {c.dtype for c in both} == {"float64"}
    with pytest.raises(ValueError, match="no case has model 'mynett'"):
        hg.check.select(GRID, model="linear,mynett")


def test_select_offers_the_closest_value_and_refuses_an_empty_one():
    with pytest.raises(ValueError, match=r"no case has model 'mpl'; did you mean 'mlp'\? \("):
        hg.check.select(GRID, model="mpl")
    with pytest.raises(ValueError, match="no case has activation 'tahn'; did you mean 'tanh'"):
        hg.check.select(GRID, activation="tahn")
    with pytest.raises(ValueError, match="no case has dtype 'float46'; did you mean 'float64'"):
        hg.check.select(GRID, dtype="float46")
    for wanted in ("", " ", "relu,", ",relu"):
        with pytest.raises(ValueError, match=f"'': an empty activation in {wanted!r}; give one of"):
            hg.check.select(GRID, activation=wanted)
