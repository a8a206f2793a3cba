from functools import partial

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

import handgrad as hg
from helpers import randn, rel_err

KW = dict(lam=0.1, activation="tanh", loss="softmax_cross_entropy")


@pytest.fixture(scope="module")
def problem():
    params = {"W1": randn(1, (4, 5)), "W2": randn(2, (3, 4)), "b1": randn(3, (4,))}
    X, Y = randn(4, (7, 5)), jnp.arange(7) % 3
    v = {"W1": randn(5, (4, 5)), "W2": randn(6, (3, 4)), "b1": randn(7, (4,))}
    return params, X, Y, v


def flat(tree):
    return jax.flatten_util.ravel_pytree(tree)[0]


def test_the_linear_models_hessian_is_2_over_p_xtx_by_hand():
    X, Y, w = randn(0, (9, 4)), randn(1, (9,)), randn(2, (4,))
    H = hg.exercises.hessian(hg.linear_objective, w, X, Y)
    assert H.shape == (4, 4)
    assert rel_err(H, hg.exercises.linear_hessian(X)) < 1e-12
    np.testing.assert_allclose(H, H.T, atol=1e-14)


def test_one_newton_step_lands_on_the_least_squares_solution_like_preconditioned_gd():
    X, Y, w0 = randn(0, (20, 3)), randn(1, (20,)), randn(2, (3,))
    w_star = jnp.linalg.lstsq(X, Y)[0]
    w1 = hg.exercises.newton_step(w0, X, Y)
    assert rel_err(w1, w_star) < 1e-12
    eta = jnp.linalg.inv(hg.exercises.linear_hessian(X))
    w_pgd, _ = hg.run(
        jax.value_and_grad(hg.linear_objective),
        w0,
        X,
        Y,
        rule=hg.preconditioned_gd(eta),
        sampler=hg.full_batch(),
        steps=1,
    )
    assert rel_err(w_pgd, w1) < 1e-12
    assert float(jnp.linalg.norm(hg.linear_hand_grad(w1, X, Y))) < 1e-12  # ∇L(w1) = 0


def test_hvp_equals_the_full_hessian_times_v(problem):
    params, X, Y, v = problem
    J = partial(hg.mlp1_objective, **KW)
    Hv = jax.jit(lambda p, v: hg.exercises.hvp(jax.grad(J), p, v, X, Y))(params, v)
    H = jax.jit(lambda p: hg.exercises.hessian(J, p, X, Y))(params)
    assert H.shape == (flat(params).size,) * 2
    assert rel_err(flat(Hv), H @ flat(v)) < 1e-12


def test_hvp_through_the_hand_backward_equals_autodiffs(problem):
    # forward mode over the hand-written backward pass: its derivative is the true Hessian too
    params, X, Y, v = problem
    hand = hg.exercises.hvp(hg.mlp1_hand_grads, params, v, X, Y, **KW)
    auto = hg.exercises.hvp(jax.grad(hg.mlp1_objective), params, v, X, Y, **KW)
    for k in params:
        assert rel_err(hand[k], auto[k]) < 1e-12, k


def test_finite_differences_of_the_gradient_witness_the_hvp(problem):
    params, X, Y, v = problem
    Hv = hg.exercises.hvp(hg.mlp1_hand_grads, params, v, X, Y, **KW)
    fd = hg.exercises.hvp_fd(hg.mlp1_hand_grads, params, v, X, Y, eps=1e-5, **KW)
    for k in params:
        assert rel_err(Hv[k], fd[k]) < 1e-7, k
    wrong = hg.exercises.hvp_fd(
        hg.mlp1_hand_grads, params, jax.tree_util.tree_map(lambda a: 2 * a, v), X, Y, **KW
    )
    assert rel_err(Hv["W1"], wrong["W1"]) > 0.3  # the witness can tell


def test_each_derivative_multiplies_the_graph(problem):
    params, X, Y, v = problem
    J = partial(hg.mlp1_objective, **KW)
    n_J = hg.exercises.primitive_count(J, params, X, Y)
    n_grad = hg.exercises.primitive_count(jax.grad(J), params, X, Y)
    n_hvp = hg.exercises.primitive_count(
        lambda p, X, Y: hg.exercises.hvp(jax.grad(J), p, v, X, Y), params, X, Y
    )
    assert n_J < n_grad < n_hvp
    assert n_grad >= 2 * n_J - 10 and n_hvp >= 2 * n_grad - 10  # roughly doubling each time
    inner = lambda w: jax.jit(jnp.sin)(w)  # a nested jaxpr counts by its contents
    assert hg.exercises.primitive_count(inner, jnp.ones(2)) == 1


def test_a_direction_not_shaped_like_params_is_named(problem):
    params, X, Y, _ = problem
    with pytest.raises(ValueError, match="v must be shaped like params"):
        hg.exercises.hvp(
            jax.grad(hg.mlp1_objective),
            params,
            {"W1": jnp.ones((5, 4)), "W2": jnp.ones((3, 4)), "b1": jnp.ones(4)},
            X,
            Y,
            **KW,
        )
    with pytest.raises(ValueError, match="eps must be > 0"):
        hg.exercises.hvp_fd(jax.grad(hg.mlp1_objective), params, params, X, Y, eps=0.0, **KW)
