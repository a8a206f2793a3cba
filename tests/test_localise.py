"""The localising checker: every correct derivation passes, and each planted bug is found at its
own formula, named by the text's name, with the known mistake it is."""

import json
import pathlib
import re

import jax
import jax.numpy as jnp
import pytest

import handgrad as hg
from handgrad.backprop import (
    MLP1Backward,
    Module,
    Node,
    activation_module,
    cost_module,
    graph_backward,
    linear_module,
    mlp_modules,
    mlp_stack_params,
    mynet_modules,
    stack_backward,
)
from handgrad.check import (
    MISTAKES,
    DerivationError,
    localise_graph,
    localise_mlp1,
    localise_stack,
    raise_on_mismatch,
)
from handgrad.check.grid import cases, mlp1_cases
from handgrad.models import get_activation, get_cost
from helpers import randn

GRID = cases()
MLP1 = [c for c in GRID if c.model == "mlp1"]
STACKS = [c for c in GRID if c.model.startswith("mlp-") or c.model == "mynet"]


def label(c):
    return f"{c.model}-{c.activation}-{c.loss}-{'bias' if c.bias else 'nobias'}-{c.dtype}"


def as_dtype(tree, dtype):
    return jax.tree_util.tree_map(
        lambda a: a.astype(dtype) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree
    )


@pytest.mark.parametrize("case", MLP1, ids=label)
def test_every_correct_mlp1_derivation_of_the_grid_passes(case):
    """Batched formulas, in the case's dtype (the checker works in float64 whatever comes in)."""
    params, args = as_dtype((case.params, case.args), case.dtype)
    report = localise_mlp1(params, *args, **case.kwargs, raise_on_failure=True)
    assert report.passed and not report.unchecked
    names = ["∂J/∂o", "∂J/∂W⁽²⁾", "∂J/∂h", "∂J/∂z", "∂J/∂W⁽¹⁾"] + (["∂J/∂b⁽¹⁾"] * case.bias)
    assert [n.name for n in report.nodes] == names
    assert max(n.rel_error for n in report.nodes) < 1e-13


@pytest.mark.parametrize("case", MLP1[::7], ids=label)
def test_the_per_sample_column_vector_formulas_pass(case):
    X, Y = case.args
    report = localise_mlp1(case.params, X[0], Y[0], **case.kwargs)
    assert report.passed
    assert report.nodes[2].rule == "W⁽²⁾ᵀ ∂J/∂o"  # the text's column-vector form
    batched = localise_mlp1(case.params, X, Y, **case.kwargs).nodes[2].rule
    assert batched == "W⁽²⁾ᵀ ∂J/∂o (rows: ∂J/∂O W⁽²⁾)"  # the text's form, then one sample per row


def backward(bug=None):
    """The batched hand backward with at most one line changed, as a reader would get it wrong."""

    def hand(params, cache, Y, *, lam, activation, loss):
        phi, dphi = get_activation(activation)
        W1, W2, P = params["W1"], params["W2"], cache.x.shape[0]
        dO = get_cost(loss).dC_dybar(Y, cache.o) / P
        if bug == "no 1/P":
            dO = get_cost(loss).dC_dybar(Y, cache.o)
        dW2 = dO.T @ cache.h + lam * W2
        if bug == "no λW2":
            dW2 = dO.T @ cache.h
        dH = -(dO @ W2) if bug == "sign of ∂J/∂h" else dO @ W2
        if bug == "W2 untransposed":
            dH = dO @ W2.T
        dZ = dH * dphi(cache.z)
        if bug == "φ for φ′":
            dZ = dH * phi(cache.z)
        if bug == "φ′(h)":
            dZ = dH * dphi(cache.h)
        if bug == "twice ∂J/∂z":
            dZ = 2 * dH * dphi(cache.z)
        dW1 = dZ.T @ cache.x + lam * W1
        if bug == "no λW1":
            dW1 = dZ.T @ cache.x
        if bug == "λ per sample":
            dW1 = dZ.T @ cache.x + P * lam * W1
        if bug == "X untransposed":
            dW1 = cache.x.T @ dZ + lam * W1
        db1 = jnp.sum(dZ, axis=0) if "b1" in params else None
        if bug == "penalised bias":
            db1 = db1 + lam * params["b1"]
        return MLP1Backward(dO, dW2, dH, dZ, dW1, db1)

    return hand


# d = h = q: a wrong transpose type-checks only for square matrices, which is why it survives
SQUARE = next(c for c in mlp1_cases(0, d=5, h=5, q=5) if c.bias and c.activation == "sigmoid")

