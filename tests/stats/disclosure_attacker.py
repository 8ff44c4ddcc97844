"""An attacker who sees only what is published, written apart from survey.stats.disclosure.

It knows which atoms (channel, point, month) are non-empty and, for every
published node, the numbers printed beside it (n, sum of scores, ...). With
exact rational Gaussian elimination it tries to

- recover a withheld node's numbers exactly (is its 0/1 vector a linear
  combination of published rows? then the same combination of the printed
  numbers gives them), and
- find any pool of fewer than k respondents whose total follows from the
  published numbers (a derivable combination resting on light atoms), by
  brute force over small sets of atoms.

Nothing here imports the algorithm under test (only its value types), and
periods are matched by their own spelling, so a mistake in one is caught by
the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from itertools import combinations

from survey.stats.disclosure import Atom, Node


def in_period(month: str, period: str) -> bool:
    """Whether a month "YYYY-MM" lies in "all", "YYYY", "YYYY-Qq" or "YYYY-MM"."""
    if period == "all":
        return True
    if len(period) == 4:
        return month[:4] == period
    if period[5] == "Q":
        return month[:4] == period[:4] and (int(month[5:]) - 1) // 3 + 1 == int(period[6])
    return month == period


def holds(node: Node, atom: Atom) -> bool:
    """Whether an atom's respondents are counted in a node."""
    if not in_period(atom.month, node.period):
        return False
    if node.kind == "channel":
        return atom.channel == node.key
    if node.kind == "point":
        return atom.point is not None and atom.point == node.key
    return True


def all_nodes(atoms: Iterable[Atom]) -> set[Node]:
    """Every node that holds at least one of the atoms."""
    found: set[Node] = set()
    for atom in atoms:
        year, month = atom.month[:4], int(atom.month[5:])
        periods = ["all", year, f"{year}-Q{(month - 1) // 3 + 1}", atom.month]
        for period in periods:
            found.add(Node("group", None, period))
            found.add(Node("channel", atom.channel, period))
            if atom.point is not None:
                found.add(Node("point", atom.point, period))
    return found


class Attacker:
    """Everything derivable from published nodes, by exact elimination over the rationals."""

    def __init__(self, atoms: Sequence[Atom], published: Mapping[Node, Sequence[Fraction]]):
        self.atoms = list(atoms)
        self.width = len(self.atoms)
        self.measures = len(next(iter(published.values()), ()))
        self.pivots: list[tuple[int, list[Fraction]]] = []
        for node, values in published.items():
            row = [Fraction(int(holds(node, a))) for a in self.atoms]
            self._add([*row, *map(Fraction, values)])

    def _reduce(self, row: list[Fraction]) -> list[Fraction]:
        for column, pivot in self.pivots:
            factor = row[column]
            if factor:
                row = [x - factor * p for x, p in zip(row, pivot, strict=True)]
        return row

    def _add(self, row: list[Fraction]) -> None:
        row = self._reduce(row)
        column = next((i for i in range(self.width) if row[i]), None)
        if column is None:
            return
        row = [x / row[column] for x in row]
        self.pivots = [(c, [x - p[column] * r for x, r in zip(p, row, strict=True)])
                       for c, p in self.pivots]
        self.pivots.append((column, row))

    @property
    def rank(self) -> int:
        return len(self.pivots)

    def recover(self, vector: Sequence[int | Fraction]) -> list[Fraction] | None:
        """The measures of a combination of atoms, if the published numbers determine them."""
        reduced = self._reduce([Fraction(v) for v in vector] + [Fraction(0)] * self.measures)
        if any(reduced[: self.width]):
            return None
        return [-x for x in reduced[self.width:]]

    def recover_node(self, node: Node) -> list[Fraction] | None:
        return self.recover([int(holds(node, a)) for a in self.atoms])

    def _null_space(self) -> list[list[Fraction]]:
        """Changes of the atoms that leave every published number as it is."""
        pivot_columns = {c for c, _ in self.pivots}
        basis = []
        for free in range(self.width):
            if free in pivot_columns:
                continue
            vector = [Fraction(0)] * self.width
            vector[free] = Fraction(1)
            for column, row in self.pivots:
                vector[column] = -row[free]
            basis.append(vector)
        return basis

    def lightest_pool(self, respondents: Sequence[int], k: int) -> set[Atom] | None:
        """Atoms of fewer than k respondents together whose combined total is derivable.

        Brute force: the derivable combinations supported on light atoms are
        the vectors over them orthogonal to every invisible change; try every
        set of light atoms (fewest first) and ask whether such a vector fits in it.
        """
        light = [i for i, n in enumerate(respondents) if 0 < n < k]
        changes = self._null_space()
        derivable = _kernel([[change[i] for i in light] for change in changes], len(light))
        if not derivable:
            return None
        used = [j for j in range(len(light)) if any(v[j] for v in derivable)]
        for size in range(1, k):
            for chosen in combinations(used, size):
                if sum(respondents[light[j]] for j in chosen) >= k:
                    continue
                outside = [j for j in range(len(light)) if j not in chosen]
                if _rank([[v[j] for j in outside] for v in derivable]) < len(derivable):
                    return {self.atoms[light[j]] for j in chosen}
        return None


def _rank(rows: list[list[Fraction]]) -> int:
    rank, rows = 0, [list(r) for r in rows]
    width = len(rows[0]) if rows else 0
    for column in range(width):
        found = next((i for i in range(rank, len(rows)) if rows[i][column]), None)
        if found is None:
            continue
        rows[rank], rows[found] = rows[found], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][column]:
                factor = rows[i][column] / rows[rank][column]
                rows[i] = [x - factor * y for x, y in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def _kernel(rows: list[list[Fraction]], width: int) -> list[list[Fraction]]:
    """A basis of the vectors of length ``width`` that every row annihilates."""
    attacker = Attacker.__new__(Attacker)
    attacker.width, attacker.measures, attacker.pivots = width, 0, []
    for row in rows:
        attacker._add(list(row))
    return attacker._null_space()


def published_values(nodes: Iterable[Node], atoms: Sequence[Atom],
                     measures: Mapping[Atom, Sequence[int]]) -> dict[Node, list[Fraction]]:
    """The numbers a face prints for each node: each measure summed over its atoms."""
    width = len(next(iter(measures.values())))
    return {node: [Fraction(sum(measures[a][i] for a in atoms if holds(node, a)))
                   for i in range(width)] for node in nodes}
