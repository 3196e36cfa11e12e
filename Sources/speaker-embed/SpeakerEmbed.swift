import ArgumentParser
import Foundation
import TorchCheckpoint
import TorchNN

/// Speaker embeddings of mel-frame batches with a GE2E-style encoder loaded from a torch checkpoint.
@main
struct SpeakerEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speaker-embed",
        abstract: "Embeds (B, T, 40) mel frames with a 3-layer LSTM speaker encoder from a torch checkpoint.",
        discussion: """
            MODEL is any checkpoint the library reads (.pt, safetensors, sharded index) with lstm.* and linear.* \
            under --prefix. Keys under the prefix the model does not use are listed on stderr and ignored; \
            missing or mis-shaped keys are errors. Exit codes: 0 success, 2 an unreadable file or key.
            """)

    @Argument(help: "The checkpoint.") var model: String
    @Argument(help: "A safetensors or .pt file with a float tensor 'frames' (B, T, 40).") var input: String
    @Argument(help: "The safetensors file to write, with 'embeddings' (B, 256).") var output: String
    @Option(help: "The key prefix of the model's weights (e.g. 'model_state.').") var prefix = ""

    func run() throws {
        do {
            let (encoder, report) = try SpeakerEncoder.load(from: TensorFile.open(model), prefix: prefix, strict: false)
            for key in report.unexpectedKeys {
                FileHandle.standardError.write(Data("speaker-embed: ignoring '\(key)' (not a parameter of the model)\n".utf8))
            }
            let embeddings = try encoder(TensorFile.open(input).floatTensor("frames"))
            try SafetensorsWriter.write([ExportTensor(name: "embeddings", tensor: embeddings)], to: output)
        } catch {
            let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
            FileHandle.standardError.write(Data("speaker-embed: \(message)\n".utf8))
            throw ExitCode(2)
        }
    }
}
