/* A model's parameters to and from safetensors files, under rewind's names
 * or as a PyTorch state dict (rewind/model_safetensors.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rewind/model_safetensors.h"
#include "rewind_internal/alloc.h"
#include "model_internal.h"
#include "torch_names.h"

/* rewind names: every parameter as itself. */
static rw_status identity_map(const rw_model *m, rwi_torch_map *map)
{
    memset(map, 0, sizeof *map);
    int n = rw_params_count(m->P);
    if (!(map->e = rwi_calloc((size_t)(n ? n : 1), sizeof *map->e, "the parameter name map")))
        return rw_last_status();
    for (int i = 0; i < n; i++) {
        rw_param *p = rw_params_at(m->P, i);
        if (strlen(p->name) >= sizeof map->e[i].torch[0]) {
            rwi_torch_map_free(map);
            return rw_error(RW_ERR_ARG, "parameter name '%.60s...' is too long for a safetensors file", p->name);
        }
        map->e[i].param = p;
        strcpy(map->e[i].torch[0], p->name);
    }
    map->n = map->cap = n;
    return RW_OK;
}

static rw_status map_of(const rw_model *m, rw_param_names names, rwi_torch_map *map)
{
    if (!m || !m->P)
        return rw_error(RW_ERR_ARG, "no model");
    if (names == RW_NAMES_TORCH)
        return rwi_torch_map_build(m, map);
    return identity_map(m, map);
}

static void negate_rows(rw_tensor *t, int from, int rows)
{
    if (rows <= 0 || t->shape.ndim < 1)
        return;
    size_t per_row = t->size / (size_t)t->shape.dim[0];
    for (size_t k = (size_t)from * per_row; k < (size_t)(from + rows) * per_row && k < t->size; k++)
        t->data[k] = -t->data[k];
}

rw_status rw_model_save_safetensors(const rw_model *m, const char *path, rw_param_names names, rw_st_dtype dtype)
{
    rwi_torch_map map;
    if (map_of(m, names, &map) != RW_OK)
        return rw_last_status();
    int n = 0;
    rw_safetensors_item *items = rwi_calloc((size_t)(2 * map.n + 1), sizeof *items, "safetensors items");
    rw_tensor **owned = rwi_calloc((size_t)(2 * map.n + 1), sizeof *owned, "safetensors tensors");
    rw_status st = items && owned ? RW_OK : rw_last_status();
    for (int i = 0; st == RW_OK && i < map.n; i++) {
        const rwi_torch_entry *e = &map.e[i];
        rw_tensor *t = owned[n] = rw_tensor_clone(e->param->value);
        if (!t) {
            st = rw_last_status();
            break;
        }
        negate_rows(t, e->neg_from, e->neg_rows);
        items[n++] = (rw_safetensors_item){ e->torch[0], t };
        if (e->torch[1][0]) { /* the second bias: zeros, so the two sum to the parameter */
            if (!(t = owned[n] = rw_tensor_new(RW_REAL, e->param->value->shape))) {
                st = rw_last_status();
                break;
            }
            items[n++] = (rw_safetensors_item){ e->torch[1], t };
        }
    }
    const char *keys[] = { "format", "rewind.names" }, *values[] = { "pt", names == RW_NAMES_TORCH ? "torch" : "rewind" };
    if (st == RW_OK)
        st = rw_safetensors_save(path, items, n, keys, values, 2, dtype);
    for (int i = 0; owned && i < n; i++)
        rw_tensor_free(owned[i]);
    rwi_free(owned);
    rwi_free(items);
    rwi_torch_map_free(&map);
    return st;
}

/* Names of torch.nn modules' tensors ("head.weight", "rnn.bias_hh_l0"). */
static bool looks_torch(const rw_safetensors *f)
{
    for (int i = 0; i < rw_safetensors_count(f); i++) {
        const char *dot = strrchr(rw_safetensors_name(f, i), '.');
        if (dot && (!strncmp(dot, ".weight", 7) || !strncmp(dot, ".bias", 5)))
            return true;
    }
    return false;
}

