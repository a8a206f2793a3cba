"""The graph at the level of the text: d2l's names and operators read from the named scopes
of the traced code, legible when shown 800 px wide, searchable in SVG; the block diagrams."""

import functools
import pathlib
import xml.etree.ElementTree as ET

import jax
import jax.numpy as jnp
import matplotlib
import pytest
from matplotlib.text import Text

import handgrad
from handgrad.backprop import activation_module, linear_module
from handgrad.cli import main
from handgrad.exercises import (
    average_loss_diagram,
    backward_graph,
    d2l_formulas,
    draw_forward_backward,
    draw_graph,
    module_stack_diagram,
    parametrised_model_diagram,
    trace_graph,
    traditional_net_diagram,
)
from handgrad.exercises.figure_parts import label_px
from helpers import randn

CONFIGS = pathlib.Path(__file__).resolve().parent.parent / "configs"
D2L_J = functools.partial(handgrad.models.mlp1_sample_objective, lam=0.1, activation="relu")
D2L_NAMES = ["W⁽¹⁾", "W⁽²⁾", "x", "y", "z", "h", "o", "L", "s", "J"]


def d2l_args(bias=False):
    params = handgrad.mlp1_init(jax.random.key(0), 4, 3, 2, bias=bias, dtype=jnp.float64)
    return params, randn(0, (4,)), jnp.array(1)


def named_edges(g):
    """Edges as (source label, target label)."""
    label = {n.id: n.label for n in (*g.variables, *g.operators)}
    return {(label[s], label[t]) for s, t in g.edges}


def smallest_label_px(fig):
    """The smallest height in pixels of any text when the figure is shown 800 px wide."""
    texts = [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]
    return min(label_px(t.get_fontsize(), fig.get_figwidth()) for t in texts)


def svg_texts(path):
    return {el.text for el in ET.parse(path).iter() if el.tag.endswith("text") and el.text}


def test_d2ls_forward_graph_has_the_figures_nodes_and_edges():
    g = trace_graph(D2L_J, *d2l_args())
    assert [v.label for v in g.variables] == D2L_NAMES
    assert [o.label for o in g.operators] == ["×", "φ", "×", "l", "λ/2‖·‖²", "+"]
    assert named_edges(g) == {
        ("W⁽¹⁾", "×"), ("x", "×"), ("×", "z"), ("z", "φ"), ("φ", "h"), ("W⁽²⁾", "×"),
        ("h", "×"), ("×", "o"), ("o", "l"), ("y", "l"), ("l", "L"), ("W⁽¹⁾", "λ/2‖·‖²"),
        ("W⁽²⁾", "λ/2‖·‖²"), ("λ/2‖·‖²", "s"), ("L", "+"), ("s", "+"), ("+", "J"),
    }  # fmt: skip
    raw = trace_graph(D2L_J, *d2l_args(), detail="jaxpr")  # the same J, one circle an equation
    assert len(raw.operators) >= 3 * len(g.operators) and "v1" in {v.label for v in raw.variables}


def test_the_bias_of_exercise_2_is_added_into_z():
    g = trace_graph(D2L_J, *d2l_args(bias=True))
    assert [v.label for v in g.variables] == ["W⁽¹⁾", "W⁽²⁾", "b⁽¹⁾", *D2L_NAMES[2:]]
    assert {("b⁽¹⁾", "×+"), ("W⁽¹⁾", "×+"), ("x", "×+"), ("×+", "z")} <= named_edges(g)
    back = backward_graph(D2L_J, *d2l_args(bias=True))
    outputs = {v.label for v in back.variables if v.kind == "output"}
    assert outputs == {"∂J/∂W⁽¹⁾", "∂J/∂W⁽²⁾", "∂J/∂b⁽¹⁾"}
    assert ("×+ᵀ", "∂J/∂b⁽¹⁾") in named_edges(back)


