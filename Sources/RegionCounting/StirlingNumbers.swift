import ExactArithmetic

/// Exact Stirling numbers.
///
/// The unsigned Stirling numbers of the first kind c(n, k) count permutations of n items with k cycles;
/// equivalently c(n, n − k) = e_k(1, 2, …, n − 1), the coefficient of t^k in ∏_{i<n} (1 + i t).
/// That product is why they count feasible rankings of a softmax layer (Good & Tideman 1977).
public enum StirlingNumbers {
    /// Row n of the unsigned Stirling numbers of the first kind: `[c(n, 0), …, c(n, n)]`.
    /// O(n²) big-integer operations, from c(n+1, k) = n·c(n, k) + c(n, k−1).
    public static func firstKindRow(_ n: Int) -> [BigInt] {
        precondition(n >= 0)
        var row: [BigInt] = [1]  // c(0, 0) = 1
        for m in 0..<n {
            var next = [BigInt](repeating: 0, count: m + 2)
            for k in 0...(m + 1) {
                let fromBelow = k <= m ? row[k] * m : 0
                let fromLeft = k >= 1 ? row[k - 1] : 0
                next[k] = fromBelow + fromLeft
            }
            row = next
        }
        return row
    }

    /// The unsigned Stirling number of the first kind c(n, k) (0 outside 0 ≤ k ≤ n).
    public static func firstKind(_ n: Int, _ k: Int) -> BigInt {
        guard n >= 0, k >= 0, k <= n else { return 0 }
        return firstKindRow(n)[k]
    }

    /// Row n of the Stirling numbers of the second kind: `[S(n, 0), …, S(n, n)]`,
    /// from S(n+1, k) = k·S(n, k) + S(n, k−1).
    public static func secondKindRow(_ n: Int) -> [BigInt] {
        precondition(n >= 0)
        var row: [BigInt] = [1]  // S(0, 0) = 1
        for m in 0..<n {
            var next = [BigInt](repeating: 0, count: m + 2)
            for k in 0...(m + 1) {
                let fromBelow = k <= m ? row[k] * k : 0
                let fromLeft = k >= 1 ? row[k - 1] : 0
                next[k] = fromBelow + fromLeft
            }
            row = next
        }
        return row
    }

    /// The Stirling number of the second kind S(n, k) (0 outside 0 ≤ k ≤ n).
    public static func secondKind(_ n: Int, _ k: Int) -> BigInt {
        guard n >= 0, k >= 0, k <= n else { return 0 }
        return secondKindRow(n)[k]
    }
}
