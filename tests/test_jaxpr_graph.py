import functools
from collections import deque

import jax
import jax.numpy as jnp
import matplotlib
import pytest
from jax.extend.core import Literal
from matplotlib.figure import Figure

import handgrad
from handgrad.exercises.computational_graph import backward_graph, trace_graph
from handgrad.exercises.graph_drawing import draw_forward_backward, draw_graph, layout
from helpers import randn

D2L_J = functools.partial(
    handgrad.models.mlp1_sample_objective, lam=0.1, activation="relu", loss="softmax_cross_entropy"
)


@pytest.fixture(scope="module")
def d2l():
    """d2l's one-hidden-layer MLP on one sample: params, x (4,), label y."""
    params = handgrad.mlp1_init(jax.random.key(0), 4, 3, 2, dtype=jnp.float64)
    return (params, randn(0, (4,)), jnp.array(1))


@pytest.fixture(scope="module")
def d2l_graph(d2l):
    return trace_graph(D2L_J, *d2l, detail="jaxpr")


def by_kind(graph, kind):
    return [v for v in graph.variables if v.kind == kind]


def non_constant_equations(closed):
    """The top-level equations that read a variable computed from an input."""
    constant, kept = set(closed.jaxpr.constvars), []
    for eqn in closed.jaxpr.eqns:
        if all(isinstance(v, Literal) or v in constant for v in eqn.invars):
            constant.update(eqn.outvars)
        else:
            kept.append(eqn)
    return kept


def topological_order(graph):
    """Kahn's algorithm: every node when the graph is acyclic, fewer otherwise."""
    ids = [v.id for v in graph.variables] + [o.id for o in graph.operators]
    indegree, succ = dict.fromkeys(ids, 0), {n: [] for n in ids}
    for s, t in graph.edges:
        indegree[t] += 1
        succ[s].append(t)
    ready, order = deque(n for n in ids if indegree[n] == 0), []
    while ready:
        order.append(n := ready.popleft())
        for t in succ[n]:
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    return order


def reachable_from_inputs(graph):
    succ = {}
    for s, t in graph.edges:
        succ.setdefault(s, []).append(t)
    seen, todo = set(), [v.id for v in by_kind(graph, "input")]
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo += succ.get(n, [])
    return seen


def test_d2l_inputs_are_named_from_the_param_keys_and_the_signature(d2l_graph):
    inputs = [(v.label, v.shape) for v in by_kind(d2l_graph, "input")]
    assert inputs == [("W1", "f64[3,4]"), ("W2", "f64[2,3]"), ("x", "f64[4]"), ("y", "i64[]")]
    assert [(v.label, v.shape) for v in by_kind(d2l_graph, "output")] == [("J", "f64[]")]


def test_one_operator_per_equation_that_is_not_constant_and_relu_is_one_circle(d2l):
    graph, closed = trace_graph(D2L_J, *d2l, detail="jaxpr"), jax.make_jaxpr(D2L_J)(*d2l)
    kept = non_constant_equations(closed)
    assert len(kept) < len(closed.jaxpr.eqns)  # λ/2 = div 0.1 2.0 is folded, for one
    assert len(graph.operators) == len(kept)
    relu = {"custom_jvp_call": "relu"}  # jax.nn.relu; a jit names itself in params["name"]
    expected = [e.params.get("name", relu.get(e.primitive.name, e.primitive.name)) for e in kept]
    assert [o.label.split("(")[0] for o in graph.operators] == expected
    labels = [o.label for o in graph.operators]
    assert labels.count("relu") == 1 and "custom_jvp_call" not in labels
    # φ reads z = W1 x (the first dot_general) and nothing else
    relu = next(o.id for o in graph.operators if o.label == "relu")
    (z,) = [s for s, t in graph.edges if t == relu]
    (writer,) = [s for s, t in graph.edges if t == z]
    assert next(o.label for o in graph.operators if o.id == writer) == "dot_general"


def test_constants_are_folded_into_the_labels_of_their_readers(d2l_graph):
    labels = [o.label for o in d2l_graph.operators]
    assert "mul(0.05, ·)" in labels  # s = λ/2 ‖W‖²: div 0.1 2.0 is worked out, not drawn
    assert not any(label.startswith("div(0.1") for label in labels)
    g = trace_graph(lambda x: 1.0 - jnp.sin(x / 2.0) + jnp.zeros(3), randn(0, (3,)), detail="jaxpr")
    assert [o.label for o in g.operators] == ["div(·, 2)", "sin", "sub(1, ·)", "add(·, 0)"]
    assert [v.label for v in g.variables] == ["x", "v1", "v2", "v3", "J"]  # none for 2, 1, 0


def test_the_graph_is_acyclic_and_every_operator_depends_on_an_input(d2l_graph):
    g = d2l_graph
    variables, operators = {v.id for v in g.variables}, {o.id for o in g.operators}
    assert len(variables) == len(g.variables) and not variables & operators  # ids are unique
    for s, t in g.edges:  # a variable feeds an operator, an operator writes a variable
        assert (s in variables and t in operators) or (s in operators and t in variables)
    assert len(g.edges) == len(set(g.edges))
    assert len(topological_order(g)) == len(variables) + len(operators)
    reached = reachable_from_inputs(g)
    assert operators <= reached
    assert {v.id for v in by_kind(g, "output")} <= reached
    for o in operators:  # every operator writes something
        assert any(s == o for s, _ in g.edges)


