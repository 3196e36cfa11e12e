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
    /// A generous bound: each of these is refused in well under a second.
    static let timeBudget: Double = 20
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
        var maxRSSKB: Int
        var seconds: Double
        var killed: Bool
        var stdout: String
        var stderr: String
    }

    /// Runs `ptconvert` with posix_spawn and reaps it with wait4, so the
    /// peak RSS is this child's own (`ru_maxrss` of RUSAGE_CHILDREN would be
    /// the maximum over every child the test process ever waited for).
    static func measure(_ arguments: [String]) throws -> Measured {
        let binary = PTConvertEndToEndTests.binary.path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("budget-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outPath = scratch.appendingPathComponent("stdout").path
        let errPath = scratch.appendingPathComponent("stderr").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        // sh sets the address-space ceiling, then execs ptconvert in the same
        // process: wait4's rusage is ptconvert's.
        let script = "ulimit -v \(addressSpaceCeiling / 1024) && exec \"$0\" \"$@\""
        let argv = (["/bin/sh", "-c", script, binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let started = Date()
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }

        var status: Int32 = 0
        var usage = rusage()
        var killed = false
        while true {
            let reaped = wait4(pid, &status, WNOHANG, &usage)
            if reaped == pid { break }
            if reaped < 0, errno != EINTR { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
            if !killed, Date().timeIntervalSince(started) > killAfter {
                kill(pid, SIGKILL)
                killed = true
            }
            usleep(10_000)
        }
        let seconds = Date().timeIntervalSince(started)
        let terminatingSignal = status & 0x7F
        return Measured(
            exitCode: terminatingSignal == 0 ? (status >> 8) & 0xFF : nil,
            signal: terminatingSignal == 0 ? nil : terminatingSignal,
            maxRSSKB: usage.ru_maxrss, seconds: seconds, killed: killed,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    @Test("every bomb listed is in the corpus")
    func bombsExist() {
        for (file, _) in Self.bombs {
            #expect(FileManager.default.fileExists(atPath: Self.corpus.appendingPathComponent(file).path), "\(file)")
        }
    }

    @Test("ptconvert inspect refuses each bomb with exit code 2 in < 200 MB and < 20 s", arguments: bombs.map(\.0))
    func bomb(_ file: String) throws {
        let expectedExit = try #require(Self.bombs.first { $0.0 == file }?.1)
        let path = Self.corpus.appendingPathComponent(file).path
        let run = try Self.measure(["inspect", path])
        let what = "\(file): exit \(run.exitCode.map(String.init) ?? "-") signal \(run.signal.map(String.init) ?? "-"), \(run.maxRSSKB / 1024) MB, \(String(format: "%.2f", run.seconds)) s"
        guard !run.killed else { Issue.record("\(what): killed after \(Self.killAfter) s (a hang)"); return }
        guard run.signal == nil else { Issue.record("\(what): crashed. \(run.stderr.prefix(300)) … \(run.stderr.suffix(300))"); return }
        #expect(run.exitCode == expectedExit, "\(what). \(run.stderr.prefix(400))")
        #expect(run.maxRSSKB < Self.rssBudgetKB, "\(what): peak RSS over \(Self.rssBudgetKB / 1024) MB")
        #expect(run.seconds < Self.timeBudget, "\(what): slower than \(Self.timeBudget) s")
        if expectedExit == 2 {
            #expect(run.stdout.isEmpty, "\(what): printed \(run.stdout.prefix(200))")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(what): stderr is not one line")
            #expect(run.stderr.contains(path), "\(what): the message does not name the file")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/pwned"))
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
}
