/* Internal (model/build): the map between a model's parameters and a
 * PyTorch state dict (torch_names.c), used by safetensors_model.c. */
#ifndef RW_MODEL_TORCH_NAMES_H
#define RW_MODEL_TORCH_NAMES_H

#include "rewind/model.h"

#define RWI_TORCH_NAME_MAX 320

typedef enum rwi_torch_kind { RWI_TORCH_LSTM, RWI_TORCH_GRU, RWI_TORCH_RNN } rwi_torch_kind;

/* One parameter: the torch tensor it is, plus (torch[1] non-empty) a second
 * one that loading adds to it and saving writes as zeros (torch's two RNN
 * biases); rows [neg_from, neg_from + neg_rows) change sign between the two. */
typedef struct rwi_torch_entry {
    rw_param *param;
    char torch[2][RWI_TORCH_NAME_MAX];
    int neg_from, neg_rows;
} rwi_torch_entry;

typedef struct rwi_torch_map {
    rwi_torch_entry *e;
    int n, cap;
} rwi_torch_map;

/* The map of every parameter of m, or an error naming the first layer or
 * parameter without an exact torch equivalent. */
rw_status rwi_torch_map_build(const rw_model *m, rwi_torch_map *map);
void rwi_torch_map_free(rwi_torch_map *map);

#endif
