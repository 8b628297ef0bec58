/* data/: reading data files, tab-separated examples, data paths,
 * vocabularies and windows over parallel streams (rewind/corpus.h,
 * rewind/vocab.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/rw_corpus_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Writes dir/name and returns its path (in a static buffer). */
static const char *put(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
    return path;
}

TestSuite(corpus, .init = make_dir, .fini = remove_dir);

/* ---- files ------------------------------------------------------------------ */

Test(corpus, files_are_read_whole_and_one_after_another)
{
    char a[128], b[128];
    snprintf(a, sizeof a, "%s", put("a.txt", "ab\n"));
    snprintf(b, sizeof b, "%s", put("b.txt", "cd"));
    size_t len;
    char *one = rw_read_file(a, &len);
    cr_assert_str_eq(one, "ab\n");
    cr_assert_eq(len, 3);
    free(one);
    const char *both[] = { a, b };
    char *all = rw_read_files(both, 2, &len);
    cr_assert_str_eq(all, "ab\ncd");
    cr_assert_eq(len, 5);
    free(all);
    const char *missing[] = { a, "/nonexistent/x.txt" };
    cr_assert_null(rw_read_files(missing, 2, &len));
    cr_assert(strstr(rw_last_error(), "cannot open data file '/nonexistent/x.txt'"), "%s", rw_last_error());
}

Test(corpus, a_byte_corpus_numbers_its_distinct_bytes_in_byte_order)
{
    const char *path = put("t.txt", "baAb");
    rw_byte_corpus c = { 0 };
    cr_assert_eq(rw_byte_corpus_read(&c, &path, 1, false), RW_OK);
    cr_assert_eq(c.n, 4);
    cr_assert_eq(c.vocab.n, 3); /* A a b */
    int32_t want[] = { 2, 1, 0, 2 };
    cr_assert_arr_eq(c.ids, want, sizeof want);
    cr_assert_str_eq(rw_vocab_token(&c.vocab, 0), "A");
    rw_byte_corpus_free(&c);
    cr_assert_eq(rw_byte_corpus_read(&c, &path, 1, true), RW_OK); /* lowercased: a b */
    int32_t low[] = { 1, 0, 0, 1 };
    cr_assert_eq(c.vocab.n, 2);
    cr_assert_arr_eq(c.ids, low, sizeof low);
    rw_byte_corpus_free(&c);
}

/* The example of rewind/corpus.h, as written there (the windows counted). */
static rw_status corpus_header_example(const char *input, const char *train, long *windows, int *rows)
{
    rw_byte_corpus c = { 0 };
    const char *paths[] = { input };
    if (rw_byte_corpus_read(&c, paths, 1, false) != RW_OK)
        return rw_last_status();               // "cannot open data file 'input.txt': ..."
    rw_windows w;
    if (rw_windows_init(&w, c.ids, c.n, &(rw_windows_opts){ .streams = 32, .window = 64 }) != RW_OK)
        return rw_last_status();
    int32_t in[64 * 32], next[64 * 32];        // [T, B], row t holds step t of every stream
    int T;
    while ((T = rw_windows_next(&w, in, next)) > 0)
        ++*windows;                            // next[i] is the token after in[i]
    rw_byte_corpus_free(&c);

    rw_tsv *t = rw_tsv_open(train, &(rw_tsv_opts){ .first = "label", .second = "text" });
    rw_tsv_row row;
    int got = 0;
    while (t && (got = rw_tsv_next(t, &row)) > 0)
        ++*rows;                               // row.first, row.second, row.line
    rw_tsv_close(t);                           // got < 0: "train.tsv:7: expected label<TAB>text"
    return got < 0 ? rw_last_status() : RW_OK;
}

Test(corpus, the_header_example_does_what_it_says)
{
    static char text[32 * 100 + 2];
    memset(text, 'x', sizeof text - 1);
    char input[128];
    snprintf(input, sizeof input, "%s", put("input.txt", text)); /* 3201 bytes: 32 streams of 100 steps */
    const char *train = put("train.tsv", "a\tb\nc\td\n");
    long windows = 0;
    int rows = 0;
    cr_assert_eq(corpus_header_example(input, train, &windows, &rows), RW_OK, "%s", rw_last_error());
    cr_assert_eq(windows, 2); /* 64 steps, then 36 */
    cr_assert_eq(rows, 2);
}

/* ---- tab-separated examples ----------------------------------------------------- */