PLANTED = [
    ("no 1/P", "∂J/∂o", "missing 1/P"),
    ("no λW2", "∂J/∂W⁽²⁾", "missing λW term"),
    ("sign of ∂J/∂h", "∂J/∂h", "wrong sign"),
    ("W2 untransposed", "∂J/∂h", "wrong transpose"),
    ("φ for φ′", "∂J/∂z", "φ in place of φ′"),
    ("φ′(h)", "∂J/∂z", "φ′ at the output"),
    ("twice ∂J/∂z", "∂J/∂z", None),
    ("no λW1", "∂J/∂W⁽¹⁾", "missing λW term"),
    ("λ per sample", "∂J/∂W⁽¹⁾", "λ applied per sample"),
    ("X untransposed", "∂J/∂W⁽¹⁾", "wrong transpose"),
    ("penalised bias", "∂J/∂b⁽¹⁾", "penalised bias"),
]


@pytest.mark.parametrize("bug, node, mistake", PLANTED, ids=[p[0] for p in PLANTED])
def test_each_planted_bug_is_found_at_its_formula_and_named(bug, node, mistake):
    assert localise_mlp1(SQUARE.params, *SQUARE.args, backward(), **SQUARE.kwargs).passed
    report = localise_mlp1(SQUARE.params, *SQUARE.args, backward(bug), **SQUARE.kwargs)
    bad = report.first_failure
    assert (bad.name, bad.mistake) == (node, mistake)
    assert all(n.ok for n in report.nodes[:-1]) and report.nodes[-1] is bad
    assert mistake is None or mistake in MISTAKES
    names = [n.name for n in report.nodes] + list(report.unchecked)
    assert names[: len(report.nodes)][-1] == node and len(names) == 6  # the rest: unchecked


def test_the_message_says_what_was_expected_and_what_came():
    report = localise_mlp1(SQUARE.params, *SQUARE.args, backward("φ for φ′"), **SQUARE.kwargs)
    assert str(report.first_failure) == (
        "∂J/∂z: expected ∂J/∂h ⊙ φ′(z); got a value that matches ∂J/∂h ⊙ φ(z) (φ in place of φ′)"
    )
    assert "not checked, downstream of the mismatch: ∂J/∂W⁽¹⁾, ∂J/∂b⁽¹⁾" in str(report)
    flipped = localise_mlp1(
        SQUARE.params, *SQUARE.args, backward("W2 untransposed"), **SQUARE.kwargs
    )
    assert str(flipped.first_failure) == (  # the text's form first, the batched one beside it
        "∂J/∂h: expected W⁽²⁾ᵀ ∂J/∂o (rows: ∂J/∂O W⁽²⁾); got a value that matches "
        "W⁽²⁾ ∂J/∂o (rows: ∂J/∂O W⁽²⁾ᵀ) (wrong transpose)"
    )
    no_lam = localise_mlp1(SQUARE.params, *SQUARE.args, backward("no λW1"), **SQUARE.kwargs)
    assert no_lam.first_failure.matches == "Σ_p ∂J/∂z xᵀ (rows: (∂J/∂Z)ᵀ X)"
    unknown = localise_mlp1(SQUARE.params, *SQUARE.args, backward("twice ∂J/∂z"), **SQUARE.kwargs)
    assert "no known mistake" in str(unknown.first_failure)
    with pytest.raises(DerivationError, match="∂J/∂W⁽¹⁾: expected") as caught:
        localise_mlp1(
            SQUARE.params, *SQUARE.args, backward("λ per sample"), **SQUARE.kwargs,
            raise_on_failure=True,
        )  # fmt: skip
    assert caught.value.node.mistake == "λ applied per sample"
    assert isinstance(caught.value, hg.check.GradientCheckError)
    assert raise_on_mismatch(localise_mlp1(SQUARE.params, *SQUARE.args, **SQUARE.kwargs)).passed


def test_a_non_square_transpose_is_a_wrong_shape_named_as_such():
    case = MLP1[0]  # d = 5, h = 7: xᵀ ∂J/∂z is (d, h); + λW⁽¹⁾ would not even add

    def hand(params, cache, Y, **kw):
        right = hg.backprop.mlp1_backward_batch(params, cache, Y, **kw)
        return right._replace(dJ_dW1=cache.x.T @ right.dJ_dz)

    bad = localise_mlp1(case.params, *case.args, hand, **case.kwargs).first_failure
    assert bad.name == "∂J/∂W⁽¹⁾" and bad.mistake is None
    assert bad.matches == "shape (5, 7), expected (7, 5)"


