#!/bin/sh
# `mpirun -np K rewind train`, data-parallel (dist/, docs/scaling.md):
#   equal   1 process with batches of 8 against 2 processes with 4 columns
#           each: the same loss and gradient norm at each of 20 steps, to a
#           relative 2e-6 (not bit-identical: the batch sums run in another
#           order); the 2-process run logs and saves once (rank 0). One
#           process on 2 replicas (threads) logs the same rows; replicas
#           inside an MPI job are refused with a message.
#   dropout the same with dropout of every kind (token, per-step input and
#           output, per-sequence recurrent) and validation with metrics,
#           for 1, 2 and 3 processes (3, 3 and 2 columns): each process
#           draws its columns' rows of the whole batch's masks, and the
#           validation losses and metrics (each process validating its
#           columns, the sums added up) are the one-process values.
#   valid   a classifier whose validation set (55 lines, batches of 18)
#           ends in a batch of 1 that only one process can take: 1, 2 and
#           3 processes log the same validation loss, accuracy and F1, and
#           print the best validation loss once.
#   resume  2 processes stopped at step 10 and resumed with --resume make
#           exactly (bit for bit) the log rows 11-20 of an uninterrupted
#           2-process run, with dropout.
#   sampling an encoder-decoder (models/reverse.yaml, smaller) trained with
#           scheduled sampling (teacher_forcing below 1, sampled tokens) and
#           dropout in the encoder and the decoder:
#           1, 2 and 3 processes (3, 3 and 2 columns) log the same losses to
#           a relative 2e-6 (each row's coin and sample are draws of the
#           whole batch's, layers/seq2seq.c), and 2 processes stopped at
#           step 6 and resumed make the rows 7-12 bit for bit.
#   kill    killing one of 2 processes ends the job with an error within
#           seconds, and the last checkpoint still loads; a process that
#           hangs (SIGSTOP) is caught by the watchdog (REWIND_DIST_TIMEOUT).
# Usage: tests/dist_cli.sh equal|dropout|valid|sampling|resume|kill REWIND_BINARY
set -eu
what=$1 rewind=$2
models="$(cd "$(dirname "$0")/../models" && pwd)"
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
# the same with dropout everywhere, and validation with metrics
sed -e 's/- embedding: {name: emb, size: 8}/- embedding: {name: emb, size: 8, dropout: {p: 0.1, unit: token}}/' \
    -e 's/- lstm: {name: rnn, size: 16}/- lstm: {name: rnn, size: 16, dropout: {input: 0.2, recurrent: 0.2, mask: per_sequence}}\
    - dropout: {p: 0.3}/' \
    -e 's|^  train: /usr/share/games/fortunes/art|&\
  valid_fraction: 0.05|' \
    -e 's/^  steps: 20/&\
  valid_every: 10\
  metrics: [accuracy, perplexity]/' tiny.yaml >drop.yaml
grep -q 'unit: token' drop.yaml && grep -q 'dropout: {p: 0.3}' drop.yaml && grep -q valid_every drop.yaml ||
    fail "drop.yaml was not made: $(cat drop.yaml)"
[ -r /usr/share/games/fortunes/art ] || fail "the fortunes package is not installed"
export REWIND_DIST_TIMEOUT=60

# same A.csv B.csv: equal rows (step, epoch, split), every number after them
# equal to a relative 2e-6
same() {
    [ "$(wc -l <"$1")" = "$(wc -l <"$2")" ] || fail "$1 and $2 have different numbers of rows"
    paste -d, "$1" "$2" | awk -F, 'NR > 1 {
        n = NF / 2
        if ($1 != $(n + 1) || $3 != $(n + 3)) { printf "row %d: %s,%s vs %s,%s\n", NR, $1, $3, $(n + 1), $(n + 3); bad = 1 }
        for (c = 4; c <= n; c++) {
            a = $c; b = $(c + n); d = a - b; if (d < 0) d = -d; s = a < 0 ? -a : a
            if (d > 2e-6 * s) { printf "step %s %s: column %d differs: %s vs %s\n", $1, $3, c, a, b; bad = 1 }
            if (s > 0 && d > worst * s) worst = d / s
        }
    } END { printf "largest relative difference: %g\n", worst; exit bad }' || fail "$1 and $2 differ"
}

