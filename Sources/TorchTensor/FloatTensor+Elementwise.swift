import Foundation

/// Elementwise arithmetic and activations. Activations keep the shape and
/// cannot fail; binary operations broadcast like torch and throw when the
/// shapes do not.
extension FloatTensor {
    /// `f` applied to every element; same shape.
    public func map(_ f: (Float) -> Float) -> FloatTensor {
        FloatTensor(uncheckedShape: shape, scalars: scalars.map(f))
    }

    /// torch's `F.relu`: `max(x, 0)` (NaN stays NaN).
    public func relu() -> FloatTensor { map { $0 > 0 || $0.isNaN ? $0 : 0 } }

    /// torch's `torch.tanh`.
    public func tanh() -> FloatTensor { map { Foundation.tanh($0) } }

    /// torch's `torch.sigmoid`: `1 / (1 + e^(−x))`, written so that neither branch overflows.
    public func sigmoid() -> FloatTensor {
        map { x in
            if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
            let e = Foundation.exp(x)
            return e / (1 + e)
        }
    }

    /// torch's `F.gelu` with `approximate='none'`: `x · ½ (1 + erf(x / √2))`, the exact erf form.
    public func gelu() -> FloatTensor {
        map { x in 0.5 * x * (1 + Foundation.erf(x * 0.707_106_781_186_547_524_4)) }
    }

    /// Every element times `factor`.
    public func scaled(by factor: Float) -> FloatTensor { map { $0 * factor } }

    /// torch's `a + b`, broadcasting.
    /// - Throws: ``TensorError/notBroadcastable(operation:lhs:rhs:)``.
    public func adding(_ other: FloatTensor) throws -> FloatTensor {
        try broadcast(other, operation: "add", +)
    }

    /// torch's `a * b` (elementwise), broadcasting.
    /// - Throws: ``TensorError/notBroadcastable(operation:lhs:rhs:)``.
    public func multiplying(_ other: FloatTensor) throws -> FloatTensor {
        try broadcast(other, operation: "multiply", *)
    }

    /// torch's `a - b`, broadcasting.
    public func subtracting(_ other: FloatTensor) throws -> FloatTensor {
        try broadcast(other, operation: "subtract", -)
    }

    /// torch's `a / b` (true division), broadcasting.
    public func dividing(by other: FloatTensor) throws -> FloatTensor {
        try broadcast(other, operation: "divide", /)
    }

    /// `f(a, b)` over torch's broadcast of the two shapes: axes aligned from the
    /// right, an extent of 1 (or a missing axis) repeated to match the other.
    func broadcast(_ other: FloatTensor, operation: String, _ f: (Float, Float) -> Float) throws -> FloatTensor {
        let lhs = try validated(), rhs = try other.validated()
        if lhs.shape == rhs.shape {
            return FloatTensor(uncheckedShape: shape, scalars: zip(lhs.scalars, rhs.scalars).map(f))
        }
        let rank = max(lhs.rank, rhs.rank)
        let a = [Int](repeating: 1, count: rank - lhs.rank) + lhs.shape
        let b = [Int](repeating: 1, count: rank - rhs.rank) + rhs.shape
        var result = [Int](repeating: 0, count: rank)
        for axis in 0..<rank {
            guard a[axis] == b[axis] || a[axis] == 1 || b[axis] == 1 else {
                throw TensorError.notBroadcastable(operation: operation, lhs: lhs.shape, rhs: rhs.shape)
            }
            result[axis] = a[axis] == 1 ? b[axis] : a[axis]
        }
        let count = try TensorShape.elementCount(result)
        // Strides of each operand over the result's axes: 0 where it is repeated.
        func strides(_ s: [Int]) -> [Int] {
            var strides = [Int](repeating: 0, count: rank), step = 1
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                strides[axis] = s[axis] == 1 ? 0 : step
                step *= s[axis]
            }
            return strides
        }
        let sa = strides(a), sb = strides(b)
        var values = [Float]()
        values.reserveCapacity(count)
        var index = [Int](repeating: 0, count: rank)
        var ia = 0, ib = 0
        for _ in 0..<count {
            values.append(f(lhs.scalars[ia], rhs.scalars[ib]))
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                ia += sa[axis]
                ib += sb[axis]
                if index[axis] < result[axis] { break }
                ia -= sa[axis] * result[axis]
                ib -= sb[axis] * result[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return FloatTensor(uncheckedShape: result, scalars: values)
    }
}
