#!/bin/sh
# Keeps docs/tutorials/*.md true to the code. In a tutorial,
#   <!-- quote: PATH -->   directly before a fenced block: the block must be
#                          a run of whole lines of PATH (a file of the
#                          repository), byte for byte;
#   <!-- tested -->        directly before a fenced shell block: its commands
#                          are run, in order with the tutorial's other tested
#                          blocks, by `sh -e` in an empty directory holding
#                          links to the repository's top-level entries, with
#                          `rewind` and `cc` on PATH and pkg-config finding
#                          the build tree's rewind; they must succeed.
# Every tutorial needs at least one of each.
# usage: tutorials.sh SOURCE_DIR BINARY_DIR REWIND C_COMPILER [EXTRA_CFLAGS]
set -eu
src=$1 bin=$2 rewind=$3 compiler=$4 extra=${5:-}
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

compiler=$(command -v "$compiler") || fail "no C compiler '$4'"
mkdir "$work/bin"
ln -s "$rewind" "$work/bin/rewind"
printf '#!/bin/sh\nexec %s %s "$@"\n' "$compiler" "$extra" >"$work/bin/cc"
chmod +x "$work/bin/cc"

found=0
for doc in "$src"/docs/tutorials/*.md; do
    [ -f "$doc" ] || continue
    found=$((found + 1))
    name=$(basename "$doc" .md)
    out="$work/$name"
    mkdir "$out"
    # Split the page: quote i -> $out/qi (its path in $out/qi.path),
    # tested blocks -> $out/commands.sh.
    awk -v out="$out" -v doc="docs/tutorials/$name.md" '
        function bad(msg) { printf "%s:%d: %s\n", doc, NR, msg > "/dev/stderr"; failed = 1; exit 1 }
        state == "" && /^<!-- quote: [^ ]+ -->$/ { if (pending != "") bad("marker without a code block"); pending = "q"; path = $3; next }
        state == "" && /^<!-- tested -->$/ { if (pending != "") bad("marker without a code block"); pending = "t"; next }
        state == "" && pending != "" {
            if ($0 !~ /^```/) bad("a marker must be followed directly by a fenced code block")
            state = pending; pending = ""
            if (state == "q") { nq++; file = out "/q" nq; print path > (file ".path"); close(file ".path"); printf "" > file }
            else { nt++; printf "" >> (out "/commands.sh") }
            next
        }
        state != "" && /^```$/ { state = ""; next }
        state == "q" { print > file; next }
        state == "t" { print >> (out "/commands.sh"); next }
        END { if (failed) exit 1
              if (pending != "") bad("marker without a code block")
              if (nq == 0 || nt == 0) { printf "%s: needs at least one quoted and one tested block (has %d, %d)\n", doc, nq, nt > "/dev/stderr"; exit 1 } }
    ' "$doc" || fail "docs/tutorials/$name.md: markers"

    for q in "$out"/q*.path; do
        block=${q%.path}
        path=$(cat "$q")
        [ -f "$src/$path" ] || fail "docs/tutorials/$name.md quotes $path, which is not in the repository"
        awk 'NR == FNR { q[++nq] = $0; next }
             { f[++nf] = $0 }
             END { for (s = 1; s + nq - 1 <= nf; s++) {
                       for (i = 1; i <= nq && f[s + i - 1] == q[i]; i++) ;
                       if (i > nq) exit 0
                   }
                   exit 1 }' "$block" "$src/$path" ||
            fail "docs/tutorials/$name.md: a block quoted from $path is not in that file any more:
$(cat "$block")"
    done
    echo "ok: $name: $(ls "$out"/q*.path | wc -l) quoted blocks match their files"

    run="$out/run"
    mkdir "$run"
    for entry in "$src"/*; do ln -s "$entry" "$run/"; done
    if ! (cd "$run" && PATH="$work/bin:$PATH" PKG_CONFIG_PATH="$bin" sh -ex "$out/commands.sh") >"$out/log" 2>&1; then
        cat "$out/log" >&2
        fail "docs/tutorials/$name.md: the tested commands failed"
    fi
    echo "ok: $name: its commands ran"
done
[ "$found" -ge 5 ] || fail "expected the five tutorials in docs/tutorials, found $found"
