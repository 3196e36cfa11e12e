import Foundation
import Testing
@testable import TorchCheckpoint

/// Files that must be refused with a typed error and never crash.
@Suite("Hostile and broken input")
struct HostileInputTests {
    static let hostileFiles: [String: String] = {
        let url = FixturePaths.hostile.appendingPathComponent("EXPECTED.json")
        guard let data = try? Data(contentsOf: url),
              let map = try? JSONSerialization.jsonObject(with: data) as? [String: String] else { return [:] }
        return map
    }()

    @Test("the hostile corpus is present: every file is listed, and the list is not empty")
    func corpusPresent() throws {
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: FixturePaths.hostile.path).filter { $0.hasSuffix(".pt") }
        #expect(Set(onDisk) == Set(Self.hostileFiles.keys))
        #expect(Self.hostileFiles.count >= 3)
    }

    @Test("pickles naming code-running globals are refused with the global named", arguments: Array(hostileFiles.keys).sorted())
    func forbiddenGlobals(file: String) throws {
        let path = FixturePaths.hostile.appendingPathComponent(file).path
        let global = try #require(Self.hostileFiles[file])
        do {
            _ = try Checkpoint(path: path)
            Issue.record("\(file) was accepted")
        } catch let CheckpointError.forbiddenGlobal(errorFile, module, name, _) {
            #expect(errorFile == path)
            #expect("\(module).\(name)" == global)
            let message = CheckpointError.forbiddenGlobal(file: errorFile, module: module, name: name, offset: 0).localizedDescription
            #expect(message.contains(global))
        }
    }

    @Test("every truncation of a checkpoint is a typed error, never a crash")
    func truncations() throws {
        for name in ["rnn_state_dict.pt", "legacy_lstm.pt", "deflated.pt"] {
            let data = try Data(contentsOf: FixturePaths.checkpoints.appendingPathComponent(name))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("truncations-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent(name)
            for length in stride(from: 0, to: data.count, by: max(1, data.count / 300)) {
                try data.prefix(length).write(to: path)
                #expect(throws: CheckpointError.self, "\(name) cut at \(length)") {
                    let checkpoint = try Checkpoint(path: path.path)
                    for tensor in checkpoint.tensors { _ = try checkpoint.contiguousBytes(tensor.name) }
                }
            }
        }
    }

    @Test("a flipped byte in a stored record fails its CRC check")
    func crcMismatch() throws {
        let source = FixturePaths.checkpoints.appendingPathComponent("rnn_state_dict.pt")
        var data = try Data(contentsOf: source)
        let checkpoint = try Checkpoint(path: source.path)
        let archive = try ZipArchive(file: checkpoint.file, limits: .default)
        let record = try #require(archive.entries.first { $0.name.hasSuffix("/data/0") })
        data[record.dataOffset] ^= 0x55
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("crc-\(UUID().uuidString).pt")
        try data.write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let damaged = try Checkpoint(path: path.path)
        let name = try #require(damaged.tensors.first { $0.storageKey == "0" }).name
        #expect {
            try damaged.floatTensor(name)
        } throws: { error in
            guard case .crcMismatch(_, let entry, _, _)? = error as? CheckpointError else { return false }
            return entry == record.name
        }
        // Trusting stored CRCs, as torch.load does, gives the damaged values: exactly the
        // first element differs, by the flipped bits of its first byte.
        let trusting = try Checkpoint(path: path.path, options: ReadOptions(verifiesStoredChecksums: false))
        let damagedValues = try trusting.floatTensor(name).scalars
        let originalValues = try checkpoint.floatTensor(name).scalars
        #expect(damagedValues.count == originalValues.count)
        #expect(damagedValues.first?.bitPattern == originalValues.first.map { $0.bitPattern ^ 0x55 })
        #expect(Array(damagedValues.dropFirst()) == Array(originalValues.dropFirst()))
    }

    @Test("random data, an empty file and a directory are refused")
    func notCheckpoints() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("junk-\(UUID().uuidString).pt")
        defer { try? FileManager.default.removeItem(at: path) }
        try Data().write(to: path)
        #expect(throws: CheckpointError.unknownFormat(file: path.path)) { try Checkpoint(path: path.path) }
        try Data("hello, this is not a checkpoint".utf8).write(to: path)
        #expect(throws: CheckpointError.unknownFormat(file: path.path)) { try Checkpoint(path: path.path) }
        #expect(throws: CheckpointError.self) { try Checkpoint(path: FixturePaths.checkpoints.path) }
        #expect(throws: CheckpointError.self) { try Checkpoint(path: "/nonexistent/model.pt") }
    }
}
