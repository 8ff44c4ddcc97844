"""Numpy's BLAS runs one thread per process unless the operator says otherwise.

Disclosure control works on small matrices; a second BLAS thread per gunicorn
worker only fought the other workers for the cores (one table's null space
took 77 ms instead of 4 on the project's 2-CPU machine under load).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = "import survey, numpy, os; print(os.environ.get('OPENBLAS_NUM_THREADS'))"


def _threads(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"}}
    if env_value is not None:
        env["OPENBLAS_NUM_THREADS"] = env_value
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, check=True, timeout=120)
    return done.stdout.strip()


@pytest.mark.parametrize(("given", "seen"), [(None, "1"), ("3", "3")])
def test_the_package_sets_one_blas_thread_before_numpy_loads(given, seen):
    assert _threads(given) == seen