def test_backward_graph_runs_the_chain_rule_back_through_d2ls_names():
    g = backward_graph(D2L_J, *d2l_args())
    back = {v.label for v in g.variables if v.side == "backward"}
    assert {"∂J/∂o", "∂J/∂h", "∂J/∂z", "∂J/∂W⁽¹⁾", "∂J/∂W⁽²⁾"} <= back
    edges = named_edges(g)
    # ∂J/∂h = W⁽²⁾ᵀ ∂J/∂o and ∂J/∂W⁽²⁾ = ∂J/∂o hᵀ + λW⁽²⁾: one transposed ×, what it reads
    assert {("lᵀ", "∂J/∂o"), ("∂J/∂o", "×ᵀ"), ("W⁽²⁾", "×ᵀ"), ("h", "×ᵀ")} <= edges
    assert {("×ᵀ", "∂J/∂h"), ("×ᵀ", "∂J/∂W⁽²⁾"), ("∂J/∂h", "φᵀ"), ("φ′", "φᵀ")} <= edges
    assert {("φᵀ", "∂J/∂z"), ("∂J/∂z", "×ᵀ"), ("x", "×ᵀ"), ("×ᵀ", "∂J/∂W⁽¹⁾")} <= edges
    forward = {o.id: o.label for o in g.operators if o.side == "forward"}
    for o in g.operators:  # each backward operator transposes a forward one
        assert o.side == "forward" or forward[o.mirror] + "ᵀ" == o.label
    assert len(g.variables) + len(g.operators) < 40  # the jaxpr's has well over 100


def test_d2l_formulas_are_the_hand_backwards_docstring():
    f = d2l_formulas()
    assert f["∂J/∂W⁽²⁾"] == "∂J/∂o hᵀ + λW⁽²⁾" and f["∂J/∂h"] == "W⁽²⁾ᵀ ∂J/∂o"
    assert f["∂J/∂z"] == "∂J/∂h ⊙ φ′(z)" and f["∂J/∂W⁽¹⁾"] == "∂J/∂z xᵀ + λW⁽¹⁾"
    assert f["∂J/∂o"] == "∂l/∂o" and f["∂J/∂b⁽¹⁾"] == "∂J/∂z"


def test_other_models_get_sensible_names_and_unscoped_code_falls_back_to_the_jaxpr():
    params = handgrad.models.mlp_init(jax.random.key(0), [4, 5, 5, 2], dtype=jnp.float64)
    J = functools.partial(handgrad.models.mlp_objective, lam=0.1)
    g = trace_graph(J, params, randn(0, (2, 4)), jnp.array([0, 1]))
    labels = [v.label for v in g.variables]
    assert ["z1", "h1", "z2", "h2", "o", "L", "s", "J"] == [v for v in labels if "⁽" not in v][2:]
    assert {"W⁽¹⁾", "b⁽¹⁾", "W⁽³⁾", "b⁽³⁾"} <= set(labels)
    w = randn(1, (4,))
    g = trace_graph(handgrad.models.linear_objective, w, randn(2, (3, 4)), randn(3, (3,)))
    assert [v.label for v in g.variables] == ["w", "X", "Y", "o", "J"]
    g = trace_graph(lambda a, b: jnp.sum(jnp.sin(a) * b), w, w)  # no scope: the jaxpr
    assert [o.label for o in g.operators] == ["sin", "mul", "reduce_sum"]


def test_a_jit_and_a_custom_jvp_inside_a_scope_are_one_operator():
    inner = jax.jit(lambda W, x: W @ x)

    def f(W, x):
        with jax.named_scope("h=φ"):
            h = jax.nn.relu(inner(W, x)) + 1.0
        return jnp.sum(h)

    g = trace_graph(f, randn(0, (3, 4)), randn(1, (4,)))
    assert [o.label for o in g.operators] == ["φ", "reduce_sum"]
    assert named_edges(g) == {
        ("W", "φ"),
        ("x", "φ"),
        ("φ", "h"),
        ("h", "reduce_sum"),
        ("reduce_sum", "J"),
    }


def test_an_unknown_detail_is_named():
    for draw in (trace_graph, backward_graph):
        with pytest.raises(ValueError, match="unknown detail 'raw'; expected one of"):
            draw(D2L_J, *d2l_args(), detail="raw")


def test_labels_are_at_least_10_px_when_shown_800_px_wide(tmp_path):
    forward, back = trace_graph(D2L_J, *d2l_args()), backward_graph(D2L_J, *d2l_args())
    figures = [
        draw_graph(forward, tmp_path / "f.png", title="J"),
        draw_graph(back, tmp_path / "b.png", edge_labels=d2l_formulas()),
        draw_forward_backward(D2L_J, *d2l_args()),
    ]
    for fig in figures:
        assert smallest_label_px(fig) >= 10
    # the rule can fail: the jaxpr's graph is too wide for it
    assert smallest_label_px(draw_graph(trace_graph(D2L_J, *d2l_args(), detail="jaxpr"))) < 10
    formulas = {t.get_text() for t in figures[1].findobj(Text)}
    assert "∂J/∂z xᵀ +\nλW⁽¹⁾" in formulas and "W⁽²⁾ᵀ\n∂J/∂o" in formulas  # on the edges


