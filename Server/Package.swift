// swift-tools-version: 6.1
// `unargmax-serve`: the results database as a read-only JSON API and an HTML page, on Hummingbird.
// A package of its own beside the root one, so that the root's `swift build` (and `make demo`) neither
// resolves nor builds Hummingbird and SwiftNIO; `make serve` builds this one.
import PackageDescription

let package = Package(
    name: "UnargmaxServer",
    products: [
        .executable(name: "unargmax-serve", targets: ["unargmax-serve"]),
        .library(name: "ResultsAPI", targets: ["ResultsAPI"]),
    ],
    dependencies: [
        // The root package, for its ResultsDatabase library.
        .package(name: "Unargmaxable", path: ".."),
        // No default traits: the server needs neither swift-configuration nor the full-Foundation extras.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        // The routes as plain functions of (method, path, query) → response: no HTTP library, testable alone.
        .target(name: "ResultsAPI", dependencies: [.product(name: "ResultsDatabase", package: "Unargmaxable")]),
        .executableTarget(
            name: "unargmax-serve",
            dependencies: [
                "ResultsAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(
            name: "ResultsAPITests",
            dependencies: ["ResultsAPI", .product(name: "ResultsDatabase", package: "Unargmaxable")]),
    ]
)
