import ArgumentParser
import BraidArrangements
import ExactArithmetic
import Foundation
import LayerFormats
import OutputHeads
import RegionCounting
import Unargmaxable
import ResultFiles
import JSONDocuments

struct RegionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regions",
        abstract:
            "Every feasible ranking of a small layer, each proven, with bounded regions and the formula's counts.",
        discussion: """
            Enumerates the regions of the braid arrangement pulled back to input space (rankings, lowest logit \
            first): every listed ranking has a witness input whose logit gaps were checked positive in exact \
            rational arithmetic, and every chain the search pruned has a Farkas certificate checked exactly, \
            so the list is complete when "undetermined" is 0. A region (in all of R^d) is bounded when its \
            recession cone is {0}, proven by positive multipliers λ with Σλ_k a_k = 0 and rank d, and \
            unbounded by an exact recession direction. Weights in general position give exactly the counts \
            of the formula; other layers give fewer, never more.

              unargmax regions layer.npz --format json
              unargmax regions --classes 6 --dim 2 --seed 1 --bias
              unargmax regions layer.npz --ranking 2,0,1,3       # proof of (in)feasibility of one ranking
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    /// Each region costs a few LPs and exact checks; 8! = 40320 rankings take about a minute.
    static let regionLimit = 50_000

    @Argument(help: "The layer or model: .npz/.npy, .safetensors, PyTorch .bin/.pt, .gguf, or a model folder.")
    var layer: String?

    @Option(name: .customLong("classes"), help: "A seeded random layer instead of a file: number of classes.")
    var classes: Int?

    @Option(name: .customLong("dim"), help: "The random layer's input dimension.")
    var dimension: Int?

    @Option(help: "The random layer's seed (as in unargmax random).")
    var seed: UInt64 = 0

    @Flag(help: "Give the random layer a bias (a file's bias is used whenever it has one).")
    var bias = false

    @Flag(help: "Ignore the file's bias.")
    var ignoreBias = false

    @Option(help: "Inputs in the box |x_j| ≤ R (default: all of R^d, which the formula counts).")
    var box: Double?

    @Option(help: "One ranking or a prefix (comma-separated classes, lowest logit first): prove it feasible or not.")
    var ranking: String?

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(help: "Write the result to this file (atomically) instead of stdout.")
    var output: String?

    func validate() throws {
        switch (layer, classes, dimension) {
        case (.some, nil, nil): break
        case (nil, .some(let c), .some(let d)):
            guard c >= 1, d >= 1 else { throw ValidationError("--classes and --dim must be at least 1.") }
        default: throw ValidationError("Give a layer file, or --classes and --dim for a random layer.")
        }
        if layer != nil && bias {
            throw ValidationError("--bias is for random layers; a file's bias is used if present.")
        }
        if let box, !(box > 0 && box.isFinite) { throw ValidationError("--box needs a positive radius.") }
    }

    func run() throws {
        let (weights, biasValues, c, d, name) = try load()
        let arrangement = BraidArrangement(weights: weights, bias: biasValues, classes: c, dimension: d, radius: box)
        if let ranking {
            let chain = try parseRanking(ranking, classes: c)
            try CommandSupport.emit(
                render(arrangement.certifiedFeasibility(of: chain), chain: chain, name: name), output: output)
            return
        }
        guard c <= 10 else {
            throw CommandFailure("\(name): regions lists up to 10! rankings; this layer has \(c) classes")
        }
        let formula = FeasibleRankings.count(classes: c, dimension: d, bias: biasValues != nil)
        // The formula bounds the count from above (general position gives the most regions).
        guard formula.regions <= BigInt(Self.regionLimit) else {
            throw CommandFailure(
                "\(name): up to \(formula.regions) regions, more than the \(Self.regionLimit) that regions lists; "
                    + "check single rankings with --ranking")
        }
        let result = arrangement.certifiedRegions(limit: Self.regionLimit)
        try CommandSupport.emit(
            render(result, formula: formula, arrangement: arrangement, name: name), output: output)
    }

    /// Weights and bias as Doubles (exact copies of the Float32 layer), the shape and a display name.
    func load() throws -> ([Double], [Double]?, Int, Int, String) {
        if let layer {
            let arrays = try ModelHead.load(path: layer).arrays
            guard arrays.classes <= 10 || ranking != nil else {
                throw CommandFailure(
                    "\(layer): regions lists up to 10! rankings; this layer has \(arrays.classes) classes")
            }
            return (
                arrays.weights.values.map(Double.init), ignoreBias ? nil : arrays.bias?.map(Double.init),
                arrays.classes, arrays.dimension, layer
            )
        }
        let (c, d) = (classes!, dimension!)
        guard c <= 10 || ranking != nil else {
            throw ValidationError("--classes: regions lists up to 10! rankings; use --ranking for larger layers.")
        }
        let random = RandomLayerArrays(classes: c, dimension: d, bias: bias, distribution: .normal, seed: seed)
        return (
            random.weights.map(Double.init), random.bias?.map(Double.init), c, d,
            "random layer (\(c) classes, d = \(d), seed \(seed)\(bias ? ", bias" : ""))"
        )
    }

    func parseRanking(_ text: String, classes: Int) throws -> [Int] {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--ranking takes comma-separated class indices.")
        }
        let chain = values.map { $0! }
        guard chain.allSatisfy({ (0..<classes).contains($0) }), Set(chain).count == chain.count else {
            throw ValidationError("--ranking needs distinct class indices between 0 and \(classes - 1).")
        }
        return chain
    }

    func render(_ proof: BraidArrangement.ChainProof, chain: [Int], name: String) -> String {
        let text = chain.map(String.init).joined(separator: " < ")
        switch (proof, format) {
        case (.feasible(let x), .json):
            return JSONValue.object([
                ("ranking", .ints(chain)), ("feasible", true), ("witness", .numbers(x)),
            ]).rendered()
        case (.infeasible(let lambda), .json):
            return JSONValue.object([
                ("ranking", .ints(chain)), ("feasible", false),
                ("farkas", .array(lambda.map { .string($0.description) })),
            ]).rendered()
        case (.undetermined, .json):
            return JSONValue.object([("ranking", .ints(chain)), ("feasible", .null)]).rendered()
        case (.feasible(let x), .text):
            return "\(name)\nfeasible: \(text), realised at x = [\(x.map { "\($0)" }.joined(separator: ", "))]"
                + " (gaps checked exactly)"
        case (.infeasible(let lambda), .text):
            return "\(name)\ninfeasible: \(text)\nFarkas certificate λ (one per consecutive pair, checked exactly): "
                + lambda.map(\.description).joined(separator: ", ")
        case (.undetermined, .text):
            return "\(name)\nundetermined: \(text) is within rounding of a tie; no certificate verified"
        }
    }

    func render(
        _ result: BraidArrangement.CertifiedEnumeration, formula: RegionCount, arrangement: BraidArrangement,
        name: String
    ) -> String {
        let bounded = result.regions.filter { $0.boundedness.isBounded == true }.count
        let argmaxable = BraidArrangement.argmaxable(result, classes: arrangement.classes)
        switch format {
        case .json:
            let rankings: [JSONValue] = result.regions.map { region in
                .object([
                    ("ranking", .ints(region.ranking)), ("witness", .numbers(region.witness)),
                    ("bounded", region.boundedness.isBounded.map(JSONValue.bool) ?? .null),
                ])
            }
            return JSONValue.object([
                ("classes", .int(arrangement.classes)), ("dimension", .int(arrangement.dimension)),
                ("bias", .bool(formula.hasBias)), ("box", box.map(JSONValue.number) ?? .null),
                ("feasible", .int(result.regions.count)), ("bounded", .int(bounded)),
                ("undetermined", .int(result.undetermined)), ("pruned_chains", .int(result.prunedChains)),
                (
                    "formula",
                    .object([
                        ("regions", .int(Int(formula.regions.description) ?? -1)),
                        ("bounded_regions", .int(Int(formula.boundedRegions.description) ?? -1)),
                    ])
                ),
                ("argmaxable", .ints(argmaxable)),
                ("rankings", .array(rankings)),
            ]).rendered()
        case .text:
            var lines = result.regions.map { region in
                region.ranking.map(String.init).joined(separator: " < ")
                    + (region.boundedness.isBounded == true ? "   (bounded)" : "")
            }
            lines.append(
                "\(name): \(result.regions.count) feasible rankings of \(BigInt.factorial(arrangement.classes)), "
                    + "\(bounded) bounded; in general position: \(formula.regions) and \(formula.boundedRegions)")
            lines.append(
                "every witness checked exactly; \(result.prunedChains) pruned chains, each with an exactly checked "
                    + "Farkas certificate"
                    + (result.undetermined > 0
                        ? "; \(result.undetermined) chains undetermined (list may be short)" : ""))
            lines.append("argmaxable (highest in some region): \(CommandSupport.indexList(argmaxable))")
            return lines.joined(separator: "\n")
        }
    }
}
