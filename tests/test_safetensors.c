/* The safetensors reader and writer (rewind/safetensors.h): values and
 * metadata survive a round trip, F16/BF16/F64 convert exactly, and every
 * malformed header or data layout is refused with an error naming the file
 * and the problem. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rewind.h>

/* A file of header text (length prefix added) and n_data data bytes of 0x3f. */
static size_t file_of(unsigned char *buf, const char *header, size_t n_data)
{
    uint64_t n = strlen(header);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(n >> (8 * i));
    memcpy(buf + 8, header, n);
    memset(buf + 8 + n, 0x3f, n_data);
    return 8 + n + n_data;
}

static void expect_bad(const char *header, size_t n_data, const char *want)
{
    unsigned char buf[4096];
    size_t len = file_of(buf, header, n_data);
    rw_safetensors *st = rw_safetensors_parse(buf, len, "bad.safetensors");
    cr_assert_null(st, "accepted: %s", header);
    cr_assert(strstr(rw_last_error(), "bad.safetensors: "), "no file name: %s", rw_last_error());
    cr_assert(strstr(rw_last_error(), want), "header %s: error '%s' lacks '%s'", header, rw_last_error(), want);
}

#define T1 "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"

Test(safetensors, malformed_headers_are_refused)
{
    expect_bad("[]", 0, "must be a JSON object");
    expect_bad("{" T1, 8, "expected ',' or '}' after an entry");
    expect_bad("{" T1 "} x", 8, "text after the header's closing '}'");
    expect_bad("{" T1 "," T1 "}", 8, "'a': appears twice");
    expect_bad("{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype 'F33'");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8, "unknown key");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "repeated key");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "lacks its data_offsets");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "non-negative integer");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "non-negative integer");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8, "leading zero");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8, "64 bits");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "more than 8 entries");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "begin <= end");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", 8, "more than 2 entries");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "hold 8 bytes, but dtype F32 and its shape need 12");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "past the 4 bytes of data");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "4 bytes of data after the last");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "has a gap from byte 0");
    expect_bad("{" T1 ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlaps the previous tensor");
    expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
               "more bytes than 64 bits");
    expect_bad("{\"\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "empty name");
    expect_bad("{\"a\x01\":{}}", 0, "control character");
    expect_bad("{\"a\\u0000\":{}}", 0, "bad escape");
    expect_bad("{\"a\\ud800\":{}}", 0, "bad escape");
    expect_bad("{\"\xc3\x28\":{}}", 0, "invalid UTF-8");
    expect_bad("{\"a", 0, "unterminated string");
    expect_bad("{\"__metadata__\":{\"k\":1}}", 0, "only strings");
    expect_bad("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "'k' appears twice");
    expect_bad("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "a second __metadata__");
}

Test(safetensors, file_level_problems_are_refused)
{
    unsigned char buf[64] = { 0 };
    cr_assert_null(rw_safetensors_parse(buf, 5, "short.st"));
    cr_assert(strstr(rw_last_error(), "short.st: shorter than the 8-byte header length"), "%s", rw_last_error());
    buf[0] = 200; /* a length past the end */
    cr_assert_null(rw_safetensors_parse(buf, 64, "long.st"));
    cr_assert(strstr(rw_last_error(), "header length 200 is longer than the file"), "%s", rw_last_error());
    size_t len = file_of(buf, "{\"a\":{}}", 0);
    buf[10] = 0;
    cr_assert_null(rw_safetensors_parse(buf, len, "nul.st"));
    cr_assert(strstr(rw_last_error(), "a NUL byte"), "%s", rw_last_error());
    cr_assert_null(rw_safetensors_open("tests/data/no_such.safetensors"));
    cr_assert(strstr(rw_last_error(), "no_such.safetensors: cannot read"), "%s", rw_last_error());
    cr_assert_null(rw_safetensors_open("tests/data"));
    cr_assert(strstr(rw_last_error(), "not a regular file"), "%s", rw_last_error());
}

Test(safetensors, round_trip_with_metadata_and_escapes)
{
    rw_real wv[6] = { 1.5f, -2.25f, 3, 1e-30f, -0.0f, 7 }, bv[1] = { 42 };
    rw_tensor *w = rw_tensor_from(rw_shape2(2, 3), wv), *b = rw_tensor_from(rw_shape_scalar(), bv);
    rw_safetensors_item items[] = { { "w \"quoted\"\n", w }, { "b", b }, { "ü.b", b } };
    const char *keys[] = { "format", "note" }, *values[] = { "pt", "tab\there, \\ and \"" };
    char path[64];
    snprintf(path, sizeof path, "/tmp/rw_st_%ld.safetensors", (long)getpid());
    cr_assert_eq(rw_safetensors_save(path, items, 3, keys, values, 2, sizeof(rw_real) == 8 ? RW_ST_F64 : RW_ST_F32), RW_OK,
                 "%s", rw_last_error());
    rw_safetensors *st = rw_safetensors_open(path);
    cr_assert(st, "%s", rw_last_error());
    cr_assert_eq(rw_safetensors_count(st), 3);
    cr_assert_str_eq(rw_safetensors_meta(st, "note"), "tab\there, \\ and \"");
    cr_assert_str_eq(rw_safetensors_meta(st, "format"), "pt");
    int i = rw_safetensors_find(st, "w \"quoted\"\n");
    cr_assert_geq(i, 0);
    cr_assert_eq(rw_safetensors_rank(st, i), 2);
    cr_assert_eq(rw_safetensors_dims(st, i)[1], 3);
    rw_tensor *back = rw_safetensors_tensor(st, i);
    cr_assert(!memcmp(back->data, wv, sizeof wv));
    rw_tensor_free(back);
    back = rw_safetensors_tensor(st, rw_safetensors_find(st, "b"));
    cr_assert_eq(back->shape.ndim, 0);
    cr_assert_eq(back->data[0], 42);
    rw_tensor_free(back);
    cr_assert_geq(rw_safetensors_find(st, "ü.b"), 0);
    cr_assert_eq(rw_safetensors_find(st, "nope"), -1);
    /* a shape that differs from the destination's */
    rw_tensor *other = rw_tensor_new(RW_REAL, rw_shape2(3, 2));
    cr_assert_neq(rw_safetensors_read(st, i, other), RW_OK);
    cr_assert(strstr(rw_last_error(), "has shape [2, 3] where [3, 2] is expected"), "%s", rw_last_error());
    rw_tensor_free(other);
    rw_safetensors_close(st);
    /* names the format cannot hold */
    rw_safetensors_item dup[] = { { "b", b }, { "b", w } }, meta[] = { { "__metadata__", b } };
    cr_assert_neq(rw_safetensors_save(path, dup, 2, NULL, NULL, 0, RW_ST_F32), RW_OK);
    cr_assert(strstr(rw_last_error(), "'b' is given twice"), "%s", rw_last_error());
    cr_assert_neq(rw_safetensors_save(path, meta, 1, NULL, NULL, 0, RW_ST_F32), RW_OK);
    cr_assert_neq(rw_safetensors_save(path, items, 1, NULL, NULL, 0, RW_ST_BF16), RW_OK);
    remove(path);
    rw_tensor_free(w);
    rw_tensor_free(b);
}

Test(safetensors, half_bfloat_and_double_convert_exactly)
{
    /* F16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), -0; BF16: 1.0, -3.0; F64: 0.1; I64 */
    unsigned char data[10 + 4 + 8 + 8] = { 0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x80,
                                       0x80, 0x3f, 0x40, 0xc0 };
    double tenth = 0.1;
    memcpy(data + 14, &tenth, 8); /* the test machines are little-endian */
    unsigned char buf[512];
    const char *h = "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
                    "\"bf\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[10,14]},"
                    "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[14,22]},"
                    "\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[22,30]}}";
    size_t len = file_of(buf, h, 0);
    memcpy(buf + len, data, sizeof data);
    rw_safetensors *st = rw_safetensors_parse(buf, len + sizeof data, "mixed.st");
    cr_assert(st, "%s", rw_last_error());
    rw_tensor *t = rw_safetensors_tensor(st, rw_safetensors_find(st, "h"));
    rw_real want[5] = { 1, -2, 65504, (rw_real)5.9604644775390625e-8, -0.0f };
    cr_assert(!memcmp(t->data, want, sizeof want));
    rw_tensor_free(t);
    t = rw_safetensors_tensor(st, rw_safetensors_find(st, "bf"));
    cr_assert(t->data[0] == 1 && t->data[1] == -3);
    rw_tensor_free(t);
    t = rw_safetensors_tensor(st, rw_safetensors_find(st, "d"));
    cr_assert(t->data[0] == (rw_real)0.1);
    rw_tensor_free(t);
    cr_assert_null(rw_safetensors_tensor(st, rw_safetensors_find(st, "i")));
    cr_assert(strstr(rw_last_error(), "mixed.st: tensor 'i' has dtype I64"), "%s", rw_last_error());
    rw_safetensors_close(st);
}
