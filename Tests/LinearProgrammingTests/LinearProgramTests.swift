import Dispatch
import Testing
@testable import LinearProgramming

@Suite("Linear programs")
struct LinearProgramTests {
    @Test("a known optimum with its duals: max x + 2y, x + y ≤ 4, x + 3y ≤ 6, x, y ≥ 0")
    func knownOptimum() throws {
        let lp = try LinearProgram(columns: 2, direction: .maximize)
        try lp.setObjective([1, 2])
        try lp.setColumnBound(0, .lower(0))
        try lp.setColumnBound(1, .lower(0))
        try lp.addRow([1, 1], .upper(4))
        try lp.addRow([1, 3], .upper(6))
        let s = lp.solve()
        #expect(s.status == .optimal)
        // Vertex (3, 1): objective 5; duals solve y1 + y2 = 1, y1 + 3 y2 = 2 → (1/2, 1/2).
        #expect(abs(s.objective - 5) < 1e-12 && abs(s.primal[0] - 3) < 1e-12 && abs(s.primal[1] - 1) < 1e-12)
        #expect(abs(s.rowDuals[0] - 0.5) < 1e-12 && abs(s.rowDuals[1] - 0.5) < 1e-12)
        // Strong duality: b·y = objective.
        #expect(abs(4 * s.rowDuals[0] + 6 * s.rowDuals[1] - s.objective) < 1e-12)
        #expect(lp.activeRows() == [0, 1])
        try lp.addRow([1, 0], .upper(100))  // slack: stays inactive after an exact solve
        #expect(lp.solveExactly().status == .optimal && lp.activeRows() == [0, 1])
    }

    @Test("infeasible and unbounded programs are reported as such")
    func infeasibleAndUnbounded() throws {
        let infeasible = try LinearProgram(columns: 1, direction: .maximize)
        try infeasible.setObjective([1])
        try infeasible.addRow([1], .upper(-1))
        try infeasible.addRow([1], .lower(1))
        #expect(infeasible.solve().status == .infeasible)
        let unbounded = try LinearProgram(columns: 2, direction: .maximize)
        try unbounded.setObjective([1, 0])
        try unbounded.addRow([0, 1], .upper(1))
        #expect(unbounded.solve().status == .unbounded)
    }

    @Test("adding rows and re-solving warm gives the fresh optimum on random margin-type programs")
    func warmResolve() throws {
        var state: UInt64 = 42
        func random() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            return Double(state >> 11) / Double(1 << 53) * 2 - 1
        }
        for _ in 0..<20 {
            let d = 8
            let rows = (0..<60).map { _ in (0..<d).map { _ in random() } + [1.0] }
            let rhs = (0..<60).map { _ in random() + 1.5 }
            func build(_ count: Int) throws -> LinearProgram {
                let lp = try LinearProgram(columns: d + 1, direction: .maximize)
                try lp.setObjective(Array(repeating: 0, count: d) + [1])
                for j in 0..<d { try lp.setColumnBound(j, .range(-10, 10)) }
                for i in 0..<count { try lp.addRow(rows[i], .upper(rhs[i])) }
                return lp
            }
            let warm = try build(20)
            let first = warm.solve()
            #expect(first.status == .optimal)
            for i in 20..<60 { try warm.addRow(rows[i], .upper(rhs[i])) }
            let again = warm.solve()
            let fresh = try build(60).solve()
            #expect(again.status == .optimal && fresh.status == .optimal)
            #expect(abs(again.objective - fresh.objective) < 1e-9)
            // Duals of a margin program form a probability vector: Σ duals = objective coefficient of t.
            #expect(abs(again.rowDuals.reduce(0, +) - 1) < 1e-9 && again.rowDuals.allSatisfy { $0 >= -1e-12 })
        }
    }

    @Test("exact simplex agrees on a rational instance")
    func exactSimplex() throws {
        let lp = try LinearProgram(columns: 2, direction: .maximize)
        try lp.setObjective([3, 2])
        try lp.setColumnBound(0, .lower(0))
        try lp.setColumnBound(1, .lower(0))
        try lp.addRow([1, 1], .upper(4))
        try lp.addRow([1, 3], .upper(6))
        try lp.addRow([3, 1], .upper(9))
        let exact = lp.solveExactly()
        #expect(exact.status == .optimal && abs(exact.objective - 81.0 / 8) < 1e-12)  // vertex (21/8, 9/8)
    }

    @Test("invalid input throws instead of letting GLPK abort")
    func invalidInput() throws {
        #expect(throws: LinearProgramError.self) { try LinearProgram(columns: 0, direction: .maximize) }
        let lp = try LinearProgram(columns: 2, direction: .maximize)
        #expect(throws: LinearProgramError.self) { try lp.addRow([1], .upper(1)) }
        #expect(throws: LinearProgramError.self) { try lp.addRow([1, .nan], .upper(1)) }
        #expect(throws: LinearProgramError.self) { try lp.setColumnBound(5, .free) }
        #expect(throws: LinearProgramError.self) { try lp.setColumnBound(0, .range(2, 1)) }
        #expect(throws: LinearProgramError.self) { try lp.setObjective([1, .infinity]) }
    }

    @Test("independent programs solved on two threads equal the sequential results")
    func concurrency() throws {
        @Sendable func solve(_ seed: Int) -> Double {
            var state = UInt64(seed)
            func random() -> Double {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                return Double(state >> 11) / Double(1 << 53) * 2 - 1
            }
            let lp = try! LinearProgram(columns: 6, direction: .maximize)
            try! lp.setObjective([0, 0, 0, 0, 0, 1])
            for j in 0..<5 { try! lp.setColumnBound(j, .range(-1, 1)) }
            for _ in 0..<80 { try! lp.addRow((0..<5).map { _ in random() } + [1], .upper(random() + 1)) }
            return lp.solve().objective
        }
        let sequential = (0..<64).map(solve)
        let results = UnsafeMutableBufferPointer<Double>.allocate(capacity: 64)
        defer { results.deallocate() }
        nonisolated(unsafe) let output = results
        DispatchQueue.concurrentPerform(iterations: 64) { output[$0] = solve($0) }
        #expect(Array(results) == sequential)
    }
}
