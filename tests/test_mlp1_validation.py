"""Bad input to d2l's MLP gets a ValueError that names what was expected and given."""

import jax
import jax.numpy as jnp
import pytest

import handgrad as hg
from helpers import mlp1_problem

FUNCTIONS = [hg.mlp1_objective, hg.mlp1_hand_grads]


@pytest.fixture
def problem():
    return mlp1_problem(
        jax.random.key(0), 3, 4, 2, 5, bias=True, loss="softmax_cross_entropy", dtype=jnp.float64
    )


@pytest.mark.parametrize("f", FUNCTIONS)
def test_unknown_names(f, problem):
    params, X, Y = problem
    with pytest.raises(ValueError, match=r"unknown activation 'gelu'; expected one of \["):
        f(params, X, Y, lam=0.0, activation="gelu")
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; expected one of \["):
        f(params, X, Y, lam=0.0, loss="hinge")


@pytest.mark.parametrize("f", FUNCTIONS)
@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda p, X, Y: ({**p, "W3": p["W2"]}, X, Y), r"unexpected \['W3'\]"),
        (lambda p, X, Y: ({"W1": p["W1"]}, X, Y), r"missing \['W2'\]"),
        (
            lambda p, X, Y: ({**p, "W1": p["W1"][0]}, X, Y),
            r"W1 must have shape \(h, d\), got shape \(3,\)",
        ),
        (
            lambda p, X, Y: ({**p, "W2": p["W2"][:, :3]}, X, Y),
            r"W2.shape\[1\] has size 3 but W1 of shape \(4, 3\) needs 4",
        ),
        (
            lambda p, X, Y: ({**p, "b1": p["b1"][:2]}, X, Y),
            r"b1 has size 2 but W1 of shape \(4, 3\) needs 4",
        ),
        (
            lambda p, X, Y: (p, X[:, :2], Y),
            r"X.shape\[1\] has size 2 but W1 of shape \(4, 3\) needs 3",
        ),
        (lambda p, X, Y: (p, X[0], Y), r"X must have shape \(P, d\), got shape \(3,\)"),
        (lambda p, X, Y: (p, X, Y[:3]), r"Y.shape\[0\] has size 3 but X.shape\[0\]"),
        (lambda p, X, Y: (p, X, Y.astype(jnp.float64)), r"integer class labels.*float64"),
        (lambda p, X, Y: (p, X, Y.at[0].set(2)), r"Y must lie in 0..1 .*got labels in 0..2"),
        (lambda p, X, Y: (p, X, Y.at[0].set(-1)), r"got labels in -1"),
        (
            lambda p, X, Y: (p, X.astype(jnp.float32), Y),
            r"X has dtype float32 but the parameters have dtype float64",
        ),
        (lambda p, X, Y: (p, X[:0], Y[:0]), r"at least one sample"),
    ],
)
def test_bad_inputs(f, problem, edit, message):
    params, X, Y = edit(*problem)
    with pytest.raises(ValueError, match=message):
        f(params, X, Y, lam=0.1)


@pytest.mark.parametrize("f", FUNCTIONS)
def test_squared_error_targets_must_match_outputs(f, problem):
    params, X, _ = problem
    with pytest.raises(ValueError, match=r"Y must have shape \(P, q\)"):
        f(params, X, jnp.zeros((5,)), lam=0.0, loss="squared_error")
    with pytest.raises(
        ValueError, match=r"Y.shape\[1\] has size 3 but a model with 2 outputs needs 2"
    ):
        f(params, X, jnp.zeros((5, 3)), lam=0.0, loss="squared_error")


@pytest.mark.parametrize("f", FUNCTIONS)
@pytest.mark.parametrize("lam", [-0.1, float("nan"), [0.1, 0.2]])
def test_bad_lambda(f, problem, lam):
    with pytest.raises(ValueError, match="lam must be"):
        f(*problem, lam=lam)


def test_params_must_be_a_dict(problem):
    _, X, Y = problem
    with pytest.raises(ValueError, match="params must be a dict, got list"):
        hg.mlp1_hand_grads([jnp.ones((4, 3))], X, Y, lam=0.0)


def test_init_rejects_bad_widths():
    with pytest.raises(ValueError, match="h must be a positive integer, got 0"):
        hg.mlp1_init(jax.random.key(0), 3, 0, 2)


def test_shape_checks_also_hold_under_jit(problem):
    params, X, Y = problem
    f = jax.jit(hg.mlp1_hand_grads, static_argnames=("activation", "loss"))
    with pytest.raises(ValueError, match=r"X.shape\[1\] has size 2"):
        f(params, X[:, :2], Y, lam=0.1)
