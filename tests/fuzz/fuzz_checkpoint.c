/* The checkpoint reader on any bytes, with the file size and the CRC
 * recomputed first so that mutations reach the parser instead of the
 * checksum; then what `rewind sample` does with an opened checkpoint: the
 * tensors read, the vocabulary and the model text from its metadata loaded
 * (data skipped, includes against a directory that does not exist), and
 * the carried recurrent state restored. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rewind.h>
#include "ck_bytes.h"

static void read_tensors(const rw_checkpoint *ck)
{
    for (int i = 0; i < rw_checkpoint_param_count(ck); i++) {
        rw_tensor *t = rw_tensor_new(RW_REAL, rw_checkpoint_param_shape(ck, i));
        if (t && rw_checkpoint_param_read(ck, i, t) != RW_OK && !rw_last_error()[0])
            abort();
        rw_tensor_free(t);
        if (rw_checkpoint_param_find(ck, rw_checkpoint_param_name(ck, i)) != i)
            abort(); /* names are unique */
    }
}

static void load_model(const rw_checkpoint *ck)
{
    const char *text = rw_checkpoint_meta(ck, "rewind.model");
    if (!text)
        return;
    rw_model_load_opts o = { .base_dir = "/nonexistent/rewind-fuzz", .skip_data = true,
                             .vocab = rw_checkpoint_meta(ck, "rewind.vocab"), .vocab_size = 16 };
    rw_model *m = rw_model_load_string(text, "fuzz.yaml", &o);
    if (m)
        rw_checkpoint_restore(ck, rw_model_params(m), NULL, NULL, NULL);
    const char *state_text = rw_checkpoint_meta(ck, "rewind.state"); /* what --resume restores */
    rw_model_state *state = m && state_text && rw_model_has_layers(m) ? rw_model_state_new(m, 2) : NULL;
    if (state)
        rw_model_state_load(state, state_text);
    rw_model_state_free(state);
    rw_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/rw_fuzz_ck_%d.rwc", (int)getpid());
    unsigned char *b = malloc(size ? size : 1);
    if (!b)
        return 0;
    memcpy(b, data, size);
    if (size >= 28)
        rwt_ck_reseal(b, size);
    int wrote = rwt_write_bytes(path, b, size);
    free(b);
    if (wrote != 0)
        return 0;
    rw_checkpoint *ck = rw_checkpoint_open(path);
    if (ck) {
        read_tensors(ck);
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            rw_checkpoint_print(null, ck);
            fclose(null);
        }
        rw_rng rng;
        (void)rw_checkpoint_rng(ck, &rng);
        load_model(ck);
        rw_checkpoint_close(ck);
    } else if (!rw_last_error()[0]) {
        abort(); /* a refusal must say why */
    }
    rw_error_clear();
    return 0;
}
