import Foundation
import Testing
@testable import TorchCheckpoint

/// Files of other formats (`fixtures/foreign/`, written by
/// `tools/make_foreign_fixtures.py`) are refused by naming what they are, and
/// refusals a flag would lift say which flag.
@Suite("Refusals that say what the file is")
struct ForeignFormatTests {
    static let folder = FixturePaths.repositoryRoot.appendingPathComponent("fixtures/foreign")
    static let expected: [String: String] = {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("EXPECTED.json")) else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
    }()
    static let files = ["arrays.npz", "array.npy", "model.onnx", "weights.h5", "model.keras", "model.gguf",
                        "plain.pkl", "plain_protocol2.pkl", "saved_model/saved_model.pb", "saved_model"]

    @Test("every format has a fixture")
    func everyFormat() {
        #expect(Set(Self.expected.keys) == Set(Self.files))
        #expect(Set(Self.expected.values) == Set(ForeignFormat.allCases.map(\.rawValue)))
    }

    @Test("named by format, through Checkpoint and TensorFile.open", arguments: files)
    func named(file: String) throws {
        let format = try #require(Self.expected[file].flatMap(ForeignFormat.init(rawValue:)))
        let path = Self.folder.appendingPathComponent(file).path
        let error = CheckpointError.notATorchCheckpoint(file: path, format: format)
        #expect(throws: error) { try Checkpoint(path: path) }
        #expect(throws: error) { try TensorFile.open(path) }
        #expect(error.localizedDescription == "\(path): this is \(format.description), not a torch.save checkpoint")
    }

    @Test("a zip without data.pkl names the entry in its top folder, never '<top>'")
    func missingPickleEntry() {
        let oneFolder = HostileCorpus.folder.appendingPathComponent("zip_no_data_pkl.pt").path
        #expect(throws: CheckpointError.missingEntry(file: oneFolder, entry: "archive/data.pkl")) { try Checkpoint(path: oneFolder) }
        let empty = HostileCorpus.folder.appendingPathComponent("zip_eocd_only.pt").path
        #expect(throws: CheckpointError.missingEntry(file: empty, entry: "data.pkl")) { try Checkpoint(path: empty) }
    }

    @Test("whole-module pickles and TorchScript archives suggest --full-model and the ReadOptions field",
          arguments: ["full_model.pt", "scripted.pt"])
    func suggestsFullModel(file: String) throws {
        let path = FixturePaths.repositoryRoot.appendingPathComponent("fixtures/conversion/\(file)").path
        do {
            _ = try Checkpoint(path: path)
            Issue.record("\(file) opened without --full-model")
        } catch let error as CheckpointError {
            guard case .forbiddenGlobal = error else { Issue.record("\(error)"); return }
            let message = error.localizedDescription
            #expect(message.contains("--full-model"), "\(message)")
            #expect(message.contains("ReadOptions(unknownGlobals: .placeholder)"), "\(message)")
            #expect(message.contains(file == "scripted.pt" ? "TorchScript" : "torch.save(model)"), "\(message)")
        }
    }

    @Test("code-execution globals get no such suggestion; model classes and numpy values do")
    func noSuggestionForSystemCalls() {
        for (module, name) in [("posix", "system"), ("builtins", "eval"), ("subprocess", "Popen"), ("torch", "load"),
                               ("torch.storage", "_load_from_bytes"), ("collections", "OrderedDict.__class__")] {
            #expect(CheckpointError.fullModelReading(module: module, name: name) == nil, "\(module).\(name)")
            #expect(!CheckpointError.forbiddenGlobal(file: "f", module: module, name: name, offset: 0).localizedDescription.contains("--full-model"))
        }
        for (module, name) in [("__torch__.torch.nn.modules.linear", "Linear"), ("__main__", "TinyNet"),
                               ("torch.nn.modules.rnn", "LSTM"), ("__torch__", "Model"), ("numpy.core.multiarray", "scalar"),
                               ("numpy", "dtype")] {
            #expect(CheckpointError.fullModelReading(module: module, name: name) != nil, "\(module).\(name)")
        }
    }
}
