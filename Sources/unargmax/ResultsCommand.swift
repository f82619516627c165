import ArgumentParser
import Foundation
import LayerFormats
import ResultsDatabase
import Unargmaxable

struct ResultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Query the results database written by `unargmax check --db`.",
        discussion: """
            experiments: every recorded run with its model and verdict counts, most unargmaxable classes first. \
            models: every recorded model (one row per layer digest and name) with its number of runs. \
            classes: every recorded class with its run, model, token, verdict, margin bracket, steps, stage and \
            certificate digest; --verdict unargmaxable lists the classes no input can make the argmax. \
            --model keeps the models whose name or path contains the text (ignoring case). The database is an \
            SQLite file (default results.sqlite in the current directory) or a postgresql:// URL. See \
            Documentation/Results.md.

              unargmax check Examples/tiny-bert-mlm --db results.sqlite
              unargmax results experiments
              unargmax results classes --model tiny-bert --verdict unargmaxable --format csv
              unargmax results models --db postgresql://user@server/unargmax --format json
            """
    )

    enum Table: String, ExpressibleByArgument, CaseIterable { case experiments, models, classes }
    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, csv }

    @Argument(help: "What to list: experiments, models or classes.")
    var table: Table

    @Option(help: "The results database: an SQLite file or a postgresql:// URL.")
    var db = "results.sqlite"

    @Option(help: "Only models whose name or path contains this text (case-insensitive).")
    var model: String?

    @Option(help: "With classes: only classes with this verdict (argmaxable, unargmaxable or undecided).")
    var verdict: String?

    @Option(help: "Output format: text, json or csv.")
    var format: Format = .text

    @Option(name: [.short, .long], help: "Write the table to this file (atomically) instead of stdout.")
    var output: String?

    func validate() throws {
        if let verdict {
            guard table == .classes else { throw ValidationError("--verdict applies to `unargmax results classes`.") }
            guard Verdict(rawValue: verdict) != nil else {
                throw ValidationError("--verdict must be argmaxable, unargmaxable or undecided (got '\(verdict)').")
            }
        }
    }

    func run() throws {
        // Querying never creates a database: a missing file is an error, not an empty table.
        if !ResultsStore.isPostgreSQL(db) && !FileManager.default.fileExists(atPath: db) {
            throw CommandFailure(
                "\(db): no such results database (file not found); record runs with unargmax check MODEL --db \(db)")
        }
        let result: ResultsTable
        do {
            let store = try ResultsStore.open(db)
            let query: ResultsQuery
            switch table {
            case .experiments: query = .experiments(model: model)
            case .models: query = .models(model: model)
            case .classes: query = .classes(model: model, verdict: verdict)
            }
            result = try store.query(query)
        } catch let error as ResultsDatabaseError {
            throw CommandFailure(error.description)
        }
        let text: String
        switch format {
        case .text: text = result.text() + "\n"
        case .json: text = result.json() + "\n"
        case .csv: text = result.csv()
        }
        if let output {
            try AtomicFileWriter.write(text, to: output)
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
