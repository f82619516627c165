import ArgumentParser
import Foundation
import Unargmaxable

struct PreventCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prevent",
        abstract: "Check that unargmaxable classes can be prevented (the paper's Appendix D).",
        discussion: """
            Makes a seeded random layer and applies the prevention: without bias, every weight vector is \
            normalised to unit length (all points on a sphere, so every class is a hull vertex); with bias, \
            b_i = −½‖w_i‖² (then y_i = −½‖x − w_i‖² + ½‖x‖², so class i wins at x = w_i). \
            Runs the detectors and exits with status 1 if any class is unargmaxable or undecided — which \
            must happen with --do-not-prevent in low dimension.
            """
    )

    @Option(name: .customLong("classes"), help: "Number of classes |C|.")
    var classes = 500

    @Option(name: .customLong("dim"), help: "Input dimension d.")
    var dimension = 10

    @Flag(help: "Give the layer a bias term.")
    var bias = false

    @Flag(help: "Skip the prevention step (the check should then fail in low dimension).")
    var doNotPrevent = false

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    func validate() throws {
        guard classes >= 1, dimension >= 1 else { throw ValidationError("--classes and --dim must be at least 1.") }
    }

    func run() throws {
        let random = RandomLayerArrays(
            classes: classes, dimension: dimension, bias: bias, distribution: .normal, seed: seed)
        var weights = random.weights
        var biases = random.bias
        if !doNotPrevent {
            for i in 0..<classes {
                let row = weights[(i * dimension)..<((i + 1) * dimension)]
                let squared = row.reduce(Float(0)) { $0 + $1 * $1 }
                if bias {
                    biases?[i] = -0.5 * squared
                } else {
                    let norm = squared.squareRoot()
                    for j in 0..<dimension where norm > 0 { weights[i * dimension + j] /= norm }
                }
            }
        }
        let layer = try SoftmaxLayer(weights: weights, classes: classes, dimension: dimension, bias: biases)
        let report = UnargmaxableDetector.detect(layer)
        let failing = report.count(.unargmaxable) + report.count(.undecided)
        print(
            """
            prevention:    \(doNotPrevent ? "off" : (bias ? "b_i = −½‖w_i‖²" : "unit-norm rows")) \
            (\(classes) classes, d = \(dimension), \(bias ? "bias" : "no bias"), seed \(seed))
            argmaxable:    \(report.count(.argmaxable))
            unargmaxable:  \(report.count(.unargmaxable)) — \(CommandSupport.indexList(report.indices(.unargmaxable)))
            undecided:     \(report.count(.undecided))
            result:        \
            \(failing == 0 ? "PASS: every class can be predicted" : "FAIL: some classes can never be predicted")
            """)
        if failing > 0 { throw ExitCode(1) }
    }
}
