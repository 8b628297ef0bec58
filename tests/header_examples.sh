#!/bin/sh
# Compiles the usage examples in the comments of the cell, sequence-runner
# and data-parallel headers, so that they cannot drift from the API. An example is a run of
# comment lines indented by four more spaces (" *     code"). A block that
# defines something ("static ..." or "typedef ...") is placed at file scope;
# any other block becomes the body of a function that has P, rng, V, g and
# ids at hand. model.h: only its blocks that define a function are compiled
# (its other snippets are fragments of a program).
# Usage: header_examples.sh CC SOURCE_DIR BINARY_DIR
cc=$1 src=$2 bin=$3
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
for h in cell.h cells.h rnn.h dist.h model.h tasks.h safetensors.h model_safetensors.h; do
  only_static=0
  [ "$h" = model.h ] && only_static=1
  awk -v only_static=$only_static '
    function emit() {
      n++
      if (block ~ /(^|\n)    (static|typedef) /)
        filescope = filescope block "\n"
      else if (only_static)
        n = n
      else
        body = body "static void example_" n "(rw_params *P, rw_rng rng, int V, rw_graph *g, rw_node *ids)\n{\n" \
               block "    (void)P; (void)rng; (void)V; (void)g; (void)ids;\n}\n"
      block = ""
    }
    /^ \*     / { block = block "    " substr($0, 8) "\n"; next }
    { if (block != "") emit() }
    END { if (block != "") emit(); print "#include <stdio.h>\n#include <rewind.h>\n"; print filescope; print body }
  ' "$src/include/rewind/$h" > "$out/example_$h.c"
  if ! "$cc" -std=c11 -Wall -Wextra -Werror -Wno-unused-function -Wno-unused-variable -Wno-unused-but-set-variable \
       -I"$src/include" -I"$bin/include" -c "$out/example_$h.c" -o "$out/example_$h.o"; then
    echo "the examples of include/rewind/$h do not compile; as extracted:" >&2
    cat -n "$out/example_$h.c" >&2
    exit 1
  fi
  echo "include/rewind/$h: examples compile"
done
