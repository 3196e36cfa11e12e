import Foundation
import Testing
@testable import TorchCheckpoint

/// Every writer replaces its destination atomically: a failure leaves the
/// previous file untouched and no temporary file behind.
@Suite("Atomic writers")
struct AtomicWriteTests {
    struct Boom: Error, Equatable {}

    private static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private static func listing(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    static let ok = ExportTensor(name: "a", dtype: .float32, shape: [2]) { [UInt8](repeating: 1, count: 8) }
    static let failing = ExportTensor(name: "f", dtype: .uint8, shape: [4]) { throw Boom() }

    @Test("a failed write keeps the previous file and leaves nothing else", arguments: TensorFileFormat.allCases)
    func failureKeepsPrevious(format: TensorFileFormat) throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent(format == .pt ? "m.pt" : "m.safetensors").path
        let previous = Data("previous contents".utf8)
        try previous.write(to: URL(fileURLWithPath: path))

        #expect(throws: Boom()) {
            switch format {
            case .safetensors: try SafetensorsWriter.write([Self.ok, Self.failing], to: path)
            case .pt: try TorchZipWriter.write([Self.ok, Self.failing], to: path)
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == previous)
        #expect(try Self.listing(folder) == [URL(fileURLWithPath: path).lastPathComponent])
    }

    @Test("while a file is written, the destination is untouched; a temporary file beside it grows",
          arguments: TensorFileFormat.allCases)
    func writesBeside(format: TensorFileFormat) throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent(format == .pt ? "m.pt" : "m.safetensors").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        let seen = Observations()
        let probe = ExportTensor(name: "p", dtype: .uint8, shape: [3]) {
            seen.record(destination: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data(),
                        others: ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !path.hasSuffix($0) })
            return [1, 2, 3]
        }
        try ShardedWriter.write([Self.ok, probe], to: path, format: format)
        #expect(seen.destination == Data("old".utf8))
        #expect(seen.others.count == 1)
        #expect(seen.others.first?.hasPrefix(".\(URL(fileURLWithPath: path).lastPathComponent).partial-") == true)
        #expect(try TensorFile.open(path).contiguousBytes("p") == [1, 2, 3])
        #expect(try Self.listing(folder) == [URL(fileURLWithPath: path).lastPathComponent])
    }

    @Test("sharded output is all or nothing: a failure in the last shard leaves no shard and no index",
          arguments: TensorFileFormat.allCases)
    func shardedAllOrNothing(format: TensorFileFormat) throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent(format == .pt ? "model.bin" : "model.safetensors").path
        let tensors = (0..<3).map { i in ExportTensor(name: "t\(i)", dtype: .uint8, shape: [100]) { [UInt8](repeating: UInt8(i), count: 100) } }
        #expect(throws: Boom()) {
            try ShardedWriter.write(tensors + [Self.failing], to: output, format: format, maxShardBytes: 150)
        }
        #expect(try Self.listing(folder).isEmpty)

        let written = try ShardedWriter.write(tensors, to: output, format: format, maxShardBytes: 150)
        #expect(written.count == 4)
        #expect(try Self.listing(folder) == written.map { URL(fileURLWithPath: $0).lastPathComponent }.sorted())
        let whole = try TensorFile.open(ShardedWriter.indexPath(for: output))
        #expect(whole.tensors.map(\.name) == ["t0", "t1", "t2"])
        #expect(try whole.contiguousBytes("t2") == [UInt8](repeating: 2, count: 100))
    }

    @Test("requests the format cannot hold are refused before any file is created")
    func validationFirst() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("m.safetensors").path
        let complex = ExportTensor(name: "c", dtype: .complex128, shape: [1]) { [UInt8](repeating: 0, count: 16) }
        let huge = ExportTensor(name: "h", dtype: .uint8, shape: [Int.max / 2 + 1]) { [] }
        #expect(throws: WriteError.unsupportedDType(file: folder.appendingPathComponent("m-00002-of-00002.safetensors").path,
                                                   name: "c", dtype: .complex128, format: "safetensors")) {
            try ShardedWriter.write([Self.ok, complex], to: output, format: .safetensors, maxShardBytes: 8)
        }
        // Two views whose sizes only overflow together: a typed error, not a trap.
        let pt = folder.appendingPathComponent("m.pt").path
        let quarter = ExportTensor(name: "q", dtype: .uint8, shape: [Int.max / 4 + 1]) { [] }
        #expect(throws: WriteError.invalidShape(file: pt, name: "q2", shape: [Int.max / 4 + 1])) {
            try TorchZipWriter.write([quarter, ExportTensor(name: "q2", dtype: .uint8, shape: [Int.max / 4 + 1]) { [] }], to: pt)
        }
        #expect(throws: WriteError.invalidShape(file: output, name: "h2", shape: [Int.max / 2 + 1])) {
            try ShardedWriter.write([huge, ExportTensor(name: "h2", dtype: .uint8, shape: [Int.max / 2 + 1]) { [] }],
                                   to: output, format: .safetensors, maxShardBytes: 1 << 30)
        }
        #expect(try Self.listing(folder).isEmpty)
        #expect(WriteError.invalidShape(file: "", name: "", shape: []).isInvalidRequest)
        #expect(!WriteError.io(file: "", reason: "").isInvalidRequest)
    }
}

/// What a tensor's producer saw while its file was being written.
private final class Observations: @unchecked Sendable {
    private let lock = NSLock()
    private var seenDestination = Data()
    private var seenOthers: [String] = []
    func record(destination: Data, others: [String]) {
        lock.withLock { seenDestination = destination; seenOthers = others }
    }
    var destination: Data { lock.withLock { seenDestination } }
    var others: [String] { lock.withLock { seenOthers } }
}