def test_the_checker_holds_x64_for_its_own_calls_only():
    case = MLP1[1]
    params, args = as_dtype((case.params, case.args), jnp.float32)
    with jax.enable_x64(False):
        report = localise_mlp1(params, *args, **case.kwargs)
        assert not jax.config.jax_enable_x64
    assert report.passed and report.nodes[1].rel_error < 1e-13  # float64 work, not float32


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda p, X, Y, kw: localise_mlp1(p, X[:, :3], Y, **kw), "X"),
        (lambda p, X, Y, kw: localise_mlp1({"W1": p["W1"]}, X, Y, **kw), "W2"),
        (lambda p, X, Y, kw: localise_mlp1(p, X, Y, "mlp1_backward", **kw), "backward must be"),
        (lambda p, X, Y, kw: localise_mlp1(p, X, Y, **kw, rtol=0.0), "rtol"),
        (lambda p, X, Y, kw: localise_mlp1(p, X, Y, **{**kw, "lam": -1.0}), "lam"),
        (
            lambda p, X, Y, kw: localise_mlp1(
                p, X, Y, lambda *a, **k: backward()(*a, **k)._replace(dJ_db1=None), **kw
            ),
            "returned no dJ_db1",
        ),
        (lambda p, X, Y, kw: localise_mlp1(p, X, Y, lambda *a, **k: (), **kw), "dJ_do"),
    ],
    ids=["X shape", "missing W2", "not callable", "rtol", "lam", "missing node", "not a backward"],
)
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call(SQUARE.params, *SQUARE.args, SQUARE.kwargs)


# the lecture's stacks: the grid's deep MLPs and mynet, as modules, without the penalty


def stack_of(case):
    if case.model == "mynet":
        modules, params = mynet_modules(case.params)
    else:
        modules = mlp_modules(case.params, case.activation)
        params = mlp_stack_params(case.params)
    return modules, cost_module(case.loss), params, *case.args


@pytest.mark.parametrize("case", STACKS, ids=label)
def test_every_correct_stack_of_the_grid_passes(case):
    modules, cost, params, z0, y = stack_of(case)
    report = localise_stack(modules, cost, as_dtype(params, case.dtype), z0, y)
    assert report.passed, str(report)
    K = len(modules)
    assert (
        report.nodes[0].name
        == f"∂c/∂z{str(K).translate(str.maketrans('0123456789', '₀₁₂₃₄₅₆₇₈₉'))}"
    )
    assert report.nodes[-1].name in ("∂c/∂W₀", "∂c/∂b₀", "∂c/∂z₀")


def square_stack(bias=True):
    modules = [linear_module(bias), activation_module("tanh"), linear_module(False)]
    first = {"W": randn(1, (4, 4)) / 2, **({"b": randn(2, (4,))} if bias else {})}
    params = [first, {}, {"W": randn(3, (3, 4)) / 2}]
    return modules, cost_module("squared_error"), params, randn(4, (6, 4)), randn(5, (6, 3))


def replaced(module, vjp):
    return module._replace(vjp=vjp)


def test_the_stack_names_each_planted_bug_at_its_module():
    modules, cost, params, z0, y = square_stack()
    phi = get_activation("tanh").phi
    lin, act, top = modules

    def check(mods, cost_, node, mistake):
        bad = localise_stack(mods, cost_, params, z0, y).first_failure
        assert (bad.name, bad.mistake) == (node, mistake), str(bad)

    check([lin, replaced(act, lambda s, w, g: (g * phi(s), {})), top], cost, "∂c/∂z₁",
          "φ in place of φ′")  # fmt: skip
    wrong_dz = lambda z, w, g: (g @ w["W"].T, lin.vjp(z, w, g)[1])
    check([replaced(lin, wrong_dz), act, top], cost, "∂c/∂z₀", "wrong transpose")
    mean_b = lambda z, w, g: (g @ w["W"], {**lin.vjp(z, w, g)[1], "b": jnp.mean(g, axis=0)})
    check([replaced(lin, mean_b), act, top], cost, "∂c/∂b₀", "mean instead of sum")
    flipped = lambda z, w, g: (g @ w["W"], {**lin.vjp(z, w, g)[1], "W": -lin.vjp(z, w, g)[1]["W"]})
    check([replaced(lin, flipped), act, top], cost, "∂c/∂W₀", "wrong sign")
    no_mean = cost._replace(vjp=lambda ybar, y_, g=1.0: 2 * (ybar - y_))
    check(modules, no_mean, "∂c/∂z₃", "missing 1/P")


