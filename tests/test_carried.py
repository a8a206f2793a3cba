"""The penalty carried through the update (``handgrad.optim.carried``): the same steps and
the same J as the loop with the hand gradient, s never recomputed but every ``anchor`` steps."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import handgrad as hg
from handgrad.models.losses import l2_penalty
from handgrad.optim import mlp1_carried_step, run_mlp1_carried
from helpers import compilations, mlp1_problem, rel_err

s_of = lambda p, lam: l2_penalty([p["W1"], p["W2"]], lam)


# (P, d, h, q): one sample; the Gram form for both layers (P²(a + b) < ab); ‖g‖² from g itself
SHAPES = [(1, 5, 7, 3), (2, 16, 16, 16), (40, 5, 7, 3)]


@pytest.mark.parametrize("P, d, h, q", SHAPES, ids=["sample", "gram", "from-g"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize(
    "activation, loss", [("relu", "softmax_cross_entropy"), ("tanh", "squared_error")]
)
def test_one_step_is_the_gd_step_and_its_delta_s_is_exact(P, d, h, q, bias, activation, loss):
    params, X, Y = mlp1_problem(P, d, h, q, P, bias=bias, loss=loss, dtype=jnp.float64)
    lr, lam = 0.3, 0.05
    kw = dict(activation=activation, loss=loss)
    s = s_of(params, lam)
    new, ds, J = mlp1_carried_step(params, s, X, Y, lr=lr, lam=lam, **kw)
    grads = hg.mlp1_hand_grads(params, X, Y, lam=lam, **kw)
    for k in params:
        assert rel_err(new[k], params[k] - lr * grads[k]) <= 1e-12
    assert rel_err(s + ds, s_of(new, lam)) <= 1e-12
    assert rel_err(J, hg.mlp1_objective(params, X, Y, lam=lam, **kw)) <= 1e-12


@pytest.mark.parametrize("sampler", [hg.full_batch(), hg.per_sample(), hg.minibatch(4)],
                         ids=lambda s: s.name)  # fmt: skip
def test_a_run_is_the_loops_run_with_the_hand_gradient(sampler):
    params, X, Y = mlp1_problem(2, 6, 9, 4, 23, bias=True, loss="softmax_cross_entropy",
                                dtype=jnp.float64)  # fmt: skip
    key = jax.random.key(5)
    w, J = run_mlp1_carried(params, X, Y, lr=0.2, lam=0.01, steps=60, sampler=sampler, key=key,
                            anchor=7)  # fmt: skip
    w_ref, trajectory = hg.run(partial(hg.mlp1_hand_value_and_grad, lam=0.01), params, X, Y,
                               rule=hg.gd(0.2), sampler=sampler, steps=60, key=key)  # fmt: skip
    assert J.shape == (60,) and rel_err(J, trajectory.losses) <= 1e-12
    assert all(rel_err(w[k], w_ref[k]) <= 1e-12 for k in params)


@pytest.mark.parametrize("sampler", [hg.per_sample(), hg.minibatch(32)], ids=lambda s: s.name)
@pytest.mark.parametrize("bias", [False, True])
def test_the_carried_s_is_the_direct_s_to_float32_rounding_over_a_long_run(sampler, bias):
    params, X, Y = mlp1_problem(0, 64, 256, 10, 500, bias=bias, loss="softmax_cross_entropy",
                                dtype=jnp.float32)  # fmt: skip
    go = partial(run_mlp1_carried, params, X, Y, lr=0.01, lam=1e-3, steps=20_000,
                 sampler=sampler, key=jax.random.key(1), penalties=True)  # fmt: skip
    w_direct, J_direct, s_direct = go(anchor=1)  # s computed directly before every step
    w, J, s = go()  # carried, computed directly every 100 steps
    # the update never reads s: both runs take the same float steps, so s_direct is the
    # penalty of the very parameters the carried s describes
    assert all(np.array_equal(w[k], w_direct[k]) for k in w)
    J, J_direct = np.asarray(J, np.float64), np.asarray(J_direct, np.float64)
    s, s_direct = np.asarray(s, np.float64), np.asarray(s_direct, np.float64)
    assert np.all(np.isfinite(J_direct)) and J_direct[-1] < J_direct[0] / 2
    assert np.max(np.abs(s - s_direct) / s_direct) <= 1e-6  # ~8 float32 ulps of s, 20,000 steps
    assert np.max(np.abs(J - J_direct) / J_direct) <= 1e-6  # and so of the J a reader sees


def test_a_new_learning_rate_or_lambda_compiles_nothing():
    params, X, Y = mlp1_problem(3, 4, 5, 3, 11, bias=False, loss="softmax_cross_entropy",
                                dtype=jnp.float64)  # fmt: skip
    go = lambda lr, lam: run_mlp1_carried(params, X, Y, lr=lr, lam=lam, steps=13,
                                          sampler=hg.minibatch(3))  # fmt: skip
    go(0.1, 0.01)
    with compilations() as c:
        (_, a), (_, b) = go(0.2, 0.01), go(0.1, 0.5)
    assert c.count == 0 and not np.array_equal(a, b)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(anchor=0), "anchor must be a positive integer"),
        (dict(lam=-1.0), "lam must be a finite number >= 0"),
        (dict(lr=-0.1), "learning rate"),
        (dict(steps=0), "steps"),
        (dict(sampler="full"), "sampler must be a Sampler"),
        (dict(key=3), "key"),
    ],
)
def test_bad_arguments_are_named(change, message):
    params, X, Y = mlp1_problem(3, 4, 5, 3, 11, bias=False, loss="softmax_cross_entropy",
                                dtype=jnp.float64)  # fmt: skip
    kw = dict(lr=0.1, lam=0.01, steps=3, sampler=hg.per_sample()) | change
    with pytest.raises(ValueError, match=message):
        run_mlp1_carried(params, X, Y, **kw)


def test_inputs_are_checked_by_the_model():
    params, X, Y = mlp1_problem(3, 4, 5, 3, 11, bias=False, loss="softmax_cross_entropy",
                                dtype=jnp.float64)  # fmt: skip
    with pytest.raises(ValueError, match="label"):
        run_mlp1_carried(params, X, Y.at[0].set(7), lr=0.1, lam=0.0, steps=3,
                         sampler=hg.per_sample())  # fmt: skip
