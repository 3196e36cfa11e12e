import Foundation
import Testing
@testable import TorchCheckpoint

/// Locations of the safetensors fixtures written by tools/make_safetensors_fixtures.py.
enum SafetensorsFixtures {
    static let folder = FixturePaths.repositoryRoot.appendingPathComponent("fixtures/safetensors")
    static let malformedFolder = folder.appendingPathComponent("malformed")

    /// Every `.expected.json` sidecar.
    static let sidecars: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".expected.json") }.sorted()
    }()

    /// Every well-formed fixture file.
    static let files: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") }.sorted()
    }()

    /// malformed/EXPECTED.json: file -> substring of the error message.
    static let malformed: [String: String] = {
        let url = malformedFolder.appendingPathComponent("EXPECTED.json")
        guard let data = try? Data(contentsOf: url),
              let map = try? JSONSerialization.jsonObject(with: data) as? [String: String] else { return [:] }
        return map
    }()

    static func expectation(_ sidecar: String) throws -> Expectation {
        try JSONDecoder().decode(Expectation.self, from: Data(contentsOf: folder.appendingPathComponent(sidecar)))
    }

    /// Every `.pt` checkpoint with a sidecar in fixtures/checkpoints.
    static let checkpoints: [String] = FixturePaths.sidecars.compactMap { sidecar in
        let stem = String(sidecar.dropLast(".expected.json".count))
        let path = FixturePaths.checkpoints.appendingPathComponent(stem + ".pt")
        return FileManager.default.fileExists(atPath: path.path) ? stem + ".pt" : nil
    }
}

/// A fresh directory under the system temporary directory, removed by `cleanup`.
private struct ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// Export descriptions that read every tensor of `store` lazily.
private func exports(of store: any TensorStore, where include: (StoredTensor) -> Bool = { _ in true }) -> [ExportTensor] {
    store.tensors.filter(include).map { tensor in
        ExportTensor(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape) { try store.contiguousBytes(tensor.name) }
    }
}

/// The raw header of a safetensors file: its length field, JSON text and data offset.
private func rawHeader(_ path: String) throws -> (length: Int, json: [UInt8], dataOffset: Int) {
    let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    try #require(data.count >= 8)
    var length = 0
    for i in 0..<8 { length |= Int(data[i]) << (8 * i) }
    try #require(8 + length <= data.count)
    return (length, Array(data[8..<(8 + length)]), 8 + length)
}

private func message(_ error: any Error) -> String { (error as? LocalizedError)?.errorDescription ?? "\(error)" }

@Suite("Safetensors files written by Python")
struct SafetensorsFixtureTests {
    @Test("the fixtures the reader must cover are present")
    func fixturesPresent() {
        for required in ["dtypes", "scalar", "empty", "metadata", "rnn_state_dict", "names", "handmade_escapes"] {
            #expect(SafetensorsFixtures.sidecars.contains("\(required).expected.json"), "missing fixture \(required)")
        }
        #expect(SafetensorsFixtures.files.count == SafetensorsFixtures.sidecars.count)
        #expect(SafetensorsFixtures.malformed.count >= 30)
        // Parameterized tests iterate these: empty, they would pass with no case run.
        #expect(SafetensorsFixtures.checkpoints.count >= 20)
        #expect(SafetensorsFixtures.sidecars.count >= 7)
    }

    @Test("names, dtypes, shapes, values and metadata match Python", arguments: SafetensorsFixtures.sidecars)
    func matchesPython(sidecar: String) throws {
        let expected = try SafetensorsFixtures.expectation(sidecar)
        #expect(expected.format == "safetensors")
        let file = try SafetensorsFile(path: SafetensorsFixtures.folder.appendingPathComponent(expected.file).path)
        #expect(file.tensors.map(\.name) == expected.tensors.map(\.name))
        #expect(file.tensorNames == expected.tensors.map(\.name))
        for (tensor, want) in zip(file.tensors, expected.tensors) {
            #expect(tensor.dtype.rawValue == want.dtype, "\(tensor.name)")
            #expect(tensor.shape == want.shape, "\(tensor.name)")
            #expect(tensor.isContiguous && tensor.storageOffset == 0 && tensor.storageKey == tensor.name && tensor.location == "cpu")
            #expect(file.tensor(named: tensor.name) == tensor)
            #expect(file.descriptor(of: tensor.name) == TensorDescriptor(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape))
            #expect(try file.contiguousBytes(tensor.name).count == tensor.byteCount)
            try expectValues(file, tensor, want)
        }
        var metadata: [String: String] = [:]
        for other in expected.others {
            guard case let .string(value) = other.value else { Issue.record("metadata \(other.name) is not a string"); continue }
            metadata[other.name] = value
        }
        #expect(file.metadata == metadata)
        #expect(file.dataSectionOffset % 8 == 0 || expected.file.hasPrefix("handmade_"))
    }

