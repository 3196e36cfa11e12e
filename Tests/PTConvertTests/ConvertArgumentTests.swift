import Foundation
import Testing
import TorchCheckpoint

/// `ptconvert convert` with arguments that used to crash it or surprise the
/// user, run as the built binary: usage errors (64), write failures (3), the
/// note on dropped values, whole-component `--select`.
@Suite("ptconvert convert arguments")
struct ConvertArgumentTests {
    typealias E2E = PTConvertEndToEndTests

    private func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ptconvert-args-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("a bad --max-shard-size is a usage error naming the option, never a crash", arguments: [
        "1e30GB", "infB", "nanB", "0.1B", "0", "0GB", "-5MB", "99999999999999999999GB", "8388608TiB", "2XB", "", "1.5",
    ])
    func badShardSize(size: String) throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try E2E.ptconvert(["convert", "fixtures/checkpoints/gru_state_dict.pt",
                                     directory.appendingPathComponent("x.safetensors").path, "--max-shard-size=\(size)"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("--max-shard-size"))
        #expect(!run.stderr.contains("Fatal error"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("other flags: an empty --select, a bad --rename or --dtype are usage errors", arguments: [
        ["--select", ""], ["--rename", "("], ["--rename", "(=x"], ["--dtype", "int4"],
    ])
    func badFlags(flags: [String]) throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try E2E.ptconvert(["convert", "fixtures/checkpoints/gru_state_dict.pt",
                                     directory.appendingPathComponent("x.safetensors").path] + flags)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
    }

    @Test("views that only overflow together are refused, not a crash, for every output", arguments: ["a.pt", "a.safetensors"])
    func overflowingViews(output: String) throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        for shard in [[], ["--max-shard-size", "1GB"]] {
            let run = try E2E.ptconvert(["convert", "fixtures/hostile/expanded_sum_overflow.pt",
                                         directory.appendingPathComponent(output).path, "-q"] + shard)
            #expect([2, 64].contains(run.status), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        }
    }

    @Test("an output that cannot be written exits 3, apart from unreadable input (2)", arguments: ["x.safetensors", "x.pt"])
    func unwritable(output: String) throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("missing/\(output)").path
        let run = try E2E.ptconvert(["convert", "fixtures/checkpoints/gru_state_dict.pt", target, "-q"])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("ptconvert: \(target): "))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test("a training checkpoint: the dropped non-tensor values are named on stderr, and --quiet silences it")
    func droppedValues() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("all.safetensors").path
        let run = try E2E.ptconvert(["convert", "fixtures/checkpoints/training_checkpoint.pt", output])
        #expect(run.status == 0, "\(run.stderr)")
        let source = try Checkpoint(path: E2E.root.appendingPathComponent("fixtures/checkpoints/training_checkpoint.pt").path)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("ptconvert: \(source.values.count) non-tensor values not written (epoch, ") == true, "\(run.stderr)")

        let quiet = try E2E.ptconvert(["convert", "fixtures/checkpoints/training_checkpoint.pt", output, "--quiet"])
        #expect(quiet.status == 0)
        #expect(quiet.stderr.isEmpty)
        // A state_dict has nothing to drop: nothing is said.
        let plain = try E2E.ptconvert(["convert", "fixtures/checkpoints/gru_state_dict.pt", output])
        #expect(plain.status == 0)
        #expect(plain.stderr.isEmpty)
    }

    @Test("--select model selects whole components and strips the dot, like --select model.")
    func selectComponents() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        var names: [[String]] = []
        for prefix in ["model", "model."] {
            let output = directory.appendingPathComponent("m.safetensors").path
            let run = try E2E.ptconvert(["convert", "fixtures/checkpoints/training_checkpoint.pt", output, "--select", prefix, "-q"])
            #expect(run.status == 0, "\(run.stderr)")
            names.append(try SafetensorsFile(path: output).tensors.map(\.name).sorted())
        }
        #expect(names[0] == names[1])
        #expect(names[0].contains("rnn.weight_ih_l0"))
        #expect(!names[0].contains { $0.hasPrefix(".") })
        let partial = try E2E.ptconvert(["convert", "fixtures/checkpoints/training_checkpoint.pt",
                                         directory.appendingPathComponent("p.safetensors").path, "--select", "mod"])
        #expect(partial.status == 64)
        #expect(partial.stderr.contains("no tensor is named 'mod' or 'mod.…'"))
    }
}
