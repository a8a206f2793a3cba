"""The update rules, samplers and the compiled loop (full-batch GD, SGD, minibatch SGD)."""

import operator
from functools import partial, reduce

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import handgrad as hg
from helpers import mlp1_problem, randn, rel_err

LAM = 1e-3


@pytest.fixture(scope="module")
def least_squares():
    X = randn(0, (40, 3))
    return X, X @ jnp.array([1.0, -2.0, 0.5]) + 0.1 * randn(1, (40,))


@pytest.fixture(scope="module")
def mlp_data():
    return mlp1_problem(
        jax.random.key(3), 4, 6, 3, 23, bias=True, loss="softmax_cross_entropy", dtype=jnp.float64
    )


hand_vg = partial(hg.mlp1_hand_value_and_grad, lam=LAM, activation="tanh")
auto_vg = jax.value_and_grad(partial(hg.mlp1_objective, lam=LAM, activation="tanh"))


def test_hand_value_and_grad_equals_the_objective_and_its_gradient(mlp_data):
    params, X, Y = mlp_data
    J, g = hand_vg(params, X, Y)
    J_ref, g_ref = auto_vg(params, X, Y)
    assert abs(float(J - J_ref)) <= 1e-14 * abs(float(J_ref))
    for k in params:
        assert rel_err(g[k], g_ref[k]) <= 1e-12


@pytest.mark.parametrize(
    "sampler",
    [hg.full_batch(), hg.per_sample(), hg.minibatch(5), hg.minibatch(23)],
    ids=lambda s: s.name,
)
def test_hand_and_autodiff_trajectories_agree_step_by_step(mlp_data, sampler):
    params, X, Y = mlp_data
    runs = [
        hg.run(
            vg,
            params,
            X,
            Y,
            rule=hg.gd(0.3),
            sampler=sampler,
            steps=40,
            key=jax.random.key(5),
            record_params=True,
        )
        for vg in (hand_vg, auto_vg)
    ]
    (w_hand, t_hand), (w_auto, t_auto) = runs
    assert rel_err(t_hand.losses, t_auto.losses) <= 1e-10
    for k in params:
        for step in range(40):
            assert rel_err(t_hand.params[k][step], t_auto.params[k][step]) <= 1e-10
        assert rel_err(w_hand[k], w_auto[k]) <= 1e-10
    J = partial(hg.mlp1_objective, lam=LAM, activation="tanh")
    assert float(J(w_hand, X, Y)) < float(J(params, X, Y))  # and it learns


def test_deep_mlp_trains_on_hand_gradients_like_on_jax_grad():
    params = hg.mlp_init(jax.random.key(0), [5, 8, 8, 3], dtype=jnp.float64)
    X, Y = randn(3, (30, 5)), jnp.asarray(np.arange(30) % 3, jnp.int32)
    J = partial(hg.mlp_objective, activation="tanh", lam=LAM)
    hand = partial(hg.mlp_hand_value_and_grad, activation="tanh", lam=LAM)
    J0, _g0 = hand(params, X, Y)
    assert abs(float(J0 - J(params, X, Y))) <= 1e-14 * abs(float(J0))
    runs = [hg.run_sgd(vg, params, X, Y, lr=0.2, steps=50, key=jax.random.key(1), batch_size=7)
            for vg in (hand, jax.value_and_grad(J))]  # fmt: skip
    assert rel_err(runs[0][1], runs[1][1]) <= 1e-10
    for a, b in zip(jax.tree_util.tree_leaves(runs[0][0]), jax.tree_util.tree_leaves(runs[1][0])):
        assert rel_err(a, b) <= 1e-10


