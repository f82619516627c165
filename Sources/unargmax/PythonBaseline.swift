import Foundation
import LayerFormats

/// Independent baselines timed by Python on the same matrix as the tool: numpy's own `W @ W.T`
/// (its bundled OpenBLAS) in row blocks written into one reused buffer, and scipy's Qhull. A
/// baseline built on the tool's own libraries would share their slowness and hide it.
enum PythonBaseline {
    struct Timing {
        let seconds: Double
        /// numpy's BLAS, as threadpoolctl reports it (e.g. "openblas 0.3.31 SkylakeX"), if known.
        let library: String
    }

    /// Seconds for scipy's Qhull (`scipy.spatial.ConvexHull`) on the rows of `weights` in binary64,
    /// best of `repeats`, and the number of hull vertices it found.
    static func hull(weights: FloatMatrix, repeats: Int = 2) -> Result<Timing, CommandFailure> {
        let script = """
            import sys, time
            import numpy as np
            from scipy.spatial import ConvexHull
            w = np.load(sys.argv[1])['W'].astype(np.float64)
            best = float('inf')
            for _ in range(\(repeats)):
                start = time.perf_counter()
                hull = ConvexHull(w)
                best = min(best, time.perf_counter() - start)
            print(best)
            print(f"scipy Qhull, {len(hull.vertices)} vertices")
            """
        return run(script, weights: weights, needs: "scipy")
    }

    /// Seconds for the blocked C × C Gram matrix of `weights` (classes × dimension), best of
    /// `repeats`; nil (with the reason) when Python or numpy is missing.
    static func gram(
        weights: FloatMatrix, repeats: Int = 2
    ) -> Result<Timing, CommandFailure> {
        let script = """
            import sys, time
            import numpy as np
            w = np.load(sys.argv[1])['W']
            c = w.shape[0]
            block = max(8, min(1024, (64 << 20) // c))
            out = np.empty((block, c), dtype=np.float32)
            best = float('inf')
            for _ in range(\(repeats)):
                start = time.perf_counter()
                for i in range(0, c, block):
                    rows = min(block, c - i)
                    np.matmul(w[i:i + rows], w.T, out=out[:rows])
                best = min(best, time.perf_counter() - start)
            try:
                from threadpoolctl import threadpool_info
                info = [f"{i['internal_api']} {i['version']} {i.get('architecture', '')}" for i in threadpool_info()
                        if i['user_api'] == 'blas']
                library = info[0] if info else 'unknown'
            except Exception:
                library = 'unknown (no threadpoolctl)'
            print(best)
            print(library)
            """
        return run(script, weights: weights, needs: "numpy threadpoolctl")
    }

    /// Runs a Python script with `arguments` (the variables for older OpenBLAS builds unset, as
    /// for the baselines); true when it exits 0.
    static func runScript(_ script: String, arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Runs a Python baseline on `weights` (saved as W in a temporary npz, removed afterwards); the
    /// script prints its seconds and a description on two lines.
    private static func run(_ script: String, weights: FloatMatrix, needs: String) -> Result<Timing, CommandFailure> {
        let directory = NSTemporaryDirectory() + "unargmax-bench-\(ProcessInfo.processInfo.processIdentifier)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try LayerArrays(weights: weights, bias: nil).writeNPZ(to: directory + "/w.npz")
        } catch {
            return .failure(CommandFailure("cannot write the baseline's input: \(error)"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory + "/w.npz"]
        // numpy's own OpenBLAS detects this CPU itself; the variables set for older builds slow it.
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment["OPENBLAS_L2_SIZE"] = nil
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            return .failure(CommandFailure("python3 is not available: \(error)"))
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = text.split(separator: "\n").map(String.init)
        guard process.terminationStatus == 0, lines.count >= 2, let seconds = Double(lines[0]) else {
            return .failure(CommandFailure("the Python baseline failed (pip install \(needs))"))
        }
        return .success(Timing(seconds: seconds, library: lines[1]))
    }
}
