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
//
// Data flows one way: TorchTensor (tensors, shapes, the TensorSource protocol;
// no C dependency) ← TorchCheckpoint (readers and writers, libzip) and
// ← TorchNN (layers and modules, OpenBLAS); TorchParity (golden fixtures)
// builds on both. TorchNN does not need libzip.
let libraries: [Target] = [
    .target(name: "TorchTensor"),
    // CRC-32 with carry-less multiplication for checking stored records at
    // memory speed; compiled without flags, the x86 code carries its own
    // target attribute and runs only after a CPUID check.
    .target(name: "CChecksum"),
    // The packed recurrent-step and matrix kernels, in plain C: each instruction-set
    // variant is selected per function with `__attribute__((target(...)))` and chosen
    // at run time from CPUID, so the target needs no compiler flag.
    .target(name: "CRecurrentKernels"),
    .target(
        name: "TorchCheckpoint",
        dependencies: ["TorchTensor", "CZip", "CChecksum"]
    ),
    .target(
        name: "TorchNN",
        dependencies: ["TorchTensor", "COpenBLAS", "CRecurrentKernels"]
    ),
    // Parity with PyTorch for CI: golden fixtures and tensor comparisons. Reads
    // .pt / safetensors files (TorchCheckpoint) and runs layers (TorchNN).
    .target(
        name: "TorchParity",
        dependencies: ["TorchTensor", "TorchCheckpoint", "TorchNN"]
    ),
]

// MARK: - Command-line tool
let tools: [Target] = [
    .executableTarget(
        name: "ptconvert",
        dependencies: [
            "TorchCheckpoint",
            "TorchNN",
            "TorchParity",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    // Example models: public API only (see "Build a model" in TorchNN's documentation).
    .executableTarget(
        name: "speaker-embed",
        dependencies: ["TorchNN", "TorchCheckpoint", .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    .executableTarget(
        name: "g2p-decode",
        dependencies: ["TorchNN", "TorchCheckpoint", .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    .executableTarget(name: "rnn-benchmark", dependencies: ["TorchNN", "TorchCheckpoint"], path: "Sources/rnn-benchmark"),
    // Opens a checkpoint and reads every element; tools/bench_load.sh compares it with torch.
    .executableTarget(name: "load-benchmark", dependencies: ["TorchCheckpoint"], path: "Sources/load-benchmark"),
]

// MARK: - Examples
let examples: [Target] = [
    // Text generation with the model tools/train_charlm.py trains (fixtures/charlm/).
    .executableTarget(
        name: "charlm",
        dependencies: [
            "TorchCheckpoint",
            "TorchNN",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
]

// MARK: - Tests
let tests: [Target] = [
    .testTarget(name: "TorchTensorTests", dependencies: ["TorchTensor", "TorchCheckpoint"]),
    .testTarget(name: "TorchCheckpointTests", dependencies: ["TorchCheckpoint"]),
    .testTarget(name: "TorchNNTests", dependencies: ["TorchNN", "TorchCheckpoint"]),
    .testTarget(name: "TorchParityTests", dependencies: ["TorchParity", "TorchNN", "TorchCheckpoint"]),
    // Runs the built programs: ptconvert and the example models.
    .testTarget(name: "PTConvertTests", dependencies: ["ptconvert", "peak-memory", "speaker-embed", "g2p-decode", "TorchCheckpoint"]),
    .testTarget(name: "CharLMTests", dependencies: ["charlm", "ptconvert", "TorchCheckpoint", "TorchNN", "TorchTensor", "TorchParity"]),
    // Runs one program and reports its own peak memory and CPU time (see its header).
    .executableTarget(name: "peak-memory", path: "Tests/Tools/peak-memory"),
]

let package = Package(
    name: "TorchRecurrent",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "TorchTensor", targets: ["TorchTensor"]),
        .library(name: "TorchCheckpoint", targets: ["TorchCheckpoint"]),
        .library(name: "TorchNN", targets: ["TorchNN"]),
        .library(name: "TorchParity", targets: ["TorchParity"]),
        .executable(name: "ptconvert", targets: ["ptconvert"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: systemLibraries + libraries + tools + examples + tests,
    swiftLanguageModes: [.v6]
)
