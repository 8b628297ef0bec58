/* Internal: what deferred backward work (rw_backward_defer) may do besides
 * reading gradients: give a kept gradient buffer back early. */
#ifndef RW_INTERNAL_BACKWARD_H
#define RW_INTERNAL_BACKWARD_H

#include "rewind/graph.h"

/* Node n's gradient has been used up by deferred work during the backward
 * pass (n's own backward has run, so nothing else reads it): its buffer goes
 * back to the pass's recycled buffers and n->grad becomes NULL. Does
 * nothing for a parameter leaf (its gradient is the parameter's). */
void rwi_backward_release_grad(rw_node *n);

#endif
