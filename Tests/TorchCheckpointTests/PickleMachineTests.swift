import Foundation
import Testing
@testable import TorchCheckpoint

/// The pickle machine on hand-assembled streams (opcode sequences, not golden numbers).
@Suite("Pickle machine")
struct PickleMachineTests {
    private func run(_ bytes: [UInt8], limits: ReadLimits = .default) throws -> PickleValue {
        var machine = PickleMachine(file: "test.pkl", limits: limits) { _, offset in
            throw CheckpointError.corruptPickle(file: "test.pkl", offset: offset, reason: "no storages here")
        }
        return try bytes.withUnsafeBytes { try machine.run($0).value }
    }

    @Test("an unknown opcode is an error naming it and its offset")
    func unknownOpcode() {
        #expect(throws: CheckpointError.unknownOpcode(file: "test.pkl", opcode: 0xFF, offset: 2)) {
            try run([0x80, 0x02, 0xFF, 0x2E])
        }
    }

    @Test("GLOBAL outside the allowlist is refused before anything else")
    func forbiddenGlobal() {
        let bytes: [UInt8] = [0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8) + [0x2E]
        #expect(throws: CheckpointError.forbiddenGlobal(file: "test.pkl", module: "os", name: "system", offset: 2)) {
            try run(bytes)
        }
    }

    @Test("memo, lists, dicts and protocol 4 opcodes build shared containers")
    func containers() throws {
        // PROTO 4, EMPTY_DICT, MEMOIZE, SHORT_BINUNICODE "a", EMPTY_LIST, MEMOIZE, BININT1 7, APPEND,
        // SETITEM, SHORT_BINUNICODE "b", BINGET 1, SETITEM, STOP
        let bytes: [UInt8] = [0x80, 0x04, 0x7D, 0x94, 0x8C, 0x01, 0x61, 0x5D, 0x94, 0x4B, 0x07, 0x61, 0x73,
                              0x8C, 0x01, 0x62, 0x68, 0x01, 0x73, 0x2E]
        guard case let .dict(dict) = try run(bytes), case let .list(a)? = dict["a"], case let .list(b)? = dict["b"] else {
            Issue.record("not a dict of two lists"); return
        }
        #expect(a === b)
        #expect(a.items.count == 1)
    }

    @Test("big-endian BINFLOAT, LONG1 sign extension and BININT")
    func numbers() throws {
        guard case let .tuple(items) = try run([0x80, 0x02, 0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0,
                                                0x8A, 0x01, 0xFF, 0x4A, 0xFE, 0xFF, 0xFF, 0xFF, 0x87, 0x2E]) else {
            Issue.record("not a tuple"); return
        }
        guard case .float(1.5) = items[0], case .int(-1) = items[1], case .int(-2) = items[2] else {
            Issue.record("wrong numbers: \(items)"); return
        }
    }

    @Test("resource limits stop memo and nesting bombs")
    func limits() {
        var limits = ReadLimits()
        limits.maxDepth = 10
        #expect(throws: CheckpointError.limitExceeded(file: "test.pkl", what: "pickle MARK nesting", limit: 10)) {
            try run([0x80, 0x02] + [UInt8](repeating: 0x28, count: 50) + [0x2E], limits: limits)
        }
        limits.maxOpcodes = 100
        #expect(throws: CheckpointError.self) {
            try run([0x80, 0x02, 0x4E] + [UInt8](repeating: 0x32, count: 500) + [0x2E], limits: limits)
        }
    }

    @Test("a length running past the stream is an error, not a read out of bounds")
    func overlongArgument() {
        #expect(throws: CheckpointError.self) {
            try run([0x80, 0x02, 0x8E, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E])
        }
    }
}

/// Deep nesting must be built, refused and torn down without recursion (found
/// by the fuzzer). Each test runs in a child process (an exit test): the
/// failure these guard against is a stack overflow, which would otherwise
/// kill the whole test run instead of failing one test.
@Suite("Pickle teardown")
struct PickleTeardownTests {
    static func run(_ bytes: [UInt8]) throws -> PickleValue {
        var machine = PickleMachine(file: "deep.pkl", limits: .default) { _, offset in
            throw CheckpointError.corruptPickle(file: "deep.pkl", offset: offset, reason: "no storages here")
        }
        return try bytes.withUnsafeBytes { try machine.run($0).value }
    }

    /// What the child writes before describing a wrong outcome.
    static let mismatch = "PICKLE-TEARDOWN-MISMATCH: "

    /// In the child: describe what went wrong on stderr and exit normally, so
    /// the parent gets the description (a crash fails the exit condition itself,
    /// and then no output is returned).
    static func fail(_ what: String) -> Never {
        FileHandle.standardError.write(Data((mismatch + what + "\n").utf8))
        exit(EXIT_SUCCESS)
    }

    /// In the parent: a wrong outcome the child described fails the test.
    static func record(_ result: ExitTest.Result?) {
        guard let result else { return }
        let said = String(decoding: result.standardErrorContent, as: UTF8.self)
        if let range = said.range(of: mismatch) {
            Issue.record(Comment(rawValue: said[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)))
        }
    }

