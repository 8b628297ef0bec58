#!/bin/sh
# Data-parallel throughput on config M of ../shared/bench/README.md (2-layer
# LSTM, 512 units, batch 64, unroll 64, characters of the fortunes corpus),
# trained by `rewind train`: 1 process x 1 thread, 1 process x 2 threads,
# and 2 processes x 1 thread (mpirun, each on 32 of the 64 columns).
# Prints seconds per step and chars/s of each, measured as the time of
# STEPS steps minus the time of WARMUP steps (start-up and first steps out).
#
#   bench/dist.sh [BUILD_DIR] [STEPS] [WARMUP]     e.g. bench/dist.sh build 12 2
#
# Run it on a quiet machine; on a shared one the numbers mean little.
# Needs an MPI build (RW_MPI) and openmpi-bin, fortunes.
set -eu
build="$(cd "${1:-build}" && pwd)"
steps="${2:-12}"
warmup="${3:-2}"
rewind="$build/tools/rewind"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > m.yaml <<'YAML'
format: rewind/1
name: config_m
data:
  kind: chars
  train: /usr/share/games/fortunes
  exclude: ["*.dat", "*.u8"]
model:
  inputs:
    text: {type: tokens, vocab: data}
  layers:
    - embedding: {name: emb, size: 64}
    - lstm: {name: rnn1, size: 512}
    - lstm: {name: rnn2, size: 512}
    - linear: {name: head, size: vocab}
  outputs:
    next:
      from: head
      activation: softmax
      loss: cross_entropy
      target: shift(text, 1)
train:
  seed: 1
  steps: 1000
  batch:
    size: 64
    bptt: {window: 64, carry_state: true}
  optimizer: {type: adam, lr: 1.0e-3}
  clip: {global_norm: 5.0}
YAML
now() { date +%s.%N; }
# seconds for N steps with THREADS threads per process, under LAUNCHER... (may be empty)
run() {
    n=$1 threads=$2; shift 2
    t0=$(now)
    "$@" "$rewind" train m.yaml --quiet --threads "$threads" --steps "$n" --checkpoint "c$n.rwc" >/dev/null \
        2>err.txt || { cat err.txt; exit 1; }
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}
measure() { # label threads launcher...
    label=$1 threads=$2; shift 2
    a=$(run "$warmup" "$threads" "$@")
    b=$(run "$steps" "$threads" "$@")
    echo "$a $b" | awk -v s="$steps" -v w="$warmup" -v l="$label" '{ per = ($2 - $1) / (s - w);
        printf "%-24s %8.3f s/step %10.0f chars/s\n", l, per, 64 * 64 / per }'
}
echo "config M (2 x LSTM 512, batch 64, unroll 64), $steps steps minus $warmup"
measure "1 process x 1 thread" 1
measure "1 process x 2 threads" 2
measure "2 processes x 1 thread" 1 mpirun --oversubscribe --allow-run-as-root --bind-to none -np 2
