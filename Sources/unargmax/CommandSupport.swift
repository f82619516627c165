import ArgumentParser
import Foundation
import LayerFormats

/// Helpers shared by the subcommands: loading layers, writing outputs, encoding JSON.
enum CommandSupport {
    /// Prints to stdout, or writes the file atomically when `output` is given.
    static func emit(_ text: String, output: String?) throws {
        if let output {
            try AtomicFileWriter.write(text.hasSuffix("\n") ? text : text + "\n", to: output)
        } else {
            print(text)
        }
    }

    /// A compact rendering of index lists for text output: "3, 17, 18 … (42 in all)".
    static func indexList(_ indices: [Int], limit: Int = 30) -> String {
        if indices.isEmpty { return "none" }
        let shown = indices.prefix(limit).map(String.init).joined(separator: ", ")
        return indices.count > limit ? "\(shown) … (\(indices.count) in all)" : shown
    }
}

/// A user-facing failure with a complete message; ArgumentParser prints it as "Error: …" and exits 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
