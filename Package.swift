// swift-tools-version: 6.0
// Unargmaxable: the geometry of low-rank softmax layers.
// One concept per module; data flows formats → SoftmaxLayer → detectors → reports → CLI.
import PackageDescription

/// A C library reached through a module map (see `Sources/C*/module.modulemap`).
func systemLibrary(_ name: String, pkgConfig: String? = nil, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "Unargmaxable",
    products: [
        .executable(name: "unargmax", targets: ["unargmax"]),
        .library(name: "Unargmaxable", targets: ["Unargmaxable"]),
        .library(name: "RegionCounting", targets: ["RegionCounting"]),
        .library(name: "ExactArithmetic", targets: ["ExactArithmetic"]),
        .library(name: "ConvexHulls", targets: ["ConvexHulls"]),
        .library(name: "LayerFormats", targets: ["LayerFormats"]),
        .library(name: "LinearProgramming", targets: ["LinearProgramming"]),
        .library(name: "BraidArrangements", targets: ["BraidArrangements"]),
        .library(name: "ModelFormats", targets: ["ModelFormats"]),
        .library(name: "Vocabularies", targets: ["Vocabularies"]),
        .library(name: "OutputHeads", targets: ["OutputHeads"]),
        .library(name: "ModelHub", targets: ["ModelHub"]),
        .library(name: "Checksums", targets: ["Checksums"]),
        .library(name: "LayerStudies", targets: ["LayerStudies"]),
        .library(name: "ClassGeometry", targets: ["ClassGeometry"]),
        .library(name: "RankDepth", targets: ["RankDepth"]),
        .library(name: "SigmoidLayers", targets: ["SigmoidLayers"]),
        .library(name: "ResultsDatabase", targets: ["ResultsDatabase"]),
        .library(name: "ResultFiles", targets: ["ResultFiles"]),
        .library(name: "JSONDocuments", targets: ["JSONDocuments"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // A command plugin only (`make docs`): nothing of it is built by `swift build` or linked.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian: libgmp-dev libflint-dev libqhull-dev libglpk-dev libopenblas-dev zlib1g-dev
        // libsqlite3-dev libpq-dev).
        systemLibrary("CGMP", apt: "libgmp-dev"),
        systemLibrary("CFLINT", apt: "libflint-dev"),
        systemLibrary("CQhull", pkgConfig: "qhull_r", apt: "libqhull-dev"),
        systemLibrary("CGLPK", apt: "libglpk-dev"),
        systemLibrary("CBLAS", apt: "libopenblas-dev"),  // headers only; see BLASRuntime
        systemLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        systemLibrary("CSQLite", pkgConfig: "sqlite3", apt: "libsqlite3-dev"),
        systemLibrary("CPostgreSQL", pkgConfig: "libpq", apt: "libpq-dev"),  // libpq, PostgreSQL's own client

        // OpenBLAS loaded at run time with kernels chosen for this CPU (Debian's 0.3.21 misdetects newer ones).
        .target(name: "BLASRuntime", dependencies: ["CBLAS"], linkerSettings: [.linkedLibrary("dl")]),

        // Swift modules.
        .target(name: "ExactArithmetic", dependencies: ["CGMP"]),
        .target(name: "RegionCounting", dependencies: ["ExactArithmetic", "CFLINT"]),
        .target(name: "LinearProgramming", dependencies: ["CGLPK"]),
        .target(name: "ConvexHulls", dependencies: ["CQhull"]),
        .target(name: "LayerFormats", dependencies: ["CZlib"]),
        .target(name: "BraidArrangements", dependencies: ["LinearProgramming", "ExactArithmetic"]),
        // Checkpoints (safetensors, PyTorch zip, GGUF) → named tensors as Float32 matrices.
        .target(name: "ModelFormats", dependencies: ["LayerFormats"]),
        // Token strings of a model's classes, their display, and the paper's token filters.
        .target(name: "Vocabularies"),
        // A model file or Hugging Face folder → its output layer, bias and vocabulary, with the reasons.
        .target(name: "OutputHeads", dependencies: ["ModelFormats", "Vocabularies", "LayerFormats"]),
        // A Hub model id → a local folder: the Hugging Face cache, else only the head's bytes over HTTPS.
        .target(name: "ModelHub", dependencies: ["Checksums"]),
        // SHA-256 without dependencies (no CryptoKit on Linux): layer digests and verified downloads.
        .target(name: "Checksums", dependencies: ["SHA256Hardware"]),
        // SHA-256 blocks with the x86 SHA extensions, chosen at run time (C: Swift has no intrinsics).
        .target(name: "SHA256Hardware"),
        // The logit scan's inner loop (vector maxima in C: Swift's generic SIMD does not vectorise it).
        .target(name: "LogitKernels"),
        .target(
            name: "Unargmaxable",
            dependencies: [
                "ExactArithmetic", "LinearProgramming", "ConvexHulls", "LayerFormats", "BraidArrangements", "CBLAS",
                "BLASRuntime", "Checksums", "LogitKernels",
            ]),
        // Research instruments: activation ranges, repairing layers, resumable sweeps.
        .target(
            name: "LayerStudies", dependencies: ["Unargmaxable", "LayerFormats", "ModelFormats", "ConvexHulls"]),
        // How deep inside (or far outside) each class is: margins, repairs, inscribed balls, hull distances.
        .target(
            name: "ClassGeometry",
            dependencies: ["Unargmaxable", "ConvexHulls", "LinearProgramming", "ExactArithmetic"]),
        // Rank depth: how many classes must outscore c (top-k / beam reachability), with certificates.
        .target(name: "RankDepth", dependencies: ["Unargmaxable", "LinearProgramming", "ExactArithmetic"]),
        // Multi-label (sigmoid) layers: which label sets some input makes exactly positive.
        .target(name: "SigmoidLayers", dependencies: ["Unargmaxable", "LinearProgramming", "ExactArithmetic"]),
        // Runs, models and classes in SQLite or PostgreSQL: plain data in, tables out (no detector module).
        .target(name: "ResultsDatabase", dependencies: ["CSQLite", "CPostgreSQL", "JSONDocuments"]),
        // JSON values in written order, a strict fast parser, the one string encoder (no dependencies).
        .target(name: "JSONDocuments"),
        // What a check writes and reads back: certificates (JSON, streamed npz), the run journal, their JSON.
        .target(name: "ResultFiles", dependencies: ["Unargmaxable", "LayerFormats", "JSONDocuments"]),
        .executableTarget(
            name: "unargmax",
            dependencies: [
                "Unargmaxable", "RegionCounting", "ConvexHulls", "LayerFormats", "BraidArrangements", "ExactArithmetic",
                "OutputHeads", "ModelFormats", "Vocabularies", "ModelHub", "LayerStudies", "ClassGeometry",
                "RankDepth", "SigmoidLayers", "ResultsDatabase", "Checksums", "ResultFiles", "JSONDocuments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // libFuzzer targets for every parser of user files (`make fuzz`); a corpus replayer in normal builds.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "LayerFormats", "ModelFormats", "Vocabularies", "OutputHeads", "ResultFiles", "Unargmaxable",
                "JSONDocuments",
            ]),
        .executableTarget(name: "unargmax-fuzz", dependencies: ["FuzzTargets"]),

        // Tests (Swift Testing). PythonFixtures runs the Python snippets that write fixtures with the real libraries.
        .target(name: "PythonFixtures", path: "Tests/PythonFixtures"),
        .testTarget(
            name: "SystemLibraryTests",
            dependencies: ["CGMP", "CFLINT", "CQhull", "CGLPK", "CBLAS", "BLASRuntime", "CZlib"]),
        .testTarget(name: "ExactArithmeticTests", dependencies: ["ExactArithmetic"]),
        .testTarget(name: "RegionCountingTests", dependencies: ["RegionCounting", "ExactArithmetic", "CFLINT"]),
        .testTarget(name: "LinearProgrammingTests", dependencies: ["LinearProgramming"]),
        .testTarget(name: "ConvexHullsTests", dependencies: ["ConvexHulls"]),
        .testTarget(name: "LayerFormatsTests", dependencies: ["PythonFixtures", "LayerFormats"]),
        .testTarget(
            name: "UnargmaxableTests", dependencies: ["Unargmaxable", "ConvexHulls", "LayerFormats", "Checksums"]),
        .testTarget(name: "ModelFormatsTests", dependencies: ["PythonFixtures", "ModelFormats", "LayerFormats"]),
        .testTarget(name: "VocabulariesTests", dependencies: ["PythonFixtures", "Vocabularies"]),
        .testTarget(
            name: "OutputHeadsTests", dependencies: ["PythonFixtures", "OutputHeads", "ModelFormats", "LayerFormats"]),
        // hub_server.py, the Hub stand-in, is run by these tests and by a CLI cross-check (not a resource).
        .testTarget(
            name: "ModelHubTests", dependencies: ["PythonFixtures", "ModelHub", "Checksums"], exclude: ["hub_server.py"]
        ),
        .testTarget(
            name: "LayerStudiesTests",
            dependencies: ["PythonFixtures", "LayerStudies", "Unargmaxable", "LayerFormats", "ConvexHulls"]),
        .testTarget(
            name: "ClassGeometryTests",
            dependencies: ["ClassGeometry", "Unargmaxable", "ConvexHulls", "BraidArrangements", "ExactArithmetic"]),
        .testTarget(
            name: "BraidArrangementsTests", dependencies: ["BraidArrangements", "RegionCounting", "ExactArithmetic"]),
        .testTarget(
            name: "RankDepthTests",
            dependencies: ["RankDepth", "Unargmaxable", "LinearProgramming", "ExactArithmetic"]),
        .testTarget(
            name: "SigmoidLayersTests",
            dependencies: ["SigmoidLayers", "Unargmaxable", "LinearProgramming", "ExactArithmetic"]),
        .testTarget(name: "ResultsDatabaseTests", dependencies: ["PythonFixtures", "ResultsDatabase"]),
        .testTarget(
            name: "ResultFilesTests",
            dependencies: ["PythonFixtures", "ResultFiles", "Unargmaxable", "LayerFormats", "JSONDocuments"]),
        // Replays Tests/FuzzCorpus and Tests/FuzzRegressions through the fuzz targets.
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"]),
    ]
)
