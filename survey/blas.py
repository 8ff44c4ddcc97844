"""One BLAS thread per process: imported by the package before anything loads numpy.

OpenBLAS (numpy's and scipy's) reads its thread count once, when it loads.
Disclosure control works on matrices of a few hundred entries, where a second
thread only fights the other gunicorn workers (and PostgreSQL) for the cores:
on this project's 2-CPU machine under load, one table's null space took 77 ms
with two threads and 4 ms with one. An operator's own setting wins.
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
