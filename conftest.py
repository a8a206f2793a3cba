"""A strict test environment for the tests and the doctests (equinox's habit): float64
available, rank promotion and implicit dtype promotion are errors, and so is every warning
(pyproject's filterwarnings). Four CPU devices, so that training split over devices runs
in-process (JAX fixes the count when its backend starts: before anything touches a device).

The notebooks run as tests too (nbmake), each in its own kernel, which inherits
HANDGRAD_QUICK=1 from here: the same code with fewer steps, so the set runs in seconds.
"""

import os

import jax
import pytest

jax.config.update("jax_num_cpu_devices", 4)
jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_numpy_dtype_promotion", "strict")
os.environ.setdefault("HANDGRAD_QUICK", "1")


@pytest.fixture
def key():
    return jax.random.key(0)
