/// Whether Qhull can be expected to finish in reasonable time and memory.
///
/// Hull size grows roughly like C^⌊D/2⌋ in the worst case and much more slowly for random data, but
/// it still explodes: measured on the 2-core development machine, Gaussian points with C = 2000 take
/// 19 s and 0.7 GB in D = 8, over 2 minutes and 2 GB in D = 9, and C = 10000 in D = 9 ran out of
/// patience at 7 GB. The limits below keep interactive commands interactive; `--force` lifts them.
public enum QhullBudget {
    /// Largest number of points for each hull dimension D (D = d, or d + 1 with a bias).
    static let maximumPoints: [Int: Int] = [5: 200_000, 6: 50_000, 7: 10_000, 8: 1_000, 9: 300]

    /// Whether a hull of `points` points in hull dimension `dimension` (D = d, or d + 1 with a bias) is
    /// within the measured budget: always for D ≤ 4, else up to `maximumPoints[D]`; never for D ≥ 10.
    public static func allows(points: Int, dimension: Int) -> Bool {
        if dimension <= 4 { return true }
        guard let limit = maximumPoints[dimension] else { return false }
        return points <= limit
    }

    /// A sentence for users when `allows` is false.
    public static func refusal(points: Int, dimension: Int) -> String {
        let limit =
            maximumPoints[dimension].map { "at most \($0) points in \(dimension) dimensions" } ?? "dimensions up to 9"
        return
            "Qhull's cost grows roughly like C^⌊D/2⌋ (here C = \(points), D = \(dimension)) and may not finish; "
            + "the default budget is \(limit). Pass --force to run it anyway, or use `unargmax check`."
    }
}
