import Foundation
import Testing
@testable import TorchCheckpoint

/// `fixtures/hostile/`, written by `tools/make_hostile_fixtures.py`, and what
/// its `EXPECTED.json` says the reader must do with each file.
enum HostileCorpus {
    static let folder = FixturePaths.repositoryRoot.appendingPathComponent("fixtures/hostile")
    /// Peak resident set of the child that reads one file: its own
    /// high-water mark (`ownPeakKB`), about 30 MB of test runner plus what the
    /// file costs; every file here is small or bounded by its limits.
    static let rssBudgetKB = 300 * 1024
    /// CPU seconds the child may spend on one file (the slowest takes about
    /// 3 s in a debug build); CPU time is the child's own, unlike wall time
    /// on a machine shared with the rest of the suite.
    static let cpuBudgetSeconds = 20.0
    /// What a child process writes before describing a wrong outcome.
    static let mismatch = "HOSTILE-CORPUS-MISMATCH: "

    struct Expectation: Decodable, Sendable {
        /// A `CheckpointError` case name, `"none"` (opens, every tensor
        /// materialises) or `"any"` (a typed error or a clean load).
        let error: String
        /// A substring of the error's message.
        let contains: String
        /// `ReadLimits` fields to set for this file.
        let limits: [String: Int]?
        /// For files that must load: every tensor as torch.load returns it.
        let tensors: [Tensor]?
        let why: String?

        struct Tensor: Decodable, Sendable {
            let name: String
            let shape: [Int]
            let values: [Double]
        }
    }