    @Test("a 200,000-deep TUPLE1 chain is built and released without overflowing the stack")
    func deepTuples() async {
        Self.record(await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let value = try PickleTeardownTests.run([0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 200_000) + [0x2E])
            guard case let .tuple(outer) = value, outer.count == 1 else { PickleTeardownTests.fail("not a 1-tuple: \(value)") }
        })
    }

    @Test("a 200,000-deep list chain appended top-down through the memo is released without recursion")
    func deepListsTopDown() async {
        Self.record(await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            // L1 in memo 0; then per level: EMPTY_LIST, BINPUT 1, APPEND, POP, BINGET 1.
            var bytes: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00]
            for _ in 0..<200_000 { bytes += [0x5D, 0x71, 0x01, 0x61, 0x30, 0x68, 0x01] }
            bytes += [0x2E]
            guard case .list = try PickleTeardownTests.run(bytes) else { PickleTeardownTests.fail("not a list") }
        })
    }

    @Test("a deeply nested tuple used as a dict key is refused, not hashed recursively")
    func deepKey() async {
        Self.record(await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            // EMPTY_DICT, NONE, TUPLE1 x 100000 (the key), NONE (the value), SETITEM
            let bytes: [UInt8] = [0x80, 0x02, 0x7D, 0x4E] + [UInt8](repeating: 0x85, count: 100_000) + [0x4E, 0x73, 0x2E]
            let expected = CheckpointError.limitExceeded(file: "deep.pkl", what: "dict key nesting", limit: PickleMachine.maxKeyDepth)
            do {
                _ = try PickleTeardownTests.run(bytes)
                PickleTeardownTests.fail("a 100,000-deep key was accepted")
            } catch let error as CheckpointError where error == expected {
            } catch {
                PickleTeardownTests.fail("expected \(expected), got \(error)")
            }
            // A tuple key of a few levels is fine, and equal tuples are one key.
            let shallow: [UInt8] = [0x80, 0x02, 0x7D, 0x4B, 0x01, 0x85, 0x85, 0x4E, 0x73, 0x4B, 0x01, 0x85, 0x85, 0x88, 0x73, 0x2E]
            guard case let .dict(dict) = try PickleTeardownTests.run(shallow), dict.count == 1,
                  case .bool(true)? = dict.values.first else {
                PickleTeardownTests.fail("equal tuple keys are not one key, or the second SETITEM did not replace the first")
            }
        })
    }

    @Test("a checkpoint nesting past the depth limit is refused when naming tensors")
    func flattenDepth() async {
        Self.record(await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let value = try PickleTeardownTests.run([0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 5_000) + [0x2E])
            let expected = CheckpointError.limitExceeded(file: "deep.pkl", what: "container nesting", limit: ReadLimits.default.maxDepth)
            do {
                _ = try Flattener(file: "deep.pkl", limits: .default).flatten(value)
                PickleTeardownTests.fail("5,000 levels were flattened")
            } catch let error as CheckpointError where error == expected {
            } catch {
                PickleTeardownTests.fail("expected \(expected), got \(error)")
            }
        })
    }
}

@Suite("Pickle sets")
struct PickleSetTests {
    @Test("ADDITEMS fills a memoized set in place, so every reference sees the items")
    func sharedSet() throws {
        // {'a': s, 'b': s}: EMPTY_DICT, "a", EMPTY_SET, BINPUT 0, MARK, 1, 2, ADDITEMS, SETITEM, "b", BINGET 0, SETITEM
        let bytes: [UInt8] = [0x80, 0x04, 0x7D, 0x8C, 0x01, 0x61, 0x8F, 0x71, 0x00, 0x28, 0x4B, 0x01, 0x4B, 0x02, 0x90, 0x73,
                              0x8C, 0x01, 0x62, 0x68, 0x00, 0x73, 0x2E]
        var machine = PickleMachine(file: "set.pkl", limits: .default) { _, offset in
            throw CheckpointError.corruptPickle(file: "set.pkl", offset: offset, reason: "no storages")
        }
        let root = try bytes.withUnsafeBytes { try machine.run($0).value }
        let flat = try Flattener(file: "set.pkl", limits: .default).flatten(root)
        #expect(flat.values == [
            NamedValue(name: "a.0", value: .int(1)), NamedValue(name: "a.1", value: .int(2)),
            NamedValue(name: "b.0", value: .int(1)), NamedValue(name: "b.1", value: .int(2)),
        ])
    }

    @Test("an unhashable dict key (a list) is refused, as in Python")
    func unhashableKey() {
        var machine = PickleMachine(file: "key.pkl", limits: .default) { _, offset in
            throw CheckpointError.corruptPickle(file: "key.pkl", offset: offset, reason: "no storages")
        }
        // EMPTY_DICT, EMPTY_LIST, NONE, SETITEM
        #expect(throws: CheckpointError.self) {
            try [UInt8]([0x80, 0x02, 0x7D, 0x5D, 0x4E, 0x73, 0x2E]).withUnsafeBytes { try machine.run($0) }
        }
    }
}
