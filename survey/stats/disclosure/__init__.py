"""Disclosure control: no figure of fewer than k respondents can be worked out from what is shown.

Design note
===========

What is protected, and against whom
-----------------------------------
Every face (pages, PDF, CSV/XLSX, the JSON API, comments) shows, for every
period (month, quarter, year, whole campaign) and breakdown (unit, group,
channel, service point), figures built from additive summaries: n, the sum of
scores, the sum of squares and the count satisfied, per (unit, group,
channel, point, month) -- the *atoms*. The attacker we guard against reads
everything published, across all periods, breakdowns and faces at once,
knows the weights and which atoms exist, and combines published figures
linearly (subtraction is the common case: 2026 minus 2026-Q4, a unit minus
its other groups, a point minus the one channel only it has). The issue that
started this showed such an attacker recovering 97 of 2,344 suppressed cells
of the demo, e.g. one expert's answers from a year and its quarters.

A multi-group figure is computed only from group parts that are published,
so it adds no equation about a withheld part, and each (unit, group) is a
table of its own (:func:`protect_table`): atoms (channel, point, month), and
as published rows the nodes shown -- the group over the time hierarchy,
crossed with each channel and each point. The rule enforced is today's
principle carried over to every linear combination: **no nonzero linear
combination of published nodes rests on fewer than k respondents**, where a
combination rests on the atoms it does not cancel. That one rule covers

- a withheld node with 0 < n < k (primary suppression; its 0/1 vector must
  not be in the row space of the published nodes),
- two or more small withheld cells whose *sum* follows (two months pooling
  3 people: the two in August would learn May's one answer by subtraction),
- cells never shown at all that are differences of shown ones (point P minus
  the kiosk channel that only P has = the QR cards at P, perhaps 2 people).

The span condition alone (is the withheld node's vector derivable?) misses
the last two, so the stronger rule is audited, exactly, after the search.

What is not covered
-------------------
- An attacker who knows some respondents' answers (the other people in a
  pool of k learn the rest of it); k is the only defence, as before.
- Integer and range reasoning: scores lie in 0..100 and counts are
  integers, so a linear combination that is not derivable may still be
  narrowed (a pool of k who all chose "very satisfied" is known to have).
  Protection intervals in the audit (the LP audit of tau-ARGUS) would
  address it; we do not.
- Inverting the algorithm: the pattern depends on the counts, and the
  pattern is public. Deterministic, cheapest-first choices leak little, but
  not nothing.
- Publications outside the table model: anything else that shows an exact n
  of a (unit, group) part (fieldwork progress, response rates, comment counts)
  must show only published parts, or be added to the table as nodes.

Method, and the one not chosen
------------------------------
Cell suppression with an exact audit, as statistical agencies do for linked
hierarchical tables (Hundepool, Domingo-Ferrer, Franconi, Giessing, Nordholt,
Spicer, de Wolf, *Statistical Disclosure Control*, Wiley 2012, ch. 4:
primary and secondary cell suppression, and auditing a suppression pattern).
Requiring that derivable *aggregates* of suppressed cells be safe too, not
only single cells, follows Daalmans and de Waal, "An improved formulation of
the disclosure auditing problem for secondary cell suppression", Transactions
on Data Privacy 3 (2010) 217-251. The secondary search is a greedy relative
of the hypercube method of tau-ARGUS (the suppression software of de Wolf and
colleagues at Statistics Netherlands; the hypercube method is Repsilber's
GHMITER): it protects each exposed pool by a cheap perturbation (a 2 x 2
swap of cells and months, or a smaller one) and lets the audit decide
whether more is needed. It is not optimal (tau-ARGUS' "optimal" method solves
a mixed integer program); it is deterministic, and fast where it matters: a
province-size table with few small cells in tens of milliseconds. Its cost
grows with the share of small atoms, because months linked through withheld
nodes are audited together (bench/bench_disclosure.py prints the figures);
the pattern depends only on the counts, so it can be cached per table.

The Australian Bureau of Statistics' cell-key method (TableBuilder; Fraser
and Wooton 2005; Thompson, Broadfoot and Elazar 2013) perturbs every count
consistently instead, so nothing is withheld. Not chosen: our figures are
means and shares with intervals checked against R's survey package, and
perturbing n and sums would make every published estimate differ from the
reference values and its interval wrong by an unknown amount; evaluators
also compare units formally, where "withheld" is honest and a silently
perturbed figure is not.

What an evaluator loses
-----------------------
Some cells of k or more respondents are withheld (secondary, shown as
"withheld"), chosen smallest first and fine periods before coarse ones; the
n of any withheld part is not shown anywhere, and a multi-group figure
leaves withheld parts out (its n is the n of what it is built from). The
pattern is shared by all indicators of the table: if an optional question
was answered by fewer than k in a cell, the whole cell is withheld for every
indicator (pass its counts in ``layers``). A pattern per indicator would
lose less, but the n of a cell withheld for one indicator would then be
published by the next one, whose respondents are mostly the same people.

Using it
--------
Per (campaign, unit, group), from the running summaries: ``counts`` maps
``Atom(channel, point id or None, "YYYY-MM")`` (the month in the campaign's
time zone) to the respondents of that atom; ``layers`` holds the n of each
indicator whose n differs from it somewhere. ``protect_table(counts, k=k)``
returns a :class:`TableProtection`; for every figure of that group part ask
``status(Node(kind, key, period))``: "published", "primary" (show "fewer
than k") or "secondary" (show "withheld"), and leave every part that is not
published out of the combined figures (unit, channel, point, campaign).
"""

from .complementary import complementary_suppression
from .protect import Status, TableProtection, protect_table
from .table import Atom, Node, periods_of

__all__ = [
    "Atom",
    "Node",
    "Status",
    "TableProtection",
    "complementary_suppression",
    "periods_of",
    "protect_table",
]
