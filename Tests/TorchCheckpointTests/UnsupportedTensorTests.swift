import Foundation
import Testing
@testable import TorchCheckpoint

/// Tensors torch's weights-only loader accepts but this reader cannot hold
/// (quantized, sparse, meta), saved by torch in `fixtures/checkpoints/unsupported/`:
/// each is refused with the global and kind `EXPECTED.json` names, never read
/// as plain elements.
@Suite("Allowlisted tensor kinds the reader refuses")
struct UnsupportedTensorTests {
    struct Expected: Decodable, Sendable {
        let global: String
        let kind: String
    }

    static let folder = FixturePaths.checkpoints.appendingPathComponent("unsupported")
    static let expected: [String: Expected] = {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("EXPECTED.json")) else { return [:] }
        return (try? JSONDecoder().decode([String: Expected].self, from: data)) ?? [:]
    }()

    @Test("the fixture list is present")
    func listed() {
        #expect(Set(Self.expected.keys) == ["quantized.pt", "sparse.pt", "meta.pt"])
    }

    @Test("refused with the global and kind named", arguments: ["quantized.pt", "sparse.pt", "meta.pt"])
    func refused(file: String) throws {
        let want = try #require(Self.expected[file])
        let path = Self.folder.appendingPathComponent(file).path
        do {
            _ = try Checkpoint(path: path)
            Issue.record("\(file) opened")
        } catch let error as CheckpointError {
            guard case let .unsupportedTensorKind(errorFile, global, kind, _) = error else {
                Issue.record("\(file): \(error)")
                return
            }
            #expect(errorFile == path)
            #expect(global == want.global)
            #expect(kind.rawValue == want.kind)
            #expect(error.localizedDescription.contains(kind.description))
        }
    }

    @Test("torch.storage.UntypedStorage is a storage class; TypedStorage and quantized storages are refused kinds")
    func storageGlobals() {
        #expect(AllowedGlobal(module: "torch.storage", name: "UntypedStorage") == .storageClass(nil))
        #expect(AllowedGlobal(module: "torch.cuda", name: "HalfStorage") == .storageClass(.float16))
        #expect(AllowedGlobal(module: "torch", name: "uint16") == .dtype(.uint16))
        #expect(AllowedGlobal(module: "torch", name: "float8_e8m0fnu") == .dtype(.float8_e8m0fnu))
        #expect(AllowedGlobal(module: "torch.storage", name: "TypedStorage")
                == .unsupportedTensor(global: "torch.storage.TypedStorage", kind: .typedStorageClass))
        #expect(AllowedGlobal(module: "torch", name: "int4") == .dtypeWithoutLayout("int4"))
        #expect(AllowedGlobal(module: "torch", name: "os") == nil)
        #expect(AllowedGlobal(module: "torch._utils", name: "_rebuild_everything") == nil)
    }
}
