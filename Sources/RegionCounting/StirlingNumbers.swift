import ExactArithmetic

/// Exact Stirling numbers.
///
/// The unsigned Stirling numbers of the first kind c(n, k) count permutations of n items with k cycles;
/// equivalently c(n, n − k) = e_k(1, 2, …, n − 1), the coefficient of t^k in ∏_{i<n} (1 + i t).
/// That product is why they count feasible rankings of a softmax layer (Good & Tideman 1977).
public enum StirlingNumbers {
    /// Row n of the unsigned Stirling numbers of the first kind: `[c(n, 0), …, c(n, n)]`.
    /// O(n²) big-integer operations, from c(m+1, k) = m·c(m, k) + c(m, k−1).
    public static func firstKindRow(_ n: Int) -> [BigInt] {
        triangleRow(n) { m, _ in m }
    }

    /// The unsigned Stirling number of the first kind c(n, k) (0 outside 0 ≤ k ≤ n).
    public static func firstKind(_ n: Int, _ k: Int) -> BigInt {
        guard n >= 0, k >= 0, k <= n else { return 0 }
        return firstKindRow(n)[k]
    }

    /// Row n of the Stirling numbers of the second kind: `[S(n, 0), …, S(n, n)]`,
    /// from S(m+1, k) = k·S(m, k) + S(m, k−1).
    public static func secondKindRow(_ n: Int) -> [BigInt] {
        triangleRow(n) { _, k in k }
    }

    /// The Stirling number of the second kind S(n, k) (0 outside 0 ≤ k ≤ n).
    public static func secondKind(_ n: Int, _ k: Int) -> BigInt {
        guard n >= 0, k >= 0, k <= n else { return 0 }
        return secondKindRow(n)[k]
    }

    /// Row n of a triangle T(m+1, k) = factor(m, k)·T(m, k) + T(m, k−1) with T(0, 0) = 1:
    /// both kinds of Stirling numbers differ only in the factor.
    static func triangleRow(_ n: Int, factor: (_ m: Int, _ k: Int) -> Int) -> [BigInt] {
        precondition(n >= 0)
        var row: [BigInt] = [1]
        for m in 0..<n {
            row = (0...(m + 1)).map { k in
                (k <= m ? row[k] * factor(m, k) : 0) + (k >= 1 ? row[k - 1] : 0)
            }
        }
        return row
    }
}
