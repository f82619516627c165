// The logit scan's inner loop in C: Swift's generic SIMD types do not compile to vector
// instructions reliably, and this loop reads every logit of every block (a 49152-class head: 9.6 GB
// per check). Blocks of 64 logits whose vector maximum cannot enter the top two are passed over;
// after the first few blocks of a row that is nearly all of them.
#include "LogitKernels.h"

#include <math.h>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

static inline void offer(unargmax_top_two *top, float v, long i) {
    if (!(v > top->second_value)) return;
    if (v > top->first_value) {
        top->second_value = top->first_value;
        top->second_index = top->first_index;
        top->first_value = v;
        top->first_index = i;
    } else {
        top->second_value = v;
        top->second_index = i;
    }
}

static inline void offer_range(const float *y, const float *bias, long begin, long end, unargmax_top_two *top) {
    if (bias) {
        for (long i = begin; i < end; i++) offer(top, y[i] + bias[i], i);
    } else {
        for (long i = begin; i < end; i++) offer(top, y[i], i);
    }
}

#if defined(__SSE__)
// The largest of 64 logits; NaN is skipped (maxps returns its second operand when either is NaN).
static inline float block_max(const float *y, const float *bias) {
    __m128 m = _mm_set1_ps(-INFINITY);
    for (int k = 0; k < 64; k += 4) {
        __m128 v = _mm_loadu_ps(y + k);
        if (bias) v = _mm_add_ps(v, _mm_loadu_ps(bias + k));
        m = _mm_max_ps(v, m);
    }
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}
#endif

void unargmax_top_two_scan(const float *y, const float *bias, long begin, long end, unargmax_top_two *top) {
    long i = begin;
#if defined(__SSE__)
    for (; i + 64 <= end; i += 64) {
        if (block_max(y + i, bias ? bias + i : 0) > top->second_value) offer_range(y, bias, i, i + 64, top);
    }
#endif
    offer_range(y, bias, i, end, top);
}
