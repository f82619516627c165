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

// Column j's top two kept as separate arrays, so four runners-up load as one vector.
static inline void offer_column(unargmax_top_two_columns_state *tops, long j, float v, long i) {
    if (!(v > tops->second_value[j])) return;
    if (v > tops->first_value[j]) {
        tops->second_value[j] = tops->first_value[j];
        tops->second_index[j] = tops->first_index[j];
        tops->first_value[j] = v;
        tops->first_index[j] = i;
    } else {
        tops->second_value[j] = v;
        tops->second_index[j] = i;
    }
}

void unargmax_top_two_columns(const float *y, long rows, long columns, long stride, const float *row_bias,
                              long first_row_index, unargmax_top_two_columns_state *tops) {
    for (long r = 0; r < rows; r++) {
        const float *row = y + r * stride;
        const float b = row_bias ? row_bias[r] : 0.0f;
        const long index = first_row_index + r;
        long j = 0;
#if defined(__SSE__)
        // Four columns at a time, passed over unless a value beats its column's runner-up (after
        // the first rows of a block almost none does).
        const __m128 bias = _mm_set1_ps(b);
        for (; j + 4 <= columns; j += 4) {
            __m128 v = _mm_loadu_ps(row + j);
            if (row_bias) v = _mm_add_ps(v, bias);
            if (_mm_movemask_ps(_mm_cmpgt_ps(v, _mm_loadu_ps(tops->second_value + j))) == 0) continue;
            for (long k = j; k < j + 4; k++) offer_column(tops, k, row_bias ? row[k] + b : row[k], index);
        }
#endif
        for (; j < columns; j++) offer_column(tops, j, row_bias ? row[j] + b : row[j], index);
    }
}
