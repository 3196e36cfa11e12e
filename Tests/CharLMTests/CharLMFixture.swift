import Foundation
import Testing
@testable import charlm

/// fixtures/charlm/: the trained model and torch's golden generations (tools/train_charlm.py).
enum CharLMFixture {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = root.appendingPathComponent("fixtures/charlm")
    static let modelPath = directory.appendingPathComponent("model.pt").path
    static let vocabPath = directory.appendingPathComponent("vocab.json").path

    /// One prompt of generations.json.
    struct Generation: Decodable, Sendable, CustomTestStringConvertible {
        let prompt: String
        let continuation: String
        /// The logits of the first generation steps: (steps, V), float32 values torch computed.
        let logits: [[Float]]
        /// Smallest top-1 minus top-2 logit over the 300 greedy steps in torch.
        let minMargin: Double

        var testDescription: String { String(reflecting: prompt) }

        enum CodingKeys: String, CodingKey {
            case prompt, continuation, logits
            case minMargin = "min_margin"
        }
    }

    struct Generations: Decodable {
        let generate: Int
        let logitSteps: Int
        let prompts: [Generation]

        enum CodingKeys: String, CodingKey {
            case generate, prompts
            case logitSteps = "logit_steps"
        }
    }

    static let generations: Generations = {
        do {
            let data = try Data(contentsOf: directory.appendingPathComponent("generations.json"))
            return try JSONDecoder().decode(Generations.self, from: data)
        } catch {
            fatalError("fixtures/charlm/generations.json: \(error) (regenerate with tools/train_charlm.py)")
        }
    }()

    static func vocabulary() throws -> Vocabulary { try Vocabulary(contentsOf: vocabPath) }
}
