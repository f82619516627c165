#ifndef UNARGMAX_LOGIT_KERNELS_H
#define UNARGMAX_LOGIT_KERNELS_H

/// The two largest logits seen so far and their classes (index −1: none yet).
typedef struct {
    float first_value;
    long first_index;
    float second_value;
    long second_index;
} unargmax_top_two;

/// Offers y[i] (+ bias[i] when bias is not NULL, added in float) for i in [begin, end) to `top`, in
/// index order: a value enters when it exceeds the runner-up, leads when it exceeds the leader (so
/// the first of equal maxima leads and a tie for the lead is the runner-up); NaN never enters.
void unargmax_top_two_scan(const float *y, const float *bias, long begin, long end, unargmax_top_two *top);

#endif
