import BLASRuntime
import CBLAS
import Dispatch
import Foundation

/// Which OpenBLAS kernels the GEMMs run on, and why. OpenBLAS is loaded on first use by the
/// `BLASRuntime` target, which sets `OPENBLAS_CORETYPE` to the best kernel set the CPU supports
/// unless the user set it: Debian's OpenBLAS 0.3.21 falls back to generic kernels (5× slower) on
/// CPUs newer than itself.
public enum BLASKernels {
    /// Why OpenBLAS could not be loaded, or nil when it is ready.
    public static var loadError: String? { unargmax_blas_load().map { String(cString: $0) } }

    /// The kernel set in use, as OpenBLAS names it ("Cooperlake", "SkylakeX", "Haswell", …).
    public static var core: String { String(cString: unargmax_blas_core()) }

    /// Where the choice came from.
    public static var source: String {
        switch String(cString: unargmax_blas_core_source()) {
        case "environment": return "OPENBLAS_CORETYPE set in the environment"
        case "cpu": return "chosen for this CPU"
        default: return "OpenBLAS's own detection"
        }
    }

    /// The best kernel set for this CPU's features (AVX-512 with BF16, AVX-512, AVX2 + FMA), nil
    /// when the CPU has none of them.
    public static var bestForCPU: String? { unargmax_blas_core_for_cpu().map { String(cString: $0) } }

    /// OpenBLAS's generic kernel sets for pre-AVX2 processors: a CPU with AVX2 running one of these
    /// is running several times below its speed.
    public static let genericCores: Set<String> = [
        "Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Core2", "Penryn", "Dunnington", "Nehalem",
        "Atom", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano", "Sandybridge", "Bobcat", "Bulldozer",
        "Piledriver", "Steamroller", "Excavator",
    ]
}

/// Row-blocked products whose every entry is bit-identical whatever the thread count.
///
/// OpenBLAS splits one product over its threads by columns and rows, and the kernels that take a
/// split's edges round differently from the main ones, so the same entry can differ in its last
/// bits between 1 and 2 threads (a report's margins would then depend on `--threads`). Here the
/// rows are cut into groups fixed by the shapes alone, each group is one single-threaded `sgemm`,
/// and the groups run in parallel: an entry depends only on its group's shape.
///
/// OpenBLAS's thread count is one global, so two runs in one process (tests in parallel, a server)
/// could flip it in the middle of each other's groups: every change goes through `setThreads`, and
/// a run of groups holds the same lock throughout.
enum FixedPartitionGEMM {
    private static let threadsLock = NSRecursiveLock()

    /// Sets OpenBLAS's thread count for the products that follow (waits for running groups to end).
    static func setThreads(_ threads: Int) {
        threadsLock.withLock { openblas_set_num_threads(Int32(max(1, threads))) }
    }

    /// Runs `body(first, count)` for groups of `group` consecutive rows of `rows`, `threads` groups at
    /// a time, with OpenBLAS single-threaded inside (restored to `threads` afterwards).
    static func forEachGroup(
        rows: Int, group: Int, threads: Int, _ body: @Sendable (_ first: Int, _ count: Int) -> Void
    ) {
        let size = max(1, group)
        let groups = (rows + size - 1) / size
        guard groups > 0 else { return }
        threadsLock.lock()
        openblas_set_num_threads(1)
        defer {
            openblas_set_num_threads(Int32(max(1, threads)))
            threadsLock.unlock()
        }
        let workers = max(1, min(threads, groups))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for g in stride(from: worker, to: groups, by: workers) {
                body(g * size, min(size, rows - g * size))
            }
        }
    }
}
