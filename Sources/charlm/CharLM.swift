import ArgumentParser
import Foundation
import TorchCheckpoint
import TorchNN

/// `charlm MODEL --prompt TEXT`: generates text with a character-level
/// Embedding → LSTM → Linear model, one character at a time.
@main
struct CharLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charlm",
        abstract: "Generate text with a character-level LSTM language model from a checkpoint.",
        discussion: """
        The model is Embedding -> LSTM -> Linear (tools/train_charlm.py trains one: \
        fixtures/charlm/model.pt). Sizes are inferred from the weights. Each character is fed \
        through the layers' step API and printed as soon as it is chosen.

        Exit codes: 0 success, 2 the model or vocabulary cannot be read or do not fit together, \
        64 a usage error (a bad flag value, or a prompt character the model does not know).
        """
    )

    @Argument(help: "A checkpoint holding the model: torch.save (.pt), safetensors, or a sharded *.index.json.")
    var model: String

    @Option(help: "The vocabulary JSON ({\"characters\": [...]}); default: vocab.json beside the model.")
    var vocab: String?

    @Option(help: "The text to continue (every character must be in the vocabulary).")
    var prompt: String = "The "

    @Option(help: "How many characters to generate.")
    var length: Int = 300

    @Option(help: "Sample from softmax(logits / T) instead of taking the most likely character; T > 0.")
    var temperature: Double?

    @Option(help: "Seed of the sampling generator (with --temperature); default: a random seed, printed on stderr.")
    var seed: UInt64?

    @Option(help: "Key prefix of the nn.Embedding's weight.")
    var embeddingPrefix = "embed."
    @Option(help: "Key prefix of the nn.LSTM's weights.")
    var lstmPrefix = "rnn."
    @Option(help: "Key prefix of the output nn.Linear's weights.")
    var headPrefix = "head."

    /// Longest generation accepted: far more than a demo needs, small enough to finish.
    static let maximumLength = 1_000_000

    func validate() throws {
        guard (0...Self.maximumLength).contains(length) else {
            throw ValidationError("--length must be between 0 and \(Self.maximumLength), got \(length)")
        }
        if let temperature {
            guard temperature.isFinite, temperature > 0 else {
                throw ValidationError("--temperature must be a finite number above 0, got \(temperature) (omit it for greedy decoding)")
            }
        } else if seed != nil {
            throw ValidationError("--seed needs --temperature: greedy decoding draws nothing")
        }
        guard !prompt.isEmpty else {
            throw ValidationError("--prompt must not be empty: the model needs a character to start from")
        }
    }

    func run() throws {
        let (vocabulary, model) = try load()
        let indices: [Int]
        do {
            indices = try vocabulary.encode(prompt)
        } catch {
            throw ValidationError(describe(error))
        }
        var sampling = Sampling.greedy
        if let temperature {
            let seed = seed ?? UInt64.random(in: .min ... .max)
            if self.seed == nil { FileHandle.standardError.write(Data("charlm: --seed \(seed)\n".utf8)) }
            sampling = .temperature(temperature, SeededGenerator(seed: seed))
        }
        let output = StreamingOutput()
        output.write(prompt)
        do {
            try Generation.run(model: model, prompt: indices, length: length, sampling: &sampling) { index in
                output.write(String(vocabulary.character(index)))
            }
        } catch {
            output.write("\n")
            throw failure(error)
        }
        output.write("\n")
    }

    private func load() throws -> (Vocabulary, CharacterModel) {
        let vocabPath = vocab ?? URL(fileURLWithPath: model).deletingLastPathComponent().appendingPathComponent("vocab.json").path
        do {
            let vocabulary = try Vocabulary(contentsOf: vocabPath)
            let store = try TensorFile.open(model)
            let prefixes = CharacterModel.Prefixes(embedding: embeddingPrefix, lstm: lstmPrefix, head: headPrefix)
            return (vocabulary, try CharacterModel(loading: store, prefixes: prefixes, vocabularySize: vocabulary.count))
        } catch {
            throw failure(error)
        }
    }

    /// One line on stderr naming what went wrong, and exit code 2.
    private func failure(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("charlm: \(model): \(describe(error))\n".utf8))
        return ExitCode(2)
    }

    private func describe(_ error: any Error) -> String {
        ((error as? LocalizedError)?.errorDescription ?? String(describing: error))
            .replacingOccurrences(of: "\n", with: " ")
    }
}

/// Writes text to stdout at once, so each character shows as it is generated.
struct StreamingOutput {
    func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
