// swift-tools-version:6.1
import PackageDescription

/// SwiftBus micro-benchmarks: DBusWire's encode and decode paths, timed and with malloc
/// counts. A package of its own so the main package and CI never build the benchmark
/// harness. Run: `swift package benchmark` in this folder.
let package = Package(
    name: "SwiftBusMicroBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "SwiftBus", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DBusWire", package: "SwiftBus"),
            ],
            path: "Benchmarks/WireBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
