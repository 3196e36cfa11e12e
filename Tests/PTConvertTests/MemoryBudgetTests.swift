import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Peak memory and time of `ptconvert inspect` on the bombs of the hostile
/// corpus (`fixtures/hostile/`, see tools/make_hostile_fixtures.py): each is a
/// small file that claims or implies an enormous amount of work or memory,
/// and must be refused (exit code 2, one line on stderr) within a small,
/// fixed budget — measured on a child process, so a runaway one cannot take
/// the test run down. (In Tests/PTConvertTests because it runs the built
/// `ptconvert`, which this test target depends on.)
@Suite("Memory and time budgets of hostile files", .serialized)
struct MemoryBudgetTests {
    static let corpus = PTConvertEndToEndTests.root.appendingPathComponent("fixtures/hostile")

    /// Peak resident set a refused bomb may reach (the reader's own baseline is ~20 MB).
    static let rssBudgetKB = 200 * 1024
    /// CPU seconds (user + system) a bomb may take: the child's own work, so
    /// a loaded machine does not move it. The slowest, memo_bomb_tensors.pt,
    /// took 2.9 s in a debug build on this 2-core machine while it compiled
    /// other work; most take under 0.2 s.
    static let cpuBudget: Double = 20
    /// The child is killed after this long (a hang), or past this much address space.
    static let killAfter: Double = 60
    static let addressSpaceCeiling: UInt = 8 << 30

    /// (file, what it attacks, expected exit code). Exit code 0: the file is
    /// harmless to inspect and must read within the same budget.
    static let bombs: [(String, Int32)] = [
        ("memo_bomb_lists.pt", 2),          // 2^60 paths through the memo
        ("memo_bomb_dicts.pt", 2),
        ("memo_bomb_tensors.pt", 2),        // one tensor reached 2^40 times
        ("memo_bomb_named_values.pt", 2),   // 2^40 values with names up to 16 KB
        ("cyclic_list.pt", 2),              // a list containing itself
        ("nesting_marks.pt", 2),            // 100k MARKs
        ("nesting_lists.pt", 2),            // a list nested 100k deep
        ("nesting_lists_memo.pt", 2),       // the same, built with a stack of two
        ("nesting_tuples.pt", 2),           // a tuple nested 200k deep
        ("nesting_tuple_key.pt", 2),        // ... used as a dict key
        ("dict_key_quadratic.pt", 2),       // a 100k-element key hashed 20k times
        ("memo_index_2p32.pt", 0),          // memo index 2^32-1: nothing allocated
        ("memo_get_undefined.pt", 2),
        ("binunicode8_2p62.pt", 2),         // length claims of 2^62 bytes
        ("binbytes8_2p62.pt", 2),
        ("bytearray8_2p62.pt", 2),
        ("binunicode_2p32m1.pt", 2),
        ("long4_2p31.pt", 2),               // a 2 GB integer claimed
        ("long4_120k.pt", 2),               // a 120 KB integer present (quadratic to print)
        ("frame_2p63.pt", 2),               // a 2^63-byte frame
        ("storage_numel_2p40.pt", 2),       // 2^40 elements claimed for a 24-byte record
        ("storage_numel_overflow.pt", 2),
        ("shape_numel_overflow.pt", 2),
        ("shape_bytes_overflow.pt", 2),
        ("expanded_sum_overflow.pt", 0),    // two valid 2^62-byte views: the totals overflow
        ("zip_pickle_deflated_4gb.pt", 2),  // data.pkl declares 3.75 GB
        ("zip_pickle_4gb.pt", 2),
        ("zip64_absurd_counts.pt", 2),      // ZIP64 end record: 2^60 entries
        ("zip64_absurd_offsets.pt", 2),
        ("zip_cd_size_huge.pt", 2),
        ("zip_size_past_end.pt", 2),
        ("legacy_size_huge.pt", 2),         // legacy storage of 2^61 elements
    ]

    struct Measured {
        var exitCode: Int32?
        var signal: Int32?
        /// The child's own peak resident set.
        var maxRSSKB: Int
        /// What `maxRSSKB` cannot go below: the measuring tool's own resident set.
        var floorKB: Int
        /// User + system CPU time of the child: its own work, whatever else the machine runs.
        var cpuSeconds: Double
        var wallSeconds: Double
        var killed: Bool
        var stdout: String
        var stderr: String
    }

    /// The `peak-memory` tool SwiftPM built next to `ptconvert`.
    static let peakMemory = PTConvertEndToEndTests.binary.deletingLastPathComponent().appendingPathComponent("peak-memory")

