/* The model's vocabulary and class names (rewind/vocab.h, built by data.c
 * or read back from a saved vocabulary) as the public rw_model_* calls. */
#include <ctype.h>
#include <string.h>
#include "model_internal.h"

rw_status rwi_mvocab_from_bytes(rw_model *m, const unsigned char present[256])
{
    rw_status st = rw_vocab_from_bytes(&m->vocab, present);
    return st == RW_OK && !m->bytes_without_unk ? rw_vocab_add_unk(&m->vocab) : st;
}

bool rwi_mvocab_saved_without_unk(const char *saved)
{
    rw_vocab tokens = { 0 }, labels = { 0 };
    bool read = rw_vocab_from_text(&tokens, &labels, saved) == RW_OK, without = read && tokens.bytes && tokens.unk < 0;
    if (!read)
        rw_error_clear(); /* unreadable: not this case; whoever reads it reports it */
    rw_vocab_free(&tokens);
    rw_vocab_free(&labels);
    return without;
}

int rw_model_vocab_size(const rw_model *m) { return m ? m->vocab.n : 0; }
int rw_model_classes(const rw_model *m) { return m && m->target == MT_LABEL ? m->labels.n : 0; }

const char *rw_model_token(const rw_model *m, int id)
{
    return m && m->vocab.tok && id >= 0 && id < m->vocab.n ? m->vocab.tok[id] : NULL;
}

const char *rw_model_token_separator(const rw_model *m) { return m && !m->vocab.bytes ? " " : ""; }

int rw_model_unk_id(const rw_model *m) { return m && m->vocab.tok ? m->vocab.unk : -1; }

const char *rw_model_label(const rw_model *m, int id)
{
    return m && m->labels.tok && id >= 0 && id < m->labels.n ? m->labels.tok[id] : NULL;
}

int rw_model_encode(const rw_model *m, const char *text, int32_t *ids, int max)
{
    if (!m || !text || (max > 0 && !ids) || !m->vocab.tok) {
        rw_error(RW_ERR_ARG, "rw_model_encode: needs a model with a vocabulary, text and room for ids");
        return -1;
    }
    const rw_vocab *v = &m->vocab;
    int n = 0;
    for (const char *p = text; *p;) {
        size_t len = 1;
        if (!v->bytes) { /* words, split on whitespace */
            while (*p && isspace((unsigned char)*p))
                p++;
            if (!*p)
                break;
            while (p[len] && !isspace((unsigned char)p[len]))
                len++;
        }
        char low[256];
        const char *tok = p;
        if (m->data.lowercase && len < sizeof low) {
            for (size_t i = 0; i < len; i++)
                low[i] = (char)tolower((unsigned char)p[i]);
            tok = low;
        }
        int id = rw_vocab_find(v, tok, len);
        if (id < 0)
            id = v->unk;
        if (id < 0) {
            rw_error(RW_ERR_ARG, "rw_model_encode: the vocabulary has no token '%.*s' (byte 0x%02x) and no <unk>",
                     (int)(len < 40 ? len : 40), p, (unsigned char)p[0]);
            return -1;
        }
        if (n < max)
            ids[n] = id;
        n++;
        p += len;
    }
    return n;
}

char *rw_model_vocab_string(const rw_model *m)
{
    if (!m || !m->vocab.tok) {
        rw_error(RW_ERR_ARG, "rw_model_vocab_string: the model's vocabulary is opaque (no token strings)");
        return NULL;
    }
    return rwi_mhsm_vocab_string(m, rw_vocab_to_text(&m->vocab, &m->labels));
}
