"""Pure statistics for stratified satisfaction surveys (numpy and scipy only).

Everything here works on per-group summaries (n, mean, variance, population),
which the app computes in one SQL ``GROUP BY``, and agrees with R's survey
package for the design ``svydesign(ids=~1, strata=~group, weights=~W_h/n_h,
fpc=~N_h)``. Nothing here imports the web app, so it can be tested against
reference values and reused on its own.

:func:`stratified_mean` (the index) and :func:`stratified_proportion` (the
share satisfied) called with their defaults give the published figure: design
df n - H, a lonely group collapsed with its nearest group, a logit interval
for the index inside 0-100, Korn-Graubard for the share, and every Estimate
assessed against the reliability standard (:mod:`.reliability`: ``reliable``,
``reasons``, ``cautions``). :func:`same_groups_change` compares two periods
on the groups present in both. Where the defaults depart from R's, the module
docstrings say why and bench/bench_coverage.py prints the coverage behind it.
"""

from .comparison import GroupChange, same_groups_change
from .difference import Verdict, difference, verdict
from .disclosure import complementary_suppression
from .estimate import Estimate
from .lonely import LonelyPSU
from .means import INDEX_SCALE, IndexInterval, stratified_mean
from .proportions import ProportionMethod, stratified_proportion
from .raking import RakeResult, RakingError, kish_n_effective, poststratify, rake
from .reliability import CAUTIONS, REASONS, Reliability
from .strata import Stratum
from .weights import stratum_weights

__all__ = [
    "CAUTIONS",
    "Estimate",
    "GroupChange",
    "INDEX_SCALE",
    "IndexInterval",
    "LonelyPSU",
    "ProportionMethod",
    "RakeResult",
    "RakingError",
    "REASONS",
    "Reliability",
    "Stratum",
    "Verdict",
    "complementary_suppression",
    "difference",
    "kish_n_effective",
    "poststratify",
    "rake",
    "same_groups_change",
    "stratified_mean",
    "stratified_proportion",
    "stratum_weights",
    "verdict",
]
