/* spiral: a two-layer network learns to tell apart three interleaved 2-D
 * spirals, written only against rewind's public API.
 *
 * 300 points on 3 spiral arms; a tanh hidden layer of 32 units and a
 * softmax over 3 classes; full-batch gradient descent with momentum.
 * The program exits 0 only if training accuracy passes 95%.
 * Usage: spiral [steps] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <rewind.h>

#define POINTS_PER_CLASS 100
#define CLASSES 3
#define N (POINTS_PER_CLASS * CLASSES)
#define HIDDEN 32

static void make_spirals(rw_rng *rng, rw_tensor *x, rw_tensor *y)
{
    for (int c = 0; c < CLASSES; c++)
        for (int i = 0; i < POINTS_PER_CLASS; i++) {
            double r = (double)i / POINTS_PER_CLASS;
            double angle = c * 4.0 + 4.0 * r + 0.2 * rw_rng_normal(rng);
            int at = c * POINTS_PER_CLASS + i;
            x->data[2 * at] = (rw_real)(r * sin(angle));
            x->data[2 * at + 1] = (rw_real)(r * cos(angle));
            y->idata[at] = c;
        }
}

static double accuracy(const rw_node *logits, const rw_tensor *y)
{
    int right = 0;
    for (int i = 0; i < N; i++) {
        const rw_real *row = logits->value.data + i * CLASSES;
        int best = 0;
        for (int c = 1; c < CLASSES; c++)
            if (row[c] > row[best])
                best = c;
        right += best == y->idata[i];
    }
    return (double)right / N;
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 3000;
    rw_rng rng = rw_rng_seed(2026);
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape2(N, 2));
    rw_tensor *y = rw_tensor_new(RW_INT32, rw_shape1(N));
    rw_params *P = rw_params_new();
    rw_param *W1 = rw_params_add(P, "W1", rw_shape2(2, HIDDEN));
    rw_param *b1 = rw_params_add(P, "b1", rw_shape1(HIDDEN));
    rw_param *W2 = rw_params_add(P, "W2", rw_shape2(HIDDEN, CLASSES));
    rw_param *b2 = rw_params_add(P, "b2", rw_shape1(CLASSES));
    rw_graph *g = rw_graph_new();
    if (!x || !y || !P || !W1 || !b1 || !W2 || !b2 || !g) {
        fprintf(stderr, "spiral: %s\n", rw_last_error());
        return 1;
    }
    make_spirals(&rng, x, y);
    rw_rng_fill_normal(&rng, W1->value, 0, 1.0);
    rw_rng_fill_normal(&rng, W2->value, 0, 1.0 / sqrt(HIDDEN));

    /* Momentum buffers, one per parameter (optim/ will provide this). */
    rw_tensor *velocity[4];
    for (int i = 0; i < 4; i++)
        velocity[i] = rw_tensor_new(RW_REAL, rw_params_at(P, i)->value->shape);

    double acc = 0, loss_value = 0;
    for (int step = 0; step <= steps; step++) {
        rw_node *h = rw_tanh(g, rw_add(g, rw_matmul(g, rw_const(g, x), rw_param_node(g, W1)),
                                       rw_param_node(g, b1)));
        rw_node *logits = rw_add(g, rw_matmul(g, h, rw_param_node(g, W2)), rw_param_node(g, b2));
        rw_node *loss = rw_cross_entropy(g, logits, rw_const(g, y));
        rw_params_zero_grad(P);
        if (!loss || rw_backward(g, loss) != RW_OK) {
            fprintf(stderr, "spiral: %s\n", rw_last_error());
            return 1;
        }
        loss_value = rw_scalar(loss);
        acc = accuracy(logits, y);
        for (int i = 0; i < 4; i++) { /* v = 0.9 v - lr g; w += v */
            rw_param *p = rw_params_at(P, i);
            for (size_t k = 0; k < p->value->size; k++) {
                velocity[i]->data[k] = (rw_real)0.9 * velocity[i]->data[k] - (rw_real)0.2 * p->grad->data[k];
                p->value->data[k] += velocity[i]->data[k];
            }
        }
        if (step % 250 == 0)
            printf("step %5d  loss %.4f  accuracy %5.1f%%\n", step, loss_value, 100 * acc);
        rw_graph_reset(g);
    }
    printf("final: loss %.4f, training accuracy %.1f%% on %d points of %d spirals (target: > 95%%)\n",
           loss_value, 100 * acc, N, CLASSES);

    for (int i = 0; i < 4; i++)
        rw_tensor_free(velocity[i]);
    rw_graph_free(g);
    rw_params_free(P);
    rw_tensor_free(x);
    rw_tensor_free(y);
    return acc > 0.95 ? 0 : 1;
}
