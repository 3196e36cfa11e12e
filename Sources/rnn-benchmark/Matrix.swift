import Foundation
import TorchCheckpoint
import TorchNN

/// One benchmark configuration. `tools/bench_torch.py` reads these (from `--list`)
/// and runs the same forward passes in torch.
struct Config {
    /// "RNN" (tanh), "LSTM", "LSTMP" (LSTM with proj_size = H/4) or "GRU".
    var module: String
    var T = 100, B: Int, I: Int, H: Int
    var layers = 1
    var bidirectional = false
    var batchFirst = false
    /// Per-row lengths spread over T/2 ... T (`lengths`; torch: a packed sequence).
    var variableLengths = false
    /// T calls of one step each through a stream (torch: T calls carrying the state).
    var streaming = false

    var projSize: Int { module == "LSTMP" ? max(1, H / 4) : 0 }

    var name: String {
        "\(module) L\(layers)\(bidirectional ? " bi" : "") I\(I) H\(H) B\(B) T\(T)"
            + (batchFirst ? " bf" : "") + (variableLengths ? " var" : "") + (streaming ? " stream" : "")
    }

    /// B lengths from T down towards T/2 (the first is T), or nil for full lengths.
    var lengths: [Int]? {
        guard variableLengths, B > 1 else { return nil }
        return (0..<B).map { T - $0 * T / (2 * B) }
    }

    var jsonFields: String {
        "\"name\": \"\(name)\", \"module\": \"\(module)\", \"T\": \(T), \"B\": \(B), \"I\": \(I), \"H\": \(H), "
            + "\"proj_size\": \(projSize), \"layers\": \(layers), \"bidirectional\": \(bidirectional), "
            + "\"batch_first\": \(batchFirst), \"lengths\": \(lengths.map { "\($0)" } ?? "null"), \"streaming\": \(streaming)"
    }

    var jsonLine: String { "{\(jsonFields)}" }

    func jsonLine(median: Double, minimum: Double) -> String {
        "{\(jsonFields), \"median_ms\": \(String(format: "%.3f", median)), \"min_ms\": \(String(format: "%.3f", minimum))}"
    }
}

/// The workloads issue 9 names (a speaker encoder, the large single-layer cases, ...).
let namedConfigs: [Config] = [
    Config(module: "LSTM", T: 160, B: 4, I: 40, H: 256, layers: 3, batchFirst: true),
    Config(module: "LSTM", B: 16, I: 512, H: 512),
    Config(module: "LSTM", B: 1, I: 512, H: 512),
    Config(module: "GRU", B: 16, I: 512, H: 512),
    Config(module: "LSTM", B: 8, I: 80, H: 320, layers: 2, bidirectional: true),
    Config(module: "RNN", B: 64, I: 256, H: 256),
    Config(module: "LSTM", B: 1, I: 256, H: 256, streaming: true),
]

let allModules = ["RNN", "LSTM", "LSTMP", "GRU"]

/// The selected matrix.
/// - named: the issue's workloads only.
/// - standard (default): those plus a representative cut through the cross product
///   (T = 100, I = H): every module over B ∈ {1, 4, 16, 64} at H = 256; H ∈ {128, 1024}
///   at B = 1 and 16 (LSTM, GRU) or B = 4 and 16 (RNN, LSTMP); 3 layers; bidirectional;
///   variable lengths; streaming.
/// - full: the whole cross product module × B × H × {1, 3} layers × {uni, bi}
///   (256 configurations, slow), plus the named ones.
func matrix(_ set: String) -> [Config] {
    var list = namedConfigs
    if set == "named" { return list }
    if set == "full" {
        for module in allModules {
            for B in [1, 4, 16, 64] {
                for H in [128, 256, 512, 1024] {
                    for layers in [1, 3] {
                        for bidirectional in [false, true] {
                            list.append(Config(module: module, B: B, I: H, H: H, layers: layers, bidirectional: bidirectional))
                        }
                    }
                }
            }
        }
        return unique(list)
    }
    for module in allModules {
        for B in [1, 4, 16, 64] { list.append(Config(module: module, B: B, I: 256, H: 256)) }
        let small = module == "LSTM" || module == "GRU" ? 1 : 4
        for H in [128, 1024] {
            list.append(Config(module: module, B: 16, I: H, H: H))
            list.append(Config(module: module, B: small, I: H, H: H))
        }
        list.append(Config(module: module, B: 16, I: 256, H: 256, layers: 3))
        list.append(Config(module: module, B: 16, I: 256, H: 256, bidirectional: true))
    }
    list += [
        Config(module: "LSTM", B: 4, I: 256, H: 256, layers: 3, bidirectional: true),
        Config(module: "LSTM", B: 16, I: 256, H: 256, bidirectional: true, variableLengths: true),
        Config(module: "GRU", B: 4, I: 512, H: 512, variableLengths: true),
        Config(module: "LSTMP", B: 16, I: 256, H: 256, layers: 2, variableLengths: true),
        Config(module: "GRU", B: 1, I: 256, H: 256, streaming: true),
        Config(module: "RNN", B: 1, I: 256, H: 256, streaming: true),
        Config(module: "LSTM", B: 4, I: 512, H: 512, streaming: true),
    ]
    return unique(list)
}