def test_sgd_is_the_lectures_rule_pick_p_and_step(least_squares):
    """run_sgd(batch_size=1) equals a Python loop of w ← w − η ∂L(x[p], y[p], w)/∂w."""
    X, Y = least_squares
    vg = jax.value_and_grad(hg.linear_objective)
    key, lr, steps = jax.random.key(7), 0.05, 30
    w_run, losses = hg.run_sgd(vg, jnp.zeros(3), X, Y, lr=lr, steps=steps, key=key)
    sampler = hg.per_sample()
    state = hg.optim.init_run(jnp.zeros(3), hg.gd(lr), sampler, key).sampler
    (_, (picks,)), _ = sampler.schedule(state, X.shape[0], steps)
    w = jnp.zeros(3)
    L = hg.per_sample_loss(hg.linear, hg.squared_error)
    for step in range(steps):
        p = int(picks[step, 0])
        assert abs(float(losses[step] - L(X[p], Y[p], w))) <= 1e-12 * max(1.0, float(losses[step]))
        w = w - lr * jax.grad(L, argnums=2)(X[p], Y[p], w)
    assert rel_err(w_run, w) <= 1e-12


def test_full_batch_gd_losses_are_the_average_loss_before_each_step(least_squares):
    X, Y = least_squares
    w, losses = hg.run_gd(
        jax.value_and_grad(hg.linear_objective), jnp.zeros(3), X, Y, lr=0.1, steps=50
    )
    assert losses.shape == (50,) and float(losses[0]) == pytest.approx(
        float(jnp.mean(Y**2)), rel=1e-12
    )
    assert bool(jnp.all(jnp.diff(losses) < 0))  # small enough η: GD descends every step
    assert float(hg.linear_objective(w, X, Y)) < float(losses[-1])


def test_minibatches_cover_every_sample_once_per_epoch_with_a_short_last_batch():
    P, B = 10, 4
    sampler = hg.minibatch(B)
    (which, (full, last)), state = sampler.schedule(sampler.init(jax.random.key(0)), P, 9)
    assert full.shape == (9, 4) and last.shape == (9, 2) and int(state.count) == 9
    batches = [np.asarray(last[t] if which[t] else full[t]).tolist() for t in range(9)]
    assert [len(b) for b in batches] == [4, 4, 2] * 3  # ceil(10 / 4) batches an epoch
    epochs = [reduce(operator.iadd, batches[3 * e : 3 * e + 3], []) for e in range(3)]
    assert all(sorted(epoch) == list(range(P)) for epoch in epochs)
    assert epochs[0] != epochs[1] != epochs[2]  # reshuffled each epoch


@pytest.mark.parametrize(
    "sampler", [hg.per_sample(), hg.minibatch(4), hg.minibatch(5)], ids=lambda s: s.name
)
def test_drawing_in_chunks_draws_exactly_what_one_go_draws(sampler):
    state = sampler.init(jax.random.key(3))
    (w_all, idx_all), _ = sampler.schedule(state, 10, 12)
    (w1, idx1), mid = sampler.schedule(state, 10, 5)
    (w2, idx2), _ = sampler.schedule(mid, 10, 7)
    assert np.array_equal(np.concatenate([w1, w2]), np.asarray(w_all))
    for a, b, c in zip(idx_all, idx1, idx2):
        assert np.array_equal(np.concatenate([b, c]), np.asarray(a))


def test_per_sample_picks_every_index_uniformly():
    sampler, P = hg.per_sample(), 5
    (_, (picks,)), _ = sampler.schedule(sampler.init(jax.random.key(1)), P, 1000)
    counts = np.bincount(np.asarray(picks[:, 0]), minlength=P)
    assert counts.min() > 150 and counts.max() < 250


def test_chunked_run_equals_one_run(mlp_data):
    params, X, Y = mlp_data
    rule, sampler = hg.gd(0.2), hg.minibatch(5)
    state = hg.optim.init_run(params, rule, sampler, jax.random.key(4))
    whole, t_whole = hg.optim.run_steps(hand_vg, rule, sampler, state, X, Y, steps=20)
    half, t1 = hg.optim.run_steps(hand_vg, rule, sampler, state, X, Y, steps=8)
    rest, t2 = hg.optim.run_steps(hand_vg, rule, sampler, half, X, Y, steps=12)
    chex.assert_trees_all_equal(jnp.concatenate([t1.losses, t2.losses]), t_whole.losses)
    chex.assert_trees_all_equal(rest, whole)  # the whole state, bit for bit