def test_svg_keeps_the_labels_as_searchable_text(tmp_path):
    fonttype = matplotlib.rcParams["svg.fonttype"]
    draw_graph(trace_graph(D2L_J, *d2l_args()), tmp_path / "J.svg")
    assert set(D2L_NAMES) <= svg_texts(tmp_path / "J.svg")
    assert matplotlib.rcParams["svg.fonttype"] == fonttype  # set for the save only
    draw_graph(backward_graph(D2L_J, *d2l_args()), tmp_path / "B.svg")
    assert {"∂J/∂o", "∂J/∂h", "∂J/∂z", "∂J/∂W⁽¹⁾", "∂J/∂W⁽²⁾"} <= svg_texts(tmp_path / "B.svg")


def test_the_cli_draws_the_text_level_graph_by_default(tmp_path, capsys):
    svg, raw = tmp_path / "g.svg", tmp_path / "raw.svg"
    assert main(["graph", str(CONFIGS / "digits_mlp1.toml"), "--out", str(svg)]) == 0
    texts = svg_texts(svg)
    assert set(D2L_NAMES) | {"×", "φ", "l", "+"} <= texts  # one sample: d2l's x and y
    assert (
        main(["graph", str(CONFIGS / "digits_mlp1.toml"), "--out", str(raw), "--samples", "3"]) == 0
    )
    assert {"X", "Y", "z", "J"} <= svg_texts(raw)  # a batch: its rows X, Y
    args = ["graph", str(CONFIGS / "digits_mlp1.toml"), "--out", str(raw), "--detail", "jaxpr"]
    assert main(args) == 0
    assert "dot_general" in svg_texts(raw) and "dot_general" not in texts
    with pytest.raises(SystemExit) as stopped:  # argparse refuses it, naming the choices
        main([*args[:-1], "raw"])
    assert stopped.value.code == 2
    assert "invalid choice: 'raw'" in capsys.readouterr().err


def test_block_diagrams_draw_the_lectures_figures(tmp_path):
    def texts(fig):
        return {t.get_text() for t in fig.findobj(Text)}

    fig1 = parametrised_model_diagram(
        handgrad.models.linear, handgrad.models.squared_error, path=tmp_path / "1.svg"
    )
    assert {"x", "w", "y", "ȳ", "L", "G(x, w)\nlinear"} <= texts(fig1)
    assert {"x", "w", "ȳ", "L"} <= svg_texts(tmp_path / "1.svg")
    fig2 = average_loss_diagram(3)
    assert {"x[0]", "x[2]", "y[1]", "L[2]", "1/P Σ", "L(S, w)"} <= texts(fig2)
    params = handgrad.models.mlp_init(jax.random.key(0), [4, 3, 2])
    fig3 = traditional_net_diagram(params, activation="tanh")
    assert {"x = z₀\n4", "W z + b", "h\ntanh", "s₁\n3", "z₁\n3", "ȳ = s₂\n2"} <= texts(fig3)
    fig4 = module_stack_diagram([linear_module(), activation_module("tanh")])
    jacobians = {"∂z₁/∂z₀", "∂z₁/∂w₀", "∂z₂/∂z₁", "∂z₂/∂w₁"}
    assert jacobians | {"f₀\nlinear", "f₁\ntanh", "z₂", "c"} <= texts(fig4)
    layers = handgrad.models.mlp_init(jax.random.key(1), [3, 4, 2])
    modules = handgrad.backprop.mlp_modules(layers, "tanh")
    fig5 = module_stack_diagram(modules, handgrad.backprop.mlp_stack_params(layers))
    assert {"w₀", "w₂", "∂z₃/∂w₂", "∂z₂/∂z₁"} <= texts(fig5)
    assert not {"w₁", "∂z₂/∂w₁"} & texts(fig5)  # tanh has no parameters
    for fig in (fig1, fig2, fig3, fig4, fig5):
        assert smallest_label_px(fig) >= 10
    with pytest.raises(ValueError, match="P must be at most 6"):
        average_loss_diagram(7)
    with pytest.raises(ValueError, match=r"non-empty list of handgrad\.backprop Modules"):
        module_stack_diagram([])
    with pytest.raises(ValueError, match="2-d 'W'"):
        traditional_net_diagram([{"W": jnp.ones(3)}])