Test(corpus, tsv_rows_and_a_bad_line_named_by_file_and_line)
{
    const char *path = put("x.tsv", "pos\tgood one\n\nneg\tbad\r\nneg\ttwo\ttabs\nno tab here\nlast\tline");
    rw_tsv *t = rw_tsv_open(path, &(rw_tsv_opts){ .first = "label", .second = "text" });
    cr_assert_not_null(t, "%s", rw_last_error());
    rw_tsv_row r;
    cr_assert_eq(rw_tsv_next(t, &r), 1);
    cr_assert_str_eq(r.first, "pos");
    cr_assert_str_eq(r.second, "good one");
    cr_assert_eq(r.line, 1);
    cr_assert_eq(rw_tsv_next(t, &r), 1); /* the empty line 2 is skipped, '\r' dropped */
    cr_assert_str_eq(r.second, "bad");
    cr_assert_eq(r.line, 3);
    cr_assert_eq(rw_tsv_next(t, &r), 1);
    cr_assert_str_eq(r.second, "two\ttabs");
    cr_assert_eq(rw_tsv_next(t, &r), -1);
    char want[160];
    snprintf(want, sizeof want, "%s:5: expected label<TAB>text", path);
    cr_assert_str_eq(rw_last_error(), want);
    rw_tsv_close(t);
}

Test(corpus, tsv_empty_columns_are_errors_unless_allowed)
{
    const char *path = put("e.tsv", "src\t\n");
    rw_tsv *t = rw_tsv_open(path, &(rw_tsv_opts){ .first = "source", .second = "target" });
    rw_tsv_row r;
    cr_assert_eq(rw_tsv_next(t, &r), -1);
    cr_assert(strstr(rw_last_error(), "e.tsv:1: expected source<TAB>target"), "%s", rw_last_error());
    rw_tsv_close(t);
    t = rw_tsv_open(path, &(rw_tsv_opts){ .first = "source", .second = "target", .allow_empty = true });
    cr_assert_eq(rw_tsv_next(t, &r), 1);
    cr_assert_str_eq(r.second, "");
    cr_assert_eq(rw_tsv_next(t, &r), 0);
    rw_tsv_close(t);
    cr_assert_null(rw_tsv_open("/nonexistent.tsv", &(rw_tsv_opts){ .first = "a", .second = "b" }));
    cr_assert(strstr(rw_last_error(), "/nonexistent.tsv"), "%s", rw_last_error());
}

/* ---- data paths ------------------------------------------------------------------- */

Test(corpus, directories_and_globs_give_sorted_regular_files_less_exclusions)
{
    put("b.txt", "b");
    put("a.txt", "a");
    put("c.dat", "c");
    put(".hidden", "h");
    char link[128], target[128];
    snprintf(link, sizeof link, "%s/l.txt", dir);
    snprintf(target, sizeof target, "%s/a.txt", dir);
    cr_assert_eq(symlink(target, link), 0);
    const char *ex[] = { "*.dat" };
    rw_file_list f = { 0 };
    cr_assert_eq(rw_file_list_add(&f, dir, "data", ex, 1), RW_OK, "%s", rw_last_error());
    cr_assert_eq(f.count, 2);
    cr_assert(strstr(f.paths[0], "/a.txt") && strstr(f.paths[1], "/b.txt"));
    char pattern[128];
    snprintf(pattern, sizeof pattern, "%s/*", dir);
    cr_assert_eq(rw_file_list_add(&f, pattern, "data/*", ex, 1), RW_OK, "%s", rw_last_error());
    cr_assert_eq(f.count, 4);
    cr_assert_eq(rw_file_list_add(&f, target, "a.txt", NULL, 0), RW_OK); /* a named file, even twice */
    cr_assert_eq(f.count, 5);
    rw_file_list_free(&f);

    snprintf(pattern, sizeof pattern, "%s/*.none", dir);
    cr_assert_eq(rw_file_list_add(&f, pattern, "data/*.none", NULL, 0), RW_ERR_IO);
    cr_assert(strstr(rw_last_error(), "no data file matches 'data/*.none'"), "%s", rw_last_error());
    cr_assert_eq(rw_file_list_add(&f, "/nonexistent/z", "z", NULL, 0), RW_ERR_IO);
    cr_assert(strstr(rw_last_error(), "data file 'z' does not exist"), "%s", rw_last_error());
    cr_assert_eq(f.count, 0);
}

/* ---- vocabularies ------------------------------------------------------------------- */

