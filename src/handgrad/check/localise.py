"""Which formula is wrong: a hand backward checked node by node, in the order it runs.

``check_gradients`` says *that* a hand gradient is wrong; this module says *where* and, often,
*how*. The hand backward must expose its intermediate quantities (d2l's ``MLP1Backward``: ∂J/∂o,
∂J/∂W⁽²⁾, ∂J/∂h, ∂J/∂z, ∂J/∂W⁽¹⁾, ∂J/∂b⁽¹⁾). Each is set beside autodiff's cotangent at the same
node, in float64, walking the nodes in the order the backward computes them, and the walk stops
at the first mismatch: every quantity above it agreed, so the formula of that node, fed correct
inputs, produced a wrong value — an error upstream is never blamed on the nodes below it. The
references come from one ``jax.vjp`` (no Jacobian is formed): the forward pass is written with a
zero perturbation ε added at every intermediate (z + ε_z, h + ε_h, o + ε_o), and the cotangent of
ε_v is ∂J/∂v, the lecture's perturbation view of a derivative.

The failing node is then matched against a catalogue of known mistakes (``MISTAKES``), each
evaluated from the *correct* upstream values: ``∂J/∂z: expected ∂J/∂h ⊙ φ′(z); got a value
that matches ∂J/∂h ⊙ φ(z) (φ in place of φ′)``. Multi-stage stacks and fan-out graphs are
``handgrad.check.localise_graphs``; d2l's MLP is ``handgrad.check.localise_d2l``.

Tolerance: ``RTOL`` = 1e-10 relative, ‖hand − ref‖ / max(‖hand‖, ‖ref‖, 1e-8 · the largest
reference in the walk), so that a node that is exactly zero (all ReLUs off) is not failed for
rounding. A correct formula is at ~1e-15 in float64; a wrong one misses by far more. The work
runs under a scoped ``jax.enable_x64``; the global flag is never touched.

No anchor library does this: ``jax.test_util.check_grads`` and ``torch.autograd.gradcheck``
compare whole gradients with finite differences and say only that the gradient is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from handgrad._validate import check_positive_finite
from handgrad.check.gradcheck import GradientCheckError

RTOL = 1e-10

MISTAKES = {  # the catalogue: name -> what the slip is
    "wrong transpose": (
        "a matrix or product taken the wrong way round: in the text's column vectors W where Wᵀ"
        " belongs, which in row-major code is a Wᵀ where W belongs (silent when it is square)"
    ),
    "missing 1/P": "the batch mean's 1/P left out, so the gradient is P times too large",
    "λ applied per sample": "λW added once per sample, P times, instead of once per batch",
    "missing λW term": "the penalty's gradient ∂s/∂W = λW left out",
    "penalised bias": "λb⁽¹⁾ added, though s does not contain the bias",
    "φ in place of φ′": "the activation used where its derivative belongs",
    "φ′ at the output": "φ′ evaluated at h = φ(z) instead of at z",
    "mean instead of sum": "a sum over the batch divided by P a second time",
    "overwritten fan-out": "a value read by several nodes kept one edge's gradient, not the sum",
    "wrong sign": "the negative of the right value",
}


SIGN = ("wrong sign", "−(the rule)")  # a candidate every node is tried against


class DerivationError(GradientCheckError):
    """A hand backward's node disagrees with autodiff; ``node`` names the first one."""

    def __init__(self, message: str, node: NodeCheck):
        super().__init__(message)
        self.node = node


class NodeCheck(NamedTuple):
    """One node of the walk: its name and rule, the error against autodiff, and the verdict.

    ``mistake`` is the catalogue's name of the slip the hand value matches (None if it matches
    none, or the node is right) and ``matches`` the formula it matches or, for a wrong shape,
    what came back.
    """

    name: str
    rule: str
    rel_error: float
    ok: bool
    mistake: str | None = None
    matches: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"{self.name}: {self.rule} (relative error {self.rel_error:.1e})"
        if self.mistake is not None:
            got = f"got a value that matches {self.matches} ({self.mistake})"
        elif self.matches is not None:
            got = f"got {self.matches}"
        else:
            got = f"got a value off by {self.rel_error:.1e}, no known mistake"
        return f"{self.name}: expected {self.rule}; {got}"