def test_runs_are_reproducible_bit_for_bit_and_depend_on_the_key(mlp_data):
    params, X, Y = mlp_data
    go = lambda key: hg.run_sgd(hand_vg, params, X, Y, lr=0.2, steps=30, key=key, batch_size=4)
    (w1, l1), (w2, l2), (_w3, l3) = (
        go(jax.random.key(1)),
        go(jax.random.key(1)),
        go(jax.random.key(2)),
    )
    chex.assert_trees_all_equal((w1, l1), (w2, l2))
    assert not np.array_equal(np.asarray(l1), np.asarray(l3))


def test_a_whole_run_is_one_compiled_scan(least_squares):
    X, Y = least_squares

    @chex.assert_max_traces(n=2)  # once to check the inputs' shapes, once into the compiled scan
    def vg(w, X, Y):
        return jax.value_and_grad(hg.linear_objective)(w, X, Y)

    hg.run_gd(vg, jnp.zeros(3), X, Y, lr=0.1, steps=20)
    hg.run_gd(vg, jnp.ones(3), X, Y, lr=0.2, steps=20)  # never per step, never per call
    jaxpr = jax.make_jaxpr(lambda w: hg.run_gd(vg, w, X, Y, lr=0.1, steps=20))(jnp.zeros(3))
    assert "scan" in str(jaxpr)


def test_a_learning_rate_sweep_is_one_vmapped_call(least_squares):
    X, Y = least_squares
    vg = jax.value_and_grad(hg.linear_objective)
    lrs = jnp.array([0.01, 0.05, 0.2])
    ws, losses = jax.vmap(lambda lr: hg.run_gd(vg, jnp.zeros(3), X, Y, lr=lr, steps=25))(lrs)
    assert ws.shape == (3, 3) and losses.shape == (3, 25)
    for i, lr in enumerate(lrs):
        w, l = hg.run_gd(vg, jnp.zeros(3), X, Y, lr=float(lr), steps=25)
        assert rel_err(ws[i], w) <= 1e-12 and rel_err(losses[i], l) <= 1e-12
    assert float(losses[2, -1]) < float(losses[1, -1]) < float(losses[0, -1])


def test_a_seed_sweep_is_one_vmapped_call(least_squares):
    X, Y = least_squares
    vg = jax.value_and_grad(hg.linear_objective)
    keys = jax.random.split(jax.random.key(0), 4)
    go = lambda key: hg.run_sgd(vg, jnp.zeros(3), X, Y, lr=0.05, steps=30, key=key, batch_size=8)
    ws, losses = jax.vmap(go)(keys)
    assert losses.shape == (4, 30)
    for i in range(4):
        w, l = go(keys[i])
        assert rel_err(ws[i], w) <= 1e-12 and rel_err(losses[i], l) <= 1e-12
    assert len({tuple(np.asarray(l).round(12)) for l in losses}) == 4  # four different runs


def test_newton_preconditioner_solves_least_squares_in_one_step(least_squares):
    X, Y = least_squares
    hessian = 2 / X.shape[0] * X.T @ X
    w, _trajectory = hg.run(
        jax.value_and_grad(hg.linear_objective), jnp.zeros(3), X, Y,
        rule=hg.preconditioned_gd(jnp.linalg.inv(hessian)), sampler=hg.full_batch(), steps=1,
    )  # fmt: skip
    w_star = jnp.linalg.lstsq(X, Y)[0]
    assert rel_err(w, w_star) <= 1e-12


@pytest.mark.parametrize(
    "eta, message",
    [
        (np.ones((2, 3)), "eta must be a square matrix"),
        (np.array([[1.0, 0.5], [0.0, 1.0]]), "eta must be symmetric"),
        (np.array([[1.0, 0.0], [0.0, -0.1]]), "smallest eigenvalue is -1.000e-01"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), "eta must be finite"),
    ],
)
def test_preconditioner_must_be_symmetric_psd(eta, message):
    with pytest.raises(ValueError, match=message):
        hg.preconditioned_gd(eta)


