"""How much the forward pass must keep for the hand backward (d2l's exercise 3).

Backprop reuses the forward pass's intermediates, so they must live until the backward
pass has consumed them. Per layer of the deep MLP the hand backward keeps two arrays of
P × n_k numbers: the weighted sums S_k (a linear module's output, needed for h′(S_k))
and the activations Z_k = h(S_k) (the next linear module's input, needed for ∂c/∂W =
gᵀZ_k). Add the input X and the output S_L. Prediction keeps nothing for later: at each
module only its input and output are alive at once, so the peak is the largest
(input + output) pair. Training memory grows with depth and batch size; prediction
memory only with the widest layer — which is why training runs out of memory first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class MemoryFootprint(NamedTuple):
    """Numbers of array elements (multiply by the dtype's size for bytes)."""

    params: int
    training_per_layer: tuple[int, ...]  # S_k and Z_k of each layer (S_L only for the last)
    training: int  # everything the forward pass keeps for the backward pass, X included
    prediction_peak: int  # the most alive at once when only the output is wanted


def mlp_memory(widths: Sequence[int], batch_size: int, *, bias: bool = True) -> MemoryFootprint:
    """The memory footprint of the deep MLP with ``widths`` on a batch of ``batch_size``.

    >>> mlp_memory([64, 256, 10], batch_size=128).training
    75008
    """
    widths, P = list(widths), batch_size
    params = sum(n_out * n_in + (n_out if bias else 0) for n_in, n_out in zip(widths, widths[1:]))
    hidden, last = widths[1:-1], widths[-1]
    per_layer = tuple(2 * P * n for n in hidden) + (P * last,)
    states = [widths[0]] + [n for n in hidden for _ in (0, 1)] + [last]  # X, S_1, Z_1, …, S_L
    peak = max(P * (a + b) for a, b in zip(states, states[1:]))
    return MemoryFootprint(params, per_layer, P * widths[0] + sum(per_layer), peak)