    /// Runs `ptconvert` under `peak-memory` (Tests/Tools/peak-memory), which
    /// spawns it from a process of a few MB and reports its rusage. Spawned
    /// from this test runner instead, the child's `ru_maxrss` would start at
    /// the runner's own resident set at that moment — which moves with the
    /// tests running beside this one (the cause of a flaky budget once).
    static func measure(_ arguments: [String]) throws -> Measured {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("budget-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        let reportURL = scratch.appendingPathComponent("report")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)

        let process = Process()
        process.executableURL = peakMemory
        process.arguments = [reportURL.path, String(killAfter), String(addressSpaceCeiling),
                             PTConvertEndToEndTests.binary.path] + arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey:
                "peak-memory failed: \((try? String(contentsOf: errURL, encoding: .utf8)) ?? "")"])
        }
        let report = try String(contentsOf: reportURL, encoding: .utf8)
        var fields: [String: String] = [:]
        for pair in report.split(whereSeparator: \.isWhitespace) {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        func number(_ key: String) throws -> Double {
            try #require(fields[key].flatMap(Double.init), "peak-memory report without \(key): \(report)")
        }
        return Measured(
            exitCode: fields["exit"].flatMap { Int32($0) }, signal: fields["signal"].flatMap { Int32($0) },
            maxRSSKB: Int(try number("maxrss_kb")), floorKB: Int(try number("floor_kb")),
            cpuSeconds: try number("cpu_s"), wallSeconds: try number("wall_s"), killed: fields["killed"] == "1",
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    @Test("every bomb listed is in the corpus")
    func bombsExist() {
        for (file, _) in Self.bombs {
            #expect(FileManager.default.fileExists(atPath: Self.corpus.appendingPathComponent(file).path), "\(file)")
        }
    }

    @Test("ptconvert inspect refuses each bomb with exit code 2 in < 200 MB and < 20 CPU seconds", arguments: bombs.map(\.0))
    func bomb(_ file: String) throws {
        let expectedExit = try #require(Self.bombs.first { $0.0 == file }?.1)
        let path = Self.corpus.appendingPathComponent(file).path
        let run = try Self.measure(["inspect", path])
        let what = "\(file): exit \(run.exitCode.map(String.init) ?? "-") signal \(run.signal.map(String.init) ?? "-"), \(run.maxRSSKB / 1024) MB, \(String(format: "%.2f", run.cpuSeconds)) s CPU"
        guard !run.killed else { Issue.record("\(what): killed after \(Self.killAfter) s (a hang)"); return }
        guard run.signal == nil else { Issue.record("\(what): crashed. \(run.stderr.prefix(300)) … \(run.stderr.suffix(300))"); return }
        #expect(run.exitCode == expectedExit, "\(what). \(run.stderr.prefix(400))")
        #expect(run.maxRSSKB < Self.rssBudgetKB, "\(what): peak RSS over \(Self.rssBudgetKB / 1024) MB")
        #expect(run.cpuSeconds < Self.cpuBudget, "\(what): over \(Self.cpuBudget) s of CPU")
        if expectedExit == 2 {
            #expect(run.stdout.isEmpty, "\(what): printed \(run.stdout.prefix(200))")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(what): stderr is not one line")
            #expect(run.stderr.contains(path), "\(what): the message does not name the file")
        }
    }

    @Test("the measurement sees a real checkpoint's memory and exit code")
    func measurementWorks() throws {
        let run = try Self.measure(["inspect", PTConvertEndToEndTests.root.appendingPathComponent("fixtures/checkpoints/training_checkpoint.pt").path])
        #expect(run.exitCode == 0)
        #expect(run.maxRSSKB > 1024, "ru_maxrss of the child is reported")
        #expect(run.stdout.contains("model.rnn.weight_ih_l0"))
        let missing = try Self.measure(["inspect", "no/such/file.pt"])
        #expect(missing.exitCode == 2)
    }

    @Test("the measured peak is the child's own, not the test runner's")
    func measurementIsTheChildsOwn() throws {
        // Hold 512 MB resident in this process while measuring a small inspect
        // (~27 MB): spawned straight from here, the child would report ≥ 512 MB.
        let held = 512 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: held, alignment: 4096)
        defer { block.deallocate() }
        for page in stride(from: 0, to: held, by: 4096) { block.storeBytes(of: 1, toByteOffset: page, as: UInt8.self) }
        let run = try Self.measure(["inspect", PTConvertEndToEndTests.root.appendingPathComponent("fixtures/checkpoints/rnn_state_dict.pt").path])
        #expect(run.exitCode == 0)
        #expect(run.floorKB < 64 * 1024, "the measuring tool itself is small: \(run.floorKB) KB")
        #expect(run.maxRSSKB < 128 * 1024, "peak \(run.maxRSSKB) KB includes the runner's \(held >> 20) MB")
        #expect(block.load(fromByteOffset: held - 4096, as: UInt8.self) == 1)
    }
}