    @Test("every dtype the format shares with torch is covered by a Python-written file")
    func dtypeCoverage() throws {
        let file = try SafetensorsFile(path: SafetensorsFixtures.folder.appendingPathComponent("dtypes.safetensors").path)
        let covered = Set(file.tensors.map(\.dtype))
        for dtype in DType.allCases where dtype.safetensorsName != nil {
            #expect(covered.contains(dtype), "no fixture tensor of \(dtype)")
        }
        #expect(Set(DType.allCases.filter { $0.safetensorsName == nil }) == [
            .complex128, .float8_e4m3fnuz, .float8_e5m2fnuz, .float8_e8m0fnu, .complex32, .bcomplex32,
            .float4_e2m1fn_x2, .bits1x8, .bits2x4, .bits4x2, .bits8, .bits16,
        ])
        for dtype in DType.allCases {
            if let name = dtype.safetensorsName { #expect(DType(safetensorsName: name) == dtype) }
        }
        #expect(DType(safetensorsName: "f32") == nil)
        #expect(DType(safetensorsName: "F8_E8M0") == nil)
    }

    @Test("the URL initialiser reads the same file")
    func urlInitialiser() throws {
        let url = SafetensorsFixtures.folder.appendingPathComponent("rnn_state_dict.safetensors")
        let byURL = try SafetensorsFile(contentsOf: url)
        let byPath = try SafetensorsFile(path: url.path)
        #expect(byURL.tensors == byPath.tensors)
        #expect(byURL.path == url.path)
        #expect(try byURL.floatTensor("weight_ih_l0").shape == [4, 3])
    }

    @Test("a descriptor from another file, or an unknown name, is refused")
    func foreignTensors() throws {
        let file = try SafetensorsFile(path: SafetensorsFixtures.folder.appendingPathComponent("rnn_state_dict.safetensors").path)
        let other = try SafetensorsFile(path: SafetensorsFixtures.folder.appendingPathComponent("lstm_proj_state_dict.safetensors").path)
        let foreign = try #require(other.tensor(named: "weight_ih_l0"))
        #expect(throws: CheckpointError.self) { try file.hostOrderBytes(of: foreign) }
        #expect(throws: CheckpointError.noSuchTensor(file: file.path, name: "nope")) { try file.contiguousBytes("nope") }
        #expect(file.tensor(named: "nope") == nil)
        #expect(throws: CheckpointError.self) { try file.integerTensor("weight_ih_l0") }
    }
}

@Suite("Malformed safetensors files")
struct SafetensorsMalformedTests {
    @Test("each broken file is refused with a typed error naming the file and the fault",
          arguments: SafetensorsFixtures.malformed.keys.sorted())
    func refused(file: String) throws {
        let path = SafetensorsFixtures.malformedFolder.appendingPathComponent(file).path
        let want = try #require(SafetensorsFixtures.malformed[file])
        do {
            let opened = try SafetensorsFile(path: path)
            Issue.record("\(file) was accepted with \(opened.tensors.count) tensors")
        } catch let error as CheckpointError {
            let text = message(error)
            #expect(text.contains(want), "\(file): \(text)")
            #expect(text.hasPrefix(path + ": "), "\(file): \(text)")
        } catch {
            Issue.record("\(file): not a CheckpointError: \(error)")
        }
    }

    /// Validates `bytes` as a whole file, in memory (what `SafetensorsFile` does after mapping it).
    private func validate(_ bytes: [UInt8]) throws -> SafetensorsHeader {
        try bytes.withUnsafeBytes { try SafetensorsHeader.parse($0, path: "<memory>", limits: .default) }
    }