def test_a_stack_backward_of_the_wrong_form_is_refused():
    modules, cost, params, z0, y = square_stack()
    short = lambda *a: (lambda dz, dw: (dz[1:], dw))(*stack_backward(*a))
    with pytest.raises(ValueError, match="4 state gradients and 3 weight gradients"):
        localise_stack(modules, cost, params, z0, y, short)
    no_b = lambda *a: (lambda dz, dw: (dz, [{"W": dw[0]["W"]}, *dw[1:]]))(*stack_backward(*a))
    with pytest.raises(ValueError, match="∂c/∂w₀ is not structured like its parameters"):
        localise_stack(modules, cost, params, z0, y, no_b)
    with pytest.raises(ValueError, match="2 modules but 3 parameter entries"):
        localise_stack(modules[:2], cost, params, z0, y)


# the fan-out graph: a value read by two nodes gets the sum of both gradients


def fan_out_graph():
    nodes = [
        Node("u", linear_module(), ("x",), "w1"),
        Node("a", activation_module("tanh"), ("u",)),
        Node("b", activation_module("sigmoid"), ("u",)),
        Node("s", None, ("a", "b")),
        Node("o", linear_module(False), ("s",), "w2"),
        Node("r", None, ("o", "x")),  # a residual: x fans out too
    ]
    params = {"w1": {"W": randn(6, (3, 3)), "b": randn(7, (3,))}, "w2": {"W": randn(8, (3, 3))}}
    return nodes, params, {"x": randn(9, (5, 3))}, {"r": randn(10, (5, 3))}


def overwriting_backward(nodes, params, values, seeds):
    """graph_backward with `=` where it must accumulate: the last edge processed wins."""
    dv, dp = dict(seeds), {}
    for node in reversed(nodes):
        g = dv[node.name]
        if node.module is None:
            for i in node.inputs:
                dv[i] = g
            continue
        w = {} if node.param is None else params[node.param]
        dv[node.inputs[0]], g_w = node.module.vjp(values[node.inputs[0]], w, g)
        if node.param is not None:
            dp[node.param] = g_w
    return dv, dp


def test_the_fan_out_graph_passes_and_an_overwrite_is_named():
    nodes, params, sources, seeds = fan_out_graph()
    report = localise_graph(nodes, params, sources, seeds)
    assert report.passed, str(report)
    assert [n.name for n in report.nodes][:3] == ["∂c/∂r", "∂c/∂o", "∂c/∂w2.W"]
    assert report.nodes[-1].name == "∂c/∂x"
    bad = localise_graph(nodes, params, sources, seeds, overwriting_backward).first_failure
    assert bad.name == "∂c/∂u" and bad.mistake == "overwritten fan-out"
    assert bad.rule == "∂c/∂a ⊙ tanh′(u) + ∂c/∂b ⊙ sigmoid′(u)"
    assert bad.matches == "∂c/∂a ⊙ tanh′(u) alone"  # b is processed first, a overwrites it


def test_a_wrong_activation_inside_a_fan_out_is_named_too():
    nodes, params, sources, seeds = fan_out_graph()
    phi = get_activation("sigmoid").phi
    nodes[2] = nodes[2]._replace(module=activation_module("sigmoid")._replace(
        vjp=lambda s, w, g: (g * phi(s), {})))  # fmt: skip
    bad = localise_graph(nodes, params, sources, seeds).first_failure
    assert (bad.name, bad.mistake) == ("∂c/∂u", "φ in place of φ′")
    assert bad.matches == "∂c/∂a ⊙ tanh′(u) + ∂c/∂b ⊙ sigmoid(u)"


def test_a_graph_backward_of_the_wrong_form_is_refused():
    nodes, params, sources, seeds = fan_out_graph()
    with pytest.raises(ValueError, match="not values of the graph"):
        localise_graph(nodes, params, sources, {"nowhere": seeds["r"]})
    partial = lambda *a: (lambda dv, dp: ({k: v for k, v in dv.items() if k != "x"}, dp))(
        *graph_backward(*a)
    )
    with pytest.raises(ValueError, match=r"no gradient for \['x'\]"):
        localise_graph(nodes, params, sources, seeds, partial)


def test_a_zero_node_is_not_failed_for_rounding():
    """All ReLUs off: ∂J/∂z is exactly 0 in both; the scale floor keeps 0 == 1e-300 a pass."""
    case = next(c for c in MLP1 if c.activation == "relu" and not c.bias)
    X, Y = case.args
    report = localise_mlp1(case.params, jnp.zeros_like(X), Y, **case.kwargs)
    assert report.passed


# notebook 6's planted bugs, exactly: each at the node and mistake the notebook shows, at the
# notebook's shapes (d = 8, h = q = 6, P = 16, tanh, λ = 0.1, with a bias)

