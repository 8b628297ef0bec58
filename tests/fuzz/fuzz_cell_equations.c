/* The equation form of custom cells: each line of the input is one equation
 * of a cell (`n0: <line>`, ..., the last one `h: <line>`), written into a
 * model as a double-quoted YAML string so that any bytes reach the equation
 * parser; the model is then compiled and built. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>

static const char head[] =
    "format: rewind/1\n"
    "cells:\n"
    "  fz:\n"
    "    dims: [X, H]\n"
    "    inputs: [x]\n"
    "    state:\n"
    "      h: {size: H}\n"
    "    params:\n"
    "      W: {shape: [2*H, X], init: xavier_uniform}\n"
    "      b: {shape: [2*H], init: zeros}\n"
    "      U: {shape: [H, H], init: orthogonal}\n"
    "      g: {shape: [H], init: \"const(1)\"}\n"
    "    project:\n"
    "      xp: W @ x + b\n"
    "    equations:\n";
static const char tail[] =
    "    outputs: [h]\n"
    "model:\n"
    "  layers:\n"
    "    - embedding: {name: emb, size: 4}\n"
    "    - rnn: {name: r, cell: fz, size: 3}\n"
    "    - linear: {name: head, size: vocab}\n"
    "  outputs:\n"
    "    next: {target: next}\n";

/* Appends `s` (n bytes) as the inside of a YAML double-quoted string. */
static size_t quoted(char *out, const uint8_t *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            out[k++] = '\\';
            out[k++] = (char)s[i];
        } else if (s[i] < 0x20 || s[i] >= 0x7f) {
            k += (size_t)sprintf(out + k, "\\x%02x", s[i] ? s[i] : ' ');
        } else {
            out[k++] = (char)s[i];
        }
    }
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(sizeof head + sizeof tail + 4 * size + 64 * 9);
    if (!text)
        return 0;
    size_t k = sizeof head - 1;
    memcpy(text, head, k);
    int lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    if (lines > 8)
        lines = 8;
    const uint8_t *p = data, *end = data + size;
    for (int i = 0; i < lines; i++) {
        const uint8_t *nl = i + 1 < lines ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        const uint8_t *stop = nl ? nl : end;
        if (i + 1 < lines)
            k += (size_t)sprintf(text + k, "      n%d: \"", i);
        else
            k += (size_t)sprintf(text + k, "      h: \"");
        k += quoted(text + k, p, (size_t)(stop - p));
        k += (size_t)sprintf(text + k, "\"\n");
        p = nl ? nl + 1 : end;
    }
    memcpy(text + k, tail, sizeof tail);
    rw_model *m = rw_model_load_string(text, "fuzz_cell.yaml", &(rw_model_load_opts){ .vocab_size = 5 });
    if (!m && !rw_last_error()[0])
        abort();
    rw_model_free(m);
    free(text);
    rw_error_clear();
    return 0;
}
