"""The soft-min surrogate of the nearest-neighbour model: hand gradient against three oracles,
and gradient descent on it lowering the hard rule's 0-1 error where the hard loss gives none."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from jax.tree_util import Partial

import handgrad as hg
from handgrad.models import (
    nearest_neighbour_error,
    soft_nearest_neighbour,
    soft_nearest_neighbour_loss,
    soft_nearest_neighbour_objective,
    soft_nearest_neighbour_value_and_grad,
)
from helpers import randn, rel_err

CASES = {  # (prototypes K, classes, labels of the prototypes)
    "one per class": (3, 3, None),
    "several per class": (5, 2, jnp.array([0, 1, 0, 1, 1])),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("temperature", [1.0, 0.3])
def test_hand_gradient_matches_jax_grad_vjp_forward_mode_and_finite_differences(case, temperature):
    K, classes, labels = CASES[case]
    X, W = randn(0, (9, 3)), randn(1, (K, 3))
    Y = jnp.asarray(np.random.default_rng(2).integers(0, classes, 9))
    J_hand, g_hand = soft_nearest_neighbour_value_and_grad(W, X, Y, labels, temperature)
    J = lambda W: soft_nearest_neighbour_objective(W, X, Y, labels, temperature)
    J_auto, g_auto = jax.value_and_grad(J)(W)
    assert abs(float(J_hand - J_auto)) <= 1e-12 * abs(float(J_auto))
    assert rel_err(g_hand, g_auto) <= 1e-12
    _, pullback = jax.vjp(J, W)
    assert rel_err(g_hand, pullback(jnp.ones(()))[0]) <= 1e-12
    g_fwd = jax.jacfwd(J)(W)
    assert rel_err(g_hand, g_fwd) <= 1e-12
    check_grads(J, (W,), order=2, modes=("fwd", "rev"), eps=1e-4)


def test_the_soft_min_is_a_distribution_that_hardens_into_the_arg_min():
    x, W = randn(3, (2,)), randn(4, (4, 2))
    p = soft_nearest_neighbour(x, W)
    assert abs(float(p.sum()) - 1.0) < 1e-14
    cold = soft_nearest_neighbour(x, W, temperature=1e-3)
    assert int(jnp.argmax(cold)) == int(hg.models.nearest_neighbour(x, W))
    assert float(cold.max()) > 1 - 1e-9


def test_the_loss_is_the_log_of_the_right_class_probability():
    x, W, labels = randn(5, (2,)), randn(6, (3, 2)), jnp.array([0, 1, 1])
    p = soft_nearest_neighbour(x, W, 0.5)
    assert float(soft_nearest_neighbour_loss(x, 1, W, labels, 0.5)) == pytest.approx(
        -float(jnp.log(p[1] + p[2])), rel=1e-13
    )


def test_gradient_descent_on_the_surrogate_lowers_the_hard_error_the_hard_loss_cannot():
    rng = np.random.default_rng(7)
    X = jnp.asarray(np.vstack([rng.normal(-1, 0.5, (30, 2)), rng.normal(1, 0.5, (30, 2))]))
    Y = jnp.asarray(np.repeat([0, 1], 30))
    W0 = jnp.array([[1.0, 1.2], [1.0, 0.8]])  # both prototypes in class 1's cloud
    before = float(nearest_neighbour_error(W0, X, Y))
    hard = jax.grad(hg.models.nearest_neighbour_objective)(W0, X, Y)
    assert float(jnp.abs(hard).max()) == 0.0
    source = Partial(soft_nearest_neighbour_value_and_grad, labels=None, temperature=1.0)
    W, losses = hg.run_gd(source, W0, X, Y, lr=0.2, steps=200)
    assert float(losses[-1]) < float(losses[0])
    assert before > 0.3 and float(nearest_neighbour_error(W, X, Y)) < 0.1


def test_error_uses_the_prototypes_labels():
    W, X = jnp.array([[0.0, 0.0], [5.0, 0.0]]), jnp.array([[0.1, 0.0], [4.0, 0.0]])
    assert float(nearest_neighbour_error(W, X, jnp.array([0, 1]))) == 0.0
    assert float(nearest_neighbour_error(W, X, jnp.array([0, 1]), jnp.array([1, 0]))) == 1.0


@pytest.mark.parametrize(
    "change, message",
    [
        ({"temperature": 0.0}, "temperature must be a finite number > 0"),
        ({"temperature": float("nan")}, "temperature must be a finite number > 0"),
        ({"X": jnp.ones((5, 4))}, "X's axis 1 has size 4"),
        ({"X": jnp.ones(3)}, "X must have shape (P, d)"),
        ({"Y": jnp.array([0, 1, 0])}, "X and Y must hold the same number of samples"),
        ({"Y": jnp.array([0.0, 1, 0, 1, 1])}, "Y must hold integer classes"),
        ({"Y": jnp.array([0, 1, 0, 1, 7])}, "Y has classes [7] that no prototype holds"),
        ({"labels": jnp.array([0, 1, 1])}, "labels has size 3"),
        ({"W": jnp.zeros((2, 3), jnp.int32)}, "W must be a floating-point array"),
    ],
)
@pytest.mark.parametrize(
    "f",
    [hg.models.soft_nearest_neighbour_objective, hg.models.soft_nearest_neighbour_value_and_grad],
)
def test_bad_input_is_named(f, change, message):
    args = {"W": jnp.zeros((2, 3)), "X": jnp.ones((5, 3)), "Y": jnp.array([0, 1, 0, 1, 1])}
    args |= change
    with pytest.raises(ValueError) as raised:
        f(args.pop("W"), args.pop("X"), args.pop("Y"), **args)
    assert message in str(raised.value)
