/* rewind/model_safetensors.h - a model's parameters in safetensors files,
 * under rewind's names or as a PyTorch state dict.
 *
 * With RW_NAMES_REWIND the file holds every parameter under its own name
 * ("rnn.l0.W") with its own shape: any model can be saved and loaded back
 * bit for bit. With RW_NAMES_TORCH the file is the state dict of a PyTorch
 * module that has one attribute per rewind layer, named as the layer
 * (docs/interchange.md has the full map):
 *
 * - embedding `emb` (nn.Embedding): emb.E -> emb.weight
 * - linear `head` (nn.Linear): head.W, head.b -> head.weight, head.bias
 * - lstm `rnn` (nn.LSTM): rnn.l<k>[.rev].W, .U -> rnn.weight_ih_l<k>[_reverse],
 *   rnn.weight_hh_l<k>[_reverse]; .b -> bias_ih_l<k>[_reverse] with
 *   bias_hh_... written as zeros (loading sums the two)
 * - gru with reset_after: true (nn.GRU): W, U, b, c -> weight_ih, weight_hh,
 *   bias_ih, bias_hh with the z rows negated (rewind: h = (1-z) h + z n;
 *   torch: h = z h + (1-z) n; sigmoid(-a) = 1 - sigmoid(a))
 * - elman with tanh or relu, irnn (nn.RNN): W, U, b as for lstm
 *
 * Gate orders agree (LSTM i, f, g, o; GRU r, z, n). Only exact
 * equivalents are mapped: the lecture-form GRU, layer normalization,
 * peepholes, coupled or missing gates, linear activations, full gate
 * recurrence, learned initial states, other cells and encoder-decoders are
 * refused with an error naming the layer and the reason.
 *
 *     static int to_torch(const char *checkpoint, const char *out)
 *     {
 *         rw_model *m = rw_model_from_checkpoint(checkpoint, NULL);
 *         if (!m || rw_model_save_safetensors(m, out, RW_NAMES_TORCH, RW_ST_F32) != RW_OK) {
 *             fprintf(stderr, "%s\n", rw_last_error());
 *             rw_model_free(m);
 *             return 1;
 *         }
 *         rw_model_free(m);
 *         return 0;
 *     }
 *
 * and in Python: `net.load_state_dict(safetensors.torch.load_file(out))`.
 */
#ifndef REWIND_MODEL_SAFETENSORS_H
#define REWIND_MODEL_SAFETENSORS_H

#include "rewind/export.h"
#include "rewind/model.h"
#include "rewind/safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rw_param_names {
    RW_NAMES_REWIND = 0,     /* rewind's parameter names and layouts */
    RW_NAMES_TORCH           /* a PyTorch state dict (the map above) */
} rw_param_names;

/* Writes m's parameters as dtype (RW_ST_F32 or RW_ST_F64), with metadata
 * "format": "pt" and "rewind.names": "rewind" or "torch". */
RW_API rw_status rw_model_save_safetensors(const rw_model *m, const char *path, rw_param_names names,
                                           rw_st_dtype dtype);
/* Sets every parameter of m from the file: each must be there with its
 * shape and a float dtype, no tensor may be left over, and every value must
 * be finite; otherwise an error names the file, the tensor and the
 * parameter, and m is left unchanged. */
RW_API rw_status rw_model_load_safetensors(rw_model *m, const char *path, rw_param_names names);
/* The map as text, one line per parameter: "rewind name<TAB>torch names"
 * (two joined by '+' when they are summed; " (z rows negated)" for GRUs).
 * free() it; NULL with the error when m has no PyTorch equivalent. */
RW_API char *rw_model_torch_map(const rw_model *m);

#ifdef __cplusplus
}
#endif
#endif
