// swift-tools-version: 6.0
import PackageDescription

// MARK: - System libraries
//
// libzip reads and writes the zip container of torch.save checkpoints;
// OpenBLAS runs the GEMMs of the recurrent layers. Both come from Debian
// (`libzip-dev`, `libopenblas-dev`) and are found through pkg-config, so no
// absolute path or unsafe flag ends up in this manifest.
let systemLibraries: [Target] = [
    .systemLibrary(
        name: "CZip",
        pkgConfig: "libzip",
        providers: [.apt(["libzip-dev"])]
    ),
    .systemLibrary(
        name: "COpenBLAS",
        pkgConfig: "openblas",
        providers: [.apt(["libopenblas-dev"])]
    ),
]

// MARK: - Libraries
let libraries: [Target] = [
    // The packed recurrent-step and matrix kernels, in plain C: each instruction-set
    // variant is selected per function with `__attribute__((target(...)))` and chosen
    // at run time from CPUID, so the target needs no compiler flag.
    .target(name: "CRecurrentKernels"),
    .target(
        name: "TorchCheckpoint",
        dependencies: ["CZip"]
    ),
    .target(
        name: "TorchNN",
        dependencies: ["TorchCheckpoint", "COpenBLAS", "CRecurrentKernels"]
    ),
]

// MARK: - Command-line tool
let tools: [Target] = [
    .executableTarget(
        name: "ptconvert",
        dependencies: [
            "TorchCheckpoint",
            "TorchNN",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .executableTarget(name: "rnn-benchmark", dependencies: ["TorchNN", "TorchCheckpoint"], path: "Sources/rnn-benchmark"),
]

// MARK: - Tests
let tests: [Target] = [
    .testTarget(name: "TorchCheckpointTests", dependencies: ["TorchCheckpoint"]),
    .testTarget(name: "TorchNNTests", dependencies: ["TorchNN", "TorchCheckpoint"]),
    .testTarget(name: "PTConvertTests", dependencies: ["ptconvert", "TorchCheckpoint"]),
]

let package = Package(
    name: "TorchRecurrent",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "TorchCheckpoint", targets: ["TorchCheckpoint"]),
        .library(name: "TorchNN", targets: ["TorchNN"]),
        .executable(name: "ptconvert", targets: ["ptconvert"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: systemLibraries + libraries + tools + tests,
    swiftLanguageModes: [.v6]
)
