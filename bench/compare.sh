#!/bin/sh
# Training speed side by side: rewind's rnn_bench, PyTorch as installed (BLIS
# detecting the CPU itself), and PyTorch given the same BLIS kernels as rewind
# (the fair peer), alternating, for the configurations of ../shared/bench/README.md
# at 1 and 2 threads. Prints the median chars/s of each, rewind's ratio to the
# fair peer, the GFLOP/s rewind reaches as a fraction of a BLIS sgemm measured in
# the same run at the same thread count (the roofline), and peak memory (max RSS
# of each process, and rewind's arena high-water mark).
#
#   bench/compare.sh [BUILD_DIR] [REPEATS] [CONFIGS] [THREADS]   e.g. bench/compare.sh build 3 "S G M" "1 2"
#
# At more than one thread rewind trains data-parallel in threads (rnn_bench
# --replicas N: N copies, each on B/N of the streams; docs/scaling.md);
# PARALLEL=ops runs it instead with one copy whose ops split over the threads.
#
# FLOP per character (forward + backward = 3 x forward, 2 flops per multiply-add):
#   6 * (sum over layers of G*H*(X_l + H) + H*V), G = 4 (LSTM) or 3 (GRU), X_1 = V (one-hot), X_l = H.
# Needs: python3-torch, fortunes (apt-get install -y python3-torch fortunes).
set -eu
build="${1:-build}"
repeats="${2:-3}"
configs="${3:-S G M}"
thread_counts="${4:-1 2}"
here="$(cd "$(dirname "$0")" && pwd)"
torch_py="${TORCH_RNN:-$here/../../shared/bench/torch_rnn.py}"
corpus="${CORPUS:-/tmp/rewind-corpus.txt}"
[ -s "$corpus" ] || find /usr/share/games/fortunes -maxdepth 1 -type f ! -name '*.dat' ! -name '*.u8' \
    | sort | xargs cat > "$corpus"
out="$(mktemp)"
trap 'rm -f "$out" "$out".*' EXIT

args_of() {
    case "$1" in
    S) echo "--cell lstm --layers 1 --hidden 128 --batch 32 --unroll 64 --steps 40 --warmup 3" ;;
    M) echo "--cell lstm --layers 2 --hidden 512 --batch 64 --unroll 64 --steps 12 --warmup 2" ;;
    G) echo "--cell gru --layers 2 --hidden 256 --batch 32 --unroll 64 --steps 30 --warmup 3" ;;
    esac
}
# FLOP per character of a config for a vocabulary of V (see the header).
flop_per_char() {
    set -- $(args_of "$1")
    echo "$2 $4 $6 $V" | awk '{g = ($1 == "lstm") ? 4 : 3; L = $2; H = $3; V = $4;
        s = g * H * (V + H) + (L - 1) * g * H * (2 * H) + H * V; print 6 * s}'
}

arch="$("$build/tools/rewind" info | sed -n 's/^blis_arch: *//p')"
printf '#include <blis.h>\n#include <stdio.h>\n#include <string.h>\nint main(int c, char **v){(void)c;for(int i=0;i<BLIS_NUM_ARCHS;i++)if(!strcmp(bli_arch_string(i),v[1]))printf("%%d\\n",i);return 0;}\n' \
    | cc -x c - -I/usr/include/x86_64-linux-gnu/blis-openmp -lblis -lm -o "$out.id"
id="$("$out.id" "$arch")"
V=$(od -An -v -tu1 "$corpus" | tr -s ' ' '\n' | grep . | sort -un | wc -l)
echo "rewind: BLIS kernels '$arch' ($("$build/tools/rewind" info | sed -n 's/^why: *//p'))"
echo "PyTorch as installed: BLIS's own detection; PyTorch same kernels: BLIS_ARCH_TYPE=$id. V=$V."
echo "rewind at N > 1 threads: $([ "${PARALLEL:-replicas}" = ops ] && echo "one copy, ops split over the threads" \
    || echo "N replicas, each on B/N of the streams")"

# one run: prints "chars_per_sec max_rss_kib arena_mib"
run() {
    /usr/bin/time -f "%M" -o "$out.rss" "$@" > "$out.json"
    cps=$(sed -n 's/.*"train_chars_per_sec": \([0-9.]*\).*/\1/p' "$out.json")
    arena=$(sed -n 's/.*"arena_high_water_mib": \([0-9.]*\).*/\1/p' "$out.json")
    echo "$cps $(cat "$out.rss") ${arena:-0}"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

printf "%-3s %2s %9s %9s %9s %6s %7s %6s %6s %6s %6s\n" cfg th rewind torch_inst torch_same ratio GFLOP/s roof% rw_MiB arena pt_MiB
for cfg in $configs; do
    for th in $thread_counts; do
        : > "$out.rw"; : > "$out.pi"; : > "$out.ps"; : > "$out.sg"
        i=0
        while [ "$i" -lt "$repeats" ]; do
            reps=1; [ "${PARALLEL:-replicas}" = ops ] || reps="$th"
            run "$build/bench/rnn_bench" $(args_of "$cfg") --threads "$th" --replicas "$reps" --corpus "$corpus" \
                >> "$out.rw"
            run env -u BLIS_ARCH_TYPE /usr/bin/python3 "$torch_py" $(args_of "$cfg") --threads "$th" \
                --corpus "$corpus" >> "$out.pi"
            run env BLIS_ARCH_TYPE="$id" /usr/bin/python3 "$torch_py" $(args_of "$cfg") --threads "$th" \
                --corpus "$corpus" >> "$out.ps"
            "$build/bench/sgemm_rate" --threads "$th" | sed -n 's/.*"sgemm_gflops": \([0-9.]*\).*/\1/p' >> "$out.sg"
            i=$((i + 1))
        done
        rw=$(cut -d' ' -f1 "$out.rw" | median); pi=$(cut -d' ' -f1 "$out.pi" | median)
        ps=$(cut -d' ' -f1 "$out.ps" | median); sg=$(median < "$out.sg")
        rwm=$(cut -d' ' -f2 "$out.rw" | median); arena=$(cut -d' ' -f3 "$out.rw" | median)
        psm=$(cut -d' ' -f2 "$out.ps" | median)
        gf=$(echo "$rw $(flop_per_char "$cfg")" | awk '{print $1 * $2 / 1e9}')
        printf "%-3s %2s %9.0f %9.0f %9.0f %6.2f %7.1f %6.1f %6.0f %6.0f %6.0f\n" "$cfg" "$th" "$rw" "$pi" "$ps" \
            "$(echo "$rw $ps" | awk '{print $1 / $2}')" "$gf" "$(echo "$gf $sg" | awk '{print 100 * $1 / $2}')" \
            "$(echo "$rwm" | awk '{print $1/1024}')" "$arena" "$(echo "$psm" | awk '{print $1/1024}')"
    done
done
echo "ratio = rewind / PyTorch on the same kernels; roof% = rewind GFLOP/s / sgemm 1024^3 GFLOP/s (same run, same threads)"
