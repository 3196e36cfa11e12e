import Foundation
import TorchNN

/// Why a golden fixture folder could not be read. Every description is one line that
/// names the file and, for `case.json`, the key (`steps[1].batch_first` inside a step).
public enum GoldenFixtureError: Error, LocalizedError, Equatable, Sendable {
    /// The folder lacks `case.json`, `golden.pt` or `model.pt` (the path).
    case missingFile(String)
    /// `case.json` is not JSON; `reason` is the parser's account, with the position.
    case invalidJSON(file: String, reason: String)
    /// `case.json` lacks a required key (`module` or `steps`).
    case missingKey(file: String, key: String)
    /// A key case.json does not have (a typo, or a key of the other form).
    case unknownKey(file: String, key: String)
    /// Keys that exclude each other (`module` and `steps`).
    case conflictingKeys(file: String, keys: [String])
    /// A key whose JSON type is not the one expected.
    case wrongType(file: String, key: String, expected: String)
    /// A key whose value is not one allowed (an unknown module name, a negative tolerance).
    case invalidValue(file: String, key: String, value: String, expected: String)
    /// An option the module does not have (`nonlinearity` on an LSTM), set to anything but torch's default.
    case inapplicableOption(file: String, key: String, module: String, default: String)
    /// `golden.pt` lacks a tensor the case needs (`input`, `output`, ...).
    case missingTensor(file: String, name: String)
    /// A tensor golden.pt must not hold for this case (an initial state in a multi-step case).
    case unexpectedTensor(file: String, name: String)
    /// A golden tensor whose values cannot be what the case needs (indices that are not integers).
    case invalidTensor(file: String, name: String, reason: String)
    /// model.pt names a class outside the weights-only allowlist: a whole-module pickle or a TorchScript archive.
    case needsFullModel(file: String, global: String)
    /// The steps cannot run in this order (`last_step` after a Linear).
    case invalidStep(file: String, step: Int, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .missingFile(path): return "\(path): no such file"
        case let .invalidJSON(file, reason): return "\(file): not valid JSON: \(reason)"
        case let .missingKey(file, key): return "\(file): key '\(key)' is required"
        case let .unknownKey(file, key): return "\(file): unknown key '\(key)'"
        case let .conflictingKeys(file, keys):
            return "\(file): keys \(keys.map { "'\($0)'" }.joined(separator: " and ")) exclude each other; give one"
        case let .wrongType(file, key, expected): return "\(file): key '\(key)' must be \(expected)"
        case let .invalidValue(file, key, value, expected):
            return "\(file): key '\(key)' is '\(value)'; expected \(expected)"
        case let .inapplicableOption(file, key, module, value):
            let option = key.split(separator: ".").last.map(String.init) ?? key
            return "\(file): key '\(key)': \(module) has no \(option) option; leave it out (only torch's default \(value) is accepted)"
        case let .missingTensor(file, name): return "\(file): no tensor named '\(name)'"
        case let .unexpectedTensor(file, name): return "\(file): tensor '\(name)' does not belong in this case"
        case let .invalidTensor(file, name, reason): return "\(file): tensor '\(name)': \(reason)"
        case let .needsFullModel(file, global):
            return "\(file): references the class '\(global)', so it is a torch.save(model) pickle or a TorchScript archive; "
                + "read it with inert placeholders by setting \"full_model\": true in case.json or passing --full-model"
        case let .invalidStep(file, step, reason): return "\(file): key 'steps[\(step)]': \(reason)"
        }
    }
}