/* The example of rewind/vocab.h, as written there. */
static rw_status vocab_header_example(void)
{
    unsigned char present[256] = { 0 };
    rw_bytes_mark("hello", 5, false, present);
    rw_vocab v = { 0 };
    if (rw_vocab_from_bytes(&v, present) != RW_OK)
        return rw_last_status();
    int32_t ids[5];
    rw_vocab_encode(&v, "hello", ids);       // 1 0 2 2 3: e h l l o
    char *text = rw_vocab_to_text(&v, NULL); // "rewind-vocab 1\ntokens 4 bytes\ne\nh\nl\no\n"
    rw_vocab back[2] = { { 0 }, { 0 } };
    rw_vocab_from_text(&back[0], &back[1], text);
    int32_t want[] = { 1, 0, 2, 2, 3 };
    cr_assert_arr_eq(ids, want, sizeof want);
    cr_assert_str_eq(text, "rewind-vocab 1\ntokens 4 bytes\ne\nh\nl\no\n");
    cr_assert_eq(back[0].n, 4);
    cr_assert_eq(back[1].n, 0);
    free(text);
    rw_vocab_free(&back[0]);
    rw_vocab_free(&back[1]);
    rw_vocab_free(&v);
    return RW_OK;
}

Test(vocab, the_header_example_does_what_it_says) { cr_assert_eq(vocab_header_example(), RW_OK); }

Test(vocab, words_below_min_count_become_unk)
{
    char **words = NULL;
    int n = 0;
    cr_assert_eq(rw_words_append("the cat  saw\tthe\ndog the cat", &words, &n), RW_OK);
    cr_assert_eq(n, 7);
    rw_vocab v = { 0 };
    cr_assert_eq(rw_vocab_from_words(&v, words, n, 2), RW_OK);
    cr_assert_eq(v.n, 3); /* <unk> cat the */
    cr_assert_str_eq(rw_vocab_token(&v, 0), "<unk>");
    cr_assert_eq(v.unk, 0);
    int32_t ids[16];
    cr_assert_eq(rw_vocab_encode(&v, " the dog\tcat ", ids), 3);
    int32_t want[] = { 2, 0, 1 };
    cr_assert_arr_eq(ids, want, sizeof want);
    cr_assert_eq(rw_vocab_find(&v, "cats", 3), 1);
    cr_assert_eq(rw_vocab_find(&v, "ca", 2), -1);
    for (int i = 0; i < n; i++)
        free(words[i]);
    free(words);
    rw_vocab_free(&v);
}

Test(vocab, tokens_and_labels_round_trip_through_text)
{
    char s1[] = "back\\slash", s2[] = "new\nline", s3[] = "\xff", s4[] = "two words";
    char *strings[] = { s4, s3, s2, s1, s4 };
    rw_vocab tok = { 0 }, lab = { 0 };
    cr_assert_eq(rw_vocab_from_strings(&tok, strings, 5, true), RW_OK);
    cr_assert_eq(tok.n, 5);
    char l1[] = "pos", l2[] = "neg";
    char *labels[] = { l1, l2 };
    cr_assert_eq(rw_vocab_from_strings(&lab, labels, 2, false), RW_OK);
    char *text = rw_vocab_to_text(&tok, &lab);
    cr_assert_not_null(text);
    cr_assert_null(strchr(text, '\xff'));
    rw_vocab t2 = { 0 }, l2v = { 0 };
    cr_assert_eq(rw_vocab_from_text(&t2, &l2v, text), RW_OK, "%s", rw_last_error());
    cr_assert_eq(t2.n, tok.n);
    for (int i = 0; i < tok.n; i++)
        cr_assert_str_eq(t2.tok[i], tok.tok[i]);
    cr_assert_eq(t2.unk, tok.unk);
    cr_assert_eq(l2v.n, 2);
    cr_assert_str_eq(rw_vocab_token(&l2v, 0), "neg");
    free(text);
    rw_vocab_free(&t2);
    rw_vocab_free(&l2v);
    cr_assert_eq(rw_vocab_from_text(&t2, &l2v, "rewind-vocab 1\ntokens 3\na\nb\n"), RW_ERR_FORMAT);
    cr_assert(strstr(rw_last_error(), "'tokens 3' but only 2 lines follow"), "%s", rw_last_error());
    rw_vocab_free(&t2);
    cr_assert_eq(rw_vocab_from_text(&t2, &l2v, "vocab\n"), RW_ERR_FORMAT);
    rw_vocab_free(&tok);
    rw_vocab_free(&lab);
    rw_vocab opaque = { 0 };
    rw_vocab_opaque(&opaque, 7);
    cr_assert_null(rw_vocab_to_text(&opaque, NULL));
}

/* ---- windows ------------------------------------------------------------------------ */

/* The windowing rw_model_source and rewind eval did before data/ had it:
 * B shrinks until each stream holds a window and a target; windows from
 * `offset`, the last one shorter. Returns the windows written into in/tgt
 * (each [T', B] block after the other) and their lengths. */
