import FuzzTargets
import Foundation

// Built two ways:
// - for fuzzing (`make fuzz`: `-sanitize=fuzzer,address -DFUZZING`), `main` hands over to libFuzzer's
//   driver (`LLVMFuzzerRunDriver`; SwiftPM links executables with `main` aliased to the module's own
//   entry point, so libFuzzer's `main` is not used), which calls `LLVMFuzzerTestOneInput` with each
//   input for the target named by `UNARGMAX_FUZZ_TARGET`;
// - normally, a replayer: `unargmax-fuzz TARGET FILE...` runs each file through the target and prints
//   whether the parser accepted it or the error it threw (a crash is a bug).

/// Writes `text` to standard error.
func printError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

#if FUZZING
    nonisolated(unsafe) private var selectedTarget: FuzzTarget?

    @_cdecl("LLVMFuzzerInitialize")
    func fuzzerInitialize(
        _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    ) -> Int32 {
        let name = ProcessInfo.processInfo.environment["UNARGMAX_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            printError("unargmax-fuzz: set UNARGMAX_FUZZ_TARGET to one of: \(known)\n")
            exit(2)
        }
        selectedTarget = target
        return 0
    }

    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        selectedTarget?.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
        return 0
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    @main
    struct FuzzDriver {
        static func main() {
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(runFuzzerDriver(&argc, &argv, fuzzerTestOneInput))
        }
    }
#else
    @main
    struct FuzzReplayer {
        static func main() {
            let arguments = Array(CommandLine.arguments.dropFirst())
            let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[0]) else {
                printError("usage: unargmax-fuzz \(known) FILE...\n")
                exit(2)
            }
            var unreadable = false
            for file in arguments.dropFirst() {
                guard let data = FileManager.default.contents(atPath: file) else {
                    printError("unargmax-fuzz: \(file): cannot be read\n")
                    unreadable = true
                    continue
                }
                if let error = target.run(data) {
                    print("\(file): rejected: \(error)")
                } else {
                    print("\(file): accepted")
                }
            }
            exit(unreadable ? 1 : 0)
        }
    }
#endif
