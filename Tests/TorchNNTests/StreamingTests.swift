import Foundation
import Testing
import TorchCheckpoint
@testable import TorchNN

@Suite("Streaming")
struct StreamingTests {
    /// Splits (T, ...) time-major or (B, T, ...) batch-first inputs into chunks of the given sizes.
    func chunks(_ input: FloatTensor, sizes: [Int], batchFirst: Bool) throws -> [FloatTensor] {
        var start = 0
        return try sizes.map { size in
            defer { start += size }
            if batchFirst {
                let rows = try (0..<input.shape[0]).map { b -> FloatTensor in
                    let entry = try input.select(axis: 0, index: b)
                    return try FloatTensor(shape: [size] + entry.shape.dropFirst(),
                                       scalars: Array(entry.scalars[(start * entry.shape[1])..<((start + size) * entry.shape[1])]))
                }
                return FloatTensor.stack(rows, axis: 0)
            }
            let inner = input.shape.dropFirst().reduce(1, *)
            return try FloatTensor(shape: [size] + input.shape.dropFirst(),
                               scalars: Array(input.scalars[(start * inner)..<((start + size) * inner)]))
        }
    }

    @Test("LSTM with projections, 2 layers: chunks and single steps equal one whole call")
    func lstmChunks() throws {
        let lstm = try LSTM(inputSize: 3, hiddenSize: 6, numLayers: 2, projSize: 2, seed: 31)
        var factory = TensorFactory(seed: 32)
        let input = factory.uniform([9, 2, 3])
        let state = LSTMState(h: factory.uniform([2, 2, 2]), c: factory.uniform([2, 2, 6]))
        let whole = try lstm(input, initialState: state)

        for sizes in [[9], [4, 5], [1, 3, 2, 3], Array(repeating: 1, count: 9)] {
            var stream = try lstm.makeStream(batchSize: 2, initialState: state)
            let outputs = try chunks(input, sizes: sizes, batchFirst: false).map { try stream.feed($0) }
            try expectClose(FloatTensor.concatenate(outputs), whole.output, tolerance: 1e-6, "chunks \(sizes)")
            expectClose(stream.hN, whole.hN, tolerance: 1e-6)
            expectClose(try #require(stream.cN), try #require(whole.cN), tolerance: 1e-6)
            #expect(stream.stepsConsumed == 9)
        }
    }

    @Test("GRU batch-first stream")
    func gruBatchFirst() throws {
        let gru = try GRU(inputSize: 2, hiddenSize: 4, numLayers: 3, batchFirst: true, seed: 41)
        var factory = TensorFactory(seed: 42)
        let input = factory.uniform([3, 7, 2])
        let whole = try gru(input)
        var stream = try gru.makeStream(batchSize: 3)
        let outputs = try chunks(input, sizes: [2, 4, 1], batchFirst: true).map { try stream.feed($0) }
        for b in 0..<3 {
            let streamed = try FloatTensor.concatenate(try outputs.map { try $0.select(axis: 0, index: b) })
            try expectClose(streamed, whole.output.select(axis: 0, index: b), tolerance: 1e-6)
        }
        expectClose(stream.hN, whole.hN, tolerance: 1e-6)
        #expect(stream.cN == nil)
    }

    @Test("unbatched RNN stream, one step at a time")
    func rnnUnbatched() throws {
        let rnn = try RNN(inputSize: 2, hiddenSize: 3, numLayers: 2, nonlinearity: .relu, seed: 51)
        var factory = TensorFactory(seed: 52)
        let input = factory.uniform([6, 2])
        let h0 = factory.uniform([2, 3])
        let whole = try rnn(input, initialState: h0)
        var stream = try rnn.makeStream(initialState: h0)
        #expect(stream.batchSize == nil)
        var outputs: [FloatTensor] = []
        for t in 0..<6 { outputs.append(try stream.feed(input.select(axis: 0, index: t).unsqueezed(axis: 0))) }
        try expectClose(FloatTensor.concatenate(outputs), whole.output, tolerance: 1e-6)
        expectClose(stream.hN, whole.hN, tolerance: 1e-6)
        #expect(stream.hN.shape == [2, 3])
    }

    @Test("bidirectional layers cannot stream")
    func bidirectionalThrows() throws {
        let lstm = try LSTM(inputSize: 2, hiddenSize: 3, bidirectional: true, seed: 1)
        #expect(throws: LayerInputError.unsupported(
            "a bidirectional LSTM cannot stream: its reverse direction needs the whole sequence before the first output")) {
            try lstm.makeStream(batchSize: 1)
        }
    }

    @Test("chunks must match the stream's batch and layout")
    func chunkShapes() throws {
        let gru = try GRU(inputSize: 2, hiddenSize: 3, seed: 1)
        var stream = try gru.makeStream(batchSize: 2)
        #expect(throws: LayerInputError.shapeMismatch(argument: "chunk", expected: [4, 2, 2], found: [4, 3, 2])) {
            try stream.feed(FloatTensor(zeros: [4, 3, 2]))
        }
        #expect(throws: LayerInputError.self) { try stream.feed(FloatTensor(zeros: [4, 2])) }
        #expect(throws: LayerInputError.self) { try gru.makeStream(batchSize: 0) }
        #expect(throws: LayerInputError.self) { try gru.makeStream(batchSize: 2, initialState: FloatTensor(zeros: [1, 3])) }
        #expect(stream.stepsConsumed == 0)
    }
}