    @Test("every truncation of every fixture is a typed error, never a crash", arguments: SafetensorsFixtures.files)
    func truncations(file: String) throws {
        let data = try [UInt8](Data(contentsOf: SafetensorsFixtures.folder.appendingPathComponent(file)))
        #expect(try validate(data).dataOffset > 8)
        for length in 0..<data.count {
            #expect(throws: CheckpointError.self, "\(file) cut at \(length)") { try validate(Array(data.prefix(length))) }
        }
        // Through the file system and the memory map, for a sample of the cuts.
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let path = scratch.path(file)
        for length in stride(from: 0, to: data.count, by: max(1, data.count / 40)) {
            try Data(data.prefix(length)).write(to: URL(fileURLWithPath: path))
            #expect(throws: CheckpointError.self, "\(file) cut at \(length)") {
                let opened = try SafetensorsFile(path: path)
                for tensor in opened.tensors { _ = try opened.contiguousBytes(tensor.name) }
            }
        }
    }

    @Test("damaged header bytes give a typed error or a consistent layout, never a crash",
          arguments: ["rnn_state_dict.safetensors", "handmade_escapes.safetensors", "metadata.safetensors", "names.safetensors"])
    func headerDamage(file: String) throws {
        let original = try [UInt8](Data(contentsOf: SafetensorsFixtures.folder.appendingPathComponent(file)))
        let dataOffset = try validate(original).dataOffset
        let replacements: [UInt8] = [0x00, 0x20, 0x22, 0x2C, 0x2D, 0x30, 0x39, 0x3A, 0x5B, 0x5C, 0x5D, 0x7B, 0x7D, 0xC3, 0xFF]
        var accepted = 0
        for position in 0..<dataOffset {
            for replacement in replacements where original[position] != replacement {
                var damaged = original
                damaged[position] = replacement
                do {
                    let header = try validate(damaged)
                    accepted += 1
                    // Whatever was accepted tiles the data section exactly.
                    var covered = 0
                    for entry in header.entries {
                        #expect(entry.begin == covered && entry.end - entry.begin == entry.shape.reduce(entry.dtype.itemSize, *))
                        covered = entry.end
                    }
                    #expect(header.dataOffset + covered == damaged.count)
                } catch is CheckpointError {
                    // refused with a typed error: fine
                } catch {
                    Issue.record("\(file) byte \(position) = \(replacement): not a CheckpointError: \(error)")
                }
            }
        }
        #expect(accepted > 0)  // some damage (a digit in a value, a space) is harmless
    }

    @Test("a file that is not a regular file, or is missing, is unreadable")
    func unreadable() throws {
        #expect(throws: CheckpointError.self) { try SafetensorsFile(path: SafetensorsFixtures.folder.path) }
        #expect(throws: CheckpointError.self) { try SafetensorsFile(path: "/nonexistent/model.safetensors") }
    }
}

@Suite("Strict JSON for safetensors headers")
struct StrictJSONTests {
    private func parse(_ text: String, maxDepth: Int = 100) throws -> JSONValue {
        try Array(text.utf8).withUnsafeBytes { try StrictJSON.parse($0, maxDepth: maxDepth) }
    }