class LocaliseReport(NamedTuple):
    """The nodes checked, in backward order, up to and including the first mismatch.

    ``unchecked`` names the nodes after it: computed from a wrong value, they prove nothing.
    """

    nodes: tuple[NodeCheck, ...]
    unchecked: tuple[str, ...]
    rtol: float

    @property
    def passed(self) -> bool:
        """Whether every node agreed with autodiff."""
        return all(n.ok for n in self.nodes)

    @property
    def first_failure(self) -> NodeCheck | None:
        """The first node that disagreed (the wrong formula), or None if all agreed."""
        return next((n for n in self.nodes if not n.ok), None)

    def __str__(self) -> str:
        width = max(len(n.name) for n in self.nodes) + 2
        rule_width = max(len(n.rule) for n in self.nodes) + 2
        rows = [f"  {'node':<{width}}{'rule':<{rule_width}}{'rel. error':>10}"]
        for n in self.nodes:
            rows.append(
                f"{'✓' if n.ok else '✗'} {n.name:<{width}}{n.rule:<{rule_width}}{n.rel_error:>10.1e}"
            )
        if self.unchecked:
            rows.append(f"  not checked, downstream of the mismatch: {', '.join(self.unchecked)}")
        bad = self.first_failure
        rows.append(f"first mismatch: {bad}" if bad else f"every node agrees to {self.rtol:.0e}")
        return "\n".join(rows)


def raise_on_mismatch(report: LocaliseReport) -> LocaliseReport:
    """Returns ``report`` if it passed, else raises ``DerivationError`` naming the first bad node."""
    bad = report.first_failure
    if bad is not None:
        raise DerivationError(f"the hand backward is wrong at {bad}", bad)
    return report


# A node to check: (name, rule, hand value, reference, candidates), the candidates a list of
# (mistake, formula, thunk giving the value that mistake produces from correct upstream values).
Candidate = tuple[str, str, Callable[[], Any]]
Entry = tuple[str, str, Any, jax.Array, Sequence[Candidate]]


def node_error(hand: Any, ref: ArrayLike, floor: float = 0.0) -> float:
    """‖hand − ref‖ / max(‖hand‖, ‖ref‖, floor) in float64; ∞ for another shape or a non-finite value."""
    a, b = np.asarray(hand, np.float64), np.asarray(ref, np.float64)
    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return math.inf
    scale = max(np.linalg.norm(a), np.linalg.norm(b), floor)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def walk(entries: Sequence[Entry], rtol: float = RTOL) -> LocaliseReport:
    """Checks the entries in order, stops at the first mismatch and names its mistake.

    The building block of every ``localise_*``: a node is right when ``node_error`` ≤ ``rtol``;
    the first wrong one is compared with each candidate in turn, the first match naming it.
    """
    rtol = check_positive_finite("rtol", rtol)
    floor = 1e-8 * max((float(np.linalg.norm(np.asarray(e[3]))) for e in entries), default=0.0)
    checked = []
    for i, (name, rule, hand, ref, candidates) in enumerate(entries):
        err = node_error(hand, ref, floor)
        if err <= rtol:
            checked.append(NodeCheck(name, rule, err, True))
            continue
        mistake = matches = None
        for key, formula, thunk in candidates:
            try:
                value = thunk()
            except (TypeError, ValueError):  # a candidate whose shapes do not fit here
                continue
            if node_error(hand, value, floor) <= rtol:
                mistake, matches = key, formula
                break
        if mistake is None and np.shape(hand) != np.shape(ref):
            matches = f"shape {np.shape(hand)}, expected {np.shape(ref)}"
        checked.append(NodeCheck(name, rule, err, False, mistake, matches))
        return LocaliseReport(tuple(checked), tuple(e[0] for e in entries[i + 1 :]), rtol)
    return LocaliseReport(tuple(checked), (), rtol)


def as_float64(tree: Any) -> Any:
    """Every floating leaf of ``tree`` as a float64 array (call under ``jax.enable_x64``)."""

    def wide(a):
        a = jnp.asarray(a)
        return a.astype(jnp.float64) if jnp.issubdtype(a.dtype, jnp.floating) else a

    return jax.tree_util.tree_map(wide, tree)
