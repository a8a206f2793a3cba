"""The graph at the level of the text: d2l's names and operators read from the named scopes
of the traced code, legible when shown 800 px wide, searchable in SVG; the block diagrams."""

import functools
import itertools
import pathlib
import re
import xml.etree.ElementTree as ET

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.mathtext import MathTextParser
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text
from matplotlib.textpath import TextPath

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
from handgrad.exercises.figure_parts import label_px, scripts, wrap
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


def seen(text):
    """Drawn where a reader sees it: not hidden, not the transparent searchable twin."""
    return text.get_visible() and text.get_alpha() != 0


def smallest_label_px(fig):
    """The smallest height in pixels of any text when the figure is shown 800 px wide."""
    texts = [t for t in fig.findobj(Text) if t.get_text().strip() and seen(t)]
    return min(label_px(t.get_fontsize(), fig.get_figwidth()) for t in texts)


def smallest_cap_px(fig):
    """The smallest glyph of any text, measured: the ink height in pixels (figure shown 800 px
    wide) of each capital, digit or superscript ᵀ, as drawn (a mathtext script at its size)."""
    smallest = np.inf
    for t in fig.findobj(Text):
        if not (t.get_text().strip() and seen(t)):
            continue
        prop = t.get_fontproperties()
        for line in t.get_text().split("\n"):
            if line.count("$") >= 2:
                parsed = MathTextParser("path").parse(line, 72, prop)
                glyphs = [(chr(glyph[2]), glyph[1]) for glyph in parsed.glyphs]  # font, size, char
            else:
                glyphs = [(c, t.get_fontsize()) for c in line]
            for c, size in glyphs:
                if c.isupper() or c.isdigit() or c == "ᵀ":
                    ink = TextPath(
                        (0, 0), c, size=size, prop=FontProperties(family=prop.get_family())
                    )
                    smallest = min(smallest, label_px(ink.get_extents().height, fig.get_figwidth()))
    return smallest


def unscripted(text):
    """``scripts`` undone: "z$_{\\mathregular{0}}$" is z₀ again."""
    tables = {
        "^": str.maketrans("()0123456789T", "⁽⁾⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ"),
        "_": str.maketrans("0123456789+kp", "₀₁₂₃₄₅₆₇₈₉₊ₖₚ"),
    }
    return re.sub(
        r"\$([\^_])\{\\mathregular\{(.*?)\}\}\$", lambda m: m[2].translate(tables[m[1]]), text
    )


def svg_texts(path):
    """Each text element's text: mathtext's glyphs (one tspan each) joined, "W(1)"."""
    found = set()
    for el in ET.parse(path).iter():
        if el.tag.endswith("}text") or el.tag == "text":
            found.add("".join(part.strip() for part in el.itertext()))  # a tspan a glyph
    return found


def searchable(label):
    """W⁽¹⁾ as the SVG holds it, W(1): its superscripts drawn by mathtext, in plain digits."""
    return label.translate(str.maketrans("⁽⁾⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ", "()0123456789T"))


def drawn(arrow):
    """Points along an arrow as drawn, its head too, in data coordinates, 25 a segment."""
    lines = arrow.get_path().to_polygons(closed_only=False)
    return np.concatenate(
        [np.linspace(p, q, 25) for line in lines for p, q in itertools.pairwise(line)]
    )


def crossings(fig):
    """(edge, node) for each arrow that passes through a node it does not join: arrows and
    nodes carry their graph ids as gids, "edge v1 op6" and "v1"."""
    found = []
    for ax in fig.axes:
        nodes = [p for p in ax.patches if isinstance(p, (Circle, FancyBboxPatch))]
        outlines = [(n, n.get_transform().transform_path(n.get_path())) for n in nodes]
        for a in [p for p in ax.patches if isinstance(p, FancyArrowPatch)]:
            joined = a.get_gid().split()[1:]
            inner = ax.transData.transform(drawn(a))
            found += [
                (a.get_gid(), n.get_gid()) for n, outline in outlines
                if n.get_gid() not in joined and outline.contains_points(inner).any()
            ]  # fmt: skip
    return found


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
        assert o.side == "forward" or o.label.strip("()").rstrip(")ᵀ") == forward[o.mirror]
    assert "(λ/2‖·‖²)ᵀ" in {o.label for o in g.operators}  # its ᵀ is no exponent of ²
    assert {("(λ/2‖·‖²)ᵀ", "∂s/∂W⁽¹⁾"), ("∂s/∂W⁽²⁾", "×ᵀ")} <= edges  # d2l's ∂s/∂W
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
        assert smallest_cap_px(fig) >= 7  # each glyph measured, the superscripts' digits too
    # the rules can fail: the jaxpr's graph is too wide; Unicode superscripts are too small
    assert smallest_label_px(draw_graph(trace_graph(D2L_J, *d2l_args(), detail="jaxpr"))) < 10
    plain = Figure(figsize=(8, 1))
    plain.text(0, 0, "W⁽¹⁾", fontsize=9)  # 12.5 px: W is 9.1 px tall, its ⁽¹⁾ only 5.1 px
    assert smallest_cap_px(plain) < 6
    formulas = {t.get_text() for t in figures[1].findobj(Text)}
    assert scripts("∂J/∂z xᵀ +\nλW⁽¹⁾") in formulas and scripts("W⁽²⁾ᵀ\n∂J/∂o") in formulas


