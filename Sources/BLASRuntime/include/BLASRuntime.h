#ifndef UNARGMAX_BLAS_RUNTIME_H
#define UNARGMAX_BLAS_RUNTIME_H

/// Loads OpenBLAS on first use, after telling it which kernels fit this CPU (see blas_runtime.c).
/// Returns NULL on success, or a message saying why the library could not be loaded.
const char *unargmax_blas_load(void);

/// The OpenBLAS kernel set in use ("Cooperlake", "SkylakeX", "Haswell", …); loads the library.
const char *unargmax_blas_core(void);

/// Where the kernel choice came from: "environment" (OPENBLAS_CORETYPE was set by the user),
/// "cpu" (chosen here from the CPU's features) or "openblas" (OpenBLAS's own detection).
const char *unargmax_blas_core_source(void);

/// The best OpenBLAS kernel set this CPU and OS support, from CPUID/XGETBV ("Cooperlake",
/// "SkylakeX", "Haswell"), or NULL when none of those applies.
const char *unargmax_blas_core_for_cpu(void);

/// LAPACK's Cholesky factorisation and inverse of a symmetric positive definite n × n matrix (column-major,
/// `uplo` 'L' or 'U'), from the same OpenBLAS. Return LAPACK's info (0: success).
int unargmax_dpotrf(char uplo, int n, double *a, int lda);
int unargmax_dpotri(char uplo, int n, double *a, int lda);

#endif
