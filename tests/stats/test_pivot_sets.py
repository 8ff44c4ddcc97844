"""The audit's lower bound by bit sets equals the same bound worked out row by row."""

from __future__ import annotations

import numpy as np
import pytest

from survey.stats.disclosure.pivot_sets import RowsAlone, connected_sets


@pytest.mark.parametrize("seed", range(5))
def test_rows_touched_by_one_chosen_pivot_weigh_the_same_as_counted(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, pivots = int(rng.integers(1, 200)), int(rng.integers(1, 12))
    touching = rng.choice([0.0, 0.0, 1.0, -0.5], size=(rows, pivots))
    weights = rng.integers(1, 9, size=rows)
    alone = RowsAlone(touching, weights)
    for _ in range(50):
        chosen = sorted(rng.choice(pivots, size=int(rng.integers(1, pivots + 1)), replace=False))
        count = (touching[:, chosen] != 0).sum(axis=1)
        assert alone.weight(chosen) == int(weights[count == 1].sum())


def test_connected_sets_are_every_light_connected_set_once() -> None:
    # a path 0 - 1 - 2 and a lone 3: with k = 4 and weights 1, 1, 2, 5
    neighbours = [{1}, {0, 2}, {1}, set()]
    found = sorted(tuple(sorted(s)) for s in connected_sets(neighbours, [1, 1, 2, 5], 4))
    assert found == [(0,), (0, 1), (1,), (1, 2), (2,)]
