import Foundation
import Testing
import TorchCheckpoint

/// Locations of the committed fixtures, found from this file's path.
enum FixturePaths {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let checkpoints = repositoryRoot.appendingPathComponent("fixtures/checkpoints")
    static let hostile = checkpoints.appendingPathComponent("hostile")

    /// Every checkpoint that has an `.expected.json` sidecar written by tools/make_checkpoint_fixtures.py.
    static let sidecars: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
        return names.filter { $0.hasSuffix(".expected.json") }.sorted()
    }()
}

/// A sidecar: what torch.load returned for a fixture. Decoded with
/// JSONDecoder, which parses Python's shortest-repr floats exactly.
struct Expectation: Decodable {
    struct Tensor: Decodable {
        let name: String
        let dtype: String
        let shape: [Int]
        let values: Numbers
    }

    /// Integers stay exact as Int64; everything else is a Double.
    struct Numbers: Decodable {
        let doubles: [Double]
        let integers: [Int64]?
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            integers = try? container.decode([Int64].self)
            doubles = try container.decode([Double].self)
        }
    }

    enum Leaf: Decodable, Equatable {
        case null, bool(Bool), int(Int64), double(Double), string(String)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let b = try? container.decode(Bool.self) { self = .bool(b) }
            else if let i = try? container.decode(Int64.self) { self = .int(i) }
            else if let d = try? container.decode(Double.self) { self = .double(d) }
            else { self = .string(try container.decode(String.self)) }
        }
    }

    struct Other: Decodable {
        let name: String
        let value: Leaf
    }

    let file: String
    let format: String
    let tensors: [Tensor]
    let others: [Other]

    static func load(_ sidecar: String) throws -> Expectation {
        let data = try Data(contentsOf: FixturePaths.checkpoints.appendingPathComponent(sidecar))
        return try JSONDecoder().decode(Expectation.self, from: data)
    }
}

/// Every element of a stored tensor equals what Python recorded in the sidecar
/// (exact doubles, exact Int64, complex as interleaved parts), and the Float32
/// view equals those values rounded to Float.
func expectValues(_ store: any TensorStore, _ tensor: StoredTensor, _ want: Expectation.Tensor) throws {
    switch tensor.dtype {
    case let dtype where dtype.isComplex:
        #expect(try store.complexParts(tensor.name) == want.values.doubles, "\(tensor.name)")
    case let dtype where !dtype.isFloatingPoint && !dtype.isInteger:
        // Packed and bit-container dtypes: the sidecar holds the tensor's bytes.
        #expect(try store.contiguousBytes(tensor.name).map(Int64.init) == want.values.integers, "\(tensor.name)")
    case let dtype where dtype.isFloatingPoint:
        #expect(try store.doubles(tensor.name) == want.values.doubles, "\(tensor.name)")
        let floats = try store.floatTensor(tensor.name)
        #expect(floats.shape == want.shape)
        #expect(floats.scalars == want.values.doubles.map { Float($0) }, "\(tensor.name)")
    default:
        let got = try store.integerTensor(tensor.name)
        #expect(got.shape == want.shape)
        #expect(got.scalars == want.values.integers, "\(tensor.name)")
    }
}
