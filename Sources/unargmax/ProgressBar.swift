import Foundation
import Unargmaxable

/// Progress on stderr: a bar with rate and ETA on a terminal, a few plain lines otherwise
/// (logs stay readable). Thread-safe: the detectors report from several threads.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let interactive = isatty(STDERR_FILENO) != 0
    private var stage: DetectionProgress.Stage?
    private var stageStart = Date()  // the run's start, then the end of the previous stage
    private var lastEvent = Date()
    private var lastDraw = Date.distantPast
    private var lastDecile = -1
    private let enabled: Bool

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ event: DetectionProgress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if event.stage != stage {
            if interactive && stage != nil { FileHandle.standardError.write(Data("\n".utf8)) }
            if stage != nil { stageStart = lastEvent }
            stage = event.stage
            lastDecile = -1
        }
        lastEvent = Date()
        let elapsed = Date().timeIntervalSince(stageStart)
        let rate = elapsed > 0 ? Double(event.done) / elapsed : 0
        let eta = rate > 0 ? Double(event.total - event.done) / rate : 0
        let label = event.stage == .approximate ? "braid reflect" : "exact LP     "
        if interactive {
            guard Date().timeIntervalSince(lastDraw) > 0.1 || event.done == event.total else { return }
            lastDraw = Date()
            let width = 30, filled = event.total > 0 ? width * event.done / event.total : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = String(
                format: "\r%@ %@ %d/%d classes  %.0f/s  ETA %.0fs ", label, bar, event.done, event.total, rate, eta)
            FileHandle.standardError.write(Data(line.utf8))
            if event.done == event.total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            // Plain lines for logs: every 10% of a stage that runs longer than a second, and its end.
            let decile = event.total > 0 ? 10 * event.done / event.total : 10
            guard decile > lastDecile, event.done == event.total || elapsed > 1 else { return }
            lastDecile = decile
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "%@: %d/%d classes (%.1f s)\n", label.trimmingCharacters(in: .whitespaces), event.done,
                        event.total, elapsed
                    ).utf8))
        }
    }
}
