import Foundation
import Testing
import TorchCheckpoint
@testable import TorchNN

/// Every kernel variant this CPU supports against the portable one. Variants are chosen
/// with `KernelVariant.withVariant`, which holds for the test's own task only: the
/// process-wide choice, which other suites running meanwhile use, never changes (a
/// global switch here once made another suite's exact comparison of two runs fail).
@Suite("Kernel variants")
struct KernelVariantTests {
    /// The variants compared against portable (portable itself is covered by the goldens).
    static let accelerated = KernelVariant.supported.filter { $0 != .portable }

    @Test("the portable variant is always supported; the active one is supported")
    func supportedVariants() {
        #expect(KernelVariant.supported.first == .portable)
        #expect(KernelVariant.active.isSupported)
        #expect(KernelVariant.supported.contains(KernelVariant.best))
        #expect(!KernelVariant.openBLASCore.isEmpty)
    }

    @Test("selecting an unsupported variant is a typed error and changes nothing")
    func unsupportedSelection() throws {
        let before = KernelVariant.active
        for variant in KernelVariant.allCases where !variant.isSupported {
            #expect(throws: KernelVariantError.unsupported(variant)) { try KernelVariant.select(variant) }
            #expect(throws: KernelVariantError.unsupported(variant)) {
                try KernelVariant.withVariant(variant) { Issue.record("ran the body of an unsupported variant") }
            }
            #expect(KernelVariant.active == before)
        }
        // Re-selecting the process-wide variant in force changes nothing for other suites.
        try KernelVariant.select(before)
        #expect(KernelVariant.active == before)
    }

    @Test("withVariant holds inside its closure only, nested and on this task alone")
    func scopedSelection() async throws {
        let before = KernelVariant.active
        for variant in KernelVariant.supported {
            try KernelVariant.withVariant(variant) {
                #expect(KernelVariant.active == variant)
                try KernelVariant.withVariant(.portable) { #expect(KernelVariant.active == .portable) }
                #expect(KernelVariant.active == variant)
            }
            #expect(KernelVariant.active == before)
        }
        // A detached task does not inherit the scope; a child task does.
        await KernelVariant.$scoped.withValue(.portable) {
            #expect(await Task.detached { KernelVariant.active }.value == before)
            #expect(await Task { KernelVariant.active }.value == .portable)
        }
    }

    @Test("TORCHNN_KERNEL: a supported name is honoured; anything else falls back to the best with a note")
    func environmentValue() {
        for variant in KernelVariant.supported {
            let resolved = KernelVariant.resolve(environmentValue: variant.rawValue)
            #expect(resolved.variant == variant && resolved.note == nil)
        }
        for absent in [nil, ""] as [String?] {
            let resolved = KernelVariant.resolve(environmentValue: absent)
            #expect(resolved.variant == KernelVariant.best && resolved.note == nil)
        }
        for bad in ["AVX512", "sse", " avx2", "avx512 ", String(repeating: "x", count: 500), "é\u{0}"] {
            let resolved = KernelVariant.resolve(environmentValue: bad)
            #expect(resolved.variant == KernelVariant.best)
            #expect(resolved.note?.contains("is not one of portable, avx2, avx512; ignored, using \(KernelVariant.best)") == true,
                    "\(resolved.note ?? "no note")")
        }
        for variant in KernelVariant.allCases where !variant.isSupported {
            let resolved = KernelVariant.resolve(environmentValue: variant.rawValue)
            #expect(resolved.variant == KernelVariant.best)
            #expect(resolved.note?.contains("not supported by this CPU") == true)
        }
    }

    /// Odd sizes: H = 1, H below, at and past a vector, not a multiple of 16; B = 1 and
    /// batches that leave partial row blocks; projections, directions, lengths, layers.
    struct Shape: CustomTestStringConvertible, Sendable {
        var module: String
        var I: Int, H: Int, B: Int
        var layers = 1, bidirectional = false, proj = 0, lengths: [Int]? = nil, steps = 6
        var testDescription: String {
            "\(module) I\(I) H\(H) B\(B) T\(steps) L\(layers)\(bidirectional ? " bi" : "")\(proj > 0 ? " P\(proj)" : "")\(lengths != nil ? " lengths" : "")"
        }
    }

    static let shapes: [Shape] = [
        Shape(module: "LSTM", I: 1, H: 1, B: 1),
        Shape(module: "LSTM", I: 3, H: 5, B: 7),
        Shape(module: "LSTM", I: 19, H: 37, B: 13, layers: 2, bidirectional: true, proj: 11, lengths: [5, 1, 3, 6, 2, 6, 4, 5, 1, 2, 3, 6, 6]),
        Shape(module: "LSTM", I: 16, H: 100, B: 1, proj: 33),
        Shape(module: "GRU", I: 2, H: 1, B: 1),
        Shape(module: "GRU", I: 9, H: 17, B: 8, layers: 2),
        Shape(module: "GRU", I: 24, H: 40, B: 5, bidirectional: true, lengths: [6, 2, 5, 1, 6]),
        Shape(module: "RNN", I: 4, H: 1, B: 3),
        Shape(module: "RNN", I: 7, H: 33, B: 6, layers: 3),
        Shape(module: "RNN-relu", I: 5, H: 65, B: 2, bidirectional: true, lengths: [6, 3]),
        Shape(module: "LSTM", I: 64, H: 129, B: 19),
        // From B = 16 RNN and LSTM steps take x_t and h in one product (InputPlan.fused).
        Shape(module: "LSTM", I: 10, H: 23, B: 17, layers: 2, bidirectional: true, proj: 7,
              lengths: [6, 1, 3, 6, 2, 5, 4, 6, 1, 2, 3, 6, 5, 4, 6, 2, 1]),
        Shape(module: "RNN-relu", I: 9, H: 47, B: 16, layers: 2, bidirectional: true),
        // From B = 8 (GRU; RNN and LSTM below 16) projections come in chunks of ~192 rows:
        // T long enough for several, in both directions.
        Shape(module: "GRU", I: 11, H: 21, B: 9, bidirectional: true, steps: 50),
        Shape(module: "LSTM", I: 7, H: 19, B: 10, layers: 2, bidirectional: true, proj: 5, steps: 45),
    ]

    /// The reverse direction of a bidirectional layer runs on the helper thread, where the
    /// task-local choice is not visible: every kernel job it uses (its chunked input
    /// projections too) must be made on the caller's task. Run once with the helper free
    /// and once with it held (both directions then run here), the bits must agree.
    @Test("withVariant reaches the helper thread: chunked bidirectional GRU, helper free or held, same bits")
    func variantOnHelperThread() throws {
        let gru = try GRU(inputSize: 7, hiddenSize: 13, bidirectional: true, seed: 8)
        var factory = TensorFactory(seed: 94)
        let input = factory.uniform([40, 9, 7], scale: 2)  // B = 9: chunked projections
        for variant in KernelVariant.supported {
            let free = try KernelVariant.withVariant(variant) { try gru(input) }
            let held = claimWorker()
            defer { held?.release() }
            let serial = try KernelVariant.withVariant(variant) { try gru(input) }
            #expect(free.output == serial.output, "\(variant): output")
            #expect(free.hN == serial.hN, "\(variant): h_n")
        }
    }

    @Test("layers: each variant matches portable (odd sizes, B = 1, H = 1)", arguments: accelerated, shapes)
    func layers(_ variant: KernelVariant, _ shape: Shape) throws {
        let steps = shape.steps
        var factory = TensorFactory(seed: UInt64(shape.H * 31 + shape.B))
        let input = factory.uniform([steps, shape.B, shape.I], scale: 2)
        let stateCount = shape.layers * (shape.bidirectional ? 2 : 1)
        let h0 = factory.uniform([stateCount, shape.B, shape.proj > 0 ? shape.proj : shape.H])
        let c0 = factory.uniform([stateCount, shape.B, shape.H])
        let module: RecurrentModule
        switch shape.module {
        case "LSTM":
            module = .lstm(try LSTM(inputSize: shape.I, hiddenSize: shape.H, numLayers: shape.layers,
                                    bidirectional: shape.bidirectional, projSize: shape.proj, seed: 5))
        case "GRU":
            module = .gru(try GRU(inputSize: shape.I, hiddenSize: shape.H, numLayers: shape.layers,
                                  bidirectional: shape.bidirectional, seed: 6))
        default:
            module = .rnn(try RNN(inputSize: shape.I, hiddenSize: shape.H, numLayers: shape.layers,
                                  nonlinearity: shape.module == "RNN" ? .tanh : .relu,
                                  bidirectional: shape.bidirectional, seed: 7))
        }
        func run() throws -> RecurrentOutput {
            try module.run(input, h0: h0, c0: shape.module == "LSTM" ? c0 : nil, lengths: shape.lengths)
        }
        let reference = try KernelVariant.withVariant(.portable, run)
        let result = try KernelVariant.withVariant(variant, run)
        expectClose(result.output, reference.output, tolerance: 2e-5, "output")
        expectClose(result.hN, reference.hN, tolerance: 2e-5, "h_n")
        if let c = reference.cN { expectClose(try #require(result.cN), c, tolerance: 2e-5, "c_n") }
        // Padded steps stay exactly zero under every variant.
        if let lengths = shape.lengths {
            let features = result.output.shape[2]
            for (b, length) in lengths.enumerated() where length < steps {
                for t in length..<steps {
                    let start = (t * shape.B + b) * features
                    #expect(result.output.scalars[start..<start + features].allSatisfy { $0 == 0 })
                }
            }
        }
    }

    @Test("Linear over more rows than one kernel call matches a Double reference", arguments: KernelVariant.supported)
    func longLinear(_ variant: KernelVariant) throws {
        let rows = MatrixProduct.rowSlice + 37, features = 9, outputs = 21
        var factory = TensorFactory(seed: 93)
        let x = factory.uniform([rows, features])
        let linear = try Linear(inputFeatures: features, outputFeatures: outputs, seed: 4)
        let y = try KernelVariant.withVariant(variant) { try linear(x) }
        #expect(y.shape == [rows, outputs])
        var worst = 0.0
        for row in [0, 1, MatrixProduct.rowSlice - 1, MatrixProduct.rowSlice, rows - 1] {
            for o in 0..<outputs {
                var sum = Double(linear.bias!.scalars[o])
                for f in 0..<features {
                    sum += Double(x.scalars[row * features + f]) * Double(linear.weight.scalars[o * features + f])
                }
                worst = max(worst, abs(sum - Double(y.scalars[row * outputs + o])))
            }
        }
        #expect(worst < 1e-5, "max |difference| \(worst)")
    }

    @Test("cells and Linear: each variant matches portable", arguments: accelerated)
    func cellsAndLinear(_ variant: KernelVariant) throws {
        var factory = TensorFactory(seed: 91)
        let x = factory.uniform([3, 21])
        let h = factory.uniform([3, 18])
        let lstm = try LSTMCell(inputSize: 21, hiddenSize: 18, seed: 1)
        let gru = try GRUCell(inputSize: 21, hiddenSize: 18, seed: 2)
        let linear = try Linear(inputFeatures: 21, outputFeatures: 67, seed: 3)
        let wide = factory.uniform([300, 21])
        func run() throws -> [FloatTensor] {
            let state = try lstm(x, initialState: LSTMState(h: h, c: h))
            return [state.h, state.c, try gru(x, initialState: h), try linear(x), try linear(wide)]
        }
        let reference = try KernelVariant.withVariant(.portable, run)
        for (result, expected) in zip(try KernelVariant.withVariant(variant, run), reference) { expectClose(result, expected, tolerance: 2e-5) }
    }
}
