#!/bin/sh
# Writes a deterministic train/valid/test split of a sequence-to-sequence
# task as source<TAB>target lines (data kind tsv_seq2seq):
#
#   scripts/seq2seq_data.sh reverse OUTDIR [TRAIN VALID TEST [SEED]]
#       digit strings of length 3 to 8 and the same digits reversed
#       ("40913" -> "31904"); defaults 20000 500 500, seed 1
#   scripts/seq2seq_data.sh dates OUTDIR [TRAIN VALID TEST [SEED]]
#       a date written one of seven ways ("3 March 2021", "03/03/21",
#       "March 3, 2021", "3 Mar 2021", "03.03.2021", "Mar 3 2021",
#       "2021/3/3") -> "2021-03-03", years 1950-2049; defaults 20000 500 500
#
# The three files never share a source string. Plain POSIX sh and awk: the
# random numbers are the Park-Miller generator written out in awk (exact in
# double arithmetic), not awk's rand(), so every awk writes the same files.
set -eu
usage() { echo "usage: $0 reverse|dates OUTDIR [TRAIN VALID TEST [SEED]]" >&2; exit 2; }
[ $# -ge 2 ] || usage
task=$1 out=$2
train=${3:-20000} valid=${4:-500} test=${5:-500} seed=${6:-1}
case $task in reverse|dates) ;; *) usage ;; esac
mkdir -p "$out"
awk -v task="$task" -v out="$out" -v ntrain="$train" -v nvalid="$valid" -v ntest="$test" -v seed="$seed" '
function rnd() { state = (state * 16807) % 2147483647; return state }
function below(n) { return rnd() % n }
function pad2(x) { return (x < 10 ? "0" : "") x }
function reverse_pair(   len, s, r, i, d) {
    len = 3 + below(6); s = ""; r = ""
    for (i = 0; i < len; i++) { d = below(10); s = s d; r = d r }
    src = s; tgt = r
}
function leap(y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
function date_pair(   y, mo, d, days, f) {
    y = 1950 + below(100); mo = 1 + below(12)
    days = mdays[mo] + (mo == 2 && leap(y))
    d = 1 + below(days); f = below(7)
    if (f == 0) src = d " " month[mo] " " y
    else if (f == 1) src = pad2(d) "/" pad2(mo) "/" pad2(y % 100)
    else if (f == 2) src = month[mo] " " d ", " y
    else if (f == 3) src = d " " substr(month[mo], 1, 3) " " y
    else if (f == 4) src = pad2(d) "." pad2(mo) "." y
    else if (f == 5) src = substr(month[mo], 1, 3) " " d " " y
    else src = y "/" mo "/" d
    tgt = y "-" pad2(mo) "-" pad2(d)
}
BEGIN {
    state = seed % 2147483646 + 1
    split("January February March April May June July August September October November December", month, " ")
    split("31 28 31 30 31 30 31 31 30 31 30 31", mdays, " ")
    n[1] = ntrain; n[2] = nvalid; n[3] = ntest
    name[1] = "train.tsv"; name[2] = "valid.tsv"; name[3] = "test.tsv"
    for (part = 1; part <= 3; part++) {
        file = out "/" name[part]
        printf "" > file
        for (k = 0; k < n[part]; tries++) {
            if (tries > 50 * (ntrain + nvalid + ntest) + 1000) {
                print "seq2seq_data.sh: cannot find enough distinct examples" > "/dev/stderr"; exit 1
            }
            if (task == "reverse") reverse_pair(); else date_pair()
            if (src in seen) continue
            seen[src] = 1
            print src "\t" tgt > file
            k++
        }
        close(file)
    }
}'