case "$what" in
equal)
    "$rewind" train tiny.yaml --quiet --checkpoint one.rwc --log one.csv >/dev/null
    mpi -np 2 "$rewind" train tiny.yaml --quiet --checkpoint two.rwc --log two.csv >two.out 2>two.err ||
        fail "2 processes: $(cat two.err)"
    [ "$(grep -c '^[0-9]*,0,train' two.csv)" = 20 ] || fail "the 2-process log has not 20 train rows (written once)"
    [ -s two.rwc ] || fail "no checkpoint from the 2-process run"
    same one.csv two.csv
    # replicas in threads give the same rows; inside an MPI job they are refused, saying why
    "$rewind" train tiny.yaml --quiet --replicas 2 --checkpoint reps.rwc --log reps.csv >/dev/null
    same one.csv reps.csv
    if mpi -np 2 "$rewind" train tiny.yaml --quiet --replicas 2 --checkpoint bad.rwc >bad.out 2>bad.err; then
        fail "replicas under mpirun were not refused"
    fi
    grep -q "2 replicas under mpirun: each process trains one copy" bad.err || fail "the refusal says: $(cat bad.err)"
    ;;
dropout)
    "$rewind" train tiny.yaml --quiet --steps 1 --checkpoint plain.rwc --log plain.csv >/dev/null
    "$rewind" train drop.yaml --quiet --checkpoint one.rwc --log one.csv >/dev/null
    [ "$(sed -n 2p plain.csv | cut -d, -f4)" != "$(sed -n 2p one.csv | cut -d, -f4)" ] ||
        fail "dropout does not change the first loss"
    [ "$(grep -c ',valid,' one.csv)" = 2 ] || fail "not 2 validations in the log: $(cat one.csv)"
    for k in 2 3; do
        mpi -np $k "$rewind" train drop.yaml --quiet --checkpoint k$k.rwc --log k$k.csv >/dev/null 2>k$k.err ||
            fail "$k processes: $(cat k$k.err)"
        echo "$k processes against 1:"
        same one.csv k$k.csv
    done
    ;;
valid)
    sed "s|train: data/sentiment.tsv|train: $models/data/sentiment.tsv|" "$models/classifier.yaml" >cls.yaml
    set -- --steps 12 --set train.valid_every=6 --set "train.metrics=[accuracy, f1]" --set train.batch.size=18
    "$rewind" train cls.yaml --quiet "$@" --checkpoint one.rwc --log one.csv >/dev/null 2>one.err ||
        fail "1 process: $(cat one.err)"
    grep -q '^12,0,valid,' one.csv || fail "no validation at step 12: $(cat one.csv)"
    for k in 2 3; do
        mpi -np $k "$rewind" train cls.yaml --quiet "$@" --checkpoint k$k.rwc --log k$k.csv >/dev/null \
            2>k$k.err || fail "$k processes: $(cat k$k.err)"
        [ "$(grep -c 'best validation loss' k$k.err)" = 1 ] || fail "$k processes: not printed once: $(cat k$k.err)"
        echo "$k processes against 1 (validation rows):"
        grep ',valid,' one.csv >v1.csv
        grep ',valid,' k$k.csv >vk.csv
        sed -i 1i\\header v1.csv vk.csv
        same v1.csv vk.csv
    done
    ;;
