import Foundation
import Testing
import TorchCheckpoint

/// What the reader's changes look like from `ptconvert`: TorchScript state
/// through `--full-model`, foreign files named, refusals that name the flag
/// that lifts them.
@Suite("ptconvert reading TorchScript, foreign files and refusals")
struct ReaderCLITests {
    typealias E2E = PTConvertEndToEndTests

    private func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ptconvert-reader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private struct Sidecar: Decodable {
        struct Tensor: Decodable { let name: String; let dtype: String; let shape: [Int]; let values: [Double] }
        let tensors: [Tensor]
    }

    private func sidecar(_ name: String) throws -> Sidecar {
        try JSONDecoder().decode(Sidecar.self, from: Data(contentsOf: E2E.root.appendingPathComponent("fixtures/conversion/\(name)")))
    }

    @Test("inspect and convert --full-model of a TorchScript archive give torch.jit.load(f).state_dict(), constants on request",
          arguments: [([String](), "torchscript_state.expected.json"),
                      (["--torchscript-constants"], "torchscript_state.with_constants.expected.json")])
    func torchScriptState(extra: [String], expectedFile: String) throws {
        let expected = try sidecar(expectedFile)
        let input = "fixtures/conversion/torchscript_state.pt"
        let inspect = try E2E.ptconvert(["inspect", "--json", "--full-model", input] + extra)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let listed = try JSONDecoder().decode(E2E.InspectJSON.self, from: Data(inspect.stdout.utf8))
        #expect(listed.tensors == expected.tensors.map { .init(name: $0.name, dtype: $0.dtype, shape: $0.shape) })

        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("state.safetensors").path
        let convert = try E2E.ptconvert(["convert", input, output, "--full-model", "-q"] + extra)
        #expect(convert.status == 0, "\(convert.stderr)")
        let written = try SafetensorsFile(path: output)
        #expect(written.tensors.map(\.name) == expected.tensors.map(\.name))
        for want in expected.tensors {
            #expect(try written.doubles(want.name) == want.values, "\(want.name)")
        }
    }

    @Test("convert refuses an expanding view past the budget, naming the tensor and --max-expansion; raising it lets it through")
    func maxExpansion() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.safetensors").path
        let huge = try E2E.ptconvert(["convert", "fixtures/hostile/expanded_4gb.pt", output, "-q"])
        #expect(huge.status == 2)
        #expect(huge.stderr.contains("reading tensor 'fc.weight'") && huge.stderr.contains("--max-expansion"), "\(huge.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))

        let input = "fixtures/hostile/expanded_8mb.pt"
        let small = try E2E.ptconvert(["convert", input, output, "-q", "--max-expansion", "4MiB"])
        #expect(small.status == 2)
        #expect(small.stderr.contains("past the expansion budget of 4194304"), "\(small.stderr)")
        let raised = try E2E.ptconvert(["convert", input, output, "-q", "--max-expansion", "8MiB"])
        #expect(raised.status == 0, "\(raised.stderr)")
        #expect(try SafetensorsFile(path: output).floatTensor("fc.weight").scalars.count == 1 << 21)
    }

    @Test("inspect, convert and verify take --max-expansion and refuse a malformed size", arguments: ["inspect", "convert", "verify"])
    func maxExpansionFlag(command: String) throws {
        let operands: [String]
        switch command {
        case "verify": operands = ["fixtures/golden/" + (E2E.goldenFixtures.first ?? "")]
        case "convert": operands = ["fixtures/checkpoints/rnn_state_dict.pt", "--dry-run", "x.safetensors"]
        default: operands = ["fixtures/checkpoints/rnn_state_dict.pt"]
        }
        let accepted = try E2E.ptconvert([command] + operands + ["--max-expansion", "2GB"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let refused = try E2E.ptconvert([command] + operands + ["--max-expansion", "lots"])
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("--max-expansion"))
    }

    @Test("a numpy archive is named as such; a TorchScript archive without --full-model suggests it")
    func messages() throws {
        let npz = try E2E.ptconvert(["inspect", "fixtures/foreign/arrays.npz"])
        #expect(npz.status == 2)
        #expect(npz.stderr == "ptconvert: fixtures/foreign/arrays.npz: this is a numpy .npz archive, not a torch.save checkpoint\n")
        let script = try E2E.ptconvert(["inspect", "fixtures/conversion/torchscript_state.pt"])
        #expect(script.status == 2)
        #expect(script.stderr.contains("--full-model"), "\(script.stderr)")
    }
}
