import Foundation
import Testing
import TorchCheckpoint

/// Runs the example executables as a user would, on fixtures made by
/// tools/make_example_fixtures.py, and compares with torch's results.
@Suite("Example models end to end")
struct ExampleTests {
    static let root = PTConvertEndToEndTests.root
    static let speaker = root.appendingPathComponent("fixtures/examples/speaker")
    static let g2p = root.appendingPathComponent("fixtures/examples/g2p")

    static func run(_ name: String, _ arguments: [String]) throws -> PTConvertEndToEndTests.Run {
        try PTConvertEndToEndTests.run(PTConvertEndToEndTests.program(name), arguments)
    }

    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("example-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Every element within `atol` of torch's (and the same shape).
    static func expectEmbeddings(_ file: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let got = try SafetensorsFile(contentsOf: file).floatTensor("embeddings")
        let want = try SafetensorsFile(contentsOf: speaker.appendingPathComponent("golden.safetensors")).floatTensor("embeddings")
        #expect(got.shape == [3, 256], sourceLocation: sourceLocation)
        #expect(got.shape == want.shape, sourceLocation: sourceLocation)
        let worst = zip(got.scalars, want.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "max |error| \(worst)", sourceLocation: sourceLocation)
    }

    @Test func speakerEmbedMatchesTorchFromATrainingCheckpoint() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("embeddings.safetensors")
        let run = try Self.run("speaker-embed", [
            Self.speaker.appendingPathComponent("model.pt").path, Self.speaker.appendingPathComponent("frames.safetensors").path,
            output.path, "--prefix", "model_state.",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        // The GE2E training parameters are listed and ignored.
        #expect(run.stderr == """
            speaker-embed: ignoring 'model_state.similarity_weight' (not a parameter of the model)
            speaker-embed: ignoring 'model_state.similarity_bias' (not a parameter of the model)

            """)
        try Self.expectEmbeddings(output)
    }

    /// The checkpoint's model_state as a safetensors file without a prefix, with `edit` applied.
    static func safetensorsCheckpoint(in directory: URL, _ edit: (inout [String: FloatTensor]) throws -> Void) throws -> URL {
        let checkpoint = try Checkpoint(contentsOf: speaker.appendingPathComponent("model.pt"))
        var tensors: [String: FloatTensor] = [:]
        for name in checkpoint.tensorNames where name.hasPrefix("model_state.") {
            tensors[String(name.dropFirst("model_state.".count))] = try checkpoint.floatTensor(name)
        }
        try edit(&tensors)
        let url = directory.appendingPathComponent("model.safetensors")
        try SafetensorsWriter.write(try tensors.keys.sorted().map { try ExportTensor(name: $0, tensor: tensors[$0]!) }, to: url.path)
        return url
    }

    @Test func speakerEmbedReadsASafetensorsModelAndPtFrames() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try Self.safetensorsCheckpoint(in: directory) { $0["similarity_weight"] = nil; $0["similarity_bias"] = nil }
        // The frames as a .pt file, the other input format.
        let frames = directory.appendingPathComponent("frames.pt")
        let framesTensor = try SafetensorsFile(contentsOf: Self.speaker.appendingPathComponent("frames.safetensors")).floatTensor("frames")
        try TorchZipWriter.write([ExportTensor(name: "frames", tensor: framesTensor)], to: frames.path)
        let output = directory.appendingPathComponent("embeddings.safetensors")
        let run = try Self.run("speaker-embed", [model.path, frames.path, output.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        try Self.expectEmbeddings(output)
    }

    @Test func speakerEmbedNamesMissingAndMisshapedKeysTogether() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try Self.safetensorsCheckpoint(in: directory) {
            $0["lstm.bias_hh_l2"] = nil
            $0["linear.weight"] = try FloatTensor(zeros: [256, 128])
        }
        let output = directory.appendingPathComponent("embeddings.safetensors")
        let run = try Self.run("speaker-embed", [model.path, Self.speaker.appendingPathComponent("frames.safetensors").path, output.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("missing weight 'lstm.bias_hh_l2'"), "\(run.stderr)")
        #expect(run.stderr.contains("weight 'linear.weight' has shape (256, 128); expected (256, 256)"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    @Test func g2pDecodesTheSameTokensAsTorch() throws {
        let run = try Self.run("g2p-decode", [Self.g2p.appendingPathComponent("model.pt").path,
                                              Self.g2p.appendingPathComponent("words.safetensors").path])
        #expect(run.status == 0, "\(run.stderr)")
        let golden = try SafetensorsFile(contentsOf: Self.g2p.appendingPathComponent("golden.safetensors")).integerTensor("tokens")
        let width = golden.shape[1]
        let expected = (0..<golden.shape[0]).map { b in
            golden.scalars[(b * width)..<((b + 1) * width)].filter { $0 >= 0 }.map(String.init).joined(separator: " ")
        }
        #expect(run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) == expected + [""])
    }

    @Test func g2pRefusesAWrongPrefix() throws {
        let run = try Self.run("g2p-decode", [Self.g2p.appendingPathComponent("model.pt").path,
                                              Self.g2p.appendingPathComponent("words.safetensors").path, "--prefix", "model."])
        #expect(run.status == 2)
        #expect(run.stderr.contains("problems loading the model under 'model.'"), "\(run.stderr)")
        // The weights are looked for under the prefix, and the ones outside it are not blamed.
        #expect(run.stderr.contains("missing weight 'model.graphemes.weight'"), "\(run.stderr)")
        #expect(run.stderr.contains("unexpected weight 'graphemes.weight'") == false)
    }

    @Test("g2p-decode refuses a --max-steps outside 1...10000 as a usage error, without crashing",
          arguments: ["-1", "0", "10001", "99999999999999999999"])
    func g2pRefusesBadMaxSteps(_ value: String) throws {
        let run = try Self.run("g2p-decode", [Self.g2p.appendingPathComponent("model.pt").path,
                                              Self.g2p.appendingPathComponent("words.safetensors").path, "--max-steps", value])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("--max-steps") && !run.stderr.contains("Fatal error"), "\(run.stderr)")
    }
}
