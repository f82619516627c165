import ArgumentParser
import OutputHeads
import BraidArrangements
import ExactArithmetic
import Foundation
import LayerFormats
import RegionCounting

struct RankingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rankings",
        abstract: "Rankings of a layer's classes: at an input, feasibility of one, or all feasible ones.",
        discussion: """
            Rankings list classes from the lowest logit to the highest. A ranking is feasible when some input \
            realises it strictly (a region of the braid arrangement pulled back to input space).

              unargmax rankings layer.npz --at 0.5,-1,2          # the ranking this input produces
              unargmax rankings layer.npz --check 2,0,1,3        # feasible? with a witness input
              unargmax rankings layer.npz --enumerate            # every feasible ranking (small layers)
            """
    )

    @Argument(help: "The layer or model: .npz/.npy, .safetensors, PyTorch .bin/.pt, .gguf, or a model folder.")
    var layer: String

    @Option(help: "An input x (comma-separated, d numbers): print its ranking.")
    var at: String?

    @Option(help: "A ranking (comma-separated class indices, lowest logit first, or a prefix of one): is it feasible?")
    var check: String?

    @Flag(help: "List every feasible ranking (|C| ≤ 10).")
    var enumerate = false

    @Option(help: "Inputs in the box |x_j| ≤ R (default: unbounded).")
    var box: Double?

    @Flag(help: "Ignore the file's bias.")
    var ignoreBias = false

    func validate() throws {
        guard at != nil || check != nil || enumerate else {
            throw ValidationError("Give --at, --check or --enumerate.")
        }
        if let box, !(box > 0 && box.isFinite) { throw ValidationError("--box needs a positive radius.") }
    }

    func run() throws {
        let arrays = try ModelHead.load(path: layer).arrays
        let bias = ignoreBias ? nil : arrays.bias?.map(Double.init)
        let arrangement = BraidArrangement(
            weights: arrays.weights.values.map(Double.init), bias: bias,
            classes: arrays.classes, dimension: arrays.dimension, radius: box)
        if let at {
            let x = try numbers(at, count: arrays.dimension, what: "--at")
            print("ranking at x: " + arrangement.ranking(at: x).map(String.init).joined(separator: " < "))
        }
        if let check {
            let values = try numbers(check, count: nil, what: "--check")
            guard values.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e9 }) else {
                throw ValidationError("--check takes whole class indices.")
            }
            let chain = values.map { Int($0) }
            guard chain.allSatisfy({ (0..<arrays.classes).contains($0) }), Set(chain).count == chain.count else {
                throw ValidationError("--check needs distinct class indices between 0 and \(arrays.classes - 1).")
            }
            switch arrangement.feasibility(of: chain) {
            case let .feasible(witness, gap):
                print(
                    "feasible: realised at x = [\(witness.map { String(format: "%.6g", $0) }.joined(separator: ", "))] "
                        + "(smallest logit gap \(String(format: "%.3g", gap)))"
                )
            case .infeasible(let best):
                print(
                    "infeasible: the best smallest gap is "
                        + "\(abs(best) < 1e-9 ? "0 (the classes can only tie)" : String(format: "%.3g", best))"
                )
            case .undetermined(let best):
                print("undetermined: the best smallest gap \(String(format: "%.3g", best)) is within rounding of 0")
            }
        }
        if enumerate {
            guard arrays.classes <= 10 else {
                throw ValidationError("--enumerate lists up to 10! rankings; this layer has \(arrays.classes) classes.")
            }
            let (rankings, undetermined) = arrangement.enumerateRankings()
            for ranking in rankings { print(ranking.map(String.init).joined(separator: " < ")) }
            let generic = FeasibleRankings.count(
                classes: arrays.classes, dimension: arrays.dimension, bias: bias != nil
            ).regions
            print(
                "\(rankings.count) feasible rankings of \(BigInt.factorial(arrays.classes)); "
                    + "weights in general position give \(generic)"
                    + (undetermined > 0 ? "; \(undetermined) too close to a tie to decide" : ""))
        }
    }

    private func numbers(_ text: String, count: Int?, what: String) throws -> [Double] {
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ $0 != nil && $0!.isFinite }), !values.isEmpty else {
            throw ValidationError("\(what) takes comma-separated numbers.")
        }
        if let count, values.count != count {
            throw ValidationError("\(what) needs \(count) numbers, got \(values.count).")
        }
        return values.map { $0! }
    }
}