    /// The parser's error for `text`, or nil when it parses.
    private func refuses(_ text: String, maxDepth: Int = 100) -> StrictJSONError? {
        do {
            _ = try parse(text, maxDepth: maxDepth)
            return nil
        } catch let error as StrictJSONError {
            return error
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    @Test("valid documents parse, in document order")
    func valid() throws {
        guard case let .object(members) = try parse(#" {"b": [1, -2, 0.5, 1e3, -0E-2, true, false, null], "a": {"x": "\u00e9\ud83d\ude42\/"}} "#) else {
            Issue.record("not an object"); return
        }
        #expect(members.map(\.key) == ["b", "a"])
        guard case let .array(items) = members[0].value else { Issue.record("not an array"); return }
        #expect(items.count == 8)
        #expect(items[0].integer == .value(1))
        #expect(items[1].integer == .negative("-2"))
        #expect(items[2].integer == .notInteger)
        #expect(items[3].integer == .notInteger)
        guard case let .object(inner) = members[1].value, case let .string(s) = inner[0].value else {
            Issue.record("not a string"); return
        }
        #expect(s == "é🙂/")
        #expect(try parse("-0").integer == .value(0))
        #expect(try parse("9223372036854775807").integer == .value(Int.max))
        #expect(try parse("9223372036854775808").integer == .tooLarge("9223372036854775808"))
    }

    @Test("invalid documents are refused", arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{1:2}", "01", "1.", ".5", "-", "1e", "1e+", "+1",
        "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
        "\"a\u{01}\"", "{} {}", "[1] x", "NaN", "Infinity", "'a'",
    ])
    func invalid(text: String) {
        guard case .syntax? = refuses(text) else {
            Issue.record("\(text.debugDescription) was not refused as a syntax error")
            return
        }
    }

    @Test("duplicate keys are refused at any depth, and nesting is bounded")
    func duplicatesAndDepth() {
        #expect(refuses(#"{"a":1,"a":1}"#) == .duplicateKey(offset: 7, key: "a"))
        #expect(refuses(#"{"x":{"k":1,"j":2,"k":3}}"#) == .duplicateKey(offset: 18, key: "k"))
        #expect(refuses(#"{"\u0061":1,"a":2}"#) == .duplicateKey(offset: 12, key: "a"))
        #expect(refuses(#"{"a":1,"A":1}"#) == nil)
        #expect(refuses(String(repeating: "[", count: 5) + String(repeating: "]", count: 5), maxDepth: 5) == nil)
        guard case .tooDeep? = refuses(String(repeating: "[", count: 6) + String(repeating: "]", count: 6), maxDepth: 5) else {
            Issue.record("nesting beyond the limit was accepted"); return
        }
        #expect(refuses(String(repeating: "[", count: 128) + String(repeating: "]", count: 128), maxDepth: 128) == nil)
        #expect(refuses(String(repeating: "{\"a\":", count: 200) + "1" + String(repeating: "}", count: 200), maxDepth: 128) != nil)
    }

    @Test("UTF-8 is validated strictly")
    func utf8() {
        let invalid: [[UInt8]] = [[0xFF], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]]
        for bytes in invalid {
            #expect(bytes.withUnsafeBytes { StrictJSON.firstInvalidUTF8($0) } == 0, "\(bytes)")
        }
        let valid = Array("aé€🙂".utf8)
        #expect(valid.withUnsafeBytes { StrictJSON.firstInvalidUTF8($0) } == nil)
    }
}

@Suite("SafetensorsWriter")
struct SafetensorsWriterTests {
    @Test("rewriting a Python-written file reads back bitwise identical, metadata included",
          arguments: SafetensorsFixtures.files)
    func roundTripFixture(file: String) throws {
        let source = try SafetensorsFile(path: SafetensorsFixtures.folder.appendingPathComponent(file).path)
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let output = scratch.path(file)
        try SafetensorsWriter.write(exports(of: source), metadata: source.metadata.isEmpty ? nil : source.metadata, to: output)
        let copy = try SafetensorsFile(path: output)
        #expect(copy.tensors == source.tensors)
        #expect(copy.metadata == source.metadata)
        for tensor in source.tensors {
            #expect(try copy.contiguousBytes(tensor.name) == source.contiguousBytes(tensor.name), "\(tensor.name)")
        }
        try expectWellFormedHeader(output, names: source.tensorNames, metadata: source.metadata.isEmpty ? nil : source.metadata)
        if !file.hasPrefix("handmade_") {
            // save_file wrote the tensors in this order with compact serde_json: the bytes agree.
            let original = try Data(contentsOf: SafetensorsFixtures.folder.appendingPathComponent(file))
            #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == original, "\(file) differs from save_file's output")
        }
    }

    @Test("every tensor of every .pt fixture survives SafetensorsWriter -> SafetensorsFile bitwise",
          arguments: SafetensorsFixtures.checkpoints)
    func roundTripCheckpoint(file: String) throws {
        let checkpoint = try Checkpoint(path: FixturePaths.checkpoints.appendingPathComponent(file).path)
        let writable = checkpoint.tensors.filter { $0.dtype.safetensorsName != nil }
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let output = scratch.path("out.safetensors")
        let metadata = ["format": "pt", "source": file]
        try SafetensorsWriter.write(exports(of: checkpoint) { $0.dtype.safetensorsName != nil }, metadata: metadata, to: output)
        let copy = try SafetensorsFile(path: output)
        #expect(copy.tensorNames == writable.map(\.name))
        #expect(copy.metadata == metadata)
        for (tensor, written) in zip(writable, copy.tensors) {
            #expect(written.dtype == tensor.dtype && written.shape == tensor.shape, "\(tensor.name)")
            #expect(try copy.contiguousBytes(tensor.name) == checkpoint.contiguousBytes(tensor.name), "\(file): \(tensor.name)")
        }
        try expectWellFormedHeader(output, names: writable.map(\.name), metadata: metadata)
    }

