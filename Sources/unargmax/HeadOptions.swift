import ArgumentParser
import Foundation
import ModelHub
import OutputHeads

/// How commands that read a model find its output layer (`--weights`, `--bias`, `--revision`).
struct HeadOptions: ParsableArguments {
    @Option(help: "The tensor to use as the output layer's weights (default: found from the model's family).")
    var weights: String?

    @Option(help: "The tensor to use as the output layer's bias (default: found beside the head or by family).")
    var bias: String?

    @Option(
        help: """
            For a Hugging Face model id (org/name): the branch, tag or commit (default main). The model is taken \
            from the local Hugging Face cache, else only its config, tokenizer and head are fetched from the Hub \
            (HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE).
            """)
    var revision: String?

    var selection: HeadSelection { HeadSelection(weights: weights, bias: bias) }

    /// Finds and reads the head of `path`: a file, a folder, or a model id resolved through the Hub cache.
    func load(_ path: String, quiet: Bool = false) throws -> ModelHead {
        try ModelHead.load(path: resolve(path, quiet: quiet), selection: selection)
    }

    /// A local path as it is; a Hugging Face model id becomes the local folder holding what `check` needs.
    func resolve(_ path: String, quiet: Bool) throws -> String {
        guard !FileManager.default.fileExists(atPath: path), let id = HubModelID(path) else { return path }
        var client = HubClient()
        if !quiet {
            client.progress = { progress in
                let total = progress.expectedBytes.map { " of \($0 / 1_000_000) MB" } ?? ""
                FileHandle.standardError.write(
                    Data("\r\(progress.item): \(progress.receivedBytes / 1_000_000) MB\(total)   ".utf8))
            }
        }
        let selection = selection
        let resolution = try client.resolve(id, revision: revision ?? "main") { query in
            let configuration = try query.configurationPath.map { try ModelConfiguration(path: $0) }
            return try ModelHead.tensorsToRead(
                names: query.names, configuration: configuration, selection: selection, source: id.repository)
        }
        if !quiet && !resolution.fromCache { FileHandle.standardError.write(Data("\n".utf8)) }
        return resolution.folder
    }
}