private func unique(_ list: [Config]) -> [Config] {
    var seen = Set<String>()
    return list.filter { seen.insert($0.name).inserted }
}

// MARK: - Forward passes

/// A closure running one timed forward pass of `config` (returns a value of the output
/// so the optimiser keeps the call).
func makeForward(_ config: Config) throws -> () throws -> Float {
    var generator = SeededGenerator(seed: 0)
    let shape = config.batchFirst ? [config.B, config.T, config.I] : [config.T, config.B, config.I]
    let input = try FloatTensor(shape: shape, scalars: (0..<config.T * config.B * config.I).map { _ in
        Float.random(in: -1...1, using: &generator)
    })
    let layer: RecurrentModule
    let makeStream: (Int) throws -> RecurrentStream
    switch config.module {
    case "LSTM", "LSTMP":
        let lstm = try LSTM(inputSize: config.I, hiddenSize: config.H, numLayers: config.layers,
                            batchFirst: config.batchFirst, bidirectional: config.bidirectional,
                            projSize: config.projSize, seed: 1)
        layer = .lstm(lstm)
        makeStream = { try lstm.makeStream(batchSize: $0) }
    case "GRU":
        let gru = try GRU(inputSize: config.I, hiddenSize: config.H, numLayers: config.layers,
                          batchFirst: config.batchFirst, bidirectional: config.bidirectional, seed: 1)
        layer = .gru(gru)
        makeStream = { try gru.makeStream(batchSize: $0) }
    default:
        let rnn = try RNN(inputSize: config.I, hiddenSize: config.H, numLayers: config.layers, nonlinearity: .tanh,
                          batchFirst: config.batchFirst, bidirectional: config.bidirectional, seed: 1)
        layer = .rnn(rnn)
        makeStream = { try rnn.makeStream(batchSize: $0) }
    }
    if config.streaming {
        // T chunks of one step, (1, B, I) each (B, 1, I) batch-first, made before timing.
        let chunks = try (0..<config.T).map { t in
            try FloatTensor(shape: config.batchFirst ? [config.B, 1, config.I] : [1, config.B, config.I],
                        scalars: (0..<config.B * config.I).map { input.scalars[(t * config.B * config.I + $0) % input.scalars.count] })
        }
        return {
            var stream = try makeStream(config.B)
            var sink: Float = 0
            for chunk in chunks { sink += try stream.feed(chunk).scalars[0] }
            return sink
        }
    }
    let lengths = config.lengths
    return { try layer(input, lengths: lengths).output.scalars[0] }
}

// MARK: - Timing

let warmup = 2
/// A configuration stops early (after at least 3 timed calls) once this much time is spent.
let budgetSeconds = 2.0

/// Median and minimum milliseconds and the number of timed calls, after `warmup` untimed calls.
func measure(iterations: Int, _ body: () throws -> Float) rethrows -> (median: Double, min: Double, count: Int) {
    var sink: Float = 0
    for _ in 0..<warmup { sink += try body() }
    let clock = ContinuousClock()
    var times: [Double] = []
    var total = 0.0
    while times.count < iterations && (times.count < 3 || total < budgetSeconds) {
        let start = clock.now
        sink += try body()
        let elapsed = clock.now - start
        let ms = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15
        times.append(ms)
        total += ms / 1e3
    }
    if sink.isNaN { FileHandle.standardError.write(Data("warning: NaN in outputs\n".utf8)) }
    times.sort()
    let n = times.count
    let median = n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2
    return (median, times[0], n)
}