def test_svg_keeps_the_labels_as_searchable_text(tmp_path):
    fonttype = matplotlib.rcParams["svg.fonttype"]
    draw_graph(trace_graph(D2L_J, *d2l_args()), tmp_path / "J.svg")
    assert set(D2L_NAMES) <= svg_texts(tmp_path / "J.svg")  # as the text writes them
    assert {searchable(n) for n in D2L_NAMES} <= svg_texts(tmp_path / "J.svg")  # as drawn
    assert matplotlib.rcParams["svg.fonttype"] == fonttype  # set for the save only
    draw_graph(backward_graph(D2L_J, *d2l_args()), tmp_path / "B.svg")
    back = svg_texts(tmp_path / "B.svg")
    assert {"∂J/∂o", "∂J/∂h", "∂J/∂z", "∂J/∂W(1)", "∂J/∂W(2)", "∂s/∂W(1)"} <= back
    assert {"∂J/∂W⁽¹⁾", "∂J/∂W⁽²⁾", "∂s/∂W⁽¹⁾", "(λ/2‖·‖²)ᵀ"} <= back


def test_the_cli_draws_the_text_level_graph_by_default(tmp_path, capsys):
    svg, raw = tmp_path / "g.svg", tmp_path / "raw.svg"
    assert main(["graph", str(CONFIGS / "digits_mlp1.toml"), "--out", str(svg)]) == 0
    texts = svg_texts(svg)
    assert set(D2L_NAMES) | {"×", "φ", "l", "+"} <= texts  # d2l's x, y; W⁽¹⁾ as written
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
    def texts(fig):  # as written, before mathtext draws the scripts: "z$_{\mathregular{0}}$" is z₀
        return {unscripted(t.get_text()) for t in fig.findobj(Text)}

    fig1 = parametrised_model_diagram(
        handgrad.models.linear, handgrad.models.squared_error, path=tmp_path / "1.svg"
    )
    assert {"x", "w", "y", "ȳ", "L", "G(x, w)\nlinear"} <= texts(fig1)
    assert {"x", "w", "ȳ", "L"} <= svg_texts(tmp_path / "1.svg")
    assert "C(y, ȳ)\nsquared\nerror" in texts(fig1)  # the cost in words, no "squared_"
    fig2 = average_loss_diagram(3)
    assert {"x[0]", "x[2]", "y[1]", "L[2]", "1/P Σ", "L(S, w)"} <= texts(fig2)
    params = handgrad.models.mlp_init(jax.random.key(0), [4, 3, 2])
    fig3 = traditional_net_diagram(params, activation="tanh")
    assert {"x = z₀\n4", "w z + b", "w₀", "h\ntanh", "s₁\n3", "z₁\n3", "ȳ = s₂\n2"} <= texts(fig3)
    assert "W₀" not in texts(fig3)  # the lecture writes w_k
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


def d2l_figures():
    """d2l's backward graphs as the notebook draws them, with and without the bias, and the
    forward graph above the backward one."""
    for bias in (False, True):
        yield draw_graph(backward_graph(D2L_J, *d2l_args(bias)), edge_labels=d2l_formulas())
        yield draw_forward_backward(D2L_J, *d2l_args(bias))


def test_no_edge_passes_through_a_node_it_does_not_join():
    for fig in d2l_figures():
        assert crossings(fig) == []
    cli = objective_graph_figure()
    assert crossings(cli) == []


def objective_graph_figure():
    from handgrad.training.config import load_config
    from handgrad.training.inspection import objective_graph

    return objective_graph(load_config(str(CONFIGS / "digits_mlp1.toml")), backward=True)


def test_each_formula_is_written_beside_its_own_edge():
    formulas = d2l_formulas()
    for bias, fig in zip([False, False, True, True], d2l_figures()):
        graph = backward_graph(D2L_J, *d2l_args(bias))
        label = {v.id: v.label for v in graph.variables}
        ax = fig.axes[-1]
        arrows = {p.get_gid(): p for p in ax.patches if isinstance(p, FancyArrowPatch)}
        written = [t for t in ax.texts if t.get_gid()]
        assert len(written) == len([v for v in graph.variables if v.label in formulas])
        for text in written:
            target = label[text.get_gid().split()[2]]  # the edge into ∂J/∂b⁽¹⁾ says ∂J/∂z
            assert text.get_text() == scripts(wrap(formulas[target], 10))
            near = np.hypot(*(drawn(arrows[text.get_gid()]) - text.get_position()).T).min()
            assert near < 0.9, (target, near)  # in columns: beside it, not an edge away


def test_shapes_follow_one_rule_with_or_without_the_bias():
    for bias in (False, True):
        g = backward_graph(D2L_J, *d2l_args(bias))
        shapes = {v.label: v.shape.split("[")[1] for v in g.variables}
        assert shapes["x"] == "4]" and shapes["z"] == shapes["h"] == shapes["∂J/∂z"] == "3]"
        assert shapes["o"] == shapes["l′"] == shapes["∂J/∂o"] == "2]"
        assert shapes["W⁽¹⁾"] == shapes["∂J/∂W⁽¹⁾"] == shapes["∂s/∂W⁽¹⁾"] == "3,4]"
        params = d2l_args(bias)[0]
        batch = functools.partial(handgrad.models.mlp1_objective, lam=0.1)
        g = trace_graph(batch, params, randn(1, (5, 4)), jnp.array([0, 1, 0, 1, 1]))
        shapes = {v.label: v.shape.split("[")[1] for v in g.variables}
        assert (shapes["X"], shapes["z"], shapes["h"], shapes["o"]) == (
            "5,4]",
            "5,3]",
            "5,3]",
            "5,2]",
        )
