#!/bin/sh
# Runs rewind's rnn_bench and the PyTorch reference side by side, alternating,
# for the configurations of ../shared/bench/README.md at 1 and 2 threads, and
# prints the median chars/s of each, their ratio, and peak memory (max RSS).
#
#   bench/compare.sh [BUILD_DIR] [REPEATS] [CONFIGS]     e.g. bench/compare.sh build 3 "S M G"
#
# Needs: python3-torch, fortunes (apt-get install -y python3-torch fortunes).
set -eu
build="${1:-build}"
repeats="${2:-3}"
configs="${3:-S G M}"
here="$(cd "$(dirname "$0")" && pwd)"
torch_py="${TORCH_RNN:-$here/../../shared/bench/torch_rnn.py}"
corpus="${CORPUS:-/tmp/rewind-corpus.txt}"
[ -s "$corpus" ] || find /usr/share/games/fortunes -maxdepth 1 -type f ! -name '*.dat' ! -name '*.u8' \
    | sort | xargs cat > "$corpus"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

args_of() {
    case "$1" in
    S) echo "--cell lstm --layers 1 --hidden 128 --batch 32 --unroll 64 --steps 40 --warmup 3" ;;
    M) echo "--cell lstm --layers 2 --hidden 512 --batch 64 --unroll 64 --steps 12 --warmup 2" ;;
    G) echo "--cell gru --layers 2 --hidden 256 --batch 32 --unroll 64 --steps 30 --warmup 3" ;;
    esac
}

# one run: prints "chars_per_sec max_rss_kib"
run() {
    /usr/bin/time -f "%M" -o "$out.rss" "$@" > "$out.json"
    cps=$(sed -n 's/.*"train_chars_per_sec": \([0-9.]*\).*/\1/p' "$out.json")
    echo "$cps $(cat "$out.rss")"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

printf "%-3s %-7s %12s %12s %7s %10s %10s\n" cfg threads rewind_cps torch_cps ratio rewind_MiB torch_MiB
for cfg in $configs; do
    for th in 1 2; do
        : > "$out.rw"; : > "$out.pt"
        i=0
        while [ "$i" -lt "$repeats" ]; do
            run "$build/bench/rnn_bench" $(args_of "$cfg") --threads "$th" --corpus "$corpus" >> "$out.rw"
            run /usr/bin/python3 "$torch_py" $(args_of "$cfg") --threads "$th" --corpus "$corpus" >> "$out.pt"
            i=$((i + 1))
        done
        rw=$(cut -d' ' -f1 "$out.rw" | median); pt=$(cut -d' ' -f1 "$out.pt" | median)
        rwm=$(cut -d' ' -f2 "$out.rw" | median); ptm=$(cut -d' ' -f2 "$out.pt" | median)
        printf "%-3s %-7s %12.0f %12.0f %7.2f %10.0f %10.0f\n" "$cfg" "$th" "$rw" "$pt" \
            "$(echo "$rw $pt" | awk '{print $1 / $2}')" "$(echo "$rwm" | awk '{print $1/1024}')" \
            "$(echo "$ptm" | awk '{print $1/1024}')"
    done
done