    static let expectations: [String: Expectation] = {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("EXPECTED.json")),
              let map = try? JSONDecoder().decode([String: Expectation].self, from: data) else { return [:] }
        return map
    }()

    static let files: [String] = expectations.keys.sorted()

    /// Every case of `CheckpointError`, by name: what `error` may say.
    static let caseNames: Set<String> = [
        "unreadable", "unknownFormat", "corruptZip", "missingEntry", "crcMismatch", "unsupportedCompression",
        "corruptPickle", "unknownOpcode", "forbiddenGlobal", "limitExceeded", "invalidTensor", "outOfBounds",
        "missingStorage", "corruptLegacy", "noSuchTensor", "wrongDType", "malformedIndex",
        "unsupportedTensorKind", "notATorchCheckpoint", "torchScriptClassUndefined", "expansionLimitExceeded",
    ]

    static func caseName(of error: CheckpointError) -> String {
        String(String(describing: error).prefix { $0 != "(" })
    }

    static let limitFields: [String: WritableKeyPath<ReadLimits, Int> & Sendable] = [
        "maxPickleBytes": \.maxPickleBytes, "maxOpcodes": \.maxOpcodes, "maxMemoEntries": \.maxMemoEntries,
        "maxDepth": \.maxDepth, "maxVisitedNodes": \.maxVisitedNodes, "maxZipEntries": \.maxZipEntries,
        "maxInflatedEntryBytes": \.maxInflatedEntryBytes, "maxTensorBytes": \.maxTensorBytes,
        "maxExpansionRatio": \.maxExpansionRatio, "maxExpansionBytes": \.maxExpansionBytes,
    ]

    static func limits(_ overrides: [String: Int]?) -> ReadLimits? {
        var limits = ReadLimits()
        for (name, value) in overrides ?? [:] {
            guard let field = limitFields[name] else { return nil }
            limits[keyPath: field] = value
        }
        return limits
    }

    /// Names, sizes and modification times of everything in a folder.
    static func listing(_ path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: (path as NSString).appendingPathComponent(name))
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            return "\(name) \(size) \(modified)"
        }
    }

    /// Opens the file and materialises every tensor through every conversion
    /// its dtype allows. Returns nil when the outcome is what EXPECTED.json
    /// says, else a description of the difference. Runs in a child process.
    static func verdict(for file: String) -> String? {
        guard let expected = expectations[file] else { return "\(file) is not in EXPECTED.json" }
        return verdict(for: file, expected: expected)
    }

    static func verdict(for file: String, expected: Expectation) -> String? {
        guard let limits = limits(expected.limits) else { return "unknown ReadLimits field in \(expected.limits ?? [:])" }
        let path = folder.appendingPathComponent(file).path
        let keepGoing = expected.error == "any"
        var errors: [any Error] = []
        var problems: [String] = []
        do {
            let checkpoint = try Checkpoint(path: path, limits: limits)
            if let tensors = expected.tensors {
                problems += try compare(checkpoint, with: tensors)
            }
            for tensor in checkpoint.tensors {
                do {
                    problems += try materialise(tensor, of: checkpoint)
                } catch {
                    errors.append(error)
                    if !keepGoing { break }
                }
            }
        } catch {
            errors.append(error)
        }
        if !problems.isEmpty { return problems.joined(separator: "; ") }
        if let untyped = errors.first(where: { !($0 is CheckpointError) }) {
            return "untyped error \(type(of: untyped)): \(untyped)"
        }
        let typed = errors.compactMap { $0 as? CheckpointError }
        switch expected.error {
        case "any":
            return nil
        case "none":
            return typed.first.map { "expected a clean load; got \(caseName(of: $0)): \($0.errorDescription ?? "")" }
        default:
            guard let error = typed.first else {
                return "expected \(expected.error) containing \"\(expected.contains)\"; the file opened and every tensor materialised"
            }
            let message = error.errorDescription ?? ""
            guard caseName(of: error) == expected.error, expected.contains.isEmpty || message.contains(expected.contains) else {
                return "expected \(expected.error) containing \"\(expected.contains)\"; got \(caseName(of: error)): \(message)"
            }
            // A clear error names the file it is about.
            guard message.contains(file) else { return "the message does not name the file: \(message)" }
            return nil
        }
    }

    /// The same file with `.placeholder` for unknown globals (the mode that
    /// reads full-model pickles): forbidden callables become inert
    /// placeholders, so files refused above may load; whatever happens must be
    /// a typed error or a clean load, and nothing may run.
    static func placeholderVerdict(for file: String) -> String? {
        guard let expected = expectations[file], let limits = limits(expected.limits) else { return nil }
        let path = folder.appendingPathComponent(file).path
        do {
            let checkpoint = try Checkpoint(path: path, limits: limits, options: ReadOptions(unknownGlobals: .placeholder))
            var problems: [String] = []
            for tensor in checkpoint.tensors {
                do { problems += try materialise(tensor, of: checkpoint) } catch is CheckpointError {}
            }
            _ = checkpoint.values.map(\.value.description)
            return problems.isEmpty ? nil : problems.joined(separator: "; ")
        } catch is CheckpointError {
            return nil
        } catch {
            return "untyped error \(type(of: error)): \(error)"
        }
    }

    /// Names, shapes and values against what torch.load returned.
    static func compare(_ checkpoint: Checkpoint, with tensors: [Expectation.Tensor]) throws -> [String] {
        guard checkpoint.tensors.map(\.name) == tensors.map(\.name) else {
            return ["tensors \(checkpoint.tensors.map(\.name)); torch has \(tensors.map(\.name))"]
        }
        var problems: [String] = []
        for want in tensors {
            let got = try checkpoint.doubles(want.name)
            if checkpoint.tensor(named: want.name)?.shape != want.shape || got != want.values {
                problems.append("'\(want.name)' reads \(got), torch reads \(want.values) of shape \(want.shape)")
            }
        }
        return problems
    }

    /// Materialises one tensor every way that applies; returns wrong-size results.
    static func materialise(_ tensor: StoredTensor, of checkpoint: Checkpoint) throws -> [String] {
        var problems: [String] = []
        let bytes = try checkpoint.contiguousBytes(tensor.name)
        if bytes.count != tensor.byteCount {
            problems.append("'\(tensor.name)': \(bytes.count) bytes for \(tensor.byteCount)")
        }
        if tensor.dtype.isFloatingPoint {
            let floats = try checkpoint.floatTensor(tensor.name)
            if floats.scalars.count != tensor.elementCount || floats.shape != tensor.shape {
                problems.append("'\(tensor.name)': \(floats.scalars.count) floats of shape \(floats.shape)")
            }
        }
        if tensor.dtype.isInteger {
            let integers = try checkpoint.integerTensor(tensor.name)
            if integers.scalars.count != tensor.elementCount {
                problems.append("'\(tensor.name)': \(integers.scalars.count) integers for \(tensor.elementCount)")
            }
        }
        if tensor.dtype == .complex64 || tensor.dtype == .complex128 {
            let parts = try checkpoint.complexParts(tensor.name)
            if parts.count != 2 * tensor.elementCount { problems.append("'\(tensor.name)': \(parts.count) complex parts") }
        }
        return problems
    }
}

