#!/bin/sh
# The full versions of the synthetic tasks (docs/tasks.md): for each, the
# data written by `rewind task` (seed 1, the task's full size and counts),
# the model of models/tasks/ trained by `rewind train` alone, and its metric
# on the held-out test split. Prints a table: task, model, steps, wall time,
# metric, and the target where the issue sets one (adding T=100: MSE < 0.01;
# Reber: >= 99% of strings right at every step; 16-bit addition: 100% of
# held-out sums).
#
#   bench/tasks.sh [BUILD_DIR] [MAX_STEPS] [TASK ...]
#
# MAX_STEPS (0: the model's epochs) caps each training run, e.g. 5 to see
# that the script works; the tasks default to all eight. Run from the
# repository root; the data and checkpoints go to a temporary directory.
set -eu
build="${1:-build}"
steps="${2:-0}"
[ $# -gt 2 ] && shift 2 || set --
rewind="$build/tools/rewind"
[ -x "$rewind" ] || { echo "no $rewind: build first" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# task size metric target
all="adding 100 mse <0.01
sign 50 accuracy -
larger 20 accuracy -
sum 10 mse -
reber 50 sequences >=99%
addition 16 sequences 100%
distractor 20 accuracy -
xml 4 sequences -"

printf "%-10s %-28s %7s %9s %-10s %10s %8s\n" task model steps wall_s metric value target
printf '%s\n' "$all" | while read -r task size metric target; do
    if [ $# -gt 0 ]; then
        case " $* " in *" $task "*) ;; *) continue ;; esac
    fi
    d="$work/$task"
    "$rewind" task "$task" --out "$d" --size "$size" --seed 1 2>/dev/null
    cap=""
    [ "$steps" -gt 0 ] && cap="--steps $steps"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$rewind" train "models/tasks/$task.yaml" --set "data.train=$d/train.tsv" --set "data.valid=$d/valid.tsv" \
        --set "data.test=$d/test.tsv" --set "train.checkpoint.path=$d/m.rwc" $cap >"$d/train.log" 2>&1 ||
        { echo "$task: training failed:" >&2; tail -5 "$d/train.log" >&2; continue; }
    end=$(date +%s.%N)
    done_steps=$(sed -n 's/.*, at step \([0-9]*\).*/\1/p' "$d/train.log" | tail -1)
    if [ "$task" = distractor ]; then # tsv_classify: the model's test split
        "$rewind" eval "models/tasks/$task.yaml" --checkpoint "$d/m.rwc" --set "data.train=$d/train.tsv" \
            --set "data.valid=$d/valid.tsv" --set "data.test=$d/test.tsv" 2>/dev/null | grep '^test:' >"$d/eval"
    else
        "$rewind" eval "$d/m.rwc" --data "$d/test.tsv" 2>/dev/null | head -1 >"$d/eval"
    fi
    value=$(sed -n "s/.* $metric \([0-9.]*%*\).*/\1/p" "$d/eval")
    printf "%-10s %-28s %7s %9.1f %-10s %10s %8s\n" "$task" "models/tasks/$task.yaml" "${done_steps:-?}" \
        "$(echo "$end - $start" | bc)" "$metric" "${value:-?}" "$target"
done
