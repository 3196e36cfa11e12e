import TorchTensor

/// Argument checking and layout: everything between the public tensors and the
/// time-major buffers `run` works on.
extension RecurrentStack {
    /// The validated geometry of a sequence input.
    struct SequenceShape {
        var steps: Int
        var batch: Int
        var unbatched: Bool
    }

    /// Reads T and B from a (T, B, I) / (B, T, I) / unbatched (T, I) input.
    func sequenceShape(of input: FloatTensor, argument: String = "input") throws -> SequenceShape {
        _ = try input.validated(argument)
        let shape = input.shape
        let result: SequenceShape
        switch shape.count {
        case 2: result = SequenceShape(steps: shape[0], batch: 1, unbatched: true)
        case 3: result = batchFirst
            ? SequenceShape(steps: shape[1], batch: shape[0], unbatched: false)
            : SequenceShape(steps: shape[0], batch: shape[1], unbatched: false)
        default:
            throw LayerInputError.wrongRank(
                argument: argument,
                expected: batchFirst ? "(B, T, \(inputSize)) or unbatched (T, \(inputSize))"
                                     : "(T, B, \(inputSize)) or unbatched (T, \(inputSize))",
                found: shape)
        }
        guard shape.last == inputSize else {
            var expected = shape
            expected[expected.count - 1] = inputSize
            throw LayerInputError.shapeMismatch(argument: argument, expected: expected, found: shape)
        }
        guard result.steps > 0, result.batch > 0 else { throw LayerInputError.empty(argument: argument, shape: shape) }
        return result
    }

    /// h0 (L·D, B, H_out) or c0 (L·D, B, H) as a flat buffer, zeros when absent.
    func initialState(_ tensor: FloatTensor?, argument: String, columns: Int, layout: SequenceShape) throws -> [Float] {
        let expected = layout.unbatched
            ? [numLayers * directions, columns]
            : [numLayers * directions, layout.batch, columns]
        guard let tensor else { return [Float](repeating: 0, count: TensorShape.count(ofChecked: expected)) }
        _ = try tensor.validated(argument)
        guard tensor.shape == expected else {
            throw LayerInputError.shapeMismatch(argument: argument, expected: expected, found: tensor.shape)
        }
        return tensor.scalars
    }

    /// Checks `lengths` and returns nil when every sequence is full-length
    /// (the driver's faster path gives identical results then).
    func validatedLengths(_ lengths: [Int]?, layout: SequenceShape) throws -> [Int]? {
        guard let lengths else { return nil }
        guard lengths.count == layout.batch else {
            throw LayerInputError.lengthsCount(expected: layout.batch, found: lengths.count)
        }
        for (index, length) in lengths.enumerated() where !(1...layout.steps).contains(length) {
            throw LayerInputError.lengthOutOfRange(batchIndex: index, length: length, steps: layout.steps)
        }
        return lengths.allSatisfy { $0 == layout.steps } ? nil : lengths
    }

    /// The input as (T·B, I) time-major rows.
    func timeMajor(_ input: FloatTensor, layout: SequenceShape) -> [Float] {
        guard batchFirst, !layout.unbatched, layout.batch > 1, layout.steps > 1 else { return input.scalars }
        return swapLeadingAxes(input.scalars, layout.batch, layout.steps, inputSize)
    }

    /// The (T·B, F) time-major output in the caller's layout.
    func outputTensor(_ timeMajor: [Float], layout: SequenceShape) -> FloatTensor {
        let features = directions * outputSize
        if layout.unbatched { return FloatTensor(uncheckedShape: [layout.steps, features], scalars: timeMajor) }
        if batchFirst {
            return FloatTensor(uncheckedShape: [layout.batch, layout.steps, features],
                               scalars: swapLeadingAxes(timeMajor, layout.steps, layout.batch, features))
        }
        return FloatTensor(uncheckedShape: [layout.steps, layout.batch, features], scalars: timeMajor)
    }

    /// A state buffer (L·D, B, columns) in the caller's layout.
    func stateTensor(_ values: [Float], columns: Int, layout: SequenceShape) -> FloatTensor {
        let shape = layout.unbatched
            ? [numLayers * directions, columns]
            : [numLayers * directions, layout.batch, columns]
        return FloatTensor(uncheckedShape: shape, scalars: values)
    }

    /// The whole forward pass of a sequence module, with the kernel's state type.
    func forward(_ input: FloatTensor, initialState: Kernel.State?, lengths: [Int]?) throws -> RecurrentOutput {
        let state = initialState.map(Kernel.components(of:))
        return try forward(input, h0: state?.h, c0: state?.c, lengths: lengths)
    }

    /// The whole forward pass of a sequence module.
    func forward(_ input: FloatTensor, h0: FloatTensor?, c0: FloatTensor?, lengths: [Int]?) throws -> RecurrentOutput {
        let layout = try sequenceShape(of: input)
        var hidden = try initialState(h0, argument: "h0", columns: outputSize, layout: layout)
        var cell: [Float] = []
        if Kernel.hasCellState {
            cell = try initialState(c0, argument: "c0", columns: hiddenSize, layout: layout)
        } else if c0 != nil {
            throw LayerInputError.unsupported("\(Kernel.moduleName) has no cell state: c0 must be nil")
        }
        let lengths = try validatedLengths(lengths, layout: layout)
        let x = timeMajor(input, layout: layout)
        let output = x.withUnsafeBufferPointer {
            run(timeMajor: $0, steps: layout.steps, batch: layout.batch, hidden: &hidden, cell: &cell, lengths: lengths)
        }
        return RecurrentOutput(
            output: outputTensor(output, layout: layout),
            hN: stateTensor(hidden, columns: outputSize, layout: layout),
            cN: Kernel.hasCellState ? stateTensor(cell, columns: hiddenSize, layout: layout) : nil)
    }
}

/// (a, b, inner) → (b, a, inner), row-major.
func swapLeadingAxes(_ values: [Float], _ a: Int, _ b: Int, _ inner: Int) -> [Float] {
    var result = [Float](repeating: 0, count: values.count)
    values.withUnsafeBufferPointer { source in
        result.withUnsafeMutableBufferPointer { destination in
            for i in 0..<a {
                for j in 0..<b {
                    (destination.baseAddress! + (j * a + i) * inner)
                        .update(from: source.baseAddress! + (i * b + j) * inner, count: inner)
                }
            }
        }
    }
    return result
}
