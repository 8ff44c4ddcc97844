# Reference weights for survey.stats.rake / poststratify from survey::rake and
# survey::postStratify on apistrat, raked to the apipop margins of school type
# and sch.wide (and, for three margins, awards).
# Run from the repository root:  Rscript tests/reference/raking.R
suppressMessages(library(survey))
library(jsonlite)
data(api)

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = as.numeric(table(apipop$sch.wide)))
pop_awards <- data.frame(awards = c("No", "Yes"), Freq = as.numeric(table(apipop$awards)))

tight <- list(maxit = 200, epsilon = 1e-13)
r2 <- rake(dstrat, list(~stype, ~sch.wide), list(pop_types, pop_schwide), control = tight)
r3 <- rake(dstrat, list(~stype, ~sch.wide, ~awards),
           list(pop_types, pop_schwide, pop_awards), control = tight)
ps <- postStratify(dstrat, ~sch.wide, pop_schwide)

out <- list(
  generated_by = paste("R", getRversion(), "survey", packageVersion("survey")),
  margins = list(stype = as.list(setNames(pop_types$Freq, pop_types$stype)),
                 sch_wide = as.list(setNames(pop_schwide$Freq, c("0", "1"))),
                 awards = as.list(setNames(pop_awards$Freq, c("0", "1")))),
  rake_stype_schwide = as.numeric(weights(r2)),
  rake_stype_schwide_awards = as.numeric(weights(r3)),
  poststratify_schwide = as.numeric(weights(ps)),
  raked_mean_api00 = list(estimate = unname(coef(svymean(~api00, r2))),
                          se = as.numeric(SE(svymean(~api00, r2))))
)
write_json(out, "tests/reference/raking.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
