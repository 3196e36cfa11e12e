import Foundation
import Testing
@testable import TorchCheckpoint

/// torch 2.15's allowlisted rebuilds that no CPU-only torch can write into a
/// fixture (`_rebuild_tensor` predates v2; `_rebuild_device_tensor_from_cpu_tensor`
/// is written for xla/mtia/maia tensors), on hand-assembled streams.
@Suite("Allowlisted rebuild rules")
struct AllowlistRebuildTests {
    /// Opcodes as protocol 2 spells them.
    private struct Stream {
        var bytes: [UInt8] = [0x80, 0x02]
        mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }
        mutating func string(_ s: String) { bytes += [0x58] + withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian, Array.init) + Array(s.utf8) }
        mutating func int(_ i: UInt8) { bytes += [0x4B, i] }
        mutating func op(_ code: UInt8) { bytes.append(code) }
        mutating func ints(_ values: [UInt8]) { op(0x28); values.forEach { int($0) }; op(0x74) }
        /// `('storage', torch.<storageClass>, '0', 'cpu', numel)` as a persistent id.
        mutating func storage(_ storageModule: String, _ storageClass: String, numel: UInt8) {
            op(0x28); string("storage"); global(storageModule, storageClass); string("0"); string("cpu"); int(numel); op(0x74); op(0x51)
        }
    }

    /// Runs the stream with persistent ids resolved to one storage of `numel`
    /// elements of the class's dtype (bytes when untyped).
    private func run(_ stream: Stream) throws -> PickleValue {
        var machine = PickleMachine(file: "test.pkl", limits: .default) { id, offset in
            guard case let .tuple(parts) = id, case let .global(.storageClass(dtype)) = parts[1], case let .int(count) = parts[4] else {
                throw CheckpointError.corruptPickle(file: "test.pkl", offset: offset, reason: "not a storage id")
            }
            return .storage(StorageRecord(key: "0", dtype: dtype, count: count, location: "cpu"))
        }
        var bytes = stream.bytes
        bytes.append(0x2E)  // STOP
        return try bytes.withUnsafeBytes { try machine.run($0).value }
    }

    private func tensorV2(_ s: inout Stream, storageModule: String = "torch", storageClass: String = "FloatStorage",
                          numel: UInt8 = 6, size: [UInt8] = [2, 3], stride: [UInt8] = [3, 1]) {
        s.global("torch._utils", "_rebuild_tensor_v2")
        s.op(0x28)
        s.storage(storageModule, storageClass, numel: numel)
        s.int(0); s.ints(size); s.ints(stride)
        s.op(0x89)  // requires_grad False
        s.global("collections", "OrderedDict"); s.op(0x29); s.op(0x52)
        s.op(0x74); s.op(0x52)
    }

    @Test("_rebuild_tensor(storage, offset, size, stride) is the pre-v2 spelling of the same view")
    func rebuildTensorV1() throws {
        var s = Stream()
        s.global("torch._utils", "_rebuild_tensor")
        s.op(0x28)
        s.storage("torch", "FloatStorage", numel: 6)
        s.int(1); s.ints([2, 2]); s.ints([1, 2])
        s.op(0x74); s.op(0x52)
        guard case let .tensor(record) = try run(s) else { Issue.record("not a tensor"); return }
        #expect(record.dtype == .float32)
        #expect(record.shape == [2, 2] && record.strides == [1, 2] && record.storageOffset == 1)
    }

    @Test("_rebuild_device_tensor_from_cpu_tensor hands back its CPU tensor, whose dtype must agree")
    func deviceTensor() throws {
        for (dtype, agrees) in [("float32", true), ("float64", false)] {
            var s = Stream()
            s.global("torch._utils", "_rebuild_device_tensor_from_cpu_tensor")
            s.op(0x28)
            tensorV2(&s)
            s.global("torch", dtype); s.string("xla:0"); s.op(0x89)
            s.op(0x74); s.op(0x52)
            if agrees {
                guard case let .tensor(record) = try run(s) else { Issue.record("not a tensor"); continue }
                #expect(record.dtype == .float32 && record.shape == [2, 3])
            } else {
                #expect(throws: CheckpointError.self) { try run(s) }
            }
        }
    }

    @Test("_rebuild_tensor_v2 on a torch.storage.UntypedStorage reads bytes, as torch.load does")
    func untypedV2() throws {
        var s = Stream()
        tensorV2(&s, storageModule: "torch.storage", storageClass: "UntypedStorage", numel: 6, size: [6], stride: [1])
        guard case let .tensor(record) = try run(s) else { Issue.record("not a tensor"); return }
        #expect(record.dtype == .uint8 && record.shape == [6])
    }

    @Test("collections.Counter is a dict when pickled as Counter(dict); an iterable argument is refused")
    func counter() throws {
        var s = Stream()
        s.global("collections", "Counter")
        s.op(0x28); s.op(0x7D); s.string("a"); s.int(2); s.op(0x73); s.op(0x74); s.op(0x52)
        guard case let .dict(dict) = try run(s), case .int(2)? = dict["a"] else { Issue.record("not {'a': 2}"); return }
        var list = Stream()
        list.global("collections", "Counter")
        list.op(0x28); list.op(0x5D); list.string("a"); list.op(0x61); list.op(0x74); list.op(0x52)
        #expect(throws: CheckpointError.self) { try run(list) }
    }

    @Test("a sub-byte dtype in _rebuild_tensor_v3 is refused as unsupportedTensorKind")
    func subByteDType() {
        var s = Stream()
        s.global("torch._utils", "_rebuild_tensor_v3")
        s.op(0x28)
        s.storage("torch.storage", "UntypedStorage", numel: 6)
        s.int(0); s.ints([6]); s.ints([1]); s.op(0x89)
        s.global("collections", "OrderedDict"); s.op(0x29); s.op(0x52)
        s.global("torch", "int4")
        s.op(0x74); s.op(0x52)
        #expect {
            try run(s)
        } throws: { error in
            guard case let .unsupportedTensorKind(_, global, kind, _)? = error as? CheckpointError else { return false }
            return global == "torch.int4" && kind == .dtypeWithoutLayout
        }
    }
}
