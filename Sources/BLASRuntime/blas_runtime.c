// OpenBLAS chooses its kernels once, when the library initialises, from OPENBLAS_CORETYPE or its
// own CPU detection. Debian's OpenBLAS 0.3.21 does not know CPUs newer than itself (a Sapphire
// Rapids Xeon gets the generic "Prescott" kernels, 5x below peak), so the project does not link it
// at build time: the first BLAS call comes here, which reads the CPU's features, sets
// OPENBLAS_CORETYPE to the best kernel set they support (unless the user already set it), and only
// then loads the library with dlopen and resolves the few functions the project calls.

#define _GNU_SOURCE
#include "BLASRuntime.h"

#include <cblas.h>
#include <cpuid.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint, blasint,
                         float, const float *, blasint, const float *, blasint, float, float *, blasint);
typedef void (*dgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint, blasint,
                         double, const double *, blasint, const double *, blasint, double, double *, blasint);
typedef void (*set_threads_fn)(int);
typedef char *(*corename_fn)(void);
typedef void (*lapack_fn)(const char *, const int *, double *, const int *, int *);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *load_error = NULL;
static char load_error_text[512];
static const char *core_source = "openblas";
static sgemm_fn real_sgemm;
static dgemm_fn real_dgemm;
static set_threads_fn real_set_threads;
static corename_fn real_corename;
static lapack_fn real_dpotrf, real_dpotri;

static unsigned long long xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

const char *unargmax_blas_core_for_cpu(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return NULL;
    int fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
    if (!osxsave || !avx) return NULL;
    unsigned long long xcr0 = xgetbv0();
    int os_avx = (xcr0 & 0x6) == 0x6;             // SSE and AVX state saved by the OS
    int os_avx512 = (xcr0 & 0xE6) == 0xE6;        // plus opmask and the upper ZMM registers
    if (!os_avx || __get_cpuid_max(0, NULL) < 7) return NULL;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    int avx2 = (ebx >> 5) & 1;
    int avx512f = (ebx >> 16) & 1, avx512dq = (ebx >> 17) & 1, avx512bw = (ebx >> 30) & 1, avx512vl = (ebx >> 31) & 1;
    unsigned int leaf7_subleaves = eax;
    int avx512bf16 = 0;
    if (leaf7_subleaves >= 1) {
        __cpuid_count(7, 1, eax, ebx, ecx, edx);
        avx512bf16 = (eax >> 5) & 1;
    }
    if (os_avx512 && avx512f && avx512dq && avx512bw && avx512vl) return avx512bf16 ? "Cooperlake" : "SkylakeX";
    if (avx2 && fma) return "Haswell";
    return NULL;
}

static void load(void) {
    const char *requested = getenv("OPENBLAS_CORETYPE");
    if (requested && *requested) {
        core_source = "environment";  // an explicit choice (e.g. a workaround) is the user's to make
    } else {
        const char *core = unargmax_blas_core_for_cpu();
        if (core) {
            setenv("OPENBLAS_CORETYPE", core, 1);
            core_source = "cpu";
        }
    }
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *library = NULL;
    for (int i = 0; i < 2 && !library; i++) library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(load_error_text, sizeof load_error_text,
                 "cannot load OpenBLAS (libopenblas.so.0): %s; install Debian's libopenblas0", dlerror());
        load_error = load_error_text;
        return;
    }
    real_sgemm = (sgemm_fn)dlsym(library, "cblas_sgemm");
    real_dgemm = (dgemm_fn)dlsym(library, "cblas_dgemm");
    real_set_threads = (set_threads_fn)dlsym(library, "openblas_set_num_threads");
    real_corename = (corename_fn)dlsym(library, "openblas_get_corename");
    real_dpotrf = (lapack_fn)dlsym(library, "dpotrf_");
    real_dpotri = (lapack_fn)dlsym(library, "dpotri_");
    if (!real_sgemm || !real_dgemm || !real_set_threads || !real_corename || !real_dpotrf || !real_dpotri) {
        snprintf(load_error_text, sizeof load_error_text,
                 "the loaded OpenBLAS lacks cblas_sgemm/cblas_dgemm or LAPACK's dpotrf/dpotri");
        load_error = load_error_text;
    }
}

const char *unargmax_blas_load(void) {
    pthread_once(&once, load);
    return load_error;
}

// A BLAS call without a BLAS cannot return anything meaningful; callers that want a message
// check unargmax_blas_load() first (the CLI does at start-up).
static void require_blas(void) {
    if (unargmax_blas_load()) {
        fprintf(stderr, "unargmax: %s\n", load_error);
        exit(70);
    }
}

const char *unargmax_blas_core(void) {
    require_blas();
    return real_corename();
}

const char *unargmax_blas_core_source(void) {
    require_blas();
    return core_source;
}

void cblas_sgemm(OPENBLAS_CONST enum CBLAS_ORDER order, OPENBLAS_CONST enum CBLAS_TRANSPOSE transA,
                 OPENBLAS_CONST enum CBLAS_TRANSPOSE transB, OPENBLAS_CONST blasint m, OPENBLAS_CONST blasint n,
                 OPENBLAS_CONST blasint k, OPENBLAS_CONST float alpha, OPENBLAS_CONST float *a,
                 OPENBLAS_CONST blasint lda, OPENBLAS_CONST float *b, OPENBLAS_CONST blasint ldb,
                 OPENBLAS_CONST float beta, float *c, OPENBLAS_CONST blasint ldc) {
    require_blas();
    real_sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void cblas_dgemm(OPENBLAS_CONST enum CBLAS_ORDER order, OPENBLAS_CONST enum CBLAS_TRANSPOSE transA,
                 OPENBLAS_CONST enum CBLAS_TRANSPOSE transB, OPENBLAS_CONST blasint m, OPENBLAS_CONST blasint n,
                 OPENBLAS_CONST blasint k, OPENBLAS_CONST double alpha, OPENBLAS_CONST double *a,
                 OPENBLAS_CONST blasint lda, OPENBLAS_CONST double *b, OPENBLAS_CONST blasint ldb,
                 OPENBLAS_CONST double beta, double *c, OPENBLAS_CONST blasint ldc) {
    require_blas();
    real_dgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void openblas_set_num_threads(int threads) {
    require_blas();
    real_set_threads(threads);
}

char *openblas_get_corename(void) {
    require_blas();
    return real_corename();
}

int unargmax_dpotrf(char uplo, int n, double *a, int lda) {
    require_blas();
    int info = 0;
    real_dpotrf(&uplo, &n, a, &lda, &info);
    return info;
}

int unargmax_dpotri(char uplo, int n, double *a, int lda) {
    require_blas();
    int info = 0;
    real_dpotri(&uplo, &n, a, &lda, &info);
    return info;
}
