/* The data readers on any bytes: a saved vocabulary (rw_vocab_from_text,
 * what a checkpoint's metadata holds), tab-separated examples (rw_tsv,
 * read from a file) and real vectors as text (rw_parse_steps, the columns
 * of tsv_vectors, given exactly the room its header promises). The first
 * byte chooses the reader. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rewind.h>

static void vocab_text(const char *text)
{
    rw_vocab tokens = { 0 }, labels = { 0 };
    if (rw_vocab_from_text(&tokens, &labels, text) == RW_OK) {
        char *back = rw_vocab_to_text(&tokens, labels.n ? &labels : NULL);
        if (!back)
            abort();
        int32_t ids[64];
        char probe[64];
        snprintf(probe, sizeof probe, "%.20s", text + strlen(text) / 2);
        if (rw_vocab_encode(&tokens, probe, ids) > (int)strlen(probe))
            abort();
        free(back);
    }
    rw_vocab_free(&tokens);
    rw_vocab_free(&labels);
}

static void tsv(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/rw_fuzz_tsv_%d.tsv", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fwrite(data, 1, size, f);
    fclose(f);
    rw_tsv *t = rw_tsv_open(path, &(rw_tsv_opts){ .first = "label", .second = "text", .allow_empty = size & 1 });
    rw_tsv_row row;
    for (int r; t && (r = rw_tsv_next(t, &row)) > 0;)
        if (!row.first || !row.second || strchr(row.first, '\t'))
            abort();
    rw_tsv_close(t);
}

static void steps(const char *text, int width)
{
    size_t room = strlen(text) / 2 + 1;
    rw_real *out = malloc(room * sizeof *out);
    if (!out)
        return;
    int w = width, n = rw_parse_steps(text, &w, out);
    if (n > 0 && ((size_t)n * (size_t)w > room || w < 1 || (width && w != width)))
        abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    switch (data[0] % 3) {
    case 0: vocab_text(text); break;
    case 1: tsv(data + 1, size - 1); break;
    default: steps(text, data[0] / 3 % 4); break;
    }
    free(text);
    rw_error_clear();
    return 0;
}
