import Foundation
import Testing
@testable import TorchCheckpoint

/// Layout facts that the value comparisons alone would not pin down.
@Suite("Checkpoint layouts")
struct CheckpointLayoutTests {
    private func open(_ name: String) throws -> Checkpoint {
        try Checkpoint(path: FixturePaths.checkpoints.appendingPathComponent(name).path)
    }

    @Test("views keep torch's strides and offsets and read without copying the storage")
    func views() throws {
        let checkpoint = try open("noncontiguous_views.pt")
        let transposed = try #require(checkpoint.tensor(named: "transposed"))
        #expect(transposed.strides == [1, 4])
        #expect(!transposed.isContiguous)
        let expanded = try #require(checkpoint.tensor(named: "expanded"))
        #expect(expanded.strides == [0, 1])
        let slice = try #require(checkpoint.tensor(named: "strided_slice"))
        #expect(slice.storageOffset == 1)
        #expect(slice.strides == [12, 3])
    }

    @Test("tied weights and overlapping views share one storage record")
    func sharedStorage() throws {
        let checkpoint = try open("shared_storage.pt")
        let keys = Set(checkpoint.tensors.map(\.storageKey))
        #expect(keys.count < checkpoint.tensors.count)
        let tied1 = try #require(checkpoint.tensor(named: "tied_1"))
        let tied2 = try #require(checkpoint.tensor(named: "tied_2"))
        #expect(tied1.storageKey == tied2.storageKey)
        #expect(try checkpoint.floatTensor("tied_1") == checkpoint.floatTensor("tied_2"))
    }

    @Test("a big-endian file is byte-swapped, the same values as little-endian")
    func bigEndian() throws {
        let checkpoint = try open("big_endian.pt")
        #expect(checkpoint.isBigEndian)
        let expected = try Expectation.load("big_endian.expected.json")
        let float32 = try #require(checkpoint.tensors.first { $0.dtype == .float32 }, "big_endian.pt has a float32 tensor")
        let want = try #require(expected.tensors.first { $0.name == float32.name })
        let bytes = try checkpoint.contiguousBytes(float32.name)
        let floats = try checkpoint.floatTensor(float32.name)
        #expect(floats.scalars == want.values.doubles.map { Float($0) })
        // contiguousBytes is little-endian: reinterpreting it gives torch's values back.
        let reread = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(reread == floats.scalars)
        #expect(reread.contains { $0 != 0 }, "values that read the same in either byte order prove nothing")
    }

    @Test("the legacy stream format and every zip variant are recognised")
    func formats() throws {
        #expect(try open("legacy_lstm.pt").format == .legacy)
        for name in ["deflated.pt", "crc0.pt", "zip64_full.pt", "zip64_local.pt", "protocol4.pt", "aligned_4096.pt", "archive_folder.pt", "dotted.name.v1.pt"] {
            #expect(try open(name).format == .zip, "\(name)")
        }
    }

    @Test("Checkpoint serves layers through TensorSource")
    func tensorSource() throws {
        let source: any TensorSource = try open("rnn_state_dict.pt")
        #expect(source.tensorNames.first == "weight_ih_l0")
        #expect(source.descriptor(of: "weight_ih_l0") == TensorDescriptor(name: "weight_ih_l0", dtype: .float32, shape: [4, 3]))
        #expect(source.tensorNames(withPrefix: "bias_").count == 8)
        #expect(throws: CheckpointError.noSuchTensor(file: FixturePaths.checkpoints.appendingPathComponent("rnn_state_dict.pt").path, name: "nope")) {
            try source.floatTensor("nope")
        }
    }

    @Test("an integer tensor is not silently read as floats")
    func wrongDType() throws {
        let checkpoint = try open("dtypes.pt")
        #expect(throws: CheckpointError.self) { try checkpoint.floatTensor("int64") }
        #expect(throws: CheckpointError.self) { try checkpoint.integerTensor("float32") }
    }
}
