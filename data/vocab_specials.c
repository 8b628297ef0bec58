/* The four special tokens of sequence-to-sequence vocabularies (<pad>, <s>,
 * </s>, <unk> as ids 0..3) put in front of an existing vocabulary. Done
 * through the saved text form, so the vocabulary's index is built the one
 * way every vocabulary is, and a vocabulary with specials saves and reads
 * back like any other (old checkpoints, without them, are untouched). */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/vocab.h"

static const char *const specials[RW_VOCAB_SPECIALS] = { "<pad>", "<s>", "</s>", "<unk>" };

const char *rw_vocab_special_name(int id)
{
    return id >= 0 && id < RW_VOCAB_SPECIALS ? specials[id] : NULL;
}

bool rw_vocab_has_specials(const rw_vocab *v)
{
    if (!v || !v->tok || v->n < RW_VOCAB_SPECIALS)
        return false;
    for (int i = 0; i < RW_VOCAB_SPECIALS; i++)
        if (strcmp(v->tok[i], specials[i]) != 0)
            return false;
    return true;
}

rw_status rw_vocab_add_specials(rw_vocab *v)
{
    if (!v || !v->tok)
        return rw_error(RW_ERR_ARG, "rw_vocab_add_specials: needs a vocabulary with token strings");
    if (rw_vocab_has_specials(v))
        return RW_OK;
    char *text = rw_vocab_to_text(v, NULL);
    if (!text)
        return rw_last_status();
    /* text: "rewind-vocab 1\ntokens <n>[ bytes]\n" then one token a line */
    char *head_end = strchr(text, '\n'), *count_end = head_end ? strchr(head_end + 1, '\n') : NULL;
    if (!count_end) {
        rwi_free(text);
        return rw_error(RW_ERR_STATE, "rw_vocab_add_specials: unexpected saved form");
    }
    size_t cap = strlen(text) + 64;
    char *out = rwi_malloc(cap, "a vocabulary");
    if (!out) {
        rwi_free(text);
        return RW_ERR_NOMEM;
    }
    int kept = v->n - (v->unk >= 0 ? 1 : 0);
    size_t at = (size_t)snprintf(out, cap, "rewind-vocab 1\ntokens %d%s\n", kept + RW_VOCAB_SPECIALS,
                                 v->bytes ? " bytes" : "");
    for (int i = 0; i < RW_VOCAB_SPECIALS; i++)
        at += (size_t)snprintf(out + at, cap - at, "%s\n", specials[i]);
    for (char *line = count_end + 1; *line;) { /* the old tokens, without any <unk> of their own */
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (!(len == 5 && !strncmp(line, "<unk>", 5))) {
            memcpy(out + at, line, len);
            at += len;
            out[at++] = '\n';
        }
        line += len + (nl ? 1 : 0);
    }
    out[at] = '\0';
    rwi_free(text);
    rw_vocab fresh = { 0 }, none = { 0 };
    rw_status st = rw_vocab_from_text(&fresh, &none, out);
    rwi_free(out);
    rw_vocab_free(&none);
    if (st != RW_OK) {
        rw_vocab_free(&fresh);
        return st;
    }
    rw_vocab_free(v);
    *v = fresh;
    return RW_OK;
}
