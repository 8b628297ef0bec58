#!/bin/sh
# `mpirun -np K rewind train`, data-parallel (dist/, docs/scaling.md):
#   equal   1 process with batches of 8 against 2 processes with 4 columns
#           each: the same loss and gradient norm at each of 20 steps, to a
#           relative 2e-6 (not bit-identical: the batch sums run in another
#           order); the 2-process run logs and saves once (rank 0).
#   resume  2 processes stopped at step 10 and resumed with --resume make
#           exactly (bit for bit) the log rows 11-20 of an uninterrupted
#           2-process run.
#   kill    killing one of 2 processes ends the job with an error within
#           seconds, and the last checkpoint still loads; a process that
#           hangs (SIGSTOP) is caught by the watchdog (REWIND_DIST_TIMEOUT).
# Usage: tests/dist_cli.sh equal|resume|kill REWIND_BINARY
set -eu
what=$1 rewind=$2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
# LeakSanitizer would report Open MPI's own allocations kept until exit
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
mpi() { mpirun --oversubscribe --allow-run-as-root -x ASAN_OPTIONS -x REWIND_DIST_TIMEOUT "$@"; }
fail() { echo "FAILED: $*"; exit 1; }
cat > tiny.yaml <<'YAML'
format: rewind/1
name: tiny
data:
  kind: chars
  train: /usr/share/games/fortunes/art
model:
  inputs:
    text: {type: tokens, vocab: data}
  layers:
    - embedding: {name: emb, size: 8}
    - lstm: {name: rnn, size: 16}
    - linear: {name: head, size: vocab}
  outputs:
    next:
      from: head
      activation: softmax
      loss: cross_entropy
      target: shift(text, 1)
train:
  seed: 3
  steps: 20
  batch:
    size: 8
    bptt: {window: 12, carry_state: true}
  optimizer: {type: adam, lr: 1.0e-2}
  clip: {global_norm: 0.3}
YAML
[ -r /usr/share/games/fortunes/art ] || fail "the fortunes package is not installed"
export REWIND_DIST_TIMEOUT=60

case "$what" in
equal)
    "$rewind" train tiny.yaml --quiet --checkpoint one.rwc --log one.csv >/dev/null
    mpi -np 2 "$rewind" train tiny.yaml --quiet --checkpoint two.rwc --log two.csv >two.out 2>two.err ||
        fail "2 processes: $(cat two.err)"
    [ "$(grep -c '^[0-9]*,0,train' two.csv)" = 20 ] || fail "the 2-process log has not 20 train rows (written once)"
    [ -s two.rwc ] || fail "no checkpoint from the 2-process run"
    # step, loss and grad_norm of each row, side by side
    paste -d, one.csv two.csv | awk -F, 'NR > 1 {
        for (c = 4; c <= 5; c++) {
            a = $c; b = $(c + 6); d = a - b; if (d < 0) d = -d; s = a < 0 ? -a : a
            if (d > 2e-6 * s) { printf "step %s: column %d differs: %s (1 process) vs %s (2)\n", $1, c, a, b; bad = 1 }
            if (d > worst * s) worst = d / s
        }
    } END { printf "largest relative difference of loss and grad_norm: %g\n", worst; exit bad }' ||
        fail "1 and 2 processes differ"
    ;;
resume)
    set_ck="--set train.batch.bptt.carry_state=false"
    mpi -np 2 "$rewind" train tiny.yaml --quiet $set_ck --checkpoint whole.rwc --log whole.csv >/dev/null 2>w.err ||
        fail "$(cat w.err)"
    mpi -np 2 "$rewind" train tiny.yaml --quiet $set_ck --steps 10 --checkpoint part.rwc --log p1.csv >/dev/null \
        2>p1.err || fail "$(cat p1.err)"
    mpi -np 2 "$rewind" train tiny.yaml --quiet $set_ck --resume --checkpoint part.rwc --log p2.csv >/dev/null \
        2>p2.err || fail "$(cat p2.err)"
    grep '^[0-9]*,0,train' p2.csv | cut -d, -f1 | head -1 | grep -qx 11 || fail "the resumed run does not start at 11"
    grep '^\(1[1-9]\|20\),0,train' whole.csv >a.rows
    grep '^\(1[1-9]\|20\),0,train' p2.csv >b.rows
    [ "$(wc -l <a.rows)" = 10 ] || fail "the uninterrupted log has not the rows 11-20"
    cmp -s a.rows b.rows || { diff a.rows b.rows; fail "the resumed 2-process run differs"; }
    cmp -s whole.rwc part.rwc || echo "note: the checkpoint files differ in bytes (metadata), the rows are equal"
    echo "rows 11-20 equal bit for bit"
    ;;
kill)
    for how in KILL STOP; do
        # the watchdog limit only matters for the hung (STOPped) process
        # mpirun itself in the background (not a function's subshell): its children are the ranks
        REWIND_DIST_TIMEOUT=5 mpirun --oversubscribe --allow-run-as-root -x ASAN_OPTIONS -x REWIND_DIST_TIMEOUT \
            -np 2 "$rewind" train tiny.yaml --quiet --steps 100000000 --checkpoint k.rwc \
            --checkpoint-every 20 --log k.csv >k.out 2>k.err &
        job=$!
        waited=0
        while [ ! -s k.rwc ] || [ "$(pgrep -P $job | wc -l)" -lt 2 ]; do
            sleep 0.2; waited=$((waited + 1))
            [ $waited -lt 300 ] || { kill $job; fail "the job did not start"; }
        done
        victim=$(pgrep -P $job | tail -1)
        t0=$(date +%s)
        kill -$how "$victim"
        while kill -0 $job 2>/dev/null; do
            sleep 0.2
            if [ $(( $(date +%s) - t0 )) -gt 20 ]; then
                kill -KILL "$victim" $job 2>/dev/null; fail "SIG$how: the job still runs 20 s after"
            fi
        done
        status=0; wait $job || status=$?
        kill -KILL "$victim" 2>/dev/null || true
        took=$(( $(date +%s) - t0 ))
        [ $status -ne 0 ] || fail "SIG$how: the job ended with status 0"
        case "$how" in
        KILL) grep -q "exited on signal 9" k.err || fail "no message about the killed process: $(cat k.err)" ;;
        STOP) grep -q "no answer from the other processes" k.err || fail "no watchdog message: $(cat k.err)" ;;
        esac
        "$rewind" sample k.rwc --length 5 >/dev/null 2>s.err || fail "the last checkpoint does not load: $(cat s.err)"
        echo "SIG$how to one process: the job ended with status $status after ${took}s; the checkpoint loads"
        rm -f k.rwc k.csv
    done
    ;;
*) fail "unknown test '$what'" ;;
esac
