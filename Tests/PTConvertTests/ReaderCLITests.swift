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
}
