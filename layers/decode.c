/* Greedy decoding, sampling and beam search over any rw_step_model. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "pick.h"
#include "rewind/decode.h"

void rw_step_model_free(rw_step_model *m)
{
    if (m && m->free)
        m->free(m);
}

void rw_hypotheses_free(rw_hypothesis *h, int n)
{
    for (int i = 0; h && i < n; i++) {
        rwi_free(h[i].tokens);
        h[i].tokens = NULL;
    }
}

static rw_status check(const rw_step_model *m, const rw_decode_opts *o, const char *who)
{
    if (!m || !o || !m->step || !m->reorder || m->vocab < 1)
        return rw_error(RW_ERR_ARG, "%s: needs a step model (step, reorder, vocab >= 1) and options", who);
    if (m->rows != 1)
        return rw_error(RW_ERR_STATE, "%s: the model has %d rows; decoding starts from one primed row", who, m->rows);
    if (o->max_length < 1 || o->start < 0 || o->start >= m->vocab || o->end >= m->vocab || o->beam < 0 ||
        o->temperature < 0 || o->top_k < 0 || !isfinite(o->alpha))
        return rw_error(RW_ERR_ARG, "%s: max_length %d must be >= 1, start %d and end %d tokens below %d, beam %d, "
                        "temperature %g and top_k %d >= 0", who, o->max_length, o->start, o->end, m->vocab, o->beam,
                        o->temperature, o->top_k);
    return RW_OK;
}

static rw_status one_row(rw_step_model *m, const rw_decode_opts *o, bool sample, int32_t *out, int *length)
{
    const char *who = sample ? "rw_decode_sample" : "rw_decode_greedy";
    if (check(m, o, who) != RW_OK)
        return rw_last_status();
    if (!out || !length || (sample && !o->rng))
        return rw_error(RW_ERR_ARG, "%s: needs an output buffer, a length%s", who, sample ? " and a generator" : "");
    /* temperature 1 over all tokens: the model's own draw, when it has one */
    bool fast = sample && m->step_sample && (o->temperature == 0 || o->temperature == 1) && o->top_k == 0;
    rw_real *lp = fast ? NULL : rwi_malloc((size_t)m->vocab * sizeof *lp, "log-probabilities");
    if (!fast && !lp)
        return RW_ERR_NOMEM;
    int32_t tok = o->start;
    rw_status st = RW_OK;
    *length = 0;
    for (int t = 0; t < o->max_length; t++) {
        int32_t fed = tok;
        if (fast) {
            if ((st = m->step_sample(m, &fed, 1, o->rng, &tok)) != RW_OK)
                break;
        } else {
            if ((st = m->step(m, &fed, 1, lp)) != RW_OK)
                break;
            tok = sample ? rwi_pick_sample(lp, m->vocab, o->temperature > 0 ? o->temperature : 1, o->top_k, o->rng)
                         : rwi_pick_argmax(lp, m->vocab);
        }
        if (tok < 0 || tok >= m->vocab) {
            st = rw_error(RW_ERR_STATE, "%s: the model drew token %d of %d", who, (int)tok, m->vocab);
            break;
        }
        if (tok == o->end)
            break;
        out[(*length)++] = tok;
    }
    rwi_free(lp);
    return st;
}

rw_status rw_decode_greedy(rw_step_model *m, const rw_decode_opts *o, int32_t *out, int *length)
{
    return one_row(m, o, false, out, length);
}

rw_status rw_decode_sample(rw_step_model *m, const rw_decode_opts *o, int32_t *out, int *length)
{
    return one_row(m, o, true, out, length);
}

/* ---- beam search ------------------------------------------------------------
 * A beam is its last token's place in a shared history of (token, parent)
 * pairs, which grows by at most K entries a step: extending a beam appends
 * one pair instead of copying its tokens, so a step's bookkeeping does not
 * grow with the output's length. A finished hypothesis follows the parents
 * back once to spell out its tokens. */

