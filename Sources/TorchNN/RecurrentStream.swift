public import TorchTensor

/// The part of a stack a stream needs, with the cell kind erased.
protocol StreamableStack: Sendable {
    var numLayers: Int { get }
    var outputSize: Int { get }
    var hiddenSize: Int { get }
    var hasCellState: Bool { get }
    /// Runs `chunk` from the carried state, updating it; returns the chunk's output.
    func stream(_ chunk: FloatTensor, batchSize: Int?, hidden: inout [Float], cell: inout [Float]) throws -> (output: FloatTensor, steps: Int)
}

extension RecurrentStack: StreamableStack {
    var hasCellState: Bool { Kernel.hasCellState }

    func stream(_ chunk: FloatTensor, batchSize: Int?, hidden: inout [Float], cell: inout [Float]) throws -> (output: FloatTensor, steps: Int) {
        let layout = try sequenceShape(of: chunk, argument: "chunk")
        let expectedUnbatched = batchSize == nil
        guard layout.unbatched == expectedUnbatched, layout.batch == (batchSize ?? 1) else {
            let expected = expectedUnbatched ? [layout.steps, inputSize]
                : batchFirst ? [batchSize!, layout.steps, inputSize] : [layout.steps, batchSize!, inputSize]
            throw LayerInputError.shapeMismatch(argument: "chunk", expected: expected, found: chunk.shape)
        }
        let x = timeMajor(chunk, layout: layout)
        let output = x.withUnsafeBufferPointer {
            run(timeMajor: $0, steps: layout.steps, batch: layout.batch, hidden: &hidden, cell: &cell, lengths: nil)
        }
        return (outputTensor(output, layout: layout), layout.steps)
    }
}

/// A unidirectional RNN, LSTM or GRU fed a sequence piece by piece, carrying
/// h (and c) between calls. Feeding chunks of any sizes gives the same numbers
/// as one call over the concatenated sequence.
///
/// ```swift
/// var stream = try lstm.makeStream(batchSize: 2)
/// let first = try stream.feed(chunk1)    // (T1, B, H_out)
/// let second = try stream.feed(chunk2)   // (T2, B, H_out), continuing from chunk1's state
/// ```
///
/// Letters: T chunk steps, B batch entries, I input size, H hidden size,
/// H_out = P for a projected LSTM else H, L layers.
public struct RecurrentStream: Sendable {
    private let core: any StreamableStack
    private var hidden: [Float]
    private var cell: [Float]
    /// B, or nil when the stream takes unbatched (T, I) chunks.
    public let batchSize: Int?
    /// Time steps fed so far.
    public private(set) var stepsConsumed = 0

    init<Kernel>(_ stack: RecurrentStack<Kernel>, batchSize: Int?, initialState: Kernel.State?) throws {
        let state = initialState.map(Kernel.components(of:))
        let h0 = state?.h, c0 = state?.c
        guard !stack.bidirectional else {
            throw LayerInputError.unsupported(
                "a bidirectional \(Kernel.moduleName) cannot stream: its reverse direction needs the whole sequence before the first output")
        }
        if let batchSize, batchSize <= 0 {
            throw LayerInputError.invalidConfiguration("batchSize must be positive, got \(batchSize)")
        }
        let layout = RecurrentStack<Kernel>.SequenceShape(steps: 1, batch: batchSize ?? 1, unbatched: batchSize == nil)
        hidden = try stack.initialState(h0, argument: "h0", columns: stack.outputSize, layout: layout)
        cell = Kernel.hasCellState
            ? try stack.initialState(c0, argument: "c0", columns: stack.hiddenSize, layout: layout)
            : []
        core = stack
        self.batchSize = batchSize
    }

    /// Runs the next steps.
    /// - Parameter chunk: (T, B, I), (B, T, I) for a batch-first layer, or (T, I) for an unbatched stream.
    /// - Returns: the outputs of these T steps, laid out like the chunk with H_out features.
    public mutating func feed(_ chunk: FloatTensor) throws -> FloatTensor {
        let (output, steps) = try core.stream(chunk, batchSize: batchSize, hidden: &hidden, cell: &cell)
        stepsConsumed += steps
        return output
    }

    /// The state after the steps fed so far, named like ``RecurrentOutput/hN``:
    /// h_n (L, B, H_out), or (L, H_out) unbatched.
    public var hN: FloatTensor {
        FloatTensor(uncheckedShape: stateShape(core.outputSize), scalars: hidden)
    }

    /// The LSTM's c_n after the steps fed so far, like ``RecurrentOutput/cN``: (L, B, H),
    /// or (L, H) unbatched; nil for RNN and GRU.
    public var cN: FloatTensor? {
        core.hasCellState ? FloatTensor(uncheckedShape: stateShape(core.hiddenSize), scalars: cell) : nil
    }

    /// The current h, under its old name.
    @available(*, deprecated, renamed: "hN")
    public var h: FloatTensor { hN }

    /// The current c, under its old name.
    @available(*, deprecated, renamed: "cN")
    public var c: FloatTensor? { cN }

    private func stateShape(_ columns: Int) -> [Int] {
        batchSize.map { [core.numLayers, $0, columns] } ?? [core.numLayers, columns]
    }
}
