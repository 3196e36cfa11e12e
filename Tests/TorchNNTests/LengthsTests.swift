import Foundation
import Testing
import TorchCheckpoint
@testable import TorchNN

@Suite("Variable lengths")
struct LengthsTests {
    /// Runs `run` on the whole batch with lengths, then each entry alone truncated
    /// to its length, and checks outputs (zero past the length), h_n and c_n agree.
    func checkAgainstSeparateRuns(
        steps T: Int, lengths: [Int], inputSize: Int, stateColumns: Int, cellColumns: Int?, layersTimesDirections: Int,
        run: (FloatTensor, FloatTensor, FloatTensor?, [Int]?) throws -> RecurrentOutput
    ) throws {
        let B = lengths.count
        var factory = TensorFactory(seed: UInt64(T * 100 + B))
        let input = factory.uniform([T, B, inputSize])
        let h0 = factory.uniform([layersTimesDirections, B, stateColumns])
        let c0 = cellColumns.map { factory.uniform([layersTimesDirections, B, $0]) }
        let batch = try run(input, h0, c0, lengths)
        for (b, length) in lengths.enumerated() {
            let alone = try run(input.select(axis: 1, index: b).prefix(length),
                                h0.select(axis: 1, index: b), c0?.select(axis: 1, index: b), nil)
            let entry = try batch.output.select(axis: 1, index: b)
            expectClose(entry.prefix(length), alone.output, tolerance: 1e-5, "entry \(b), length \(length)")
            let padding = entry.scalars[(length * entry.shape[1])...]
            #expect(padding.allSatisfy { $0 == 0 }, "padded steps of entry \(b) are exactly zero")
            try expectClose(batch.hN.select(axis: 1, index: b), alone.hN, tolerance: 1e-5)
            if let cN = batch.cN { expectClose(try cN.select(axis: 1, index: b), try #require(alone.cN), tolerance: 1e-5) }
        }
    }

    @Test("LSTM, 2 layers, bidirectional, projections", arguments: [[4, 6, 1, 3], [6, 6, 6], [1, 1], [2, 5, 3, 6, 1]])
    func lstm(lengths: [Int]) throws {
        let lstm = try LSTM(inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, projSize: 2, seed: 61)
        try checkAgainstSeparateRuns(steps: 6, lengths: lengths, inputSize: 3, stateColumns: 2, cellColumns: 5,
                                     layersTimesDirections: 4) { x, h, c, lengths in
            try lstm(x, initialState: LSTMState(h: h, c: c!), lengths: lengths)
        }
    }

    @Test("GRU, 3 layers, bidirectional", arguments: [[4, 6, 1, 3], [5, 2]])
    func gru(lengths: [Int]) throws {
        let gru = try GRU(inputSize: 2, hiddenSize: 3, numLayers: 3, bidirectional: true, seed: 62)
        try checkAgainstSeparateRuns(steps: 6, lengths: lengths, inputSize: 2, stateColumns: 3, cellColumns: nil,
                                     layersTimesDirections: 6) { x, h, _, lengths in
            try gru(x, initialState: h, lengths: lengths)
        }
    }

    @Test("RNN relu, unidirectional, single entry batches use the GEMV path")
    func rnn() throws {
        let rnn = try RNN(inputSize: 2, hiddenSize: 4, nonlinearity: .relu, seed: 63)
        try checkAgainstSeparateRuns(steps: 5, lengths: [3], inputSize: 2, stateColumns: 4, cellColumns: nil,
                                     layersTimesDirections: 1) { x, h, _, lengths in
            try rnn(x, initialState: h, lengths: lengths)
        }
        try checkAgainstSeparateRuns(steps: 5, lengths: [3, 5, 1], inputSize: 2, stateColumns: 4, cellColumns: nil,
                                     layersTimesDirections: 1) { x, h, _, lengths in
            try rnn(x, initialState: h, lengths: lengths)
        }
    }

    /// From B = 8 the driver projects the input a chunk of steps at a time (about 192
    /// rows), from B = 16 an RNN or LSTM step takes x_t and h in one product; the reverse
    /// direction of a batch with lengths projects the whole sequence (``InputPlan``).
    @Test("chunked and fused input sides: uneven chunks, max length below T, both directions")
    func chunkedProjections() throws {
        let lstm = try LSTM(inputSize: 4, hiddenSize: 6, numLayers: 2, bidirectional: true, projSize: 3, seed: 68)
        // B = 9: chunks of 17, 17, 16 steps over 50; one row of length 1.
        try checkAgainstSeparateRuns(steps: 50, lengths: [50, 13, 1, 37, 50, 24, 49, 8, 31], inputSize: 4,
                                     stateColumns: 3, cellColumns: 6, layersTimesDirections: 4) { x, h, c, lengths in
            try lstm(x, initialState: LSTMState(h: h, c: c!), lengths: lengths)
        }
        // B = 17: the forward direction fused, the reverse one (with lengths) projected at once.
        let rnn = try RNN(inputSize: 4, hiddenSize: 9, numLayers: 2, bidirectional: true, seed: 75)
        try checkAgainstSeparateRuns(steps: 12, lengths: [12, 3, 1, 7, 12, 5, 9, 2, 11, 4, 6, 12, 8, 1, 10, 3, 12],
                                     inputSize: 4, stateColumns: 9, cellColumns: nil, layersTimesDirections: 4) { x, h, _, lengths in
            try rnn(x, initialState: h, lengths: lengths)
        }
        let gru = try GRU(inputSize: 3, hiddenSize: 5, bidirectional: true, seed: 69)
        // B = 8, T = 61 but no row longer than 58: the forward chunks cover 58 steps.
        try checkAgainstSeparateRuns(steps: 61, lengths: [58, 7, 1, 40, 58, 22, 3, 57], inputSize: 3,
                                     stateColumns: 5, cellColumns: nil, layersTimesDirections: 2) { x, h, _, lengths in
            try gru(x, initialState: h, lengths: lengths)
        }
    }

    @Test("values in the padding are ignored")
    func paddingIgnored() throws {
        let lstm = try LSTM(inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, seed: 64)
        var factory = TensorFactory(seed: 65)
        var input = factory.uniform([5, 2, 2])
        let first = try lstm(input, lengths: [2, 5])
        for t in 2..<5 { for i in 0..<2 { input.scalars[(t * 2 + 0) * 2 + i] = 1000 } }
        #expect(try lstm(input, lengths: [2, 5]) == first)
    }

    @Test("full lengths equal no lengths")
    func fullLengths() throws {
        let gru = try GRU(inputSize: 2, hiddenSize: 3, batchFirst: true, bidirectional: true, seed: 66)
        var factory = TensorFactory(seed: 67)
        let input = factory.uniform([3, 4, 2])
        #expect(try gru(input, lengths: [4, 4, 4]) == gru(input))
    }

    /// Enough rows for each step to be split between two threads (`splitThreshold`
    /// multiply-adds; a bidirectional layer runs its directions on the two threads
    /// instead), with H = 37 so every row also ends in a partial vector.
    static func parallelBatchLengths(gates: Int, hidden: Int, steps: Int, depth: Int? = nil) -> [Int] {
        let rows = splitThreshold / (gates * hidden * (depth ?? hidden)) + 3
        return (0..<rows).map { 1 + ($0 * 7) % steps }
    }

    @Test("two-thread gate pass: LSTM with projections, bidirectional, lengths")
    func parallelLSTM() throws {
        let lengths = Self.parallelBatchLengths(gates: 4, hidden: 37, steps: 5, depth: 11)
        let lstm = try LSTM(inputSize: 3, hiddenSize: 37, numLayers: 2, bidirectional: true, projSize: 11, seed: 68)
        try checkAgainstSeparateRuns(steps: 5, lengths: lengths, inputSize: 3, stateColumns: 11, cellColumns: 37,
                                     layersTimesDirections: 4) { x, h, c, lengths in
            try lstm(x, initialState: LSTMState(h: h, c: c!), lengths: lengths)
        }
    }

    @Test("two-thread gate pass: GRU and RNN, lengths")
    func parallelGRUAndRNN() throws {
        let gru = try GRU(inputSize: 3, hiddenSize: 37, numLayers: 2, bidirectional: true, seed: 69)
        try checkAgainstSeparateRuns(steps: 5, lengths: Self.parallelBatchLengths(gates: 3, hidden: 37, steps: 5),
                                     inputSize: 3, stateColumns: 37, cellColumns: nil, layersTimesDirections: 4) { x, h, _, lengths in
            try gru(x, initialState: h, lengths: lengths)
        }
        for nonlinearity in Nonlinearity.allCases {
            let rnn = try RNN(inputSize: 3, hiddenSize: 37, nonlinearity: nonlinearity, seed: 70)
            try checkAgainstSeparateRuns(steps: 5, lengths: Self.parallelBatchLengths(gates: 1, hidden: 37, steps: 5),
                                         inputSize: 3, stateColumns: 37, cellColumns: nil, layersTimesDirections: 1) { x, h, _, lengths in
                try rnn(x, initialState: h, lengths: lengths)
            }
        }
    }
}
