import Foundation
import Testing
import TorchCheckpoint
import TorchNN

/// The code of the DocC "Getting started" article (TorchNN.docc/GettingStarted.md)
/// runs as written, on the bundled character model (fixtures/charlm/model.pt).
@Suite("DocC Getting started examples")
struct DocumentationExamplesTests {
    static let modelPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/charlm/model.pt").path

    @Test("from a .pt to a running LSTM in ten lines")
    func tenLines() throws {
        let checkpoint = try TensorFile.open(Self.modelPath)
        let lstm = try LSTM(loading: checkpoint, prefix: "rnn.")
        let x = try FloatTensor(shape: [20, 1, lstm.inputSize],
                            scalars: (0..<20 * lstm.inputSize).map { Float($0 % 7) / 7 })
        let result = try lstm(x)
        #expect(result.output.shape == [20, 1, 256])
        #expect(result.hN.shape == [2, 1, 256])
        #expect(result.cN?.shape == [2, 1, 256])
    }

    @Test("Embedding -> LSTM -> Linear, whole sequence and step by step, agree")
    func composedAndStreamed() throws {
        let checkpoint = try TensorFile.open(Self.modelPath)
        let tokens = [44, 30, 51, 1, 70, 58, 55, 1]
        let embed = try Embedding(loading: checkpoint, prefix: "embed.")
        let rnn = try LSTM(loading: checkpoint, prefix: "rnn.")
        let head = try Linear(loading: checkpoint, prefix: "head.")
        let logits = try head(try rnn(try embed(tokens, shape: [tokens.count, 1])).output)   // (T, 1, V)
        #expect(logits.shape == [tokens.count, 1, 83])

        var stream = try rnn.makeStream(batchSize: 1)
        var stepped: [Float] = []
        for token in tokens {
            let h = try stream.feed(try embed([token], shape: [1, 1]))   // (1, 1, H_out)
            stepped += try head(h).scalars                               // (1, 1, V)
        }
        // Streaming is the same computation as the whole sequence (one GEMV per step either way).
        let worst = zip(stepped, logits.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "max |stepped - whole| = \(worst)")
    }
}
