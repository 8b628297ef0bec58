#!/bin/sh
# Full softmax against hierarchical softmax (F40) for a word-level LSTM
# language model: bench/hsm_bench.c run REPS times (alternating, fresh
# processes), each printing one JSON line per softmax, then the median
# training tokens/s of each and the speed-up.
#
#   bench/hsm.sh [BUILD_DIR] [REPS] [hsm_bench options ...]
#
# Defaults: build, 3 repetitions, a 10,000-word vocabulary, H=256, batch 32,
# 32 steps of BPTT, 100 classes, 20 timed steps. `bench/hsm.sh build 1
# --steps 2` checks that it works. `bench/hsm.sh build 3 --generate 2000`
# times batch-1 sampling instead (full, hierarchical exact and fast);
# `bench/hsm.sh build 3 --log-probs 32` the exact log-probabilities of every
# word for 32 rows (full softmax against hsm_log_probs), compared by CPU
# time. Run it on a quiet machine.
set -eu
build="${1:-build}"
reps="${2:-3}"
[ $# -gt 2 ] && shift 2 || set --
bench="$build/bench/hsm_bench"
[ -x "$bench" ] || { echo "no $bench: cmake --build $build --target hsm_bench" >&2; exit 1; }
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
i=0
while [ "$i" -lt "$reps" ]; do
    "$bench" "$@" | tee -a "$out"
    i=$((i + 1))
done
median() { # the median of field $2 (default tokens_per_s) over the lines of softmax kind $1
    grep "\"softmax\": \"$1\"" "$out" | grep "\"${2:-tokens_per_s}\"" |
        sed "s/.*\"${2:-tokens_per_s}\": \([0-9.]*\).*/\1/" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
if grep -q '"hsm_log_probs"' "$out"; then
    awk -v f="$(median full cpu_us_per_call)" -v h="$(median hierarchical cpu_us_per_call)" 'BEGIN { printf \
        "median CPU us per call: full %.1f, hierarchical %.1f (%.2fx the full softmax'"'"'s time)\n", f, h, h / f }'
    exit 0
fi
full="$(median full)"
hier="$(median hierarchical)"
if [ -n "$full" ] && [ -n "$hier" ]; then
    awk -v f="$full" -v h="$hier" 'BEGIN { printf "median tokens/s: full %.0f, hierarchical %.0f, speed-up %.2fx\n", f, h, h / f }'
fi
exact="$(median hierarchical_exact)"
fast="$(median hierarchical_fast)"
if [ -n "$full" ] && [ -n "$exact" ] && [ -n "$fast" ]; then
    awk -v f="$full" -v e="$exact" -v h="$fast" 'BEGIN { printf "median generated tokens/s: full %.0f, " \
        "hierarchical exact %.0f, fast %.0f (%.1fx exact)\n", f, e, h, h / e }'
fi
