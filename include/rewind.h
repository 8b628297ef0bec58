/* rewind.h - the umbrella header of the rewind library.
 *
 * rewind defines and trains neural networks, recurrent ones above all, by
 * reverse-mode automatic differentiation over a tape of tensor ops.
 * Each module has its own header under rewind/; this one includes them all.
 */
#ifndef REWIND_H
#define REWIND_H

#include "rewind/config.h"
#include "rewind/error.h"
#include "rewind/tensor.h"
#include "rewind/arena.h"
#include "rewind/rng.h"
#include "rewind/graph.h"
#include "rewind/op.h"
#include "rewind/param.h"
#include "rewind/gradcheck.h"
#include "rewind/memory.h"
#include "rewind/safetensors.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_matmul.h"
#include "rewind/blas.h"
#include "rewind/ops_reduce.h"
#include "rewind/ops_loss.h"
#include "rewind/ops_shape.h"
#include "rewind/ops_mask.h"
#include "rewind/ops_batched.h"
#include "rewind/ops_norm.h"
#include "rewind/ops_dropout.h"
#include "rewind/batch.h"
#include "rewind/vocab.h"
#include "rewind/corpus.h"
#include "rewind/tasks.h"
#include "rewind/ops_softmax.h"
#include "rewind/ops_gather_columns.h"
#include "rewind/init.h"
#include "rewind/layers.h"
#include "rewind/cell.h"
#include "rewind/cells.h"
#include "rewind/rnn.h"
#include "rewind/regularize.h"
#include "rewind/diagnostics.h"
#include "rewind/attention.h"
#include "rewind/seq2seq.h"
#include "rewind/decode.h"
#include "rewind/optim.h"
#include "rewind/schedule.h"
#include "rewind/checkpoint_file.h"
#include "rewind/checkpoint.h"
#include "rewind/metrics.h"
#include "rewind/train.h"
#include "rewind/dist.h"
#include "rewind/model.h"
#include "rewind/model_seq2seq.h"
#include "rewind/model_diagnostics.h"
#include "rewind/model_safetensors.h"

#endif
