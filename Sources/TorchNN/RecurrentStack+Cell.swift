import TorchTensor

/// One step of a cell: a one-layer, one-direction stack run for T = 1.
extension RecurrentStack {
    /// ``cellStep(_:h:c:)`` with the kernel's state type: h for RNN/GRU cells, ``LSTMState`` for LSTM cells.
    func cellStep(_ input: FloatTensor, state: Kernel.State?) throws -> Kernel.State {
        let components = state.map(Kernel.components(of:))
        let (h, c) = try cellStep(input, h: components?.h, c: components?.c)
        return Kernel.makeState(h: h, c: c)
    }

    /// - Parameters:
    ///   - input: (B, I), or unbatched (I,).
    ///   - h: (B, H) or (H,) matching the input; zeros when nil.
    ///   - c: (B, H) or (H,) for an LSTM cell; zeros when nil.
    /// - Returns: h' and (for an LSTM cell) c', shaped like h.
    func cellStep(_ input: FloatTensor, h: FloatTensor?, c: FloatTensor?) throws -> (h: FloatTensor, c: FloatTensor?) {
        _ = try input.validated("input")
        let shape = input.shape
        guard shape.count == 1 || shape.count == 2 else {
            throw LayerInputError.wrongRank(argument: "input", expected: "(B, \(inputSize)) or unbatched (\(inputSize),)", found: shape)
        }
        guard shape.last == inputSize else {
            var expected = shape
            expected[expected.count - 1] = inputSize
            throw LayerInputError.shapeMismatch(argument: "input", expected: expected, found: shape)
        }
        let batched = shape.count == 2
        let batch = batched ? shape[0] : 1
        guard batch > 0 else { throw LayerInputError.empty(argument: "input", shape: shape) }
        let stateShape = batched ? [batch, hiddenSize] : [hiddenSize]

        func state(_ tensor: FloatTensor?, _ argument: String) throws -> [Float] {
            guard let tensor else { return [Float](repeating: 0, count: batch * hiddenSize) }
            _ = try tensor.validated(argument)
            guard tensor.shape == stateShape else {
                throw LayerInputError.shapeMismatch(argument: argument, expected: stateShape, found: tensor.shape)
            }
            return tensor.scalars
        }
        var hidden = try state(h, "h")
        var cell: [Float] = []
        if Kernel.hasCellState {
            cell = try state(c, "c")
        } else if c != nil {
            throw LayerInputError.unsupported("\(Kernel.moduleName)Cell has no cell state: c must be nil")
        }
        // The one-step output equals h'; only the state is returned.
        _ = input.scalars.withUnsafeBufferPointer {
            run(timeMajor: $0, steps: 1, batch: batch, hidden: &hidden, cell: &cell, lengths: nil)
        }
        return (FloatTensor(uncheckedShape: stateShape, scalars: hidden),
                Kernel.hasCellState ? FloatTensor(uncheckedShape: stateShape, scalars: cell) : nil)
    }
}
