/* Writes small checkpoints into a directory, seeds for fuzz_checkpoint: the
 * parameters of a model file with an Adam optimizer's state, the RNG, and
 * the metadata `rewind train` stores (the model text and its vocabulary).
 *   seed_checkpoints OUT_DIR MODEL.yaml...   */
#include <stdio.h>
#include <stdlib.h>
#include <rewind.h>

static const char seed_vocab[] = "rewind-vocab 1\ntokens 6\na\nb\nc\nd\ne\n\\x20\nlabels 3\nneg\npos\nmid\n";

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: seed_checkpoints OUT_DIR MODEL.yaml...\n");
        return 2;
    }
    int written = 0;
    for (int i = 2; i < argc; i++) {
        rw_model *m = rw_model_load(argv[i], &(rw_model_load_opts){ .skip_data = true, .vocab = seed_vocab });
        if (!m || !rw_model_params(m)) {
            rw_model_free(m);
            continue;
        }
        rw_optim *opt = rw_adam_new(rw_model_params(m), &(rw_adam_opts){ .lr = 1e-3 });
        char *vocab = rw_model_vocab_string(m);
        const char *keys[] = { "rewind.model", "rewind.vocab" };
        const char *values[] = { rw_model_text(m), vocab ? vocab : "" };
        char out[4096];
        snprintf(out, sizeof out, "%s/seed%d.rwc", argv[1], i - 1);
        if (opt && rw_checkpoint_save_ex(out, rw_model_params(m), opt, rw_model_rng(m), 3, keys, values,
                                         vocab ? 2 : 1) == RW_OK)
            written++;
        else
            fprintf(stderr, "seed_checkpoints: %s: %s\n", argv[i], rw_last_error());
        free(vocab);
        rw_optim_free(opt);
        rw_model_free(m);
    }
    printf("%d checkpoints written to %s\n", written, argv[1]);
    return written ? 0 : 1;
}
