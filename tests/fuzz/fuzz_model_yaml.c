/* The model loader from memory: any bytes give a model or a clear error,
 * never a crash, a leak, a hang or unbounded memory. Includes resolve
 * against a directory that does not exist (absolute ones are read, bounded). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rw_model_load_opts o = { .base_dir = "/nonexistent/rewind-fuzz", .skip_data = true, .vocab_size = 16,
                             .classes = 3 };
    rw_model *m = rw_model_load_string(text, "fuzz.yaml", &o);
    if (!m && !rw_last_error()[0])
        abort(); /* a failure must say why */
    rw_model_free(m);
    free(text);
    rw_error_clear();
    return 0;
}
