import ArgumentParser
import ExactArithmetic
import Foundation
import RegionCounting

struct CountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count",
        abstract: "Count the rankings (braid-arrangement regions) a softmax layer can realise.",
        discussion: """
            A layer y = Wx (+ b) with |C| classes and d input features, weights in general position, can \
            rank its classes in only some of the |C|! possible orders. The count depends only on |C|, d and \
            whether there is a bias; it is exact (arbitrary precision), even at LLM sizes:

              unargmax count --classes 4 --dim 2 --no-bias          # 12 of 24
              unargmax count --classes 128256 --dim 4096 --bias     # Llama-3 shape, exact
              unargmax count --table --max-classes 10 --max-dim 10  # the paper's Table 3
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, csv, json, latex }

    @Option(name: .customLong("classes"), help: "Number of classes |C|.")
    var classes: Int?

    @Option(name: .customLong("dim"), help: "Input dimension d.")
    var dimension: Int?

    @Flag(inversion: .prefixedNo, help: "Whether the layer has a bias term.")
    var bias = true

    @Flag(help: "Count both cases, with and without a bias, in one pass (JSON: an array of the two objects).")
    var both = false

    @Flag(help: "Print the table for |C| = 1…max-classes (rows) and d = 1…max-dim (columns).")
    var table = false

    @Option(name: .customLong("max-classes"), help: "Rows of --table.")
    var maxClasses = 10

    @Option(name: .customLong("max-dim"), help: "Columns of --table.")
    var maxDimension = 10

    @Option(help: "Counting method: \(FeasibleRankings.Method.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: FeasibleRankings.Method = .automatic

    @Option(help: "Output format: text, csv, json or latex (csv and latex with --table only).")
    var format: Format = .text

    func validate() throws {
        if both && table { throw ValidationError("--both counts one shape; --table already takes --bias/--no-bias.") }
        if table {
            // Cells hold numbers of up to log10(|C|!) digits: 300 × 300 is already ~20 MB of text.
            guard (1...300).contains(maxClasses), (1...300).contains(maxDimension) else {
                throw ValidationError(
                    "--max-classes and --max-dim must be between 1 and 300 "
                        + "(for single large shapes use --classes and --dim)."
                )
            }
        } else {
            guard let classes, let dimension else { throw ValidationError("Give --classes and --dim, or --table.") }
            guard classes >= 1 else { throw ValidationError("--classes must be at least 1.") }
            guard dimension >= 0 else { throw ValidationError("--dim cannot be negative.") }
            guard format == .text || format == .json else {
                throw ValidationError("--format \(format.rawValue) needs --table.")
            }
            // |C|! itself has ~|C| log10 |C| digits; and the series work grows with d × (answer bits).
            guard classes <= 5_000_000 else {
                throw ValidationError(
                    "--classes \(classes) is beyond this tool's range (|C|! would have over 30 million digits).")
            }
            let work = FeasibleRankings.estimatedWork(classes: classes, dimension: dimension)
            guard work < 4e9 else {  // ≈ 10 minutes on 2 cores; (128256, 4096) is ~7e7
                throw ValidationError(
                    String(
                        format:
                            "(|C|, d) = (%d, %d) needs about %.0e word operations (more than ~10 minutes); "
                            + "shapes up to Llama-3's (128256, 4096) take seconds.",
                        classes, dimension, work))
            }
            if method == .goodTideman && classes > 5000 {
                throw ValidationError(
                    "--method good-tideman builds full Stirling rows (O(C²)); use it for --classes ≤ 5000.")
            }
        }
    }

    func run() throws {
        if table {
            let table = RegionCountTable(maxClasses: maxClasses, maxDimension: maxDimension, bias: bias)
            print(RegionCountRendering.render(table, as: format), terminator: "")
        } else if both {
            let (withBias, withoutBias) = FeasibleRankings.countBothCases(
                classes: classes!, dimension: dimension!, method: method)
            if format == .json {
                print("[\(RegionCountRendering.json(withBias)), \(RegionCountRendering.json(withoutBias))]")
            } else {
                print(RegionCountRendering.text(withBias) + "\n\n" + RegionCountRendering.text(withoutBias))
            }
        } else {
            let count = FeasibleRankings.count(classes: classes!, dimension: dimension!, bias: bias, method: method)
            print(format == .json ? RegionCountRendering.json(count) : RegionCountRendering.text(count))
        }
    }
}

extension FeasibleRankings.Method: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(
            rawValue: argument == "good-tideman" ? "goodTideman" : argument == "closed-form" ? "closedForm" : argument)
    }
}
