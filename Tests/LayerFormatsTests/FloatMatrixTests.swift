import Testing
@testable import LayerFormats

@Suite("FloatMatrix")
struct FloatMatrixTests {
    @Test(
        "transposed matches the definition, for shapes around the tile size",
        arguments: [(1, 1), (1, 70), (70, 1), (31, 33), (64, 64), (100, 37)])
    func transpose(rows: Int, columns: Int) {
        let matrix = FloatMatrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map(Float.init))
        let t = matrix.transposed()
        #expect(t.rows == columns && t.columns == rows)
        for r in 0..<rows { for c in 0..<columns { #expect(t[c, r] == matrix[r, c]) } }
        #expect(t.transposed() == matrix)
    }

    @Test("storage-independent accessors: subscript, row, values, equality, non-finite search")
    func accessors() {
        let matrix = FloatMatrix(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
        #expect(matrix[1, 0] == 4 && matrix.row(1) == [4, 5, 6] && matrix.values == [1, 2, 3, 4, 5, 6])
        #expect(!matrix.isMemoryMapped)
        #expect(matrix.withUnsafeBufferPointer { $0.reduce(0, +) } == 21)
        #expect(matrix != FloatMatrix(rows: 3, columns: 2, values: [1, 2, 3, 4, 5, 6]))
        #expect(matrix.firstNonFinite() == nil)
        let built = FloatMatrix(rows: 2, columns: 3) { out in for i in out.indices { out[i] = Float(i + 1) } }
        #expect(built == matrix)
        let bad = FloatMatrix(rows: 2, columns: 3, values: [1, 2, 3, 4, -.infinity, .nan])
        #expect(bad.firstNonFinite()! == (1, 1))
    }
}
