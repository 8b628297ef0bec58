/* Internal: storage a batcher keeps for the data-parallel shares of its
 * batches (rw_batcher_source's take_columns). */
#ifndef RW_INTERNAL_BATCHER_PART_H
#define RW_INTERNAL_BATCHER_PART_H

#include "rewind/batch.h"

/* Share k's storage (made on first use, freed with the batcher), or NULL
 * when out of memory. */
rw_batch_part *rwi_batcher_part(rw_batcher *b, int k);

#endif
