"""Pure statistics for stratified satisfaction surveys (numpy and scipy only).

Everything here works on per-group summaries (n, mean, variance, population),
which the app computes in one SQL ``GROUP BY``, and agrees with R's survey
package for the design ``svydesign(ids=~1, strata=~group, weights=~W_h/n_h,
fpc=~N_h)``. Nothing here imports the web app, so it can be tested against
reference values and reused on its own.
"""

from .difference import Verdict, difference, verdict
from .disclosure import complementary_suppression
from .estimate import Estimate
from .lonely import LonelyPSU
from .means import stratified_mean
from .proportions import ProportionMethod, stratified_proportion
from .raking import RakeResult, RakingError, kish_n_effective, poststratify, rake
from .strata import Stratum
from .weights import stratum_weights

__all__ = [
    "Estimate",
    "LonelyPSU",
    "ProportionMethod",
    "RakeResult",
    "RakingError",
    "Stratum",
    "Verdict",
    "complementary_suppression",
    "difference",
    "kish_n_effective",
    "poststratify",
    "rake",
    "stratified_mean",
    "stratified_proportion",
    "stratum_weights",
    "verdict",
]