typedef struct step_link {
    int32_t token;
    int32_t parent; /* index in the history, -1 at the start */
} step_link;

typedef struct beam {
    int32_t last;   /* index of the last token in the history, -1 before the first */
    int length;
    double logprob;
} beam;

typedef struct search {
    const rw_decode_opts *o;
    int K, V;
    beam *live, *next;           /* [K] each */
    step_link *history;          /* [K * max_length] */
    int n_history;
    rw_hypothesis *done;         /* finished hypotheses */
    int n_done, cap_done;
    bool done_sorted;            /* done[] is in score order */
} search;

static double score_of(double logprob, int length, double alpha)
{
    return length > 0 && alpha != 0 ? logprob / pow(length, alpha) : logprob;
}

static rw_status finish(search *s, const beam *b, bool ended, double logprob)
{
    if (s->n_done == s->cap_done) {
        int cap = s->cap_done ? 2 * s->cap_done : 2 * s->K;
        rw_hypothesis *d = rwi_realloc(s->done, (size_t)cap * sizeof *d, "finished hypotheses");
        if (!d)
            return RW_ERR_NOMEM;
        s->done = d;
        s->cap_done = cap;
    }
    rw_hypothesis *h = &s->done[s->n_done];
    int n = b->length;
    h->tokens = rwi_malloc((size_t)(n > 0 ? n : 1) * sizeof *h->tokens, "a hypothesis");
    if (!h->tokens)
        return RW_ERR_NOMEM;
    for (int i = n - 1, at = b->last; i >= 0; i--, at = s->history[at].parent)
        h->tokens[i] = s->history[at].token;
    h->length = n;
    h->ended = ended;
    h->logprob = logprob;
    h->score = score_of(logprob, n + ended, s->o->alpha);
    s->n_done++;
    s->done_sorted = false;
    return RW_OK;
}

