// rnn-benchmark: times forward passes of TorchNN's RNN, LSTM, LSTM with projections
// and GRU through the public API, over a matrix of configurations (Matrix.swift).
//
//   swift build -c release --product rnn-benchmark
//   .build/release/rnn-benchmark [--set named|standard|full] [--filter TEXT] [--json]
//                                [--iterations N] [--list] [--no-kernel] [--kernel-only]
//
// --list prints the selected configurations as JSON lines (tools/bench_torch.py
// reads them, so both sides run exactly the same matrix); --json prints one JSON
// object per configuration instead of the table. Unless --no-kernel is given, the
// run ends with the step kernel's GFLOP/s on one thread for B ≥ 16 against the
// measured FMA peak of one core (--kernel-only: just that).

import Foundation
@_spi(Benchmark) import TorchNN
import TorchCheckpoint

// MARK: - Options

var iterations = 15
var json = false
var listOnly = false
var kernelReport = true
var kernelOnly = false
var set = "standard"
var filters: [String] = []
var linearShape: (M: Int, N: Int, K: Int)?
var arguments = CommandLine.arguments.dropFirst()

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

while let argument = arguments.popFirst() {
    switch argument {
    case "--json": json = true
    case "--list": listOnly = true
    case "--no-kernel": kernelReport = false
    case "--kernel-only": kernelOnly = true
    case "--linear":
        // M,N,K: times Linear(K → N) over an (M, K) input (the input projection's shape) and exits.
        guard let value = arguments.popFirst(), case let sizes = value.split(separator: ",").compactMap({ Int($0) }),
              sizes.count == 3, sizes.allSatisfy({ $0 > 0 }) else { fail("--linear needs M,N,K (positive integers)") }
        linearShape = (sizes[0], sizes[1], sizes[2])
    case "--iterations":
        guard let value = arguments.popFirst().flatMap(Int.init), value > 0 else { fail("--iterations needs a positive integer") }
        iterations = value
    case "--set":
        guard let value = arguments.popFirst(), ["named", "standard", "full"].contains(value) else {
            fail("--set needs named, standard or full")
        }
        set = value
    case "--filter":
        guard let value = arguments.popFirst() else { fail("--filter needs a text") }
        filters.append(value)
    default:
        fail("usage: rnn-benchmark [--set named|standard|full] [--filter TEXT]... [--json] [--iterations N] [--list] [--no-kernel] [--kernel-only]")
    }
}

if let (M, N, K) = linearShape {
    let linear = try Linear(inputFeatures: K, outputFeatures: N, seed: 1)
    var generator = SeededGenerator(seed: 2)
    let x = try FloatTensor(shape: [M, K], scalars: (0..<M * K).map { _ in Float.random(in: -1...1, using: &generator) })
    let (median, minimum, _) = try measure(iterations: iterations) { try linear(x).scalars[0] }
    print(String(format: "Linear M=%d N=%d K=%d (%@, OpenBLAS %@): median %.3f ms, min %.3f ms, %.1f GFLOP/s at the median",
                 M, N, K, KernelVariant.active.rawValue, KernelVariant.openBLASCore, median, minimum,
                 2 * Double(M * N * K) / median / 1e6))
    exit(0)
}

let selected = matrix(set).filter { config in filters.isEmpty || filters.contains { config.name.contains($0) } }
if selected.isEmpty { fail("no configuration matches") }

if listOnly {
    for config in selected { print(config.jsonLine) }
    exit(0)
}

// MARK: - Run

let machine = "cpu: \(cpuModel()), TorchNN kernel: \(KernelVariant.active), OpenBLAS core: \(KernelVariant.openBLASCore)"
if json {
    print("{\"machine\": \"\(machine)\", \"kernel\": \"\(KernelVariant.active)\", \"openblas_core\": \"\(KernelVariant.openBLASCore)\"}")
} else {
    print(machine)
    if !kernelOnly { print("name".padding(toLength: 34, withPad: " ", startingAt: 0) + "  median ms     min ms  iterations") }
}
for config in selected where !kernelOnly {
    let forward = try makeForward(config)
    let (median, minimum, count) = try measure(iterations: iterations, forward)
    if json {
        print(config.jsonLine(median: median, minimum: minimum))
    } else {
        print(config.name.padding(toLength: 34, withPad: " ", startingAt: 0)
            + String(format: "  %9.3f  %9.3f  %d", median, minimum, count))
    }
}

if kernelReport {
    // The peak is measured before and after the step kernel (the better one is kept), so
    // that a burst of load from elsewhere does not make the ratio look better than it is.
    var peak = KernelBenchmark.fmaPeakGFLOPS()
    var results: [(module: String, B: Int, H: Int, gflops: Double)] = []
    for module in ["LSTM", "GRU"] {
        for (B, H) in [(16, 256), (16, 512), (64, 256), (64, 512), (16, 1024)] {
            results.append((module, B, H, KernelBenchmark.stepGFLOPS(module: module, batch: B, hidden: H)))
        }
    }
    peak = max(peak, KernelBenchmark.fmaPeakGFLOPS())
    // For reference, the nominal peak: 2 FMA units × lanes × 2 flops per cycle at the
    // clock /proc/cpuinfo reports (a virtual machine shows the base clock; turbo is higher).
    let lanes = KernelVariant.active == .avx512 ? 16 : KernelVariant.active == .avx2 ? 8 : 4
    let megahertz = cpuMegahertz()
    let nominal = Double(2 * lanes * 2) * megahertz / 1000
    if !json {
        print("\nstep kernel on one thread (\(KernelVariant.active)), measured FMA peak of one core: \(String(format: "%.1f", peak)) GFLOP/s"
            + String(format: " (nominal: %d flops/cycle × %.2f GHz = %.1f)", 4 * lanes, megahertz / 1000, nominal))
    }
    for result in results {
        if json {
            print("{\"step_kernel\": \"\(result.module)\", \"B\": \(result.B), \"H\": \(result.H), "
                + "\"gflops\": \(String(format: "%.1f", result.gflops)), \"peak_gflops\": \(String(format: "%.1f", peak)), "
                + "\"nominal_peak_gflops\": \(String(format: "%.1f", nominal)), "
                + "\"kernel\": \"\(KernelVariant.active)\"}")
        } else {
            print(String(format: "  %@ B=%-3d H=%-4d %6.1f GFLOP/s = %4.1f%% of peak",
                         result.module, result.B, result.H, result.gflops, 100 * result.gflops / peak))
        }
    }
}

/// The first "cpu MHz" of /proc/cpuinfo, or 0.
func cpuMegahertz() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu MHz") }),
          let colon = line.firstIndex(of: ":") else { return 0 }
    return Double(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)) ?? 0
}

/// The "model name" line of /proc/cpuinfo, or "unknown".
func cpuModel() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let colon = line.firstIndex(of: ":") else { return "unknown" }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
}
