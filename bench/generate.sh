#!/bin/sh
# Generation speed, side by side: rewind's batch-1 sampling (bench/generate_bench,
# the path of `rewind sample`) and its greedy and beam-search decoding
# (bench/decode_bench, layers/decode.c, K beams as one batch) against eager
# PyTorch loops (bench/torch_generate.py),
# alternating, medians of REPEATS, both on the same BLIS kernels (the ones rewind
# selects, passed to PyTorch as BLIS_ARCH_TYPE), one thread.
#
#   bench/generate.sh [BUILD_DIR] [REPEATS]
#
# Needs: python3-torch, fortunes. Run from the repository root.
set -eu
build="${1:-build}"
repeats="${2:-3}"
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp)"
trap 'rm -f "$out" "$out".*' EXIT

arch="$("$build/tools/rewind" info | sed -n 's/^blis_arch: *//p')"
id="$(printf '#include <blis.h>\n#include <stdio.h>\n#include <string.h>\nint main(void){for(int i=0;i<BLIS_NUM_ARCHS;i++)if(!strcmp(bli_arch_string(i),"%s"))printf("%%d\\n",i);return 0;}\n' "$arch" \
      | cc -x c - -I/usr/include/x86_64-linux-gnu/blis-openmp -lblis -lm -o "$out.id" && "$out.id")"
echo "BLIS kernels: $arch (BLIS_ARCH_TYPE=$id for both programs)"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
cps() { sed -n 's/.*"chars_per_sec": \([0-9.]*\).*/\1/p'; }

printf "%-8s %6s %12s %12s %7s\n" model layers rewind_cps torch_cps ratio
for cfg in "256 1 20000" "512 2 5000"; do
    set -- $cfg
    : > "$out.rw"; : > "$out.pt"
    i=0
    while [ "$i" -lt "$repeats" ]; do
        RW_BLIS_ARCH="$arch" "$build/bench/generate_bench" --hidden "$1" --stack "$2" --length "$3" | cps >> "$out.rw"
        BLIS_ARCH_TYPE="$id" /usr/bin/python3 "$here/torch_generate.py" --hidden "$1" --layers "$2" --length "$3" \
            | cps >> "$out.pt"
        i=$((i + 1))
    done
    rw=$(median < "$out.rw"); pt=$(median < "$out.pt")
    printf "%-8s %6s %12.0f %12.0f %7.2f\n" "H=$1" "$2" "$rw" "$pt" "$(echo "$rw $pt" | awk '{print $1 / $2}')"
done

# Decoding: output tokens/s of greedy (K = 1) and beam search with K beams, and
# each one's cost per output token relative to rewind's greedy decoding.
printf "\n%-8s %12s %12s %7s %14s\n" decode rewind_tok/s torch_tok/s ratio cost_vs_greedy
greedy=""
for K in 1 4 8; do
    : > "$out.rw"; : > "$out.pt"
    i=0
    while [ "$i" -lt "$repeats" ]; do
        RW_BLIS_ARCH="$arch" "$build/bench/decode_bench" --beam "$K" --length 300 \
            | sed -n 's/.*"tokens_per_sec": \([0-9.]*\).*/\1/p' >> "$out.rw"
        if [ "$K" = 1 ]; then tb=""; else tb="--beam $K"; fi
        BLIS_ARCH_TYPE="$id" /usr/bin/python3 "$here/torch_generate.py" --length 300 $tb | cps >> "$out.pt"
        i=$((i + 1))
    done
    rw=$(median < "$out.rw"); pt=$(median < "$out.pt")
    [ -n "$greedy" ] || greedy="$rw"
    printf "%-8s %12.0f %12.0f %7.2f %14.2f\n" "K=$K" "$rw" "$pt" "$(echo "$rw $pt" | awk '{print $1 / $2}')" \
        "$(echo "$greedy $rw" | awk '{print $1 / $2}')"
done
echo "(PyTorch K=1 row: batch-1 sampling with multinomial; rewind K=1: greedy decoding)"
