import Foundation
import TorchCheckpoint
import TorchNN

/// A multi-step model loaded from `model.pt`: modules known to the library and the small head
/// operations between them (TorchTensor's operations).
struct GoldenSteps: Sendable {
    enum Loaded: Sendable {
        case embedding(Embedding)
        case linear(Linear)
        case recurrent(RecurrentModule, batchFirst: Bool)
        case operation(GoldenFixture.Case.Operation)
    }

    let steps: [Loaded]

    /// Loads every module step strictly under its prefix and checks that each operation follows
    /// a step it applies to (`h_n[-1]` and `last_step` need a sequence module just before).
    init(_ steps: [GoldenFixture.Case.Step], from source: some TensorSource, caseFile: String) throws {
        var loaded: [Loaded] = []
        var previous: RecurrentModule.Kind?  // the recurrent module right before, if any
        for (position, step) in steps.enumerated() {
            switch step {
            case let .module(module):
                if module.module == "Embedding" {
                    // Indices come from golden.pt's integer `input`; anything computed is a float.
                    guard position == 0 else {
                        throw GoldenFixtureError.invalidStep(file: caseFile, step: position, reason: "an Embedding can only be the first step")
                    }
                    loaded.append(.embedding(try Embedding(loading: source, prefix: module.prefix)))
                } else if module.module == "Linear" {
                    loaded.append(.linear(try Linear(loading: source, prefix: module.prefix)))
                } else if let kind = module.recurrentKind {
                    loaded.append(.recurrent(try RecurrentModule.load(from: source, prefix: module.prefix, kind: kind,
                                                                      nonlinearity: module.nonlinearity,
                                                                      batchFirst: module.batchFirst),
                                             batchFirst: module.batchFirst))
                }
                previous = module.recurrentKind
            case let .operation(operation):
                switch operation {
                case .output where previous == nil:
                    throw GoldenFixtureError.invalidStep(file: caseFile, step: position, reason: "'output' must follow a recurrent module")
                case .lastHidden where previous == nil || previous!.isCell, .lastStep where previous == nil || previous!.isCell:
                    throw GoldenFixtureError.invalidStep(file: caseFile, step: position,
                                                         reason: "'\(operation.rawValue)' must follow RNN, LSTM or GRU")
                default: break
                }
                loaded.append(.operation(operation))
                previous = nil
            }
        }
        self.steps = loaded
    }

    /// What flows from one step to the next.
    private enum Value {
        case tensor(FloatTensor)
        /// A recurrent step's result; the next module or activation takes its `output`.
        case recurrent(RecurrentOutput, batchFirst: Bool)

        var tensor: FloatTensor {
            switch self {
            case let .tensor(tensor): return tensor
            case let .recurrent(result, _): return result.output
            }
        }
    }

    /// Runs the steps. `input` holds indices as exact floats when the first step is an Embedding;
    /// recurrent steps start from zero state and get `lengths`.
    func callAsFunction(_ input: FloatTensor, lengths: [Int]?) throws -> FloatTensor {
        var value = Value.tensor(input)
        for step in steps {
            switch step {
            case let .embedding(embedding):
                let x = value.tensor
                let indices = try x.scalars.enumerated().map { position, scalar in
                    guard let index = Int(exactly: scalar) else {
                        throw LayerInputError.indexOutOfRange(position: position, index: -1, count: embedding.numEmbeddings)
                    }
                    return index
                }
                value = .tensor(try embedding(indices, shape: x.shape))
            case let .linear(linear):
                value = .tensor(try linear(value.tensor))
            case let .recurrent(module, batchFirst):
                value = .recurrent(try module(value.tensor, lengths: module.kind.isCell ? nil : lengths), batchFirst: batchFirst)
            case let .operation(operation):
                value = .tensor(try Self.apply(operation, to: value, lengths: lengths))
            }
        }
        return value.tensor
    }

    private static func apply(_ operation: GoldenFixture.Case.Operation, to value: Value, lengths: [Int]?) throws -> FloatTensor {
        switch operation {
        case .output: return value.tensor
        case .lastHidden:
            // `h_n[-1]`: (L·D, B, H_out) → (B, H_out).
            guard case let .recurrent(result, _) = value else { return value.tensor }
            return try result.hN.select(axis: 0, index: -1)
        case .lastStep:
            guard case let .recurrent(result, batchFirst) = value else { return value.tensor }
            // Unbatched (T, F) → (F): the last step.
            if result.output.rank == 2 { return try result.output.select(axis: 0, index: -1) }
            return try result.output.lastValidStep(lengths: lengths, batchFirst: batchFirst)
        case .relu: return value.tensor.relu()
        case .tanh: return value.tensor.tanh()
        case .sigmoid: return value.tensor.sigmoid()
        case .softmax: return try value.tensor.softmax(axis: -1)
        case .logSoftmax: return try value.tensor.logSoftmax(axis: -1)
        case .gelu: return value.tensor.gelu()
        case .normalize: return try value.tensor.l2Normalized(axis: -1)
        }
    }
}
