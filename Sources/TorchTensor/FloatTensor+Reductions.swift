import Foundation

/// Operations along one axis: softmax, log-softmax, argmax, L2 normalisation.
/// Each keeps every other axis; `axis` may be negative, as in torch.
extension FloatTensor {
    /// torch's `F.softmax(x, dim=axis)`, numerically stable (the maximum is
    /// subtracted before exponentiating).
    /// - Returns: same shape; each slice along `axis` sums to 1.
    public func softmax(axis: Int) throws -> FloatTensor {
        try alongAxis(axis) { slice in
            let peak = slice.max() ?? 0
            // An all −∞ slice gives NaN, as in torch.
            let exps = slice.map { Foundation.exp($0 - peak) }
            let sum = exps.reduce(0, +)
            return exps.map { $0 / sum }
        }
    }

    /// torch's `F.log_softmax(x, dim=axis)`: `x − max − log Σ e^(x − max)`, stable for large inputs.
    /// - Returns: same shape.
    public func logSoftmax(axis: Int) throws -> FloatTensor {
        try alongAxis(axis) { slice in
            let peak = slice.max() ?? 0
            let logSum = Foundation.log(slice.reduce(0) { $0 + Foundation.exp($1 - peak) })
            return slice.map { $0 - peak - logSum }
        }
    }

    /// torch's `F.normalize(x, p=2, dim=axis, eps=eps)`: `x / max(‖x‖₂, eps)` along `axis`.
    /// - Returns: same shape.
    public func l2Normalized(axis: Int, eps: Float = 1e-12) throws -> FloatTensor {
        try alongAxis(axis) { slice in
            // Sum of squares in Double: no overflow or underflow for Float inputs.
            let norm = Float(slice.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
            let divisor = Swift.max(norm, eps)
            return slice.map { $0 / divisor }
        }
    }

    /// torch's `x.argmax(dim=axis)`: the index of the largest element along `axis`
    /// (the first one on ties; a NaN counts as the largest, as in torch).
    /// - Returns: the shape without `axis`.
    /// - Throws: ``TensorError/empty(operation:shape:)`` when `axis` has extent 0.
    public func argmax(axis: Int) throws -> IntegerTensor {
        let tensor = try validated()
        let axis = try TensorShape.normalizedAxis(axis, rank: rank)
        let (outer, extent, inner) = TensorShape.split(shape, at: axis)
        guard extent > 0 else { throw TensorError.empty(operation: "argmax", shape: shape) }
        var result = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = 0
                var bestValue = tensor.scalars[o * extent * inner + i]
                if !bestValue.isNaN {
                    for k in 1..<extent {
                        let value = tensor.scalars[(o * extent + k) * inner + i]
                        if value.isNaN || value > bestValue {
                            best = k
                            bestValue = value
                            if value.isNaN { break }
                        }
                    }
                }
                result[o * inner + i] = Int64(best)
            }
        }
        var newShape = shape
        newShape.remove(at: axis)
        return try IntegerTensor(shape: newShape, scalars: result)
    }

    /// Applies `f` to every slice along `axis` (contiguous copies of `extent` values).
    func alongAxis(_ axis: Int, _ f: ([Float]) -> [Float]) throws -> FloatTensor {
        let tensor = try validated()
        let axis = try TensorShape.normalizedAxis(axis, rank: rank)
        let (outer, extent, inner) = TensorShape.split(shape, at: axis)
        var result = tensor.scalars
        var slice = [Float](repeating: 0, count: extent)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * extent * inner + i
                for k in 0..<extent { slice[k] = tensor.scalars[base + k * inner] }
                let mapped = f(slice)
                for k in 0..<extent { result[base + k * inner] = mapped[k] }
            }
        }
        return FloatTensor(uncheckedShape: shape, scalars: result)
    }
}
