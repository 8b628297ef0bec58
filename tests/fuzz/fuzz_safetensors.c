/* The safetensors reader on any bytes (rw_safetensors_parse), then what
 * loading parameters does with an accepted file: every tensor looked up by
 * name and converted, its raw range read, the metadata walked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rw_safetensors *st = rw_safetensors_parse(data, size, "fuzz.safetensors");
    if (!st) {
        if (!rw_last_error()[0])
            abort(); /* a refusal says why */
        return 0;
    }
    for (int i = 0; i < rw_safetensors_count(st); i++) {
        if (rw_safetensors_find(st, rw_safetensors_name(st, i)) != i)
            abort(); /* names are unique */
        size_t bytes;
        const unsigned char *raw = rw_safetensors_data(st, i, &bytes);
        unsigned sum = 0;
        for (size_t k = 0; k < bytes; k++)
            sum += raw[k];
        (void)sum;
        size_t elems = 1;
        for (int d = 0; d < rw_safetensors_rank(st, i); d++)
            elems *= (size_t)rw_safetensors_dims(st, i)[d];
        if (elems > (1u << 22))
            continue; /* within the file's bytes, but not worth converting here */
        rw_tensor *t = rw_safetensors_tensor(st, i);
        if (!t && !rw_last_error()[0])
            abort();
        rw_tensor_free(t);
    }
    for (int i = 0; i < rw_safetensors_meta_count(st); i++)
        if (rw_safetensors_meta(st, rw_safetensors_meta_key(st, i)) != rw_safetensors_meta_value(st, i))
            abort(); /* keys are unique */
    rw_safetensors_close(st);
    return 0;
}
