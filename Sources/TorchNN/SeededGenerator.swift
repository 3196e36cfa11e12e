import Foundation

/// A small, fast, seedable generator (SplitMix64) so freshly initialised layers
/// are reproducible: `LSTM(inputSize: 8, hiddenSize: 16, seed: 42)` always
/// holds the same weights. Not cryptographic.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is determined by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    /// A generator from `seed`, or from a random seed when nil.
    static func make(_ seed: UInt64?) -> SeededGenerator {
        SeededGenerator(seed: seed ?? UInt64.random(in: .min ... .max))
    }

    /// `count` values uniform in [−bound, bound]: torch's `init.uniform_(−bound, bound)`.
    mutating func uniform(count: Int, bound: Float) -> [Float] {
        (0..<count).map { _ in Float.random(in: -bound...bound, using: &self) }
    }

    /// `count` standard normal values (Box–Muller): torch's `init.normal_()`.
    mutating func normal(count: Int) -> [Float] {
        var values: [Float] = []
        values.reserveCapacity(count)
        while values.count < count {
            // u1 in (0, 1] so log(u1) is finite.
            let u1 = 1 - Double.random(in: 0..<1, using: &self)
            let u2 = Double.random(in: 0..<1, using: &self)
            let radius = (-2 * log(u1)).squareRoot()
            values.append(Float(radius * cos(2 * Double.pi * u2)))
            if values.count < count { values.append(Float(radius * sin(2 * Double.pi * u2))) }
        }
        return values
    }
}
