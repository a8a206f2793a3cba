"""The library checks what it is given: every bad argument to the training loop and the
gradient checker is a ``ValueError`` that says what was expected and what was given, raised
before anything compiles; counts are Python or NumPy integers alike."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import handgrad as hg
from handgrad.optim.by_value import split
from helpers import compilations, mlp1_problem, randn, rel_err

# made here, at import: making a key compiles, which a test counting compilations must not see
KEY = jax.random.key(0)
KEYS = jax.random.split(KEY)

Q = 3  # classes


@pytest.fixture(scope="module")
def problem():
    # tiny shapes no other test uses, so that compile counts here are our own
    return mlp1_problem(5, 2, 3, Q, 6, bias=True, loss="softmax_cross_entropy", dtype=jnp.float64)


def _layers(params):
    return [{"W": params["W1"], "b": params["b1"]}, {"W": params["W2"]}]


_mlp1 = partial(hg.mlp1_objective, lam=1e-3)
_mlp = partial(hg.mlp_objective, lam=1e-3)

# (name, gradient source, takes_key, params from d2l's dict): every kind the loop is given
SOURCES = {
    "mlp1_hand": (partial(hg.mlp1_hand_value_and_grad, lam=1e-3), False, dict),
    "mlp_hand": (partial(hg.mlp_hand_value_and_grad, lam=1e-3), False, _layers),
    "autodiff_mlp1": (hg.autodiff(_mlp1), False, dict),
    "autodiff_mlp": (hg.autodiff(_mlp), False, _layers),
    "value_and_grad": (jax.value_and_grad(_mlp1), False, dict),
    "finite_difference": (hg.finite_difference(_mlp1).value_and_grad, False, dict),
    "random_directions": (hg.random_directions(_mlp1, num_directions=2).value_and_grad, True, dict),
}


def _entries(source, takes_key, params, X, Y, steps=2):
    """Every public way into the loop, as thunks."""
    key = jax.random.key(1)
    state = hg.optim.init_run(params, hg.gd(0.1), hg.full_batch(), key)
    kw = dict(steps=steps, takes_key=takes_key)
    return {
        "run": lambda: hg.run(source, params, X, Y, rule=hg.gd(0.1), sampler=hg.per_sample(), **kw),
        "run_steps": lambda: hg.optim.run_steps(
            source, hg.gd(0.1), hg.full_batch(), state, X, Y, **kw
        ),
        **(
            {}
            if takes_key
            else {
                "run_gd": lambda: hg.run_gd(source, params, X, Y, lr=0.1, steps=steps),
                "run_sgd": lambda: hg.run_sgd(
                    source, params, X, Y, lr=0.1, steps=steps, key=key, batch_size=4
                ),
            }
        ),
    }


def _each_entry(name, problem, transform, steps=2):
    source, takes_key, as_params = SOURCES[name]
    params, X, Y = problem
    X, Y = transform(X, Y)
    return _entries(source, takes_key, as_params(params), X, Y, steps).items()


def _refused(thunk, message):
    with compilations() as c, pytest.raises(ValueError, match=message):
        thunk()
    assert c.count == 0, "the check must come before anything compiles"


# rule 1: the training set


@pytest.mark.parametrize("name", list(SOURCES))
@pytest.mark.parametrize(
    "transform, given",
    [
        (lambda X, Y: (X[:-1], Y), r"5 in X \(shape \(5, 2\)\) and 6 in Y \(shape \(6,\)\)"),
        (lambda X, Y: (X, Y[:2]), r"6 in X \(shape \(6, 2\)\) and 2 in Y \(shape \(2,\)\)"),
        (lambda X, Y: (X[:1], Y), r"1 in X \(shape \(1, 2\)\) and 6 in Y \(shape \(6,\)\)"),
    ],
    ids=["X_shorter", "Y_shorter", "one_X"],
)
def test_x_and_y_of_different_lengths_are_refused(problem, name, transform, given):
    for _, thunk in _each_entry(name, problem, transform):
        _refused(thunk, "X and Y must hold the same number of samples along axis 0, got " + given)


@pytest.mark.parametrize("name", ["mlp1_hand", "autodiff_mlp", "random_directions"])
def test_an_empty_training_set_is_refused(problem, name):
    for _, thunk in _each_entry(name, problem, lambda X, Y: (X[:0], Y[:0])):
        _refused(thunk, r"X must hold at least one sample, got shape \(0, 2\)")


@pytest.mark.parametrize("name", ["mlp1_hand", "value_and_grad"])
@pytest.mark.parametrize(
    "transform, message",
    [
        (lambda X, Y: (X[0, 0], Y), r"X must hold one sample per row .*got a scalar of shape \(\)"),
        (lambda X, Y: (X, Y[0]), r"Y must hold one sample per row .*got a scalar of shape \(\)"),
        # 1-D X has a sample axis; the sources, which need (P, d), say so
        (lambda X, Y: (X[:, 0], Y), r"X must have shape \(P, d\), got shape \(6,\)"),
        (lambda X, Y: (X[:, :, None], Y), r"X must have shape \(P, d\), got shape \(6, 2, 1\)"),
    ],
    ids=["scalar_X", "scalar_Y", "1d_X", "3d_X"],
)
def test_x_and_y_of_the_wrong_rank_are_refused(problem, name, transform, message):
    for _, thunk in _each_entry(name, problem, transform):
        _refused(thunk, message)


def test_scan_steps_checks_the_shapes_under_jit(problem):
    params, X, Y = problem
    source, rule, sampler = SOURCES["mlp1_hand"][0], hg.gd(0.1), hg.per_sample()
    state = hg.optim.init_run(params, rule, sampler, jax.random.key(0))
    scan = jax.jit(lambda s, X, Y: hg.optim.scan_steps(source, rule, sampler, s, X, Y, steps=2))
    with pytest.raises(ValueError, match=r"got 6 in X \(shape \(6, 2\)\) and 4 in Y"):
        scan(state, X, Y[:4])
    with pytest.raises(ValueError, match=r"X must hold at least one sample"):
        scan(state, X[:0], Y[:0])


# rule 1: the number of steps


@pytest.mark.parametrize(
    "steps, given",
    [
        (0, "got 0"),
        (-3, "got -3"),
        (np.int64(0), "got 0"),
        (np.int32(-1), "got -1"),
        (2.0, r"got 2.0 \(a float\)"),
        (np.float64(2), r"got np.float64\(2.0\) \(a float64\)"),
        (True, r"got True \(a bool\)"),
        (np.True_, r"got np.True_ \(a bool\)"),
        ("2", r"got '2' \(a str\)"),
        (None, r"got None \(a NoneType\)"),
    ],
    ids=repr,
)
@pytest.mark.parametrize("name", ["mlp1_hand", "random_directions"])
def test_a_bad_number_of_steps_is_refused(problem, name, steps, given):
    for _, thunk in _each_entry(name, problem, lambda X, Y: (X, Y), steps=steps):
        _refused(thunk, "steps must be a positive integer, " + given)


def test_a_traced_number_of_steps_is_refused(problem):
    params, X, Y = problem
    source = SOURCES["mlp1_hand"][0]
    go = lambda n: hg.run_gd(source, params, X, Y, lr=0.1, steps=n)[1]
    with pytest.raises(ValueError, match="steps must be a positive integer known before jit"):
        jax.jit(go)(3)


@pytest.mark.parametrize("kind", [np.int32, np.int64, np.uint8])
def test_numpy_integer_steps_run_as_python_ones_and_compile_once(problem, kind):
    params, X, Y = problem
    source = SOURCES["mlp1_hand"][0]
    w_ref, losses_ref = hg.run_gd(source, params, X, Y, lr=0.1, steps=3)
    with compilations() as c:
        w, losses = hg.run_gd(source, params, X, Y, lr=0.1, steps=kind(3))
    assert c.count == 0 and losses.shape == (3,)
    assert rel_err(losses, losses_ref) == 0 and all(rel_err(w[k], w_ref[k]) == 0 for k in w)
    state = hg.optim.init_run(params, hg.gd(0.1), hg.full_batch(), jax.random.key(0))
    new, trajectory = hg.optim.run_steps(
        source, hg.gd(0.1), hg.full_batch(), state, X, Y, steps=kind(2)
    )
    assert int(new.step) == 2 and trajectory.losses.shape == (2,)


# rule 1: labels outside the classes, checked on concrete labels


@pytest.mark.parametrize("name", list(SOURCES))
@pytest.mark.parametrize(
    "label, given", [(Q, f"0..{Q}"), (-1, "-1..2"), (100, "0..100")], ids=["q", "neg", "far"]
)
def test_labels_outside_the_classes_are_refused(problem, name, label, given):
    def bad_label(X, Y):
        Y = Y.at[1].set(label)
        return X, Y.at[0].set(0 if label < 0 else 2)  # the rest of the range in class

    for _, thunk in _each_entry(name, problem, bad_label):
        _refused(thunk, f"Y must lie in 0..{Q - 1} .*, got labels in {given}")


@pytest.mark.parametrize("name", ["mlp1_hand", "random_directions"])
def test_labels_in_range_train_and_the_check_compiles_nothing(problem, name):
    edge = lambda X, Y: (X, Y.at[0].set(0).at[1].set(Q - 1))
    for entry, thunk in _each_entry(name, problem, edge):
        w, _ = thunk()
        with compilations() as c:
            w_again, _ = thunk()
        assert c.count == 0, entry
        params_of = lambda out: out.params if isinstance(out, hg.optim.RunState) else out
        leaves = jax.tree_util.tree_leaves((params_of(w), params_of(w_again)))
        assert all(np.all(np.isfinite(np.asarray(leaf))) for leaf in leaves), entry


def test_traced_labels_still_train(problem):
    """Under the caller's jit or vmap the labels' values are unknown: the loop runs on them."""
    params, X, Y = problem
    source = SOURCES["mlp1_hand"][0]
    go = lambda Y: hg.run_gd(source, params, X, Y, lr=0.1, steps=2)[1]
    eager = go(Y)
    assert rel_err(jax.jit(go)(Y), eager) <= 1e-12
    both = jax.vmap(go)(jnp.stack([Y, (Y + 1) % Q]))
    assert both.shape == (2, 2) and rel_err(both[0], eager) <= 1e-12
    sgd = lambda Y: hg.run_sgd(
        SOURCES["autodiff_mlp1"][0], params, X, Y, lr=0.1, steps=2, key=jax.random.key(0)
    )[1]
    assert np.all(np.isfinite(np.asarray(jax.jit(sgd)(Y))))


# rule 1: the rule, sampler and key


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda p, X, Y: hg.run(
                SOURCES["mlp1_hand"][0], p, X, Y, rule=0.1, sampler=hg.full_batch(), steps=2
            ),
            r"rule must be an optax.GradientTransformation such as handgrad.gd\(0.1\), got float",
        ),
        (
            lambda p, X, Y: hg.run(
                SOURCES["mlp1_hand"][0], p, X, Y, rule=hg.gd(0.1), sampler=hg.full_batch, steps=2
            ),
            r"sampler must be a Sampler: handgrad.full_batch\(\).*got function",
        ),
        (
            lambda p, X, Y: hg.run(
                hg.random_directions(_mlp1),
                p,
                X,
                Y,
                rule=hg.gd(0.1),
                sampler=hg.full_batch(),
                steps=2,
            ),
            r"got Estimator: pass its .value_and_grad, and takes_key=its .takes_key",
        ),
        (
            lambda p, X, Y: hg.run_sgd(SOURCES["mlp1_hand"][0], p, X, Y, lr=0.1, steps=2, key=0),
            r"key must be one PRNG key such as jax.random.key\(0\), got 0 \(int\)",
        ),
        (
            lambda p, X, Y: hg.run_sgd(
                SOURCES["mlp1_hand"][0],
                p,
                X,
                Y,
                lr=0.1,
                steps=2,
                key=KEYS,
            ),
            r"key must be one PRNG key .*got shape \(2,\), dtype key<fry>",
        ),
        (
            lambda p, X, Y: hg.optim.init_run(p, hg.gd(0.1), hg.full_batch(), 3),
            r"key must be one PRNG key such as jax.random.key\(0\), got 3 \(int\)",
        ),
        (
            lambda p, X, Y: hg.optim.init_run(p, hg.gd, hg.full_batch(), KEY),
            r"rule must be an optax.GradientTransformation .*got function",
        ),
        (
            lambda p, X, Y: hg.optim.run_steps(
                SOURCES["mlp1_hand"][0], hg.gd(0.1), hg.full_batch(), p, X, Y, steps=2
            ),
            r"state must be a RunState \(from init_run\), got dict",
        ),
        (
            lambda p, X, Y: hg.run(
                SOURCES["mlp1_hand"][0],
                p,
                X,
                Y,
                rule=hg.gd(0.1),
                sampler=hg.full_batch(),
                steps=2,
                takes_key="no",
            ),
            r"takes_key must be True or False, got 'no'",
        ),
    ],
)
def test_a_rule_sampler_key_or_state_of_the_wrong_kind_is_named(problem, call, message):
    _refused(lambda: call(*problem), message)


def test_a_raw_or_traced_key_is_a_key(problem):
    params, X, Y = problem
    source = SOURCES["mlp1_hand"][0]
    go = lambda key: hg.run_sgd(source, params, X, Y, lr=0.1, steps=2, key=key)[1]
    assert go(jax.random.PRNGKey(0)).shape == (2,)
    assert jax.vmap(go)(jax.random.split(jax.random.key(0), 2)).shape == (2, 2)


# rule 2: NumPy integers wherever Python ones


@pytest.mark.parametrize("kind", [int, np.int32, np.int64])
def test_numpy_integer_batch_sizes_are_python_ones(problem, kind):
    params, X, Y = problem
    assert split(hg.minibatch(kind(4))) == split(hg.minibatch(4))
    assert hg.minibatch(kind(4)).name == "minibatch(4)"
    source, key = SOURCES["mlp1_hand"][0], jax.random.key(2)
    sgd = lambda b: hg.run_sgd(source, params, X, Y, lr=0.1, steps=3, key=key, batch_size=b)[1]
    ref = sgd(4)
    with compilations() as c:
        losses = sgd(kind(4))
    assert c.count == 0 and rel_err(losses, ref) == 0
    assert rel_err(sgd(kind(1)), sgd(1)) == 0


@pytest.mark.parametrize(
    "batch_size, given",
    [
        (0, "got 0"),
        (np.int64(-2), "got -2"),
        (2.5, r"got 2.5 \(a float\)"),
        (True, r"got True \(a bool\)"),
    ],
    ids=repr,
)
def test_bad_batch_sizes_are_refused(problem, batch_size, given):
    params, X, Y = problem
    source = SOURCES["mlp1_hand"][0]
    _refused(
        lambda: hg.run_sgd(
            source, params, X, Y, lr=0.1, steps=2, key=jax.random.key(0), batch_size=batch_size
        ),
        "batch_size must be a positive integer, " + given,
    )
    with pytest.raises(ValueError, match="batch_size must be a positive integer, " + given):
        hg.minibatch(batch_size)


# rule 3: the gradient checker's own arguments


def _cube(w):
    return jnp.sum(w**3)


def _cube_grad(w):
    return 3 * w**2


@pytest.mark.parametrize(
    "options, message",
    [
        ({"num_directions": 0}, "num_directions must be a positive integer, got 0"),
        ({"num_directions": np.int64(-1)}, "num_directions must be a positive integer, got -1"),
        ({"num_directions": 2.0}, r"num_directions must be a positive integer, got 2.0 \(a float"),
        ({"num_directions": True}, r"num_directions must be a positive integer, got True"),
        ({"fd_step": 0.0}, r"fd_step must be a finite number > 0, got 0.0"),
        ({"fd_step": -1e-5}, r"fd_step must be a finite number > 0, got -1e-05"),
        ({"fd_step": float("nan")}, r"fd_step must be a finite number > 0, got nan"),
        ({"fd_step": np.inf}, r"fd_step must be a finite number > 0, got inf"),
        ({"fd_step": "1e-5"}, r"fd_step must be a finite number > 0, got '1e-5'"),
        ({"rtol": 0.0}, r"rtol must be a finite number > 0, got 0.0"),
        ({"rtol": -1e-3}, r"rtol must be a finite number > 0, got -0.001"),
        ({"fd_rtol": float("nan")}, r"fd_rtol must be a finite number > 0, got nan"),
        ({"fd_rtol": float("inf")}, r"fd_rtol must be a finite number > 0, got inf"),
        ({"args": jnp.ones(2)}, r"args must be a tuple of the further arguments, .*got ArrayImpl"),
        ({"kwargs": [("lam", 0.1)]}, r"kwargs must be a dict of keyword arguments, got list"),
        ({"key": 0}, r"key must be one PRNG key such as jax.random.key\(0\), got 0 \(int\)"),
        ({"kink_inputs": 1.0}, r"kink_inputs must be a function or None, got float"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_check_gradients_refuses_arguments_out_of_range(options, message):
    w = jnp.ones(3)
    with compilations() as c, pytest.raises(ValueError, match=message):
        hg.check_gradients(_cube, _cube_grad, w, **options)
    assert c.count == 0


def test_check_gradients_refuses_a_non_function():
    with pytest.raises(ValueError, match="hand_grad must be a function, got ArrayImpl"):
        hg.check_gradients(_cube, jnp.ones(3), jnp.ones(3))


@pytest.mark.parametrize("kind", [int, np.int32, np.int64])
def test_check_gradients_takes_numpy_integers_and_numbers(kind):
    w, X, Y = randn(7, (2,)), randn(8, (4, 2)), randn(9, (4,))
    report = hg.check_gradients(
        hg.linear_objective,
        jax.grad(hg.linear_objective),
        w,
        (X, Y),
        num_directions=kind(2),
        fd_step=np.float64(1e-5),
        rtol=np.float32(1e-10),
        fd_rtol=1,  # an int tolerance is a number
    )
    assert report.passed and len(report.leaves) == 1


def test_labels_given_as_numpy_arrays_are_checked_too(problem):
    params, X, Y = problem
    bad = np.asarray(Y).copy()
    bad[3] = Q
    source = SOURCES["autodiff_mlp1"][0]
    # (jnp.asarray of a NumPy array compiles a tiny staging program: no count here)
    with pytest.raises(ValueError, match=f"Y must lie in 0..{Q - 1} .*got labels in 0..{Q}"):
        hg.run_gd(source, params, np.asarray(X), bad, lr=0.1, steps=2)


# rule 4: the estimators', models' and exercises' own arguments: counts are Python or NumPy
# integers alike, numbers are finite


@pytest.mark.parametrize("kind", [np.int32, np.int64, np.uint8])
def test_random_directions_takes_a_numpy_count_and_trains(problem, kind):
    params, X, Y = problem
    est = hg.random_directions(_mlp1, num_directions=kind(2))
    assert est.evals_per_step(10) == 5 and type(est.evals_per_step(10)) is int
    _, trajectory = hg.run(
        est.value_and_grad, params, X, Y, rule=hg.gd(0.1), sampler=hg.full_batch(), steps=1,
        takes_key=True,
    )  # fmt: skip
    assert trajectory.losses.shape == (1,) and bool(jnp.isfinite(trajectory.losses).all())


@pytest.mark.parametrize("estimator", [hg.finite_difference, hg.random_directions])
@pytest.mark.parametrize(
    "eps, given",
    [
        (0.0, "0.0"),
        (-1e-3, "-0.001"),
        (float("nan"), "nan"),
        (np.inf, "inf"),
        (np.float32(np.nan), r"np.float32\(nan\)"),
        ("1e-3", "'1e-3'"),
        (np.ones(2), r"array\(\[1., 1.\]\)"),
    ],
)
def test_estimators_refuse_an_eps_that_is_not_finite_and_positive(estimator, eps, given):
    with pytest.raises(ValueError, match=f"eps must be a finite number > 0, got {given}"):
        estimator(hg.linear_objective, eps=eps)


def test_a_traced_eps_passes_the_estimators_check():
    w, X, Y = randn(0, (2,)), randn(1, (4, 2)), randn(2, (4,))

    @jax.jit
    def grad_at(eps):
        return hg.finite_difference(hg.linear_objective, eps=eps).value_and_grad(w, X, Y)[1]

    assert rel_err(grad_at(1e-4), jax.grad(hg.linear_objective)(w, X, Y)) < 1e-6


@pytest.mark.parametrize(
    "widths",
    [[np.int64(3), 4, 2], (3, np.int32(4), np.uint8(2)), np.array([3, 4, 2]), [3, jnp.array(4), 2]],
)
def test_mlp_init_takes_numpy_widths(widths):
    key = jax.random.key(0)
    params = hg.mlp_init(key, widths, dtype=jnp.float64)
    expected = hg.mlp_init(key, [3, 4, 2], dtype=jnp.float64)
    assert [layer["W"].shape for layer in params] == [(4, 3), (2, 4)]
    assert all(
        jnp.array_equal(a, b) for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(expected))
    )


@pytest.mark.parametrize("kind", [np.int32, np.int64, np.uint8])
def test_mlp1_init_takes_numpy_widths(kind):
    params = hg.mlp1_init(jax.random.key(0), kind(3), kind(4), kind(2), bias=True)
    assert {k: v.shape for k, v in params.items()} == {"W1": (4, 3), "W2": (2, 4), "b1": (4,)}


@pytest.mark.parametrize(
    "widths, given",
    [
        ([3], r"\[3\]$"),
        ([3, 0, 2], r"\[3, 0, 2\] \(widths\[1\] must be a positive integer, got 0\)"),
        ([3, np.int64(-1)], r".* \(widths\[1\] must be a positive integer, got -1"),
        ([3, True, 2], r".* \(widths\[1\] must be a positive integer, got True \(a bool\)"),
        ([3.0, 2], r".* \(widths\[0\] must be a positive integer, got 3.0 \(a float\)"),
        (5, "5$"),
        (None, "None$"),
    ],
)
def test_mlp_init_refuses_bad_widths(widths, given):
    with pytest.raises(
        ValueError, match="widths must be two or more positive integers, got " + given
    ):
        hg.mlp_init(jax.random.key(0), widths)


def _remat_inputs():
    layers = [{"W": randn(0, (3, 2))}, {"W": randn(1, (3, 3))}, {"W": randn(2, (2, 3))}]
    return layers, randn(3, (4, 2)), jnp.array([0, 1, 1, 0])


@pytest.mark.parametrize("every", [np.int64(1), np.int32(2), np.uint8(0), np.array(1)])
def test_remat_every_takes_numpy_integers(every):
    layers, X, Y = _remat_inputs()
    J = hg.exercises.remat_objective(layers, X, Y, every=every)
    assert rel_err(J, hg.mlp_objective(layers, X, Y)) < 1e-12


@pytest.mark.parametrize("every", [-1, np.int64(-2), True, 1.5, "1", None])
def test_remat_every_refuses_what_is_not_a_non_negative_integer(every):
    layers, X, Y = _remat_inputs()
    with pytest.raises(ValueError, match=r"every must be a non-negative integer \(hidden layers"):
        hg.exercises.remat_objective(layers, X, Y, every=every)


@pytest.mark.parametrize(
    "n", [np.int64(1), np.int32(1), np.array(1), (np.int64(1),), np.array([1])]
)
def test_make_mesh_takes_numpy_device_counts(n):
    mesh = hg.exercises.make_mesh(n)
    assert mesh.shape == {"data": 1} and type(mesh.shape["data"]) is int


@pytest.mark.parametrize(
    "n, given",
    [
        (0, "0"),
        (np.int64(0), r"np.int64\(0\)"),
        (True, "True"),
        (1.5, "1.5"),
        ((1, -1), r"\(1, -1\)"),
        ("1", "'1'"),
    ],
)
def test_make_mesh_refuses_counts_that_are_not_positive_integers(n, given):
    with pytest.raises(ValueError, match=f"n_devices must be positive integers, got {given}"):
        hg.exercises.make_mesh(n)


def _dot(w, x):
    return jnp.sum(w * x)


def _gradient_names(graph):
    return sorted(v.label for v in graph.variables if v.kind == "output")


@pytest.mark.parametrize(
    "argnums, names",
    [
        (np.int64(1), ["∂J/∂x"]),
        (np.array(0), ["∂J/∂w"]),
        ((np.int32(0), 1), ["∂J/∂w", "∂J/∂x"]),
        (np.array([0, 1]), ["∂J/∂w", "∂J/∂x"]),
        (-1, ["∂J/∂x"]),
    ],
)
def test_backward_graph_takes_numpy_argnums(argnums, names):
    from handgrad.exercises.computational_graph import backward_graph

    assert (
        _gradient_names(backward_graph(_dot, randn(0, (3,)), randn(1, (3,)), argnums=argnums))
        == names
    )


@pytest.mark.parametrize(
    "argnums, given",
    [
        (2, "2"),
        (-3, "-3"),
        ((), r"\(\)"),
        ((0, 0), r"\(0, 0\)"),
        ((0, -2), r"\(0, -2\)"),
        (True, "True"),
        (1.0, "1.0"),
    ],
)
def test_backward_graph_refuses_argnums_that_are_not_positions(argnums, given):
    from handgrad.exercises.computational_graph import backward_graph

    with pytest.raises(
        ValueError,
        match=r"argnums must be an integer or a non-empty sequence of distinct integers, positions of the 2 arguments given, got "
        + given,
    ):
        backward_graph(_dot, randn(0, (3,)), randn(1, (3,)), argnums=argnums)


@pytest.mark.parametrize(
    "atol, given",
    [
        (float("nan"), "nan"),
        (np.inf, "inf"),
        (-1e-3, "-0.001"),
        ("1e-10", "'1e-10'"),
        (np.ones(2), r"array\(\[1., 1.\]\)"),
    ],
)
def test_preconditioned_gd_refuses_a_tolerance_that_is_not_finite_and_non_negative(atol, given):
    asymmetric = np.array([[1.0, 5.0], [0.0, 1.0]])  # with atol=nan, any matrix passed
    with pytest.raises(ValueError, match=f"atol must be a finite number >= 0, got {given}"):
        hg.preconditioned_gd(asymmetric, atol=atol)


@pytest.mark.parametrize(
    "eta, message",
    [
        (
            np.array([[1.0, np.nan], [np.nan, 1.0]]),
            r"eta must be finite .*2 non-finite entries, e.g. eta\[0, 1\] = nan",
        ),
        (np.array([[np.inf, 0.0], [0.0, 1.0]]), r"eta must be finite .*eta\[0, 0\] = inf"),
        (np.array([[1.0, 0.0], [0.0, -np.inf]]), r"eta must be finite .*eta\[1, 1\] = -inf"),
        (np.eye(2) * 1j, "eta must hold real numbers, got dtype complex128"),
        (np.eye(2, dtype=bool), "eta must hold real numbers, got dtype bool"),
        (np.zeros((0, 0)), r"eta must be a square matrix, n × n with n ≥ 1, got shape \(0, 0\)"),
    ],
)
def test_preconditioned_gd_refuses_an_eta_that_is_not_a_finite_real_matrix(eta, message):
    with pytest.raises(ValueError, match=message):
        hg.preconditioned_gd(eta)


@pytest.mark.parametrize("atol", [0, np.float32(1e-6), np.int64(0)])
def test_preconditioned_gd_takes_numpy_numbers(atol):
    rule = hg.preconditioned_gd(np.eye(2, dtype=np.int64), atol=atol)
    updates, _ = rule.update(jnp.array([1.0, -2.0]), rule.init(jnp.zeros(2)))
    assert updates.tolist() == [-1.0, 2.0]
