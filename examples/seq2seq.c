/* seq2seq: an encoder-decoder with attention learns to translate dates
 * ("3 March 2021", "03/03/21", "March 3, 2021") to ISO form ("2021-03-03"),
 * then translates held-out dates with beam search. Only the public API.
 *
 * Source: characters (ASCII ids); target: "0123456789-" plus <s> and </s>.
 * A bidirectional LSTM encoder, an LSTM decoder with additive attention
 * and input feeding, Adam. Exits 0 only if held-out exact match >= 99%.
 * Usage: seq2seq [max_steps] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>

enum { TEXT = 40, SRC_VOCAB = 128, BOS = 11, EOS = 12, TGT_VOCAB = 13, SRC_MAX = 20, TGT_MAX = 11, BATCH = 32, TEST = 200 };
static const char TGT_CHARS[] = "0123456789-";
static const char *MONTHS[12] = { "January", "February", "March", "April", "May", "June", "July",
                                  "August", "September", "October", "November", "December" };

/* A random date written one of three ways (src) and in ISO form (iso). */
static void random_date(rw_rng *rng, char src[TEXT], char iso[TEXT])
{
    static const int days_in[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y = 1950 + (int)rw_rng_below(rng, 100), m = (int)rw_rng_below(rng, 12);
    int d = 1 + (int)rw_rng_below(rng, (uint32_t)days_in[m]);
    switch (rw_rng_below(rng, 3)) {
    case 0: snprintf(src, TEXT, "%d %s %d", d, MONTHS[m], y); break;
    case 1: snprintf(src, TEXT, "%02d/%02d/%02d", d, m + 1, y % 100); break;
    default: snprintf(src, TEXT, "%s %d, %d", MONTHS[m], d, y); break;
    }
    snprintf(iso, TEXT, "%04d-%02d-%02d", y, m + 1, d);
}

/* Column b of a batch: source ids (0-padded), its length, target ids + </s>. */
static void put(const char *src, const char *iso, int b, rw_tensor *s, rw_tensor *len, rw_tensor *t)
{
    int n = (int)strlen(src);
    len->idata[b] = n;
    for (int i = 0; i < SRC_MAX; i++)
        s->idata[i * BATCH + b] = i < n ? src[i] : 0;
    for (int i = 0; i < TGT_MAX; i++)
        t->idata[i * BATCH + b] = i < TGT_MAX - 1 ? (int)(strchr(TGT_CHARS, iso[i]) - TGT_CHARS) : EOS;
}

/* Beam search (width 3) for one source; writes the best output as text. */
static void translate(const rw_seq2seq *m, const char *src, char *out, rw_hypothesis *nbest, int *n)
{
    int32_t ids[SRC_MAX];
    int len = (int)strlen(src);
    for (int i = 0; i < len; i++)
        ids[i] = src[i];
    rw_step_model *dm = rw_seq2seq_step_model_new(m, ids, len);
    rw_decode_opts o = { .start = BOS, .end = EOS, .max_length = TGT_MAX + 2, .beam = 3, .alpha = 0.6 };
    if (!dm || rw_beam_search(dm, &o, nbest, 3, n) != RW_OK) {
        fprintf(stderr, "decoding: %s\n", rw_last_error());
        exit(1);
    }
    for (int i = 0; i < nbest[0].length; i++)
        out[i] = nbest[0].tokens[i] < 11 ? TGT_CHARS[nbest[0].tokens[i]] : '?';
    out[nbest[0].length] = 0;
    rw_step_model_free(dm);
}

static char held_src[TEST][TEXT], held_iso[TEST][TEXT];   /* never trained on */

static bool held_out(const char *src)
{
    for (int k = 0; k < TEST; k++)
        if (strcmp(src, held_src[k]) == 0)
            return true;
    return false;
}

static double held_out_accuracy(const rw_seq2seq *m, int shown)
{
    int right = 0;
    for (int k = 0; k < TEST; k++) {
        const char *src = held_src[k], *iso = held_iso[k];
        char out[TEXT];
        rw_hypothesis nbest[3];
        int n;
        translate(m, src, out, nbest, &n);
        right += strcmp(out, iso) == 0;
        if (k < shown)
            printf("  %-20s -> %s  (score %.3f; runner-up score %.3f)\n", src, out, nbest[0].score,
                   n > 1 ? nbest[1].score : 0.0);
        rw_hypotheses_free(nbest, n);
    }
    return (double)right / TEST;
}

/* The attention behind a translation, as text: one row per output
 * character, one column per source character, darker = more weight. The
 * weights come from a teacher-forced pass over the model's own output. */
static void show_attention(const rw_seq2seq *m, const char *src)
{
    char out[TEXT];
    rw_hypothesis nbest[3];
    int n, S = (int)strlen(src);
    translate(m, src, out, nbest, &n);
    int T = nbest[0].length + 1;
    rw_tensor *s = rw_tensor_new(RW_INT32, rw_shape2(S, 1)), *t = rw_tensor_new(RW_INT32, rw_shape2(T, 1));
    for (int i = 0; i < S; i++)
        s->idata[i] = src[i];
    for (int i = 0; i < T; i++)
        t->idata[i] = i < T - 1 ? nbest[0].tokens[i] : EOS;
    rw_graph *g = rw_graph_new();
    rw_seq2seq_out o = rw_seq2seq_forward(g, m, rw_const(g, s), NULL, rw_const(g, t), NULL);
    printf("attention of \"%s\" -> \"%s\":\n    %s\n", src, out, src);
    for (int i = 0; o.attention && i < T - 1; i++) {
        printf("  %c ", out[i]);
        for (int j = 0; j < S; j++)
            putchar(" .:-=+*#%@"[(int)(9.99 * rw_node_value(o.attention)->data[i * S + j])]);
        putchar('\n');
    }
    rw_graph_free(g);
    rw_tensor_free(s);
    rw_tensor_free(t);
    rw_hypotheses_free(nbest, n);
}

int main(int argc, char **argv)
{
    int max_steps = argc > 1 ? atoi(argv[1]) : 3000;
    rw_rng rng = rw_rng_seed(7), test_rng = rw_rng_seed(99);
    for (int k = 0; k < TEST; k++)
        random_date(&test_rng, held_src[k], held_iso[k]);
    rw_params *P = rw_params_new();
    rw_seq2seq *m = rw_seq2seq_new(P, "dates", &(rw_seq2seq_opts){
        .src_vocab = SRC_VOCAB, .tgt_vocab = TGT_VOCAB, .embed = 16, .hidden = 32, .bidirectional = true,
        .attention = true, .score = RW_ATTN_ADDITIVE, .input_feeding = true, .bos = BOS, .eos = EOS }, &rng);
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 5e-3 });
    if (!m || !opt) {
        fprintf(stderr, "%s\n", rw_last_error());
        return 1;
    }
    rw_tensor *src = rw_tensor_new(RW_INT32, rw_shape2(SRC_MAX, BATCH)), *len = rw_tensor_new(RW_INT32, rw_shape1(BATCH));
    rw_tensor *tgt = rw_tensor_new(RW_INT32, rw_shape2(TGT_MAX, BATCH));
    rw_graph *g = rw_graph_new();
    double acc = 0;
    for (int step = 1; step <= max_steps && acc < 0.99; step++) {
        for (int b = 0; b < BATCH; b++) { /* fresh dates each step, none of them held out */
            char s[TEXT], iso[TEXT];
            do
                random_date(&rng, s, iso);
            while (held_out(s));
            put(s, iso, b, src, len, tgt);
        }
        rw_seq2seq_out o = rw_seq2seq_forward(g, m, rw_const(g, src), rw_const(g, len), rw_const(g, tgt), NULL);
        if (!o.loss || rw_backward(g, o.loss) != RW_OK) {
            fprintf(stderr, "%s\n", rw_last_error());
            return 1;
        }
        rw_clip_global_norm(P, 5.0);
        rw_optim_step(opt);
        if (step % 250 == 0) {
            printf("step %d  loss %.4f\n", step, rw_scalar(o.loss));
            acc = held_out_accuracy(m, 0);
            printf("  held-out exact match %.1f%%\n", 100 * acc);
        }
        rw_graph_reset(g);
    }
    acc = held_out_accuracy(m, 5);
    printf("held-out exact match %.1f%% (%d dates)\n", 100 * acc, TEST);
    show_attention(m, "March 14, 1987");
    rw_graph_free(g);
    rw_tensor_free(src);
    rw_tensor_free(len);
    rw_tensor_free(tgt);
    rw_optim_free(opt);
    rw_seq2seq_free(m);
    rw_params_free(P);
    return acc >= 0.99 ? 0 : 1;
}
