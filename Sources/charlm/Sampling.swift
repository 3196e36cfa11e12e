import Foundation
import TorchNN

/// How the next character is chosen from the logits.
enum Sampling: Sendable {
    /// The largest logit; the first of equal ones, like `torch.argmax`.
    case greedy
    /// A draw from softmax(logits / temperature), from a seeded generator.
    case temperature(Double, SeededGenerator)

    /// The index chosen from `logits` (V values).
    /// - Throws: ``CharLMError/nonFiniteLogits(step:)`` when a logit is NaN or infinite.
    mutating func choose(from logits: [Float], step: Int) throws -> Int {
        guard logits.allSatisfy(\.isFinite), !logits.isEmpty else { throw CharLMError.nonFiniteLogits(step: step) }
        var best = 0
        for index in logits.indices where logits[index] > logits[best] { best = index }
        switch self {
        case .greedy:
            return best
        case .temperature(let temperature, var generator):
            defer { self = .temperature(temperature, generator) }
            // exp((l - max) / T) is in (0, 1] for any T > 0 (the largest is exactly 1),
            // so neither a tiny nor a huge temperature overflows.
            let peak = Double(logits[best])
            let weights = logits.map { exp((Double($0) - peak) / temperature) }
            let total = weights.reduce(0, +)
            var remaining = Double.random(in: 0..<1, using: &generator) * total
            for (index, weight) in weights.enumerated() {
                remaining -= weight
                if remaining < 0 { return index }
            }
            return best  // rounding left a sliver above the last weight
        }
    }
}