def test_layout_runs_left_to_right_from_the_bottom_left_inputs_to_the_top_right_j(d2l_graph):
    pos = layout(d2l_graph)
    assert pos == layout(d2l_graph)  # deterministic
    inputs, (J,) = by_kind(d2l_graph, "input"), by_kind(d2l_graph, "output")
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    assert all(pos[v.id][0] == 0 == min(xs) for v in inputs)
    assert min(pos[v.id][1] for v in inputs) == min(ys)  # nothing below the inputs
    assert pos[J.id] == (max(xs), max(ys))
    for s, t in d2l_graph.edges:
        assert pos[s][0] < pos[t][0]
    # no two nodes on the same spot
    assert len(set(pos.values())) == len(pos)


def test_x_is_the_longest_path_from_the_inputs_not_the_shortest():
    g = trace_graph(lambda a, b: b * jnp.sin(a), randn(0, (2,)), randn(1, (2,)))
    pos = layout(g)
    x = {label: pos[i][0] for label, i in [(v.label, v.id) for v in g.variables]}
    mul = next(o.id for o in g.operators if o.label == "mul")
    # mul reads b (depth 0) first, then sin(a) (depth 2): it sits after the longer path
    assert (x["a"], x["b"], x["v1"], pos[mul][0], x["J"]) == (0, 0, 2, 3, 4)


def test_pytree_paths_name_nested_inputs_and_a_jitted_call_is_one_operator():
    @jax.jit
    def affine(w, x):
        return w @ x

    def f(params, xs):
        return jnp.sum(affine(params["layer"]["W"], xs[0]) + xs[1])

    params, xs = {"layer": {"W": randn(0, (2, 3))}}, [randn(1, (3,)), randn(2, (2,))]
    g = trace_graph(f, params, xs)
    assert [v.label for v in by_kind(g, "input")] == ["layer.W", "xs[0]", "xs[1]"]
    assert [o.label for o in g.operators] == ["affine", "add", "reduce_sum"]
    g = trace_graph(lambda a, b: (a * b, a + b), 1.0, 2.0, output_names=("p", "s"))
    assert [v.label for v in by_kind(g, "output")] == ["p", "s"]


def test_bad_arguments_and_output_names_are_named():
    with pytest.raises(ValueError, match="argument act of type str cannot be traced"):
        trace_graph(lambda x, act: x, jnp.ones(2), "relu")
    with pytest.raises(ValueError, match="argument W of type object"):
        trace_graph(lambda p: p["W"], {"W": object()})
    with pytest.raises(ValueError, match="output_names has 1 names but the function returns 2"):
        trace_graph(lambda x: (x, x * 2), jnp.ones(2))


def test_draw_graph_writes_png_and_svg_and_leaves_the_backend_alone(tmp_path, d2l_graph):
    backend = matplotlib.get_backend()
    fig = draw_graph(d2l_graph, tmp_path / "j.png", title="d2l's J")
    assert isinstance(fig, Figure)
    assert (tmp_path / "j.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    small = trace_graph(lambda w, x: jnp.sum((w * x) ** 2), jnp.ones(3), jnp.ones(3))
    draw_graph(small, str(tmp_path / "small.svg"))
    svg = (tmp_path / "small.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    assert matplotlib.get_backend() == backend  # a notebook keeps its inline plots
    with pytest.raises(ValueError, match=r"unsupported extension '\.pdf'"):
        draw_graph(small, tmp_path / "small.pdf")
    assert not (tmp_path / "small.pdf").exists()


def test_backward_graph_holds_the_forward_pass_and_names_each_gradient(d2l, d2l_graph):
    g = backward_graph(D2L_J, *d2l, detail="jaxpr")
    assert len(g.operators) > len(d2l_graph.operators)
    outputs = {v.label: v.shape for v in by_kind(g, "output")}
    assert outputs == {"dJ/dW1": "f64[3,4]", "dJ/dW2": "f64[2,3]"}
    assert len(topological_order(g)) == len(g.variables) + len(g.operators)
    g = backward_graph(lambda w, x: jnp.sum(w * x), randn(0, (3,)), randn(1, (3,)), argnums=(0, 1))
    assert sorted(v.label for v in by_kind(g, "output")) == ["∂J/∂w", "∂J/∂x"]  # text detail


def test_backward_graph_needs_a_scalar_and_floats():
    with pytest.raises(ValueError, match=r"must return a scalar .*got shape \(3,\)"):
        backward_graph(lambda w: w * 2.0, randn(0, (3,)))
    with pytest.raises(ValueError, match="argument n has dtype int"):
        backward_graph(lambda n: jnp.sum(n), jnp.arange(3))


def test_draw_forward_backward_puts_two_graphs_side_by_side(d2l):
    fig = draw_forward_backward(D2L_J, *d2l, detail="jaxpr")
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["forward", "backward (jax.grad)"]