NOTEBOOK = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOK = NOTEBOOK / "06_exercises_and_broken_derivations.ipynb"
NOTEBOOK_MLP1 = {  # the notebook's bug name -> (this file's bug, first wrong node, mistake)
    "missing 1/P": ("no 1/P", "∂J/∂o", "missing 1/P"),
    "wrong transpose": ("W2 untransposed", "∂J/∂h", "wrong transpose"),
    "φ in place of φ′": ("φ for φ′", "∂J/∂z", "φ in place of φ′"),
    "λ applied per sample": ("λ per sample", "∂J/∂W⁽¹⁾", "λ applied per sample"),
    "missing λW term": ("no λW1", "∂J/∂W⁽¹⁾", "missing λW term"),
    "penalised bias": ("penalised bias", "∂J/∂b⁽¹⁾", "penalised bias"),
}
NOTEBOOK_GRAPHS = {("∂c/∂z₁", "φ in place of φ′"), ("∂c/∂u", "overwritten fan-out")}


def notebook_case():
    params = {"W1": randn(15, (6, 8)) / 8**0.5, "W2": randn(16, (6, 6)) / 6**0.5}
    X = randn(17, (16, 8))
    kw = dict(lam=0.1, activation="tanh", loss="softmax_cross_entropy")
    return {**params, "b1": 0.1 * randn(18, (6,))}, X, jnp.arange(16) % 6, kw


@pytest.mark.parametrize("planted", list(NOTEBOOK_MLP1))
def test_each_bug_the_notebook_plants_is_found_where_it_shows(planted):
    bug, node, mistake = NOTEBOOK_MLP1[planted]
    params, X, Y, kw = notebook_case()
    assert localise_mlp1(params, X, Y, backward(), **kw).passed
    bad = localise_mlp1(params, X, Y, backward(bug), **kw).first_failure
    assert (bad.name, bad.mistake) == (node, mistake), str(bad)


def notebook_outputs():
    """What each code cell printed, one string per cell (a cell's stream may come in parts)."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return [
        "".join("".join(o["text"]) for o in c["outputs"] if o["output_type"] == "stream")
        for c in cells
        if c["cell_type"] == "code"
    ]


def test_the_notebook_plants_exactly_the_bugs_tested_here():
    """The committed notebook's table and messages against the lists above, both ways."""
    outputs = notebook_outputs()
    table = next(t for t in outputs if t.startswith("planted"))
    rows = table.split("\n\n")[0].splitlines()[1:]
    shown = {r[:22].strip(): (r[22:40].strip(), r[40:].strip().split(":")[0]) for r in rows}
    assert shown == {k: v[1:] for k, v in NOTEBOOK_MLP1.items()}
    found = set()
    for text in outputs:
        for line in text.splitlines():
            m = re.match(r"first mismatch: (∂c/∂\S+): .*\(([^()]+)\)$", line)
            if m:
                found.add(m.groups())
    assert found == NOTEBOOK_GRAPHS


def test_the_notebooks_stack_bug_is_found_at_its_module():
    """tanh's backward with h for h′, built with the public Module constructor as there."""
    tanh = get_activation("tanh").phi
    good = activation_module("tanh")
    broken = Module("tanh", good.forward, lambda s, w, g: (g * tanh(s), {}), good.jacobians)
    params = [{"W": randn(11, (6, 8)) / 8**0.5, "b": jnp.zeros(6)}, {}, {"W": randn(12, (3, 6))}]
    modules = [linear_module(True), broken, linear_module(False)]
    z0, target = randn(13, (10, 8)), randn(14, (10, 3))
    bad = localise_stack(modules, cost_module("squared_error"), params, z0, target).first_failure
    assert (bad.name, bad.mistake) in NOTEBOOK_GRAPHS and bad.name == "∂c/∂z₁"
    assert bad.matches == "∂c/∂z₂ ⊙ tanh(z₁)"


def test_the_notebooks_fan_out_bug_is_found_at_the_shared_value():
    """The notebook's graph: u feeds a and b, no residual, the seed on o."""
    nodes, params, sources, seeds = fan_out_graph()
    nodes, seeds = nodes[:-1], {"o": randn(10, (5, 3))}
    assert localise_graph(nodes, params, sources, seeds).passed
    bad = localise_graph(nodes, params, sources, seeds, overwriting_backward).first_failure
    assert (bad.name, bad.mistake) in NOTEBOOK_GRAPHS and bad.name == "∂c/∂u"
    assert bad.matches == "∂c/∂a ⊙ tanh′(u) alone"
