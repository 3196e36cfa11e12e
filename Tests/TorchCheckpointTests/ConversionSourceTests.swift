import Foundation
import Testing
@testable import TorchCheckpoint

/// Full-model pickles, TorchScript archives and sharded checkpoints made by
/// real torch (tools/make_conversion_fixtures.py) read back with the module's
/// state_dict names and values.
@Suite("Conversion sources")
struct ConversionSourceTests {
    static let folder = FixturePaths.repositoryRoot.appendingPathComponent("fixtures/conversion")

    private func expectation(_ relative: String) throws -> Expectation {
        let url = Self.folder.appendingPathComponent(relative)
        return try JSONDecoder().decode(Expectation.self, from: Data(contentsOf: url))
    }

    private func expectTensors(_ store: any TensorStore, match expected: Expectation) throws {
        #expect(store.tensors.map(\.name) == expected.tensors.map(\.name))
        for want in expected.tensors {
            let got = try store.doubles(want.name)
            #expect(got == want.values.doubles, "\(want.name)")
        }
    }

    @Test("a torch.save(model) pickle is refused by default, naming the user's class")
    func fullModelStrict() {
        let path = Self.folder.appendingPathComponent("full_model.pt").path
        #expect {
            try Checkpoint(path: path)
        } throws: { error in
            guard case let .forbiddenGlobal(_, module, name, _)? = error as? CheckpointError else { return false }
            return module == "my_project.models" && name == "TinyTagger"
        }
    }

    @Test("with placeholders, full-model pickles and TorchScript archives give the state_dict", arguments: ["full_model", "scripted"])
    func placeholders(name: String) throws {
        let checkpoint = try Checkpoint(path: Self.folder.appendingPathComponent("\(name).pt").path,
                                        options: ReadOptions(unknownGlobals: .placeholder))
        try expectTensors(checkpoint, match: try expectation("\(name).expected.json"))
    }

    @Test("sharded checkpoints read through their index", arguments: [
        "sharded_bin/pytorch_model.bin.index", "sharded_safetensors/model.safetensors.index",
    ])
    func sharded(index: String) throws {
        let store = try TensorFile.open(Self.folder.appendingPathComponent("\(index).json").path)
        #expect(store is ShardedTensorStore)
        try expectTensors(store, match: try expectation("\(index).expected.json"))
    }

    @Test("an index that names a tensor its shard lacks is refused")
    func badIndex() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let shard = Self.folder.appendingPathComponent("sharded_bin/pytorch_model-00001-of-00002.bin")
        try FileManager.default.copyItem(at: shard, to: directory.appendingPathComponent("a.bin"))
        let index = directory.appendingPathComponent("x.bin.index.json")
        try Data(#"{"weight_map": {"nope.weight": "a.bin"}}"#.utf8).write(to: index)
        #expect(throws: CheckpointError.self) { try TensorFile.open(index.path) }
        try Data(#"{"weight_map": {"nope.weight": "../a.bin"}}"#.utf8).write(to: index)
        #expect(throws: CheckpointError.self) { try TensorFile.open(index.path) }
    }
}
