// rnn-benchmark: times full forward passes of TorchNN's LSTM, GRU and RNN(tanh).
//
//   swift build -c release --scratch-path .build-bench --product rnn-benchmark
//   .build-bench/release/rnn-benchmark [--iterations N] [--json] [--module LSTM|GRU|RNN] [--config INDEX]
//
// --module and --config (an index into `configs`) run a subset, e.g. under a profiler.
//
// tools/bench_torch.py runs the same configurations in PyTorch and prints the
// same JSON lines, so the two outputs can be compared line by line.

import Foundation
import TorchCheckpoint
import TorchNN

struct Config {
    var T: Int, B: Int, I: Int, H: Int, layers: Int, bidirectional: Bool
}

// Keep in sync with CONFIGS in tools/bench_torch.py.
let configs = [
    Config(T: 100, B: 1, I: 64, H: 128, layers: 1, bidirectional: false),
    Config(T: 100, B: 32, I: 64, H: 256, layers: 2, bidirectional: false),
    Config(T: 50, B: 16, I: 128, H: 512, layers: 1, bidirectional: true),
]
let modules = ["LSTM", "GRU", "RNN"]
let warmup = 3

// MARK: - Options

var iterations = 15
var json = false
var onlyModule: String?
var onlyConfig: Int?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--json":
        json = true
    case "--iterations":
        guard let value = arguments.popFirst().flatMap(Int.init), value > 0 else {
            FileHandle.standardError.write(Data("--iterations needs a positive integer\n".utf8))
            exit(2)
        }
        iterations = value
    case "--module":
        guard let value = arguments.popFirst(), modules.contains(value) else {
            FileHandle.standardError.write(Data("--module needs one of \(modules.joined(separator: ", "))\n".utf8))
            exit(2)
        }
        onlyModule = value
    case "--config":
        guard let value = arguments.popFirst().flatMap(Int.init), configs.indices.contains(value) else {
            FileHandle.standardError.write(Data("--config needs an index in 0..<\(configs.count)\n".utf8))
            exit(2)
        }
        onlyConfig = value
    default:
        FileHandle.standardError.write(Data("usage: rnn-benchmark [--iterations N] [--json] [--module LSTM|GRU|RNN] [--config INDEX]\n".utf8))
        exit(2)
    }
}

// MARK: - Timing

/// Median and minimum milliseconds of `iterations` calls, after `warmup` untimed calls.
func measure(iterations: Int, _ body: () throws -> Float) rethrows -> (median: Double, min: Double) {
    var sink: Float = 0
    for _ in 0..<warmup { sink += try body() }
    let clock = ContinuousClock()
    var times: [Double] = []
    for _ in 0..<iterations {
        let start = clock.now
        sink += try body()
        let elapsed = clock.now - start
        times.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
    }
    // Using the outputs keeps the optimiser from dropping the calls.
    if sink.isNaN { FileHandle.standardError.write(Data("warning: NaN in outputs\n".utf8)) }
    times.sort()
    let n = times.count
    let median = n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2
    return (median, times[0])
}

// MARK: - Run

var generator = SeededGenerator(seed: 0)
if !json {
    print("module  T    B    I    H    layers  bidir  median ms     min ms  (\(iterations) iterations, \(warmup) warm-up)")
}
for (index, config) in configs.enumerated() where onlyConfig == nil || onlyConfig == index {
    let input = try FloatTensor(
        shape: [config.T, config.B, config.I],
        scalars: (0..<config.T * config.B * config.I).map { _ in Float.random(in: -1...1, using: &generator) })
    for module in modules where onlyModule == nil || onlyModule == module {
        let forward: () throws -> Float
        switch module {
        case "LSTM":
            let layer = try LSTM(inputSize: config.I, hiddenSize: config.H, numLayers: config.layers,
                                 bidirectional: config.bidirectional, seed: 1)
            forward = { try layer(input).output.scalars[0] }
        case "GRU":
            let layer = try GRU(inputSize: config.I, hiddenSize: config.H, numLayers: config.layers,
                                bidirectional: config.bidirectional, seed: 1)
            forward = { try layer(input).output.scalars[0] }
        default:
            let layer = try RNN(inputSize: config.I, hiddenSize: config.H, numLayers: config.layers,
                                nonlinearity: .tanh, bidirectional: config.bidirectional, seed: 1)
            forward = { try layer(input).output.scalars[0] }
        }
        let (median, minimum) = try measure(iterations: iterations, forward)
        if json {
            print("{\"module\": \"\(module)\", \"T\": \(config.T), \"B\": \(config.B), \"I\": \(config.I), "
                + "\"H\": \(config.H), \"layers\": \(config.layers), \"bidirectional\": \(config.bidirectional), "
                + "\"median_ms\": \(String(format: "%.3f", median)), \"min_ms\": \(String(format: "%.3f", minimum))}")
        } else {
            let bidirectional = config.bidirectional ? "yes  " : "no   "
            print(module.padding(toLength: 6, withPad: " ", startingAt: 0)
                + String(format: "  %-3d  %-3d  %-3d  %-3d  %-6d  ", config.T, config.B, config.I, config.H, config.layers)
                + bidirectional + String(format: "  %9.3f  %9.3f", median, minimum))
        }
    }
}
