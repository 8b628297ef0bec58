/* Saving and resuming a training run in one call: core's checkpoint file
 * holds the parameters, RNG, step and metadata; the optimizer puts and
 * restores its own state. Everything is checked before anything is
 * restored. */
#include "rewind/checkpoint.h"

rw_status rw_checkpoint_save_ex(const char *path, const rw_params *P, const rw_optim *opt, const rw_rng *rng,
                                long step, const char *const *keys, const char *const *values, int n_meta)
{
    rw_checkpoint_writer *w = rw_checkpoint_writer_new(path, P, step);
    if (!w)
        return rw_last_status();
    rw_status st = RW_OK;
    if (n_meta < 0 || (n_meta > 0 && (!keys || !values)))
        st = rw_checkpoint_error(RW_ERR_ARG, path, "%d metadata entries with %s arrays", n_meta,
                                 n_meta < 0 ? "a negative count of" : "NULL key or value");
    for (int i = 0; st == RW_OK && i < n_meta; i++)
        st = rw_checkpoint_put_meta(w, keys[i], values[i]);
    if (st == RW_OK && opt)
        st = rw_optim_checkpoint_put(w, opt);
    if (st == RW_OK && rng)
        st = rw_checkpoint_put_rng(w, rng);
    if (st == RW_OK)
        st = rw_checkpoint_commit(w);
    rw_checkpoint_writer_free(w);
    return st;
}

rw_status rw_checkpoint_save(const char *path, const rw_params *P, const rw_optim *opt, const rw_rng *rng,
                             long step)
{
    return rw_checkpoint_save_ex(path, P, opt, rng, step, NULL, NULL, 0);
}

rw_status rw_checkpoint_restore(const rw_checkpoint *ck, rw_params *P, rw_optim *opt, rw_rng *rng, long *step)
{
    rw_status st = rw_checkpoint_params_check(ck, P);
    if (st == RW_OK && opt)
        st = rw_optim_checkpoint_check(ck, opt);
    if (st == RW_OK && rng && !rw_checkpoint_rng(ck, NULL))
        st = rw_checkpoint_error(RW_ERR_SHAPE, rw_checkpoint_path(ck), "the file holds no RNG state (saved without one)");
    if (st != RW_OK)
        return st;
    /* Everything fits: from here on nothing can fail. */
    rw_checkpoint_params_restore(ck, P);
    if (opt)
        rw_optim_checkpoint_restore(ck, opt);
    if (rng)
        rw_checkpoint_rng(ck, rng);
    if (step)
        *step = rw_checkpoint_step(ck);
    return RW_OK;
}

rw_status rw_checkpoint_load(const char *path, rw_params *P, rw_optim *opt, rw_rng *rng, long *step)
{
    rw_checkpoint *ck = rw_checkpoint_open(path);
    if (!ck)
        return rw_last_status();
    rw_status st = rw_checkpoint_restore(ck, P, opt, rng, step);
    rw_checkpoint_close(ck);
    return st;
}