sampling)
    # an encoder-decoder with scheduled sampling and dropout on both sides (per-sequence masks in the encoder)
    sed -e "s|data/reverse/|$models/data/reverse/|" -e 's/^  hidden: 64/  hidden: 16/' \
        -e 's/teacher_forcing: {schedule: always}/teacher_forcing: {schedule: linear, k: 0.7, c: 0.02, sample: true}/' \
        -e 's/lstm: {size: "${hidden}"}/lstm: {size: "${hidden}", dropout: {recurrent: 0.2, output: 0.2, mask: per_sequence}}/' \
        -e 's/initial_state: {from: enc, reduce: last}/&\n          dropout: {input: 0.2, recurrent: 0.2, output: 0.2}/' \
        "$models/reverse.yaml" >s2s.yaml
    grep -q 'k: 0.7' s2s.yaml && grep -q 'hidden: 16' s2s.yaml && [ "$(grep -c 'dropout: {' s2s.yaml)" = 2 ] ||
        fail "s2s.yaml was not made: $(cat s2s.yaml)"
    set -- --quiet --steps 12 --set train.batch.size=8
    "$rewind" train s2s.yaml "$@" --checkpoint one.rwc --log one.csv >/dev/null 2>one.err || fail "$(cat one.err)"
    sed 's/k: 0.7, c: 0.02/k: 1, c: 0/' s2s.yaml >forced.yaml
    "$rewind" train forced.yaml "$@" --steps 2 --checkpoint f.rwc --log f.csv >/dev/null 2>f.err || fail "$(cat f.err)"
    [ "$(sed -n 3p f.csv | cut -d, -f4)" != "$(sed -n 3p one.csv | cut -d, -f4)" ] ||
        fail "scheduled sampling does not change the second loss"
    sed -e 's/, dropout: {[^}]*}//' -e '/^ *dropout: {/d' forced.yaml >plain.yaml
    "$rewind" train plain.yaml "$@" --steps 1 --checkpoint p.rwc --log p.csv >/dev/null 2>p.err || fail "$(cat p.err)"
    [ "$(sed -n 2p p.csv | cut -d, -f4)" != "$(sed -n 2p f.csv | cut -d, -f4)" ] ||
        fail "dropout does not change the first loss"
    for k in 2 3; do
        mpi -np $k "$rewind" train s2s.yaml "$@" --checkpoint k$k.rwc --log k$k.csv >/dev/null 2>k$k.err ||
            fail "$k processes: $(cat k$k.err)"
        echo "$k processes against 1:"
        same one.csv k$k.csv
    done
    mpi -np 2 "$rewind" train s2s.yaml "$@" --steps 6 --checkpoint part.rwc --log p1.csv >/dev/null 2>p1.err ||
        fail "$(cat p1.err)"
    mpi -np 2 "$rewind" train s2s.yaml "$@" --resume --checkpoint part.rwc --log p2.csv >/dev/null 2>p2.err ||
        fail "$(cat p2.err)"
    grep '^\([7-9]\|1[0-2]\),0,train' k2.csv >a.rows
    grep '^\([7-9]\|1[0-2]\),0,train' p2.csv >b.rows
    [ "$(wc -l <a.rows)" = 6 ] || fail "the uninterrupted log has not the rows 7-12: $(cat k2.csv)"
    cmp -s a.rows b.rows || { diff a.rows b.rows; fail "the resumed 2-process run differs"; }
    echo "rows 7-12 of the resumed 2-process run equal bit for bit"
    ;;
resume)
    set_ck="--set train.batch.bptt.carry_state=false"
    mpi -np 2 "$rewind" train drop.yaml --quiet $set_ck --checkpoint whole.rwc --log whole.csv >/dev/null 2>w.err ||
        fail "$(cat w.err)"
    mpi -np 2 "$rewind" train drop.yaml --quiet $set_ck --steps 10 --checkpoint part.rwc --log p1.csv >/dev/null \
        2>p1.err || fail "$(cat p1.err)"
    mpi -np 2 "$rewind" train drop.yaml --quiet $set_ck --resume --checkpoint part.rwc --log p2.csv >/dev/null \
        2>p2.err || fail "$(cat p2.err)"
    grep '^[0-9]*,0,train' p2.csv | cut -d, -f1 | head -1 | grep -qx 11 || fail "the resumed run does not start at 11"
    grep '^\(1[1-9]\|20\),0,' whole.csv >a.rows
    grep '^\(1[1-9]\|20\),0,' p2.csv >b.rows
    [ "$(wc -l <a.rows)" = 11 ] || fail "the uninterrupted log has not the rows 11-20 and a validation"
    cmp -s a.rows b.rows || { diff a.rows b.rows; fail "the resumed 2-process run differs"; }
    cmp -s whole.rwc part.rwc || echo "note: the checkpoint files differ in bytes (metadata), the rows are equal"
    echo "rows 11-20 (with dropout) and the validation at 20 equal bit for bit"
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