/* Tensor `name` read as param p's shape; marks it used. */
static rw_tensor *read_as(const rw_safetensors *f, const char *path, const char *name, const rw_param *p, bool *used,
                          rw_param_names names)
{
    int i = rw_safetensors_find(f, name);
    if (i < 0) {
        const char *was = rw_safetensors_meta(f, "rewind.names"), *hint = "";
        if (names == RW_NAMES_REWIND && (was ? !strcmp(was, "torch") : looks_torch(f)))
            hint = "; the file looks like a PyTorch state dict (load it with --torch, RW_NAMES_TORCH)";
        else if (names == RW_NAMES_TORCH && was && !strcmp(was, "rewind"))
            hint = "; the file has rewind's names (load it without --torch)";
        rw_error(RW_ERR_FORMAT, "%s: no tensor '%s' (the model's parameter '%s')%s", path, name, p->name, hint);
        return NULL;
    }
    used[i] = true;
    rw_tensor *t = rw_tensor_new(RW_REAL, p->value->shape);
    if (t && rw_safetensors_read(f, i, t) != RW_OK) {
        rw_error_prefix("parameter '%s'", p->name);
        rw_tensor_free(t);
        return NULL;
    }
    return t;
}

/* The value of entry e from the file, or NULL with an error. */
static rw_tensor *entry_value(const rw_safetensors *f, const char *path, const rwi_torch_entry *e, bool *used,
                              rw_param_names names)
{
    rw_tensor *t = read_as(f, path, e->torch[0], e->param, used, names);
    if (t && e->torch[1][0]) {
        rw_tensor *second = read_as(f, path, e->torch[1], e->param, used, names);
        if (!second) {
            rw_tensor_free(t);
            return NULL;
        }
        for (size_t k = 0; k < t->size; k++)
            t->data[k] += second->data[k];
        rw_tensor_free(second);
    }
    if (!t)
        return NULL;
    negate_rows(t, e->neg_from, e->neg_rows);
    for (size_t k = 0; k < t->size; k++)
        if (!isfinite((double)t->data[k])) {
            rw_error(RW_ERR_NUMERIC, "%s: tensor '%s' (parameter '%s') holds a non-finite value at element %zu", path,
                     e->torch[0], e->param->name, k);
            rw_tensor_free(t);
            return NULL;
        }
    return t;
}

rw_status rw_model_load_safetensors(rw_model *m, const char *path, rw_param_names names)
{
    rwi_torch_map map;
    if (map_of(m, names, &map) != RW_OK)
        return rw_last_status();
    rw_safetensors *f = rw_safetensors_open(path);
    int n = rw_safetensors_count(f);
    bool *used = f ? rwi_calloc((size_t)(n ? n : 1), sizeof *used, "safetensors bookkeeping") : NULL;
    rw_tensor **values = used ? rwi_calloc((size_t)(map.n ? map.n : 1), sizeof *values, "parameter values") : NULL;
    rw_status st = values ? RW_OK : rw_last_status();
    for (int i = 0; st == RW_OK && i < map.n; i++)
        if (!(values[i] = entry_value(f, path, &map.e[i], used, names)))
            st = rw_last_status();
    for (int i = 0; st == RW_OK && i < n; i++)
        if (!used[i]) {
            int left = 0;
            for (int j = i; j < n; j++)
                left += !used[j];
            st = rw_error(RW_ERR_FORMAT, "%s: tensor '%s' is no parameter of model '%s' (%d tensor%s of the file unused)%s",
                          path, rw_safetensors_name(f, i), m->name ? m->name : "?", left, left == 1 ? "" : "s",
                          names == RW_NAMES_REWIND && looks_torch(f) ? "; a PyTorch state dict needs --torch" : "");
        }
    for (int i = 0; st == RW_OK && i < map.n; i++) /* all read and checked: now m changes */
        rw_tensor_copy(map.e[i].param->value, values[i]);
    for (int i = 0; values && i < map.n; i++)
        rw_tensor_free(values[i]);
    rwi_free(values);
    rwi_free(used);
    rw_safetensors_close(f);
    rwi_torch_map_free(&map);
    return st;
}

char *rw_model_torch_map(const rw_model *m)
{
    rwi_torch_map map;
    if (map_of(m, RW_NAMES_TORCH, &map) != RW_OK)
        return NULL;
    size_t cap = (size_t)map.n * (3 * RWI_TORCH_NAME_MAX + 64) + 1, len = 0;
    char *s = rwi_malloc(cap, "the torch name map");
    for (int i = 0; s && i < map.n; i++) {
        const rwi_torch_entry *e = &map.e[i];
        len += (size_t)snprintf(s + len, cap - len, "%s\t%s%s%s%s\n", e->param->name, e->torch[0], e->torch[1][0] ? "+" : "",
                                e->torch[1], e->neg_rows ? " (z rows negated)" : "");
    }
    if (s && !map.n)
        s[0] = 0;
    rwi_torch_map_free(&map);
    return s;
}
