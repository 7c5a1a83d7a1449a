#!/bin/sh
# Runs one row of the "Core under load" table of bench/README.md: bench/run.sh <row>,
# a number (1-9) or a name. Durations and sizes come from the environment (see each
# runner's header and bench/load/harness.ts). Prints the runner's lines, the last one
# `RESULT {…}`.
set -e
cd "$(dirname "$0")/.."
case "$1" in
  1|auth) row=auth ;;
  2|open) row=open ;;
  3|read) row=read ;;
  4|assign-task) row=assign-task ;;
  5|assign-work) row=assign-work ;;
  6|protocol-run) row=protocol-run ;;
  7|fanout) row=fanout ;;
  8|events-flood) row=events-flood ;;
  9|idle) row=idle ;;
  *) echo "usage: bench/run.sh <1-9 | auth | open | read | assign-task | assign-work | protocol-run | fanout | events-flood | idle>" >&2; exit 2 ;;
esac
exec node --import tsx "bench/load/$row.ts"
