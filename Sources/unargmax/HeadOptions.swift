import ArgumentParser
import OutputHeads

/// How commands that read a model find its output layer (`--weights`, `--bias`).
struct HeadOptions: ParsableArguments {
    @Option(help: "The tensor to use as the output layer's weights (default: found from the model's family).")
    var weights: String?

    @Option(help: "The tensor to use as the output layer's bias (default: found beside the head or by family).")
    var bias: String?

    var selection: HeadSelection { HeadSelection(weights: weights, bias: bias) }

    /// Finds and reads the head of `path`.
    func load(_ path: String) throws -> ModelHead {
        try ModelHead.load(path: path, selection: selection)
    }
}
