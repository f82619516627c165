import CGLPK
import Synchronization
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// GLPK keeps all its state — terminal settings, hooks and the bookkeeping of every memory block
/// it allocates — in an environment that Debian's build (GLPK 5.0, `glp_config("TLS")` =
/// `_Thread_local`) keeps per thread. Two consequences shape `LinearProgram`:
/// - independent problems can be solved on different threads at the same time;
/// - a problem must be created, changed, solved and deleted on one thread: freeing a block from
///   another thread's environment corrupts both lists and GLPK aborts the process
///   ("glp_free: memory allocation error", printed on stdout).
/// This type prepares a thread's environment and tracks which threads own live problems.
enum GLPKThreadEnvironment {
    /// Whether this GLPK keeps its environment in thread-local storage.
    static let isThreadLocal: Bool = glp_config("TLS") != nil

    /// Live problems per owning thread, so that a thread's environment is only freed when no
    /// problem still lives in it.
    private static let liveProblems = Mutex<[ThreadIdentity: Int]>([:])

    /// Silences GLPK on the calling thread: terminal output off, and the two hooks GLPK still
    /// calls on a fatal error (which forces output on before aborting) send its text to stderr
    /// instead of stdout, where reports are written. Cheap; called before every GLPK session.
    static func prepareCurrentThread() {
        glp_term_out(GLP_OFF)
        glp_term_hook(writeGLPKTextToStandardError, nil)
        glp_error_hook(explainGLPKAbort, nil)
    }

    static func registerProblem(on thread: ThreadIdentity) {
        liveProblems.withLock { $0[thread, default: 0] += 1 }
    }

    static func unregisterProblem(on thread: ThreadIdentity) {
        liveProblems.withLock { counts in
            let left = counts[thread, default: 1] - 1
            counts[thread] = left > 0 ? left : nil
        }
    }

    /// Frees the calling thread's GLPK environment (about 5 KB, which GLPK otherwise never frees
    /// when a thread exits) unless a `LinearProgram` owned by this thread is still alive.
    static func releaseCurrentThread() -> Bool {
        let thread = ThreadIdentity.current
        return liveProblems.withLock { counts in
            guard counts[thread] == nil else { return false }
            glp_free_env()
            return true
        }
    }
}

/// The calling thread, comparable across threads.
struct ThreadIdentity: Hashable, Sendable {
    private let raw: UInt

    static var current: ThreadIdentity {
        #if canImport(Darwin)
            ThreadIdentity(raw: UInt(bitPattern: pthread_self()))
        #else
            ThreadIdentity(raw: UInt(pthread_self()))
        #endif
    }
}

/// Terminal hook: GLPK only writes when terminal output is on, which after `prepareCurrentThread`
/// happens only on the way to `abort()`. Returning non-zero stops GLPK's own write to stdout.
private let writeGLPKTextToStandardError: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Int32 = {
    _, text in
    if let text { _ = write(2, text, strlen(text)) }
    return 1
}

/// Error hook: GLPK calls it just before `abort()`; say whose bug it is.
private let explainGLPKAbort: @convention(c) (UnsafeMutableRawPointer?) -> Void = { _ in
    let message =
        "LinearProgramming: GLPK stopped the process on the error above; "
        + "LinearProgram should have rejected that input first — please report it.\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
}
