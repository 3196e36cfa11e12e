import Foundation
import Testing

/// Runs the built `ptconvert` binary, as a user or a CI job would.
@Suite("ptconvert end to end")
struct PTConvertEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary SwiftPM built next to this test bundle.
    static let binary = program("ptconvert")

    /// A program of this package SwiftPM built next to this test bundle.
    static func program(_ name: String) -> URL {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(root.appendingPathComponent(".build/debug"))
        for directory in candidates {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return root.appendingPathComponent(".build/debug/\(name)")
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func ptconvert(_ arguments: [String]) throws -> Run {
        try run(binary, arguments)
    }

    /// Runs `program` in the repository root and collects its exit status and output.
    static func run(_ program: URL, _ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    static let sidecars: [String] = {
        let folder = root.appendingPathComponent("fixtures/checkpoints")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".expected.json") }.sorted()
    }()

    static let goldenFixtures: [String] = {
        let folder = root.appendingPathComponent("fixtures/golden")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { FileManager.default.fileExists(atPath: folder.appendingPathComponent("\($0)/case.json").path) }
            .sorted()
    }()

    struct InspectJSON: Decodable {
        struct Tensor: Decodable, Equatable { let name: String; let dtype: String; let shape: [Int] }
        let format: String
        let tensors: [Tensor]
    }

    struct Sidecar: Decodable {
        let file: String
        let format: String
        let tensors: [InspectJSON.Tensor]
    }

    @Test("inspect --json lists exactly the names, dtypes and shapes torch reported", arguments: sidecars)
    func inspectJSON(sidecar: String) throws {
        let folder = Self.root.appendingPathComponent("fixtures/checkpoints")
        let expected = try JSONDecoder().decode(Sidecar.self, from: Data(contentsOf: folder.appendingPathComponent(sidecar)))
        let run = try Self.ptconvert(["inspect", "--json", "fixtures/checkpoints/\(expected.file)"])
        #expect(run.status == 0, "\(run.stderr)")
        let listed = try JSONDecoder().decode(InspectJSON.self, from: Data(run.stdout.utf8))
        #expect(listed.format == expected.format)
        #expect(listed.tensors == expected.tensors)
    }

    @Test("inspect prints a table with totals")
    func inspectTable() throws {
        let run = try Self.ptconvert(["inspect", "fixtures/checkpoints/training_checkpoint.pt"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("model.rnn.weight_ih_l0"))
        #expect(run.stdout.contains("epoch = 3"))
        #expect(run.stdout.contains("tensors,"))
    }

    @Test("a hostile or unreadable file: one line on stderr, exit code 2", arguments: [
        "fixtures/checkpoints/hostile/os_system.pt", "fixtures/checkpoints/hostile/builtins_eval_nested.pt",
        "fixtures/checkpoints/hostile/subprocess_popen.pt", "fixtures/checkpoints/README.md", "no/such/file.pt",
    ])
    func inspectRefuses(file: String) throws {
        let run = try Self.ptconvert(["inspect", file])
        #expect(run.status == 2)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stderr.contains(file))
    }

    @Test("the fixture lists that parameterized tests iterate are not empty")
    func fixtureListsArePresent() {
        // An empty list would make each parameterized test pass with no case run.
        #expect(Self.sidecars.count >= 20)
        #expect(ConvertEndToEndTests.checkpoints.count == Self.sidecars.count)
        #expect(Self.goldenFixtures.count >= 40)
        #expect(MemoryBudgetTests.bombs.count >= 30)
    }

    @Test("verify passes every golden fixture made by torch")
    func verifyAll() throws {
        #expect(Self.goldenFixtures.count >= 40)
        let run = try Self.ptconvert(["verify"] + Self.goldenFixtures.map { "fixtures/golden/\($0)" })
        #expect(run.status == 0, "\(run.stdout)")
        let passLines = run.stdout.split(separator: "\n").filter { $0.hasPrefix("PASS") }
        #expect(passLines.count == Self.goldenFixtures.count)
    }

    @Test("verify exits 1 on a perturbed expected value and names the tensor")
    func verifyPerturbed() throws {
        let run = try Self.ptconvert(["verify", "fixtures/golden-broken/lstm_perturbed"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("FAIL  lstm_perturbed"))
        #expect(run.stdout.contains("output max|err| 1.00e-03"))
    }

    @Test("verify exits 2 when a fixture cannot be read, with the reason")
    func verifyUnreadable() throws {
        let run = try Self.ptconvert(["verify", "fixtures/golden/lstm", "fixtures/golden-broken/missing_key"])
        #expect(run.status == 2)
        #expect(run.stdout.contains("PASS  lstm"))
        // The README promises the reason on stderr: one ERROR line naming the file and the key.
        #expect(!run.stdout.contains("ERROR") && !run.stdout.contains("weight_hh_l0"))
        let errors = run.stderr.split(separator: "\n")
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("ERROR missing_key") == true)
        #expect(errors.first?.contains("fixtures/golden-broken/missing_key/model.pt: ") == true)
        #expect(errors.first?.contains("weight_hh_l0") == true)
    }

    @Test("verify --json reports every comparison")
    func verifyJSON() throws {
        struct Report: Decodable {
            struct Fixture: Decodable {
                struct Comparison: Decodable { let name: String; let max_abs_error: Double; let passed: Bool }
                let name: String
                let status: String
                let comparisons: [Comparison]?
            }
            let fixtures: [Fixture]
            let passed: Int
            let failed: Int
        }
        let run = try Self.ptconvert(["verify", "--json", "fixtures/golden/lstm_proj", "fixtures/golden-broken/lstm_perturbed"])
        #expect(run.status == 1)
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
        #expect(report.passed == 1)
        #expect(report.failed == 1)
        #expect(report.fixtures.map(\.status) == ["pass", "fail"])
        #expect(report.fixtures[0].comparisons?.map(\.name) == ["output", "h_n", "c_n"])
        #expect(report.fixtures[1].comparisons?.first { $0.name == "output" }?.passed == false)
    }
}
