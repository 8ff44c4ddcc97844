# Reference values for survey.stats from R's survey package (apistrat data).
#
# Run from the repository root:  Rscript tests/reference/apistrat.R
# It writes tests/reference/apistrat.json. Every case records the rows of
# tests/reference/apistrat.csv it used (1-based, as in R), so the Python tests
# rebuild the same strata from raw values without R.
#
# The app's design is svydesign(ids=~1, strata=~group, weights=~W_h/n_h, fpc=~N_h).
# For population-share weights we use weights = N_h/n_h exactly (fpc/n_h): the
# shipped apistrat$pw is stored in single precision (44.2099990844727, not 44.21),
# which moves the se in the 9th digit; the "published" case keeps pw and is
# compared at 1e-7 against the numbers quoted in the survey package documentation.
suppressMessages(library(survey))
library(jsonlite)
data(api)

d <- apistrat
d$stype <- as.character(d$stype)
d$api00_gt_700 <- as.numeric(d$api00 > 700)
d$api00_gt_400 <- as.numeric(d$api00 > 400)
d$sch_wide <- as.numeric(d$sch.wide == "Yes")
d$awards01 <- as.numeric(d$awards == "Yes")
N <- c(E = 4421, H = 755, M = 1018)

stratum_weights <- function(s, weights) {
  present <- sort(unique(s$stype))
  if (is.null(weights)) raw <- N[present] else raw <- weights[present]
  raw / sum(raw)
}

make_design <- function(rows, weights = NULL, fpc = TRUE) {
  s <- d[rows, ]
  nh <- table(s$stype)
  W <- stratum_weights(s, weights)
  s$w <- as.numeric(W[s$stype] / nh[s$stype])
  s$N <- as.numeric(N[s$stype])
  if (fpc) {
    svydesign(ids = ~1, strata = ~stype, weights = ~w, fpc = ~N, data = s)
  } else {
    svydesign(ids = ~1, strata = ~stype, weights = ~w, data = s)
  }
}

# Welch-Satterthwaite df by formula: (sum a_h s_h^2)^2 / sum (a_h s_h^2)^2/(n_h - 1),
# a_h = W_h^2 (1 - f_h) / n_h. R has no built-in for this; it is computed here from
# the definition so the Python value is checked against an independent implementation.
satterthwaite <- function(rows, variable, weights, fpc) {
  s <- d[rows, ]
  W <- stratum_weights(s, weights)
  terms <- sapply(names(W), function(h) {
    y <- s[s$stype == h, variable]
    n <- length(y)
    f <- if (fpc) n / N[[h]] else 0
    W[[h]]^2 * (1 - f) / n * var(y)
  })
  nh <- as.numeric(table(s$stype)[names(W)])
  sum(terms)^2 / sum(terms^2 / (nh - 1))
}

cases <- list()
add <- function(case) cases[[length(cases) + 1]] <<- case

mean_case <- function(name, rows, variable, weights = NULL, fpc = TRUE, level = 0.95,
                      lonely = "adjust", satt = TRUE) {
  options(survey.lonely.psu = lonely)
  des <- make_design(rows, weights, fpc)
  m <- svymean(as.formula(paste0("~", variable)), des)
  df <- degf(des)
  ci <- confint(m, df = df, level = level)
  case <- list(name = name, kind = "mean", rows = rows, variable = variable,
               weights = if (is.null(weights)) "population" else as.list(weights),
               fpc = fpc, level = level, lonely = lonely,
               estimate = unname(coef(m)), se = as.numeric(SE(m)), df = df,
               low = unname(ci[1]), high = unname(ci[2]))
  if (satt) {
    sdf <- satterthwaite(rows, variable, weights, fpc)
    q <- qt((1 + level) / 2, sdf)
    case$satterthwaite <- list(df = sdf, low = unname(coef(m)) - q * as.numeric(SE(m)),
                               high = unname(coef(m)) + q * as.numeric(SE(m)))
  }
  add(case)
}

prop_case <- function(name, rows, variable, weights = NULL, fpc = TRUE, level = 0.95,
                      lonely = "adjust") {
  options(survey.lonely.psu = lonely)
  des <- make_design(rows, weights, fpc)
  f <- as.formula(paste0("~", variable))
  m <- svymean(f, des)
  for (method in c("beta", "logit")) {
    ci <- svyciprop(f, des, method = method, level = level)
    add(list(name = paste(name, method), kind = method, rows = rows, variable = variable,
             weights = if (is.null(weights)) "population" else as.list(weights),
             fpc = fpc, level = level, lonely = lonely,
             estimate = unname(coef(m)), glm_estimate = as.numeric(ci),
             se = as.numeric(SE(m)), df = degf(des),
             low = unname(attr(ci, "ci")[1]), high = unname(attr(ci, "ci")[2])))
  }
}

