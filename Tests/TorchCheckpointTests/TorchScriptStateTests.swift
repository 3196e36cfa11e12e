import Foundation
import Testing
@testable import TorchCheckpoint

/// A TorchScript archive read with placeholders gives exactly
/// `torch.jit.load(f).state_dict()` (the sidecar `tools/make_conversion_fixtures.py`
/// wrote from torch): plain tensor attributes are not state, and the tensors of
/// `constants.pkl` appear only when asked for, as `constants.c<i>`.
@Suite("TorchScript state_dict")
struct TorchScriptStateTests {
    static let folder = FixturePaths.repositoryRoot.appendingPathComponent("fixtures/conversion")
    static let path = folder.appendingPathComponent("torchscript_state.pt").path

    private func expectation(_ name: String) throws -> Expectation {
        try JSONDecoder().decode(Expectation.self, from: Data(contentsOf: Self.folder.appendingPathComponent(name)))
    }

    private func expectMatches(_ checkpoint: Checkpoint, _ expected: Expectation) throws {
        #expect(checkpoint.tensors.map(\.name) == expected.tensors.map(\.name))
        for want in expected.tensors {
            let tensor = try #require(checkpoint.tensor(named: want.name))
            #expect(tensor.dtype.rawValue == want.dtype)
            #expect(tensor.shape == want.shape)
            try expectValues(checkpoint, tensor, want)
        }
    }

    @Test("names and values are the module's state_dict: no _state, _context or constant")
    func stateDict() throws {
        let checkpoint = try Checkpoint(path: Self.path, options: ReadOptions(unknownGlobals: .placeholder))
        try expectMatches(checkpoint, try expectation("torchscript_state.expected.json"))
        #expect(checkpoint.tensor(named: "_state") == nil)
        #expect(checkpoint.tensor(named: "_context") == nil)
        #expect(checkpoint.values.isEmpty, "\(checkpoint.values.map(\.name))")
    }

    @Test("constants.pkl's tensors are listed as constants.c<i> when asked for")
    func constants() throws {
        let checkpoint = try Checkpoint(path: Self.path, options: ReadOptions(unknownGlobals: .placeholder, torchScriptConstants: true))
        try expectMatches(checkpoint, try expectation("torchscript_state.with_constants.expected.json"))
        // Its storage is the constants/ record, not data/0.
        #expect(checkpoint.tensor(named: "constants.c0")?.storageKey == "constants/0")
    }

    @Test("without placeholders the archive is still refused, naming its __torch__ class")
    func refusedByDefault() {
        #expect {
            try Checkpoint(path: Self.path)
        } throws: { error in
            guard case let .forbiddenGlobal(_, module, _, _)? = error as? CheckpointError else { return false }
            return module == "__torch__"
        }
    }

    @Test("class declarations are read from TorchScript's printed code, and nothing else")
    func declarations() {
        let source = """
        class Outer(Module):
          __parameters__ = ["w", ]
          __buffers__ = ["count", "nothing", ]
          count : Tensor
          def forward(self: __torch__.Outer,
            x: Tensor) -> Tensor:
            __parameters__ = ["not", "this"]
            return x
        class Point(object):
          __parameters__ = ["x"]
        class Empty(Module):
          __parameters__ = []
          __buffers__ = []
        """
        let classes = TorchScriptArchive.parseDeclarations(source)
        #expect(classes["Outer"] == .init(isModule: true, parameters: ["w"], buffers: ["count", "nothing"]))
        #expect(classes["Point"] == .init(isModule: false, parameters: ["x"], buffers: []))
        #expect(classes["Empty"] == .init(isModule: true, parameters: [], buffers: []))
        #expect(classes.count == 3)
    }

    @Test("a module that is its own submodule ends at a limit with placeholders, never in an endless walk")
    func selfReference() {
        let path = HostileCorpus.folder.appendingPathComponent("torchscript_self_reference.pt").path
        let placeholders = ReadOptions(unknownGlobals: .placeholder)
        #expect(throws: CheckpointError.limitExceeded(file: path, what: "TorchScript module nesting", limit: ReadLimits.default.maxDepth)) {
            try Checkpoint(path: path, options: placeholders)
        }
        var limits = ReadLimits()
        limits.maxVisitedNodes = 100
        #expect(throws: CheckpointError.limitExceeded(file: path, what: "TorchScript modules and tensors visited", limit: 100)) {
            try Checkpoint(path: path, limits: limits, options: placeholders)
        }
    }

    @Test("a module class the archive's code does not declare is a typed error naming the class and the code file")
    func undeclaredClass() {
        let path = HostileCorpus.folder.appendingPathComponent("torchscript_undeclared_class.pt").path
        #expect(throws: CheckpointError.torchScriptClassUndefined(file: path, className: "__torch__.Ghost", entry: "archive/code/__torch__.py")) {
            try Checkpoint(path: path, options: ReadOptions(unknownGlobals: .placeholder))
        }
    }
}