    /// The header is padded with spaces to a multiple of 8, parses as JSON, lists
    /// `__metadata__` first, then the tensors in order with contiguous offsets.
    private func expectWellFormedHeader(_ path: String, names: [String], metadata: [String: String]?) throws {
        let (length, json, dataOffset) = try rawHeader(path)
        #expect(dataOffset % 8 == 0)
        #expect(length % 8 == 0)
        let closing = try #require(json.lastIndex(of: UInt8(ascii: "}")))
        #expect(json.count - closing - 1 < 8)
        #expect(json[(closing + 1)...].allSatisfy { $0 == 0x20 })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(object.count == names.count + (metadata == nil ? 0 : 1))
        #expect((object["__metadata__"] as? [String: String]) == metadata)
        if metadata != nil { #expect(json.starts(with: Array(#"{"__metadata__":"#.utf8))) }
        var expectedBegin = 0
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? -1
        // JSONSerialization loses the order, so walk the names in the order given.
        for name in names {
            let entry = try #require(object[name] as? [String: Any], "\(name)")
            let offsets = try #require(entry["data_offsets"] as? [Int])
            #expect(offsets.first == expectedBegin, "\(name)")
            expectedBegin = offsets.last ?? -1
        }
        #expect(dataOffset + expectedBegin == size)
    }

    @Test("metadata: omitted when nil, written (and read back) when empty, escaped correctly")
    func metadata() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let tensor = ExportTensor(name: "w", dtype: .float32, shape: [1]) { [0, 0, 0x80, 0x3F] }
        try SafetensorsWriter.write([tensor], to: scratch.path("none.safetensors"))
        #expect(try rawHeader(scratch.path("none.safetensors")).json.starts(with: Array(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)))
        try SafetensorsWriter.write([tensor], metadata: [:], to: scratch.path("empty.safetensors"))
        #expect(try rawHeader(scratch.path("empty.safetensors")).json.starts(with: Array(#"{"__metadata__":{},"w":"#.utf8)))
        #expect(try SafetensorsFile(path: scratch.path("empty.safetensors")).metadata == [:])
        let odd = ["z": "\u{00}\u{1F}\u{7F}\"\\/\n\r\t\u{08}\u{0C}", "é": "🙂", "": ""]
        try SafetensorsWriter.write([tensor], metadata: odd, to: scratch.path("odd.safetensors"))
        #expect(try SafetensorsFile(path: scratch.path("odd.safetensors")).metadata == odd)
        let json = try rawHeader(scratch.path("odd.safetensors")).json
        #expect(String(decoding: json, as: UTF8.self).contains(#""z":"\u0000\u001f"#))
    }

