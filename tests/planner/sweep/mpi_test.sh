#!/usr/bin/env bash
# Expectation: `mpirun -np 2 trainplan sweep SWEEP --json` (and --csv) prints byte for byte what a
# single process prints, and a single process prints the same with 1 or 2 threads.
# Usage: mpi_test.sh TRAINPLAN SWEEP.json [MPIRUN]; exits 77 (skipped) when mpirun is absent.
set -u
bin=$1 sweep=$2 mpirun=${3:-}
[ -n "$mpirun" ] || mpirun=$(command -v mpirun || true)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
"$bin" sweep "$sweep" --json --threads 1 --csv "$tmp/single.csv" > "$tmp/single.json" || { echo "single run failed"; exit 1; }
"$bin" sweep "$sweep" --json --threads 2 > "$tmp/threads2.json" || { echo "2-thread run failed"; exit 1; }
cmp -s "$tmp/single.json" "$tmp/threads2.json" || { echo "Actual: 1 and 2 threads differ"; diff "$tmp/single.json" "$tmp/threads2.json" | head; fail=1; }
if [ -z "$mpirun" ] || [ ! -x "$mpirun" ]; then
  echo "SKIP: mpirun not found"; exit 77
fi
# As root Open MPI needs --allow-run-as-root; --oversubscribe lets 2 ranks start on a 1-core machine.
args=(-np 2 --oversubscribe)
[ "$(id -u)" = 0 ] && args+=(--allow-run-as-root)
OMPI_MCA_btl_vader_single_copy_mechanism=none "$mpirun" "${args[@]}" "$bin" sweep "$sweep" --json --threads 1 --csv "$tmp/mpi.csv" \
  > "$tmp/mpi.json" 2> "$tmp/mpi.err" || { echo "mpirun failed:"; cat "$tmp/mpi.err"; exit 1; }
if cmp -s "$tmp/single.json" "$tmp/mpi.json" && cmp -s "$tmp/single.csv" "$tmp/mpi.csv"; then
  echo "Expectation: mpirun -np 2 output identical to the single process. Actual: identical ($(wc -c < "$tmp/mpi.json") bytes of JSON)"
else
  echo "Expectation: mpirun -np 2 output identical to the single process. Actual: they differ:"
  diff "$tmp/single.json" "$tmp/mpi.json" | head -20; diff "$tmp/single.csv" "$tmp/mpi.csv" | head -5
  fail=1
fi
exit $fail
