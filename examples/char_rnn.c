/* char_rnn: a character-level LSTM language model, trained on a text file
 * with truncated BPTT, printing its loss and text sampled with a temperature.
 *
 *   char_rnn [FILE] [steps] [temperature]
 *
 * B parallel streams run through the text; each step trains on the next
 * window of T characters of every stream, starting from the state the
 * previous window ended in (its value kept, its gradient cut). The first
 * layer looks its input up by character id (one-hot input, without the
 * one-hot). Default corpus: Debian's fortunes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>

enum { B = 32, T = 64, H = 256, LAYERS = 2 };

/* The text as ids of its distinct bytes (rewind/corpus.h), with room for
 * B streams of at least one window. */
static int load(const char *path, rw_byte_corpus *t)
{
    if (rw_byte_corpus_read(t, &path, 1, false) != RW_OK) {
        fprintf(stderr, "char_rnn: %s\n", rw_last_error());
        return 1;
    }
    if (t->n < (size_t)(B * (T + 1) + 1)) {
        fprintf(stderr, "char_rnn: '%s' has %zu bytes; it needs at least %d\n", path, t->n, B * (T + 1) + 1);
        rw_byte_corpus_free(t);
        return 1;
    }
    return 0;
}

/* Draws an id from softmax(logits / temperature). */
static int sample(const rw_real *logits, int V, double temperature, rw_rng *rng)
{
    double m = logits[0], z = 0, p[256];
    for (int j = 1; j < V; j++)
        m = logits[j] > m ? logits[j] : m;
    for (int j = 0; j < V; j++)
        z += p[j] = exp((logits[j] - m) / temperature);
    double u = rw_rng_uniform(rng) * z;
    for (int j = 0; j < V; j++)
        if ((u -= p[j]) <= 0)
            return j;
    return V - 1;
}

static void generate(rw_graph *g, const rw_rnn *rnn, const rw_linear *head, const rw_byte_corpus *t, int length,
                     double temperature, rw_rng *rng)
{
    rw_graph_set_training(g, false);
    rw_node *state[2 * LAYERS];
    rw_rnn_zero_state(g, rnn, 1, state);
    int id = t->ids[0];
    for (int i = 0; i < length; i++) {
        rw_node *x = rw_leaf_new(g, RW_INT32, rw_shape1(1), false);
        x->value.idata[0] = id;
        rw_node *logits = rw_linear_apply(g, head, rw_rnn_step(g, rnn, x, state));
        if (!logits) {
            fprintf(stderr, "char_rnn: %s\n", rw_last_error());
            break;
        }
        id = sample(logits->value.data, t->vocab.n, temperature, rng);
        putchar(t->vocab.tok[id][0]);
        /* Keep only the state: copy it out, reset the step, put it back. */
        if (i % 64 == 63) {
            rw_tensor *keep[2 * LAYERS];
            for (int k = 0; k < 2 * LAYERS; k++)
                keep[k] = rw_tensor_clone(&state[k]->value);
            rw_graph_reset(g);
            for (int k = 0; k < 2 * LAYERS; k++) {
                state[k] = rw_const_copy(g, keep[k]);
                rw_tensor_free(keep[k]);
            }
        }
    }
    putchar('\n');
    rw_graph_reset(g);
    rw_graph_set_training(g, true);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/usr/share/games/fortunes/fortunes";
    int steps = argc > 2 ? atoi(argv[2]) : 300;
    double temperature = argc > 3 ? atof(argv[3]) : 0.7;
    rw_byte_corpus t = { 0 };
    if (load(path, &t))
        return 1;
    rw_rng rng = rw_rng_seed(42);
    rw_params *P = rw_params_new();
    rw_rnn *lstm = rw_rnn_new(P, &(rw_rnn_spec){ .name = "lstm", .cell = &rw_lstm_cell, .vocab = t.vocab.n,
                                                .hidden = H, .layers = LAYERS }, &rng);
    rw_linear *head = rw_linear_new(P, "head", H, t.vocab.n, &rng);
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 3e-3 });
    rw_carry *carry = lstm ? rw_carry_new(lstm, B) : NULL;
    rw_tensor *x = rw_tensor_new(RW_INT32, rw_shape2(T, B)), *y = rw_tensor_new(RW_INT32, rw_shape2(T, B));
    rw_graph *g = rw_graph_new();
    if (!lstm || !head || !opt || !carry || !x || !y || !g) {
        fprintf(stderr, "char_rnn: %s\n", rw_last_error());
        return 1;
    }
    printf("char_rnn: %zu bytes, %d distinct, %d-layer LSTM of %d, %zu parameters\n", t.n, t.vocab.n, LAYERS, H,
           rw_params_size(P));
    rw_windows windows; /* B streams through the text, whole windows of T */
    rw_windows_init(&windows, t.ids, t.n, &(rw_windows_opts){ .streams = B, .window = T, .whole_windows = true });
    double smooth = log(t.vocab.n);
    for (int step = 1; step <= steps; step++) {
        if (!rw_windows_next(&windows, x->idata, y->idata)) { /* every stream read: start over */
            rw_windows_start(&windows, 0);
            rw_carry_zero(carry);
            rw_windows_next(&windows, x->idata, y->idata);
        }
        rw_seq s = rw_rnn_run(g, lstm, rw_const(g, x), &(rw_run_opts){ .carry = carry });
        rw_node *loss = rw_cross_entropy(g, rw_linear_apply(g, head, s.outputs), rw_const(g, y));
        if (!loss || rw_backward(g, loss) != RW_OK) {
            fprintf(stderr, "char_rnn: %s\n", rw_last_error());
            return 1;
        }
        rw_clip_global_norm(P, 5.0);
        rw_optim_step(opt);
        rw_carry_keep(carry, &s);
        smooth = 0.95 * smooth + 0.05 * rw_scalar(loss);
        rw_graph_reset(g);
        if (step % 50 == 0 || step == steps)
            printf("step %4d  loss %.3f  (%.2f bits per character)\n", step, smooth, smooth / log(2));
    }
    printf("--- sampled at temperature %.2f ---\n", temperature);
    generate(g, lstm, head, &t, 400, temperature, &rng);
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(y);
    rw_carry_free(carry);
    rw_optim_free(opt);
    rw_linear_free(head);
    rw_rnn_free(lstm);
    rw_params_free(P);
    int V = t.vocab.n;
    rw_byte_corpus_free(&t);
    return smooth < log(V) - 1.0 ? 0 : 1;
}
