import ArgumentParser

/// The command-line tool. Each subcommand lives in its own `*Command.swift` file;
/// the library stays free of printing, the CLI owns output, progress and exit codes.
@main
struct Unargmax: ParsableCommand {
    /// Written into every JSON report, so results name the tool that produced them.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "unargmax",
        abstract: "Find the classes a low-rank softmax layer can never predict, and count the rankings it can.",
        version: Unargmax.version,
        subcommands: [
            // Checking models and layers, then what a class can still do, then counting, then studies.
            CheckCommand.self,
            InspectCommand.self,
            VerifyCommand.self,
            MergeCommand.self,
            ResultsCommand.self,
            DepthCommand.self,
            SigmoidCommand.self,
            HullCommand.self,
            RegionsCommand.self,
            RankingsCommand.self,
            CountCommand.self,
            RangeCommand.self,
            RepairCommand.self,
            SweepCommand.self,
            RandomCommand.self,
            PreventCommand.self,
            ServeCommand.self,
            BenchCommand.self,
        ]
    )
}