static int old_model_windows(const int32_t *tok, size_t n, int B, int T, size_t offset, int32_t *in, int32_t *tgt,
                             int *lens, int *streams)
{
    while (B > 1 && (n - 1) / (size_t)B < (size_t)T + 1)
        B--;
    size_t seg = (n - 1) / (size_t)B;
    int k = 0;
    for (size_t t0 = offset; t0 < seg; t0 += (size_t)lens[k++]) {
        int Tw = (size_t)T > seg - t0 ? (int)(seg - t0) : T;
        for (int t = 0; t < Tw; t++)
            for (int b = 0; b < B; b++) {
                size_t at = (size_t)b * seg + t0 + (size_t)t;
                *in++ = tok[at];
                *tgt++ = tok[at + 1];
            }
        lens[k] = Tw;
    }
    *streams = B;
    return k;
}

/* rnn_bench's and char_rnn's: B fixed, whole windows only. */
static int old_bench_windows(const int32_t *tok, size_t n, int B, int T, int32_t *in, int32_t *tgt)
{
    size_t seg = (n - 1) / (size_t)B;
    int n_windows = (int)(seg / (size_t)T);
    for (int window = 0; window < n_windows; window++)
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                size_t at = (size_t)b * seg + (size_t)window * (size_t)T + (size_t)t;
                *in++ = tok[at];
                *tgt++ = tok[at + 1];
            }
    return n_windows;
}

Test(windows, equal_the_old_model_and_bench_windowing)
{
    enum { N = 1000 };
    int32_t tok[N];
    for (int i = 0; i < N; i++)
        tok[i] = i;
    static int32_t in[2 * N * 8], tgt[2 * N * 8], want_in[2 * N * 8], want_tgt[2 * N * 8], win_in[N * 8],
        win_tgt[N * 8];
    int lens[N];
    const size_t sizes[] = { 2, 3, 17, 100, 999, 1000 };
    const int Bs[] = { 1, 3, 8 }, Ts[] = { 1, 5, 16 };
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
        for (int bi = 0; bi < 3; bi++)
            for (int ti = 0; ti < 3; ti++)
                for (size_t offset = 0; offset < 3; offset++) {
                    size_t n = sizes[si];
                    int B = Bs[bi], T = Ts[ti], streams;
                    rw_windows w;
                    rw_windows_opts fit = { .streams = B, .window = T, .fit_streams = true };
                    cr_assert_eq(rw_windows_init(&w, tok, n, &fit), RW_OK);
                    if (offset >= w.len)
                        continue;
                    int k = old_model_windows(tok, n, B, T, offset, want_in, want_tgt, lens, &streams);
                    cr_assert_eq(w.streams, streams);
                    rw_windows_start(&w, offset);
                    size_t at = 0;
                    for (int i = 0; i < k; i++) {
                        cr_assert_eq(rw_windows_next(&w, win_in, win_tgt), lens[i], "n %zu B %d T %d", n, B, T);
                        size_t sz = (size_t)lens[i] * (size_t)streams;
                        cr_assert_arr_eq(win_in, want_in + at, sz * sizeof *win_in);
                        cr_assert_arr_eq(win_tgt, want_tgt + at, sz * sizeof *win_tgt);
                        at += sz;
                    }
                    cr_assert_eq(rw_windows_next(&w, win_in, win_tgt), 0);
                    if (offset == 0)
                        cr_assert_eq(rw_windows_count(&w), k);

                    rw_windows_opts whole = { .streams = B, .window = T, .whole_windows = true };
                    if ((n - 1) / (size_t)B < (size_t)T) {
                        cr_assert_eq(rw_windows_init(&w, tok, n, &whole), RW_ERR_FORMAT);
                        continue;
                    }
                    cr_assert_eq(rw_windows_init(&w, tok, n, &whole), RW_OK);
                    k = old_bench_windows(tok, n, B, T, want_in, want_tgt);
                    cr_assert_eq(rw_windows_count(&w), k);
                    for (int i = 0; i < k; i++) {
                        cr_assert_eq(rw_windows_next(&w, in, tgt), T);
                        size_t sz = (size_t)T * (size_t)B;
                        cr_assert_arr_eq(in, want_in + (size_t)i * sz, sz * sizeof *in);
                        cr_assert_arr_eq(tgt, want_tgt + (size_t)i * sz, sz * sizeof *tgt);
                    }
                    cr_assert_eq(rw_windows_next(&w, in, tgt), 0);
                }
}

Test(windows, bad_arguments_are_errors)
{
    int32_t tok[4] = { 0, 1, 2, 3 };
    rw_windows w;
    cr_assert_eq(rw_windows_init(&w, tok, 4, &(rw_windows_opts){ .streams = 0, .window = 4 }), RW_ERR_ARG);
    cr_assert_eq(rw_windows_init(&w, tok, 1, &(rw_windows_opts){ .streams = 1, .window = 4 }), RW_ERR_FORMAT);
    cr_assert_eq(rw_windows_init(&w, NULL, 4, &(rw_windows_opts){ .streams = 1, .window = 4 }), RW_ERR_ARG);
}