/// Every file of the hostile corpus, each read in its own child process (an
/// exit test), so that a crash, a hang or a runaway allocation fails that
/// file's test instead of taking the whole test run down with it.
@Suite("Hostile corpus (fixtures/hostile)")
struct HostileCorpusTests {
    @Test("the corpus is complete, small and well formed")
    func corpusIsWellFormed() throws {
        let onDisk = Set(try FileManager.default.contentsOfDirectory(atPath: HostileCorpus.folder.path))
        #expect(onDisk == Set(HostileCorpus.files).union(["EXPECTED.json"]))
        #expect(HostileCorpus.files.count >= 100)
        let total = HostileCorpus.files.reduce(0) { total, file in
            let size = try? FileManager.default.attributesOfItem(atPath: HostileCorpus.folder.appendingPathComponent(file).path)[.size]
            return total + ((size as? NSNumber)?.intValue ?? 0)
        }
        #expect(total < 300_000, "the corpus should stay small: \(total) bytes")
        for (file, expected) in HostileCorpus.expectations {
            #expect(HostileCorpus.caseNames.contains(expected.error) || ["none", "any"].contains(expected.error),
                    "\(file): unknown outcome \(expected.error)")
            #expect(HostileCorpus.limits(expected.limits) != nil, "\(file): unknown limit in \(expected.limits ?? [:])")
        }
        // The corpus covers each attack family.
        for prefix in ["control_", "os_system", "nt_system", "builtins_eval", "builtins_exec", "builtins_getattr",
                       "builtins_import", "subprocess_popen", "torch_load_from_bytes", "numpy_reconstruct",
                       "nested_reduce", "protocol0_global", "protocol0_inst", "protocol0_obj", "memo_bomb",
                       "nesting_marks", "nesting_lists", "memo_index_2p32", "binunicode8", "binbytes8", "long4",
                       "storage_numel_2p40", "shape_numel_overflow", "stride_out_of_bounds", "negative_stride",
                       "storage_two_dtypes", "storage_missing_record", "zip_size", "zip_bomb", "zip_duplicate_names",
                       "zip_cd_outside", "zip64_absurd", "zip_encrypted", "zip_method", "zip_two_top_folders",
                       "legacy_bad_magic", "legacy_wrong_version", "legacy_unknown_key", "legacy_size_mismatch",
                       "legacy_truncated_data", "flip_"] {
            #expect(HostileCorpus.files.contains { $0.hasPrefix(prefix) }, "no file for \(prefix)*")
        }
        #expect(HostileCorpus.files.filter { $0.hasPrefix("flip_") }.count >= 20)
    }

    // Serialized: one child at a time, so each file's time is its own.
    @Test("each file is refused with the expected typed error, or loads cleanly",
          .serialized, .timeLimit(.minutes(2)), arguments: HostileCorpus.files)
    func corpusFile(_ file: String) async throws {
        let folder = HostileCorpus.folder.path
        let fileURL = HostileCorpus.folder.appendingPathComponent(file)
        let before = HostileCorpus.listing(folder)
        let contentBefore = try Data(contentsOf: fileURL)

        // The child reports a wrong outcome on stderr and exits normally; a
        // crash (SIGSEGV: e.g. a stack overflow), a hang (SIGALRM after 60 s)
        // or an allocation past the ceiling fails the exit condition itself.
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent],
                                   "\(file) must not crash or hang (\(HostileCorpus.expectations[file]?.why ?? ""))") { [file] in
            alarm(60)
            var ceiling = rlimit(rlim_cur: 8 << 30, rlim_max: 8 << 30)
            setrlimit(RLIMIT_AS_VALUE, &ceiling)
            var failures: [String] = []
            if let failure = HostileCorpus.verdict(for: file) { failures.append(failure) }
            if let failure = HostileCorpus.placeholderVerdict(for: file) { failures.append("placeholder mode: " + failure) }
            let peakKB = ChildProcessUsage.ownPeakKB()
            if peakKB > HostileCorpus.rssBudgetKB {
                failures.append("peak RSS \(peakKB / 1024) MB, over \(HostileCorpus.rssBudgetKB / 1024) MB")
            }
            let cpu = ChildProcessUsage.cpuSeconds()
            if cpu > HostileCorpus.cpuBudgetSeconds {
                failures.append("\(cpu) s of CPU, over \(HostileCorpus.cpuBudgetSeconds) s")
            }
            if !failures.isEmpty {
                FileHandle.standardError.write(Data((HostileCorpus.mismatch + failures.joined(separator: "; ") + "\n").utf8))
            }
        }
        if let result {
            let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
            if let range = stderr.range(of: HostileCorpus.mismatch) {
                Issue.record("\(file): \(stderr[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
        #expect(HostileCorpus.listing(folder) == before, "the corpus folder changed")
        #expect(try Data(contentsOf: fileURL) == contentBefore, "\(file) changed")
    }

    @Test("the verdict tells a wrong error case, a wrong message, a wrong value and an unexpected load apart")
    func verdictCanFail() {
        typealias E = HostileCorpus.Expectation
        func expect(_ error: String, _ contains: String, tensors: [E.Tensor]? = nil) -> E {
            E(error: error, contains: contains, limits: nil, tensors: tensors, why: nil)
        }
        #expect(HostileCorpus.verdict(for: "os_system.pt", expected: expect("forbiddenGlobal", "'posix.system'")) == nil)
        #expect(HostileCorpus.verdict(for: "os_system.pt", expected: expect("forbiddenGlobal", "'nt.system'")) != nil)
        #expect(HostileCorpus.verdict(for: "os_system.pt", expected: expect("corruptPickle", "")) != nil)
        #expect(HostileCorpus.verdict(for: "os_system.pt", expected: expect("none", "")) != nil)
        #expect(HostileCorpus.verdict(for: "os_system.pt", expected: expect("any", "")) == nil)
        #expect(HostileCorpus.verdict(for: "control_state_dict.pt", expected: expect("corruptZip", "")) != nil)
        let right = [E.Tensor(name: "fc.weight", shape: [2, 3], values: [0.5, -1.0, 2.0, 0.25, -0.125, 3.0]),
                     E.Tensor(name: "fc.bias", shape: [2], values: [1.0, -2.0])]
        let wrong = [right[0], E.Tensor(name: "fc.bias", shape: [2], values: [1.0, 2.0])]
        #expect(HostileCorpus.verdict(for: "control_state_dict.pt", expected: expect("none", "", tensors: right)) == nil)
        #expect(HostileCorpus.verdict(for: "control_state_dict.pt", expected: expect("none", "", tensors: wrong)) != nil)
    }

    @Test("a legacy checkpoint larger than maxPickleBytes loads: the limit bounds each pickle, not the file")
    func legacyPickleWindow() throws {
        let path = FixturePaths.checkpoints.appendingPathComponent("legacy_lstm.pt").path
        // legacy_lstm.pt is 1715 bytes; its largest pickle is 756 bytes.
        var limits = ReadLimits()
        limits.maxPickleBytes = 800
        let checkpoint = try Checkpoint(path: path, limits: limits)
        let reference = try Checkpoint(path: path)
        #expect(checkpoint.tensors == reference.tensors)
        for tensor in checkpoint.tensors {
            #expect(try checkpoint.contiguousBytes(tensor.name) == reference.contiguousBytes(tensor.name))
        }
        limits.maxPickleBytes = 700
        #expect(throws: CheckpointError.self) { try Checkpoint(path: path, limits: limits) }
    }

    @Test("maxTensorBytes bounds materialising, and a tensor at the limit still reads")
    func tensorBudget() throws {
        let path = HostileCorpus.folder.appendingPathComponent("control_state_dict.pt").path
        var limits = ReadLimits()
        limits.maxTensorBytes = 24  // fc.weight: 6 float32
        let checkpoint = try Checkpoint(path: path, limits: limits)
        #expect(try checkpoint.floatTensor("fc.weight").scalars == [0.5, -1.0, 2.0, 0.25, -0.125, 3.0])
        limits.maxTensorBytes = 23
        let tight = try Checkpoint(path: path, limits: limits)
        #expect(throws: CheckpointError.limitExceeded(file: path, what: "tensor 'fc.weight' of 6 float32 elements (24 bytes)", limit: 23)) {
            try tight.floatTensor("fc.weight")
        }
        #expect(try tight.floatTensor("fc.bias").scalars == [1.0, -2.0])
    }

    @Test("a deflated entry at maxInflatedEntryBytes inflates; one byte less is refused before inflating")
    func inflateBudget() throws {
        let path = HostileCorpus.folder.appendingPathComponent("zip_bomb_16mb.pt").path
        var limits = ReadLimits()
        limits.maxInflatedEntryBytes = 16 << 20
        let checkpoint = try Checkpoint(path: path, limits: limits)
        let weight = try checkpoint.floatTensor("fc.weight")
        #expect(weight.shape == [2048, 2048])
        #expect(weight.scalars.allSatisfy { $0 == 0 })
        limits.maxInflatedEntryBytes = (16 << 20) - 1
        let tight = try Checkpoint(path: path, limits: limits)
        #expect(throws: CheckpointError.self) { try tight.floatTensor("fc.weight") }
    }
}

#if canImport(Glibc)
import Glibc
private let RLIMIT_AS_VALUE = __rlimit_resource_t(RLIMIT_AS.rawValue)
#else
import Darwin
private let RLIMIT_AS_VALUE = RLIMIT_AS
#endif
