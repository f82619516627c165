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

/// The top two of each of `columns` columns, as arrays (index −1: none yet).
typedef struct {
    float *first_value;
    long *first_index;
    float *second_value;
    long *second_index;
} unargmax_top_two_columns_state;

/// The same offers down the columns of a row-major block y (rows × columns, row stride `stride`): column j's
/// top two over the rows, row r offering y[r][j] + row_bias[r] (when row_bias is not NULL) as class
/// first_row_index + r. Rows are offered in order, so ties resolve as in `unargmax_top_two_scan`.
void unargmax_top_two_columns(const float *y, long rows, long columns, long stride, const float *row_bias,
                              long first_row_index, unargmax_top_two_columns_state *tops);

#endif
