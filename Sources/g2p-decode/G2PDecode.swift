import ArgumentParser
import Foundation
import TorchCheckpoint
import TorchNN

/// Greedy grapheme-to-phoneme decoding with a GRU encoder–decoder loaded from a torch checkpoint.
@main
struct G2PDecode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "g2p-decode",
        abstract: "Decodes phoneme indices for a batch of words with a GRU encoder-decoder from a torch checkpoint.",
        discussion: """
            MODEL holds graphemes.*, encoder.*, phonemes.*, decoder.* and classifier.* under --prefix (loaded \
            strictly). INPUT holds int64 'words' (B, T) and 'lengths' (B). Prints one line per word: its phoneme \
            indices, space-separated. Exit codes: 0 success, 2 an unreadable file or key, 64 a usage error.
            """)

    @Argument(help: "The checkpoint.") var model: String
    @Argument(help: "A safetensors or .pt file with int64 'words' (B, T) and 'lengths' (B).") var input: String
    @Option(help: "The key prefix of the model's weights.") var prefix = ""
    @Option(help: "The token decoding starts from.") var start: Int64 = 1
    @Option(help: "The token that ends a word.") var end: Int64 = 2
    @Option(help: "The most phonemes decoded per word (1...\(Self.maximumSteps)).") var maxSteps = 12

    /// A bound on --max-steps: decoding stops at the end token anyway, and a word of
    /// more phonemes than this is a model that never emits it.
    static let maximumSteps = 10_000

    func validate() throws {
        guard (1...Self.maximumSteps).contains(maxSteps) else {
            throw ValidationError("--max-steps must be between 1 and \(Self.maximumSteps), got \(maxSteps)")
        }
    }

    func run() throws {
        do {
            let g2p = try G2P(loading: TensorFile.open(model), prefix: prefix)
            let file = try TensorFile.open(input)
            let decoded = try g2p.decode(file.integerTensor("words"), lengths: file.integerTensor("lengths").intScalars,
                                         start: start, end: end, maxSteps: maxSteps)
            for word in decoded { print(word.map(String.init).joined(separator: " ")) }
        } catch {
            let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
            FileHandle.standardError.write(Data("g2p-decode: \(message)\n".utf8))
            throw ExitCode(2)
        }
    }
}
