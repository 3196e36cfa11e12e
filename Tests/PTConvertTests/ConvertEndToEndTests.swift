import Foundation
import Testing
import TorchCheckpoint

/// `ptconvert convert` as a user runs it: every fixture to safetensors and to
/// .pt, read back here bit for bit; golden fixtures verified from converted weights.
@Suite("ptconvert convert end to end")
struct ConvertEndToEndTests {
    typealias E2E = PTConvertEndToEndTests

    static let checkpoints: [String] = E2E.sidecars.map { $0.replacingOccurrences(of: ".expected.json", with: "") }

    private func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ptconvert-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Name in the output for a source tensor (a tensor saved alone needs a name).
    private func arguments(for fixture: String) -> [String] {
        fixture == "tensor_alone" ? ["--rename", "^$=tensor"] : []
    }

    @Test("every fixture converts to safetensors and .pt and reads back bit for bit", arguments: checkpoints)
    func roundTrip(fixture: String) throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = E2E.root.appendingPathComponent("fixtures/checkpoints/\(fixture).pt").path
        let source = try Checkpoint(path: input)
        // safetensors has no complex128 (nor complex32, the fnuz/e8m0 float8s, packed float4 and bits).
        let unwritable = source.tensors.first { $0.dtype.safetensorsName == nil }
        for ext in ["safetensors", "pt"] {
            let output = directory.appendingPathComponent("\(fixture).\(ext)").path
            let run = try E2E.ptconvert(["convert", input, output, "--quiet"] + arguments(for: fixture))
            if ext == "safetensors", let unwritable {
                // Refused as a usage error (64), naming the tensor and its dtype, nothing left behind.
                #expect(run.status == 64)
                #expect(run.stderr.contains("'\(unwritable.name)' has dtype \(unwritable.dtype.rawValue)"), "\(run.stderr)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
                continue
            }
            #expect(run.status == 0, "\(run.stderr)")
            let written = try TensorFile.open(output)
            #expect(written.tensors.count == source.tensors.count)
            for (original, copy) in zip(source.tensors, written.tensors) {
                #expect(copy.name == (original.name.isEmpty ? "tensor" : original.name))
                #expect(copy.dtype == original.dtype)
                #expect(copy.shape == original.shape)
                #expect(try written.contiguousBytes(copy.name) == source.contiguousBytes(original.name), "\(ext) \(copy.name)")
            }
        }
    }

    @Test("safetensors back to .pt round-trips bit for bit")
    func safetensorsToPt() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = E2E.root.appendingPathComponent("fixtures/checkpoints/lstm_proj_state_dict.pt").path
        let st = directory.appendingPathComponent("a.safetensors").path
        let pt = directory.appendingPathComponent("b.pt").path
        #expect(try E2E.ptconvert(["convert", input, st, "-q"]).status == 0)
        #expect(try E2E.ptconvert(["convert", st, pt, "-q"]).status == 0)
        let source = try Checkpoint(path: input), back = try Checkpoint(path: pt)
        #expect(back.tensors.map(\.name) == source.tensors.map(\.name))
        for tensor in source.tensors {
            #expect(try back.contiguousBytes(tensor.name) == source.contiguousBytes(tensor.name))
        }
    }

    @Test("golden fixtures pass from converted model.safetensors", arguments: ["lstm_nested_checkpoint", "gru_shared_storage", "lstm_proj_bidir_2layer_lengths", "rnn_dataparallel", "lstm_bf16"])
    func verifyFromSafetensors(golden: String) throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = E2E.root.appendingPathComponent("fixtures/golden/\(golden)")
        let copy = directory.appendingPathComponent(golden)
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for file in ["golden.pt", "case.json"] {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(file), to: copy.appendingPathComponent(file))
        }
        let run = try E2E.ptconvert(["convert", fixture.appendingPathComponent("model.pt").path,
                                     copy.appendingPathComponent("model.safetensors").path, "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        let verify = try E2E.ptconvert(["verify", copy.path])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("PASS  \(golden)"))
    }

    @Test("select, rename and dtype cast")
    func selectRenameCast() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = "fixtures/checkpoints/training_checkpoint.pt"
        let output = directory.appendingPathComponent("rnn.safetensors").path
        let run = try E2E.ptconvert(["convert", input, output, "--select", "model.", "--rename", #"^rnn\.(.*)_l0$=lstm.$1"#,
                                     "--dtype", "float16", "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        let written = try SafetensorsFile(path: output)
        #expect(written.tensors.map(\.name) == ["lstm.weight_ih", "lstm.weight_hh", "lstm.bias_ih", "lstm.bias_hh", "head.weight", "head.bias"])
        #expect(written.tensors.allSatisfy { $0.dtype == .float16 })
        // Values equal the float32 source rounded to half: widening them back is exact.
        let source = try Checkpoint(path: E2E.root.appendingPathComponent(input).path)
        let original = try source.floatTensor("model.rnn.weight_ih_l0").scalars
        let half = try written.floatTensor("lstm.weight_ih").scalars
        #expect(zip(original, half).allSatisfy { abs($0 - $1) <= abs($0) * 0x1p-11 + 0x1p-24 })
    }

    @Test("two names mapped to one, an unknown extension and a missing input fail cleanly")
    func refusals() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let collision = try E2E.ptconvert(["convert", "fixtures/checkpoints/rnn_state_dict.pt",
                                           directory.appendingPathComponent("x.safetensors").path, "--rename", "_l[01]="])
        #expect(collision.status == 64)
        #expect(collision.stderr.contains("would both be written as"))
        let badExtension = try E2E.ptconvert(["convert", "fixtures/checkpoints/rnn_state_dict.pt", directory.appendingPathComponent("x.onnx").path])
        #expect(badExtension.status != 0)
        let missing = try E2E.ptconvert(["convert", "no/such.pt", directory.appendingPathComponent("x.pt").path])
        #expect(missing.status == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("--dry-run writes nothing and prints the name map")
    func dryRun() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try E2E.ptconvert(["convert", "fixtures/checkpoints/dataparallel_state_dict.pt",
                                     directory.appendingPathComponent("x.safetensors").path, "--rename", #"^module\.="#, "--dry-run"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("module.head.weight -> head.weight"))
        #expect(run.stdout.contains("dry run"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("sharded output: shards plus an index that reads back as the whole", arguments: ["safetensors", "bin"])
    func sharded(ext: String) throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = E2E.root.appendingPathComponent("fixtures/checkpoints/gru_state_dict.pt").path
        let output = directory.appendingPathComponent("model.\(ext)").path
        let run = try E2E.ptconvert(["convert", input, output, "--max-shard-size", "600B", "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files.contains("model.\(ext).index.json"))
        #expect(files.filter { $0.hasPrefix("model-0000") }.count > 1)
        let whole = try TensorFile.open(output + ".index.json")
        let source = try Checkpoint(path: input)
        #expect(whole.tensors.map(\.name) == source.tensors.map(\.name))
        for tensor in source.tensors {
            #expect(try whole.contiguousBytes(tensor.name) == source.contiguousBytes(tensor.name))
        }
    }

    @Test("full-model pickles convert with --full-model and are refused without it")
    func fullModel() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = "fixtures/conversion/full_model.pt"
        let output = directory.appendingPathComponent("m.safetensors").path
        let strict = try E2E.ptconvert(["convert", input, output])
        #expect(strict.status == 2)
        #expect(strict.stderr.contains("my_project.models.TinyTagger"))
        let run = try E2E.ptconvert(["convert", input, output, "--full-model", "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try SafetensorsFile(path: output).tensors.first?.name == "scale")
    }
}