def test_preconditioner_size_must_match_the_parameters():
    with pytest.raises(ValueError, match="eta is 2 × 2 but the parameters have 3 entries"):
        hg.preconditioned_gd(np.eye(2)).init(jnp.zeros(3))
    hg.preconditioned_gd(np.diag([1.0, 0.0])).init(jnp.zeros(2))  # semi-definite is fine


def test_any_optax_transformation_drives_the_same_loop(mlp_data):
    params, X, Y = mlp_data
    ours = hg.run(hand_vg, params, X, Y, rule=hg.gd(0.1), sampler=hg.full_batch(), steps=10)
    theirs = hg.run(hand_vg, params, X, Y, rule=optax.sgd(0.1), sampler=hg.full_batch(), steps=10)
    assert rel_err(ours[1].losses, theirs[1].losses) <= 1e-14
    with jax.numpy_dtype_promotion("standard"):  # optax mixes Python floats and int32 counts
        _, adam = hg.run(
            hand_vg,
            params,
            X,
            Y,
            rule=optax.adam(0.05),
            sampler=hg.minibatch(8),
            steps=60,
            key=jax.random.key(0),
        )
    assert float(adam.losses[-10:].mean()) < 0.7 * float(adam.losses[:10].mean())


def test_recorded_path_starts_at_the_initial_parameters(least_squares):
    X, Y = least_squares
    w0 = jnp.array([3.0, 3.0, 3.0])
    _, trajectory = hg.run(
        jax.value_and_grad(hg.linear_objective),
        w0,
        X,
        Y,
        rule=hg.gd(0.1),
        sampler=hg.per_sample(),
        steps=15,
        record_params=True,
    )
    assert trajectory.params.shape == (15, 3) and np.array_equal(
        np.asarray(trajectory.params[0]), np.asarray(w0)
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda vg, X, Y: hg.run(
                vg, jnp.zeros(3), X, Y, rule=hg.gd(0.1), sampler=hg.full_batch(), steps=0
            ),
            "steps must be a positive integer",
        ),
        (
            lambda vg, X, Y: hg.run_gd(vg, jnp.zeros(3), X, Y, lr=0.1, steps=0),
            "steps must be a positive integer",
        ),
        (lambda vg, X, Y: hg.gd(-0.1), "learning rate must be a finite number > 0"),
        (
            lambda vg, X, Y: hg.run_sgd(
                vg, jnp.zeros(3), X, Y, lr=0.0, steps=5, key=jax.random.key(0)
            ),
            "learning rate must be",
        ),
        (
            lambda vg, X, Y: hg.run_sgd(
                vg, jnp.zeros(3), X, Y, lr=0.1, steps=5, key=jax.random.key(0), batch_size=-2
            ),
            "batch_size must be",
        ),
        (lambda vg, X, Y: hg.gd(float("nan")), "learning rate must be a finite number > 0"),
        (lambda vg, X, Y: hg.minibatch(0), "batch_size must be a positive integer"),
    ],
)
def test_bad_arguments_are_named(least_squares, call, message):
    with pytest.raises(ValueError, match=message):
        call(jax.value_and_grad(hg.linear_objective), *least_squares)


def test_a_source_that_does_not_return_j_and_grads_is_named(least_squares):
    X, Y = least_squares
    grad_only = jax.grad(hg.linear_objective)  # the gradient alone, not (J, grads)
    with pytest.raises(ValueError, match=r"must return \(J, grads\).*pass handgrad.autodiff\(J\)"):
        hg.run_gd(grad_only, jnp.zeros(3), X, Y, lr=0.1, steps=2)
    transposed = lambda W, X, Y: (0.0, W.T)
    with pytest.raises(ValueError, match=r"grads shaped like the parameters \(3, 1\)"):
        hg.run_gd(transposed, jnp.zeros((3, 1)), X, Y[:, None], lr=0.1, steps=2)