static int by_score(const void *a, const void *b)
{
    const rw_hypothesis *x = a, *y = b;
    return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

/* The k best extensions of the live beams, best first: best[j] = i * V + v
 * for beam i and token v, score[j] its total log-probability. Ties keep the
 * lower index (so width 1 picks exactly greedy's argmax). One pass over the
 * K x V scores with an insertion into the sorted list of the best so far:
 * O(K V k) at worst, and most scores fail the first comparison. */
static void top_k(const beam *live, const rw_real *lp, int n_live, int V, int k, int *best, double *score)
{
    int have = 0;
    for (int i = 0; i < n_live; i++) {
        double base = live[i].logprob;
        const rw_real *row = lp + (size_t)i * (size_t)V;
        for (int v = 0; v < V; v++) {
            double t = base + row[v];
            if (have == k && !(t > score[k - 1]))
                continue;
            int at = have < k ? have++ : k - 1;
            while (at > 0 && t > score[at - 1]) { /* strictly: an equal earlier index stays ahead */
                best[at] = best[at - 1];
                score[at] = score[at - 1];
                at--;
            }
            best[at] = i * V + v;
            score[at] = t;
        }
    }
}

/* True when no live beam can still beat the K-th best finished score:
 * log-probabilities only fall, so the best a live beam can reach is its
 * logprob over max_length^alpha (alpha >= 0). */
static bool settled(search *s, int n_live)
{
    if (s->n_done < s->K || s->o->alpha < 0)
        return false;
    if (!s->done_sorted)
        qsort(s->done, (size_t)s->n_done, sizeof *s->done, by_score);
    s->done_sorted = true;
    double kth = s->done[s->K - 1].score;
    for (int i = 0; i < n_live; i++)
        if (score_of(s->live[i].logprob, s->o->max_length, s->o->alpha) > kth)
            return false;
    return true;
}

static rw_status run_beam(rw_step_model *m, search *s)
{
    const rw_decode_opts *o = s->o;
    int K = s->K, V = s->V, n_live = 1;
    rw_real *lp = rwi_malloc((size_t)K * V * sizeof *lp, "log-probabilities");
    double *total = rwi_malloc((size_t)K * sizeof *total, "beam scores");
    int *best = rwi_malloc((size_t)K * sizeof *best, "beam choices");
    int32_t *tokens = rwi_malloc((size_t)K * sizeof *tokens, "beam tokens"), *parent = rwi_malloc((size_t)K * sizeof *parent, "beam parents");
    rw_status st = lp && total && best && tokens && parent ? RW_OK : RW_ERR_NOMEM;
    for (int t = 0; st == RW_OK && n_live > 0 && t < o->max_length; t++) {
        for (int i = 0; i < n_live; i++)
            tokens[i] = s->live[i].last >= 0 ? s->history[s->live[i].last].token : o->start;
        if ((st = m->step(m, tokens, n_live, lp)) != RW_OK)
            break;
        int k = n_live * V < K ? n_live * V : K, n_next = 0;
        top_k(s->live, lp, n_live, V, k, best, total);
        for (int j = 0; j < k && st == RW_OK; j++) {
            const beam *from = &s->live[best[j] / V];
            int32_t tok = best[j] % V;
            if (tok == o->end) {
                st = finish(s, from, true, total[j]);
                continue;
            }
            beam *b = &s->next[n_next];
            s->history[s->n_history] = (step_link){ tok, from->last };
            b->last = s->n_history++;
            b->length = from->length + 1;
            b->logprob = total[j];
            parent[n_next++] = best[j] / V;
        }
        beam *swap = s->live;
        s->live = s->next;
        s->next = swap;
        n_live = n_next;
        if (st == RW_OK && n_live > 0 && t + 1 < o->max_length) {
            if ((st = m->reorder(m, parent, n_live)) == RW_OK && settled(s, n_live))
                n_live = 0;
        }
    }
    /* reached max_length: the live beams finish unended */
    for (int i = 0; st == RW_OK && i < n_live; i++)
        st = finish(s, &s->live[i], false, s->live[i].logprob);
    rwi_free(lp);
    rwi_free(total);
    rwi_free(best);
    rwi_free(tokens);
    rwi_free(parent);
    return st;
}

rw_status rw_beam_search(rw_step_model *m, const rw_decode_opts *o, rw_hypothesis *out, int nbest, int *n_out)
{
    if (check(m, o, "rw_beam_search") != RW_OK)
        return rw_last_status();
    if (!out || !n_out || nbest < 1)
        return rw_error(RW_ERR_ARG, "rw_beam_search: needs room for nbest >= 1 hypotheses and a count");
    *n_out = 0;
    search s = { .o = o, .K = o->beam ? o->beam : 1, .V = m->vocab };
    s.live = rwi_calloc((size_t)s.K, sizeof *s.live, "beams");
    s.next = rwi_calloc((size_t)s.K, sizeof *s.next, "beams");
    s.history = rwi_malloc((size_t)s.K * (size_t)o->max_length * sizeof *s.history, "the beams' history");
    rw_status st = s.live && s.next && s.history ? RW_OK : RW_ERR_NOMEM;
    if (st == RW_OK)
        s.live[0] = (beam){ .last = -1 };
    if (st == RW_OK)
        st = run_beam(m, &s);
    if (st == RW_OK) {
        qsort(s.done, (size_t)s.n_done, sizeof *s.done, by_score);
        int n = s.n_done < nbest ? s.n_done : nbest;
        memcpy(out, s.done, (size_t)n * sizeof *out);
        rw_hypotheses_free(s.done + n, s.n_done - n);
        *n_out = n;
    } else {
        rw_hypotheses_free(s.done, s.n_done);
    }
    rwi_free(s.history);
    rwi_free(s.live);
    rwi_free(s.next);
    rwi_free(s.done);
    return st;
}
