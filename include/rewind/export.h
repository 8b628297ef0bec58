/* rewind/export.h - RW_API, the mark of rewind's public functions.
 *
 * The shared library is built with -fvisibility=hidden, so only functions
 * declared with RW_API are exported from librewind.so; everything else
 * (internal helpers shared between the library's files) stays private.
 * Every public function declaration in the headers include/rewind/NAME.h
 * carries it:
 *
 *     RW_API rw_tensor *rw_tensor_new(rw_dtype dtype, rw_shape shape);
 */
#ifndef REWIND_EXPORT_H
#define REWIND_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define RW_API __attribute__((visibility("default")))
#else
#define RW_API
#endif

#endif