    @Test("no tensors at all is a valid file")
    func noTensors() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        try SafetensorsWriter.write([], to: scratch.path("e.safetensors"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("e.safetensors"))) == Data([8, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D, 32, 32, 32, 32, 32, 32]))
        #expect(try SafetensorsFile(path: scratch.path("e.safetensors")).tensors.isEmpty)
    }

    @Test("streams one tensor at a time, in order, reporting progress after each")
    func streaming() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let path = scratch.path("s.safetensors")
        let log = CallLog()
        let sizes = [12, 0, 40, 8]
        let tensors = sizes.enumerated().map { index, size in
            ExportTensor(name: "t\(index)", dtype: .uint8, shape: [size]) {
                // When a tensor is produced, the previous ones are already on disk, in the
                // temporary file beside `path` (the only file in the folder until the rename).
                let files = (try? FileManager.default.contentsOfDirectory(atPath: scratch.url.path)) ?? []
                let onDisk = files.count == 1 && !FileManager.default.fileExists(atPath: path)
                    ? (try? FileManager.default.attributesOfItem(atPath: scratch.path(files[0]))[.size] as? Int) ?? -1 : -1
                log.append(index: index, fileSize: onDisk)
                return (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) }
            }
        }
        var progress: [Int] = []
        try SafetensorsWriter.write(tensors, to: path) { progress.append($0) }
        let dataOffset = try SafetensorsFile(path: path).dataSectionOffset
        #expect(log.calls.map(\.index) == [0, 1, 2, 3])
        var before = 0
        for (call, size) in zip(log.calls, sizes) {
            #expect(call.fileSize == dataOffset + before, "t\(call.index)")
            before += size
        }
        #expect(progress == [12, 12, 52, 60])
        let file = try SafetensorsFile(path: path)
        for (index, size) in sizes.enumerated() {
            #expect(try file.contiguousBytes("t\(index)") == (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) })
        }
    }

    @Test("uint64 values above Int64.max round-trip bitwise; integerTensor refuses them")
    func uint64Max() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let bytes: [UInt8] = Array(repeating: 0xFF, count: 8) + [1, 0, 0, 0, 0, 0, 0, 0]
        try SafetensorsWriter.write([ExportTensor(name: "u", dtype: .uint64, shape: [2]) { bytes }], to: scratch.path("u.safetensors"))
        let file = try SafetensorsFile(path: scratch.path("u.safetensors"))
        #expect(try file.contiguousBytes("u") == bytes)
        #expect(throws: CheckpointError.self) { try file.integerTensor("u") }
    }

    @Test("bad input is refused before or while writing, and no partial file is left")
    func errors() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let path = scratch.path("bad.safetensors")
        let ok = ExportTensor(name: "a", dtype: .float32, shape: [2]) { [UInt8](repeating: 0, count: 8) }

        #expect(throws: WriteError.duplicateName(file: path, name: "a")) { try SafetensorsWriter.write([ok, ok], to: path) }
        #expect(throws: WriteError.unsupportedDType(file: path, name: "c", dtype: .complex128, format: "safetensors")) {
            try SafetensorsWriter.write([ExportTensor(name: "c", dtype: .complex128, shape: [1]) { [UInt8](repeating: 0, count: 16) }], to: path)
        }
        #expect(throws: WriteError.reservedName(file: path, name: "__metadata__")) {
            try SafetensorsWriter.write([ExportTensor(name: "__metadata__", dtype: .uint8, shape: [1]) { [0] }], to: path)
        }
        #expect(throws: WriteError.invalidShape(file: path, name: "n", shape: [-1])) {
            try SafetensorsWriter.write([ExportTensor(name: "n", dtype: .uint8, shape: [-1]) { [] }], to: path)
        }
        #expect(throws: WriteError.invalidShape(file: path, name: "o", shape: [1 << 31, 1 << 31])) {
            try SafetensorsWriter.write([ExportTensor(name: "o", dtype: .float64, shape: [1 << 31, 1 << 31]) { [] }], to: path)
        }
        #expect(!FileManager.default.fileExists(atPath: path))

        let short = ExportTensor(name: "short", dtype: .float32, shape: [3]) { [UInt8](repeating: 0, count: 8) }
        #expect(throws: WriteError.sizeMismatch(file: path, name: "short", expected: 12, produced: 8)) {
            try SafetensorsWriter.write([ok, short], to: path)
        }
        #expect(!FileManager.default.fileExists(atPath: path))

        struct Boom: Error, Equatable {}
        let failing = ExportTensor(name: "f", dtype: .uint8, shape: [1]) { throw Boom() }
        #expect(throws: Boom()) { try SafetensorsWriter.write([ok, failing], to: path) }
        #expect(!FileManager.default.fileExists(atPath: path))

        let missing = scratch.path("missing/dir/x.safetensors")
        #expect(throws: WriteError.io(file: missing, reason: "cannot create the file: No such file or directory")) {
            try SafetensorsWriter.write([ok], to: missing)
        }
        // Nothing is left behind: no temporary file either.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
    }
}

/// Records calls made from `ExportTensor.bytes` closures (which must be `@Sendable`).
private final class CallLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [(index: Int, fileSize: Int)] = []
    func append(index: Int, fileSize: Int) { lock.withLock { storage.append((index, fileSize)) } }
    var calls: [(index: Int, fileSize: Int)] { lock.withLock { storage } }
}
