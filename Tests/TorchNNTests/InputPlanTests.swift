import Foundation
import Testing
@testable import TorchNN

/// How a layer gets the input side of its gates (``InputPlan``), and the fused
/// weights packed on first use. Parity of each plan with torch is in the golden
/// fixtures `*_chunked_*` and `*_fused_*`.
@Suite("Input plan")
struct InputPlanTests {
    @Test("input plan: fused from B = 16 (RNN, LSTM), chunks of about 192 rows from B = 8, all at once otherwise")
    func inputPlan() {
        func plan(_ T: Int, _ B: Int, canFuse: Bool = false, reverse: Bool = false, lengths: [Int]? = nil,
                  bytes: Int = 1 << 20) -> InputPlan {
            InputPlan(canFuse: canFuse, steps: T, batch: B, reverse: reverse, lengths: lengths,
                      layerWeightBytes: bytes)
        }
        #expect(plan(100, 64, canFuse: true) == .fused)
        #expect(plan(100, 16, canFuse: true, reverse: true) == .fused)
        #expect(plan(100, 8, canFuse: true) == .chunked(steps: 20))
        // GRU (no sum of the two sides) is never fused.
        #expect(plan(100, 64) == .chunked(steps: 3))
        #expect(plan(100, 16) == .chunked(steps: 12))
        #expect(plan(50, 9) == .chunked(steps: 17))
        #expect(plan(7, 1000) == .chunked(steps: 1))
        // A single chunk covering every step is the whole sequence.
        #expect(plan(5, 8) == .whole)
        // Small batches, and weights beyond the cache budget: all T at once.
        #expect(plan(100, 4, canFuse: true) == .whole)
        #expect(plan(100, 64, canFuse: true, bytes: InputPlan.cacheBudget + 1) == .whole)
        // Lengths: forward chunks cover the longest row; the reverse direction projects everything.
        let lengths = [30, 12, 25, 30, 1, 2, 3, 4]
        #expect(plan(40, 8, lengths: lengths) == .chunked(steps: 15))
        #expect(plan(40, 8, reverse: true, lengths: lengths) == .whole)
        #expect(plan(40, 16, canFuse: true, lengths: lengths + lengths) == .fused)
        #expect(plan(40, 16, canFuse: true, reverse: true, lengths: lengths + lengths) == .whole)
    }

    @Test("[W_ih | W_hh] is packed only once a batch runs fused; GRU has none")
    func packedOnDemand() throws {
        let lstm = try LSTM(inputSize: 3, hiddenSize: 5, seed: 72)
        var factory = TensorFactory(seed: 73)
        _ = try lstm(factory.uniform([4, 15, 3]))
        #expect(lstm.core.weights.allSatisfy { $0.fusedPacking?.isPacked == false })
        _ = try lstm(factory.uniform([4, 16, 3]))
        #expect(lstm.core.weights.allSatisfy { $0.fusedPacking?.isPacked == true })
        let gru = try GRU(inputSize: 3, hiddenSize: 5, seed: 74)
        _ = try gru(factory.uniform([4, 16, 3]))
        #expect(gru.core.weights.allSatisfy { $0.fusedPacking == nil })
    }

    @Test("fused weights packed on first use: concurrent first calls agree with a serial run")
    func concurrentFirstUse() async throws {
        let lstm = try LSTM(inputSize: 6, hiddenSize: 10, numLayers: 2, bidirectional: true, projSize: 4, seed: 70)
        var factory = TensorFactory(seed: 71)
        let input = factory.uniform([9, 16, 6])
        // Eight tasks make the first B = 16 call at once: the packing happens once, under a lock.
        let results = try await withThrowingTaskGroup(of: FloatTensor.self) { group in
            for _ in 0..<8 { group.addTask { try lstm(input).output } }
            return try await group.reduce(into: [FloatTensor]()) { $0.append($1) }
        }
        let serial = try lstm(input).output
        #expect(results.count == 8)
        for result in results { #expect(result == serial) }
        // And the fused plan agrees with running each row alone (B = 1: projected, not fused).
        for b in [0, 7, 15] {
            let alone = try lstm(input.select(axis: 1, index: b).reshaped([9, 1, 6])).output
            expectClose(try serial.select(axis: 1, index: b), try alone.select(axis: 1, index: 0), tolerance: 1e-5)
        }
    }
}
