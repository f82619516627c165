// Each system library is proven by one real call through its module map:
// a missing header, a wrong link flag or a wrong package shows up here first.
import Testing
import Foundation
import CGMP
import CFLINT
import CQhull
import CGLPK
import CBLAS
import CZlib

@Suite("System libraries")
struct SystemLibraryTests {
    @Test("GMP computes 30! exactly")
    func gmpFactorial() {
        var z = mpz_t()
        __gmpz_init(&z)
        defer { __gmpz_clear(&z) }
        __gmpz_fac_ui(&z, 30)
        let digits = __gmpz_get_str(nil, 10, &z)!
        defer { free(digits) }  // GMP's default allocator is malloc (LeakSanitizer found this one)
        let text = String(cString: digits)
        #expect(text == "265252859812191058636308480000000")
    }

    @Test("FLINT multiplies polynomials modulo a prime")
    func flintSeries() {
        var a = nmod_poly_struct(), b = nmod_poly_struct()
        nmod_poly_init(&a, 1_000_003)
        nmod_poly_init(&b, 1_000_003)
        defer {
            nmod_poly_clear(&a)
            nmod_poly_clear(&b)
        }
        nmod_poly_set_coeff_ui(&a, 0, 1)
        nmod_poly_set_coeff_ui(&a, 1, 2)  // 1 + 2t
        nmod_poly_mul(&b, &a, &a)  // 1 + 4t + 4t²
        #expect(nmod_poly_get_coeff_ui(&b, 1) == 4)
        #expect(nmod_poly_get_coeff_ui(&b, 2) == 4)
    }

    @Test("Qhull finds the 4 vertices of a square with its centre")
    func qhullSquare() {
        var qh = qhT()
        let devNull = fopen("/dev/null", "w")
        defer { fclose(devNull) }
        qh_zero(&qh, devNull)
        var points: [Double] = [0, 0, 1, 0, 0, 1, 1, 1, 0.5, 0.5]
        let status = points.withUnsafeMutableBufferPointer { buffer in
            "qhull Qt".withCString { command in
                qh_new_qhull(&qh, 2, 5, buffer.baseAddress, 0, UnsafeMutablePointer(mutating: command), nil, devNull)
            }
        }
        #expect(status == 0)
        #expect(qh.num_vertices == 4)
        var currentLong: Int32 = 0, totalLong: Int32 = 0
        qh_freeqhull(&qh, 0)
        qh_memfreeshort(&qh, &currentLong, &totalLong)
    }

    @Test("GLPK solves a two-variable LP")
    func glpkSolve() {
        let lp = glp_create_prob()!
        defer { glp_delete_prob(lp) }
        glp_set_obj_dir(lp, GLP_MAX)
        glp_add_rows(lp, 1)
        glp_set_row_bnds(lp, 1, GLP_UP, 0, 4)  // x + y ≤ 4
        glp_add_cols(lp, 2)
        for j in Int32(1)...2 { glp_set_col_bnds(lp, j, GLP_LO, 0, 0) }
        glp_set_obj_coef(lp, 1, 1)
        glp_set_obj_coef(lp, 2, 2)  // max x + 2y
        var ia: [Int32] = [0, 1, 1], ja: [Int32] = [0, 1, 2], ar: [Double] = [0, 1, 1]
        glp_load_matrix(lp, 2, &ia, &ja, &ar)
        var parm = glp_smcp()
        glp_init_smcp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        #expect(glp_simplex(lp, &parm) == 0)
        #expect(glp_get_obj_val(lp) == 8)
    }

    @Test("OpenBLAS multiplies matrices")
    func blasGemm() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2)
        #expect(c == [19, 22, 43, 50])
    }

    @Test("zlib inflates what it deflated")
    func zlibRoundTrip() {
        let text = Array(String(repeating: "unargmaxable ", count: 100).utf8)
        var compressed = [UInt8](repeating: 0, count: 2048)
        var compressedLength = uLongf(compressed.count)
        #expect(compress(&compressed, &compressedLength, text, uLong(text.count)) == Z_OK)
        var restored = [UInt8](repeating: 0, count: text.count)
        var restoredLength = uLongf(restored.count)
        #expect(uncompress(&restored, &restoredLength, compressed, compressedLength) == Z_OK)
        #expect(restored == text && compressedLength < 100)
    }
}
