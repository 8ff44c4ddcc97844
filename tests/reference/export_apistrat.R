# Export the columns of survey::apistrat that the Python tests rebuild strata from.
# Run: Rscript tests/reference/export_apistrat.R  (writes tests/reference/apistrat.csv)
suppressMessages(library(survey))
data(api)
out <- data.frame(
  stype = as.character(apistrat$stype),
  api00 = apistrat$api00,
  api99 = apistrat$api99,
  pw = sprintf("%.15g", apistrat$pw),
  fpc = apistrat$fpc,
  sch_wide = as.integer(apistrat$sch.wide == "Yes"),
  awards = as.integer(apistrat$awards == "Yes"),
  enroll = apistrat$enroll,
  meals = apistrat$meals
)
write.csv(out, "tests/reference/apistrat.csv", row.names = FALSE, quote = FALSE)