all_rows <- seq_len(nrow(d))
policy <- c(E = 0.5, H = 0.2, M = 0.3)

# Population shares (the apistrat design itself).
mean_case("api00 population shares", all_rows, "api00")
mean_case("api00 population shares level 0.9", all_rows, "api00", level = 0.9)
mean_case("enroll population shares", all_rows, "enroll")
# Policy weights, with and without fpc.
mean_case("api00 policy weights fpc", all_rows, "api00", weights = policy)
mean_case("api00 policy weights no fpc", all_rows, "api00", weights = policy, fpc = FALSE)
mean_case("meals policy weights no fpc", all_rows, "meals", weights = c(E = 1, H = 1, M = 2),
          fpc = FALSE)
# Small unequal subsample: 12 E, 4 H, 7 M.
small <- c(which(d$stype == "E")[1:12], which(d$stype == "H")[1:4], which(d$stype == "M")[1:7])
mean_case("api00 small subsample", small, "api00")
mean_case("api00 small subsample policy no fpc", small, "api00", weights = policy, fpc = FALSE)

# Proportions: svyciprop beta (Korn-Graubard) and logit.
prop_case("api00>700 population shares", all_rows, "api00_gt_700")
prop_case("api00>700 population shares level 0.9", all_rows, "api00_gt_700", level = 0.9)
prop_case("api00>400 near 1", all_rows, "api00_gt_400")
prop_case("api00>700 small subsample", small, "api00_gt_700")
prop_case("sch_wide policy weights no fpc", all_rows, "sch_wide", weights = policy, fpc = FALSE)
prop_case("awards small subsample policy fpc", small, "awards01", weights = policy)

# Korn-Graubard with Satterthwaite df in place of degf(design), by formula.
local({
  des <- make_design(all_rows)
  m <- svymean(~api00_gt_700, des)
  p <- unname(coef(m)); v <- unname(vcov(m))[1]
  sdf <- satterthwaite(all_rows, "api00_gt_700", NULL, TRUE)
  alpha <- 0.05
  n.eff <- p * (1 - p) / v * (qt(alpha / 2, nrow(des) - 1) / qt(alpha / 2, sdf))^2
  add(list(name = "api00>700 beta satterthwaite (formula)", kind = "beta-satterthwaite",
           rows = all_rows, variable = "api00_gt_700", weights = "population", fpc = TRUE,
           level = 0.95, lonely = "adjust", estimate = p, se = sqrt(v), df = sdf,
           low = qbeta(alpha / 2, n.eff * p, n.eff * (1 - p) + 1),
           high = qbeta(1 - alpha / 2, n.eff * p + 1, n.eff * (1 - p))))
})

# Lonely PSU: all E and M schools, but only the first H school.
lonely_rows <- c(which(d$stype == "E"), which(d$stype == "H")[1], which(d$stype == "M"))
for (opt in c("fail", "remove", "certainty", "adjust", "average")) {
  for (fpc in c(TRUE, FALSE)) {
    w <- if (fpc) NULL else policy
    label <- paste0("lonely ", opt, if (fpc) " population shares" else " policy no fpc")
    res <- tryCatch({
      mean_case(label, lonely_rows, "api00", weights = w, fpc = fpc, lonely = opt,
                satt = FALSE)
      TRUE
    }, error = function(e) conditionMessage(e))
    if (!isTRUE(res)) {
      add(list(name = label, kind = "mean", rows = lonely_rows, variable = "api00",
               weights = if (is.null(w)) "population" else as.list(w), fpc = fpc,
               level = 0.95, lonely = opt, error = res))
    }
  }
}
prop_case("lonely adjust proportion", lonely_rows, "api00_gt_700", lonely = "adjust")
prop_case("lonely average proportion", lonely_rows, "api00_gt_700", weights = policy,
          fpc = FALSE, lonely = "average")
options(survey.lonely.psu = "fail")

# The published apistrat numbers, with the shipped (single precision) pw.
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
m <- svymean(~api00, dstrat)
ci <- confint(m, df = degf(dstrat))
b <- svyciprop(~I(api00 > 700), dstrat, method = "beta")
l <- svyciprop(~I(api00 > 700), dstrat, method = "logit")
published <- list(mean = list(estimate = unname(coef(m)), se = as.numeric(SE(m)), df = degf(dstrat),
                              low = unname(ci[1]), high = unname(ci[2])),
                  beta = list(estimate = as.numeric(b), low = unname(attr(b, "ci")[1]),
                              high = unname(attr(b, "ci")[2])),
                  logit = list(estimate = as.numeric(l), low = unname(attr(l, "ci")[1]),
                               high = unname(attr(l, "ci")[2])))

write_json(list(generated_by = paste("R", getRversion(), "survey", packageVersion("survey")),
                cases = cases, published = published),
           "tests/reference/apistrat.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
