/* rewind/vocab.h - vocabularies: token strings and their int32 ids.
 *
 * A vocabulary maps tokens to ids 0..n-1 and back. Three kinds are built
 * from data: byte tokens (every distinct byte of a text, ids in byte
 * order), word tokens (whitespace-separated words seen at least min_count
 * times, plus "<unk>" for the rest) and class names (the distinct labels,
 * sorted). rw_vocab_add_unk gives a byte vocabulary "<unk>" as its last
 * id, for bytes its text never had (the model builder does so for every
 * character vocabulary). A vocabulary can be written as text and read
 * back, so a saved model can be rebuilt without its data.
 *
 *   unsigned char present[256] = { 0 };
 *   rw_bytes_mark("hello", 5, false, present);
 *   rw_vocab v = { 0 };
 *   if (rw_vocab_from_bytes(&v, present) != RW_OK)
 *       return rw_last_status();
 *   int32_t ids[5];
 *   rw_vocab_encode(&v, "hello", ids);       // 1 0 2 2 3: e h l l o
 *   char *text = rw_vocab_to_text(&v, NULL); // "rewind-vocab 1\ntokens 4 bytes\ne\nh\nl\no\n"
 *   rw_vocab back[2] = { { 0 }, { 0 } };
 *   rw_vocab_from_text(&back[0], &back[1], text);
 *   free(text);
 *   rw_vocab_free(&back[0]);
 *   rw_vocab_free(&back[1]);
 *   rw_vocab_free(&v);
 *
 * The struct is plain data so that it can live inside other structs; read
 * its fields, but build and free it only with the functions below.
 */
#ifndef REWIND_VOCAB_H
#define REWIND_VOCAB_H

#include "rewind/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rewind/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rw_vocab {
    int n;              /* ids 0..n-1 */
    char **tok;         /* id -> token string; NULL for opaque ids (rw_vocab_opaque) */
    int *sorted;        /* internal: the ids sorted by string, for rw_vocab_find */
    int unk;            /* id of "<unk>", or -1 */
    bool bytes;         /* every token is one byte (a byte vocabulary) */
    int byte_id[256];   /* a byte vocabulary's byte -> id, or -1 */
} rw_vocab;

/* A byte vocabulary of the bytes b with present[b] != 0, ids in byte order.
 * Every rw_vocab_from_* and rw_vocab_opaque fills a zeroed (or freed)
 * struct; on failure free it with rw_vocab_free. */
RW_API rw_status rw_vocab_from_bytes(rw_vocab *v, const unsigned char present[256]);
/* Appends "<unk>" as the last id (the other ids keep theirs); no-op when v
 * already has one. A byte vocabulary stays one: rw_bytes_encode and
 * rw_vocab_encode then give v->unk for a byte it lacks. The model builder
 * does this for every character vocabulary it builds from data, so text
 * with bytes the training data never had can still be scored. */
RW_API rw_status rw_vocab_add_unk(rw_vocab *v);
/* The distinct strings, sorted (the ids follow strcmp order), with "<unk>"
 * as id 0 when with_unk. Sorts `strings` in place; copies them. */
RW_API rw_status rw_vocab_from_strings(rw_vocab *v, char **strings, int n, bool with_unk);
/* A word vocabulary: "<unk>" and the words that occur at least min_count
 * times in `words` (sorted in place; copied). */
RW_API rw_status rw_vocab_from_words(rw_vocab *v, char **words, int n, int min_count);
/* The same with at most max_size ids, "<unk>" included: the max_size - 1
 * most frequent words (equal counts in string order) and "<unk>" for the
 * rest. max_size 0: no cap; 1 is refused (RW_ERR_ARG). */
RW_API rw_status rw_vocab_from_words_capped(rw_vocab *v, char **words, int n, int min_count, int max_size);
/* n ids without token strings (a model loaded without its data). */
RW_API rw_status rw_vocab_opaque(rw_vocab *v, int n);
RW_API void rw_vocab_free(rw_vocab *v);

/* The id of the token s[0..len), or -1. */
RW_API int rw_vocab_find(const rw_vocab *v, const char *s, size_t len);
/* The token of id, or NULL when out of range or opaque. */
RW_API const char *rw_vocab_token(const rw_vocab *v, int id);

/* ---- text into ids -------------------------------------------------------- */

/* Sets present[b] for every byte of text[0..len) (lowercased first when
 * `lowercase`), as rw_vocab_from_bytes wants. */
RW_API void rw_bytes_mark(const char *text, size_t len, bool lowercase, unsigned char present[256]);
/* The ids of text[0..len) in a byte vocabulary (lowercased first when
 * `lowercase`); ids needs room for len. A byte the vocabulary lacks gets
 * v->unk (-1 when there is no "<unk>"). */
RW_API void rw_bytes_encode(const rw_vocab *v, const char *text, size_t len, bool lowercase, int32_t *ids);
/* Appends copies of the whitespace-separated words of text to *words
 * (grown as needed; *n counts them). Free each word and the array. */
RW_API rw_status rw_words_append(const char *text, char ***words, int *n);
/* The ids of a NUL-terminated text: one per byte in a byte vocabulary,
 * else one per whitespace-separated word; unknown tokens get v->unk.
 * ids needs room for strlen(text). Returns the count. */
RW_API int rw_vocab_encode(const rw_vocab *v, const char *text, int32_t *ids);
/* ASCII-lowercases s in place. */
RW_API void rw_lowercase(char *s);

/* ---- special tokens (sequence-to-sequence vocabularies) -------------------- */

/* Ids of the specials in a vocabulary made by rw_vocab_add_specials. */
enum { RW_VOCAB_PAD = 0, RW_VOCAB_BOS = 1, RW_VOCAB_EOS = 2, RW_VOCAB_UNK = 3, RW_VOCAB_SPECIALS = 4 };
/* Puts "<pad>", "<s>", "</s>", "<unk>" in front of v as ids 0..3 (an
 * existing "<unk>" moves there; the other tokens keep their order). A
 * byte vocabulary stays one: the specials are its only longer tokens, so
 * text is still read byte by byte. No-op when v already has them. */
RW_API rw_status rw_vocab_add_specials(rw_vocab *v);
/* True when ids 0..3 of v are the four specials. */
RW_API bool rw_vocab_has_specials(const rw_vocab *v);
/* "<pad>", "<s>", "</s>", "<unk>" for ids 0..3, else NULL. */
RW_API const char *rw_vocab_special_name(int id);

/* ---- saved as text ----------------------------------------------------------- */

/* "rewind-vocab 1\n", then "tokens <n>[ bytes]\n" and one token a line,
 * then the same for `labels` ("labels <n>") when labels is non-NULL and has
 * strings. Bytes outside printable ASCII and '\\' are escaped (\xHH, \\).
 * NULL with an error when `tokens` is opaque. free() the result. */
RW_API char *rw_vocab_to_text(const rw_vocab *tokens, const rw_vocab *labels);
/* Reads what rw_vocab_to_text wrote into two zeroed vocabularies (labels
 * stays empty when the text has none). RW_ERR_FORMAT saying what is wrong. */
RW_API rw_status rw_vocab_from_text(rw_vocab *tokens, rw_vocab *labels, const char *text);

#ifdef __cplusplus
}
#endif

#endif
