import Foundation

/// Anything whose parameters load from a checkpoint under torch's names: the
/// layers and cells of this library, ``RecurrentModule``, and your own models.
///
/// A model is a struct of modules; it loads each child under the child's
/// property name, exactly as torch names the keys of an `nn.Module`:
///
/// ```swift
/// struct SpeakerEncoder: Module {
///     var lstm: LSTM
///     var linear: Linear
///
///     init(loading loader: inout ModuleLoader, prefix: String) throws {
///         lstm = try LSTM(loading: &loader, prefix: prefix + "lstm.", batchFirst: true)
///         linear = try Linear(loading: &loader, prefix: prefix + "linear.")
///     }
/// }
///
/// let model = try SpeakerEncoder(loading: checkpoint, prefix: "model_state.")
/// ```
///
/// The whole-model load is strict like `load_state_dict(strict=True)`: every
/// missing, unexpected and mis-shaped key under the prefix is reported together
/// in one ``ModuleLoadingError``. ``load(from:prefix:strict:)`` with
/// `strict: false` tolerates unexpected keys and returns them in a
/// ``LoadReport`` (missing and mis-shaped keys still throw: unlike torch, a
/// module here has no initial values to fall back on).
///
/// ``stateDictionary(prefix:)`` has a default that walks the stored
/// properties (children that are modules, arrays of modules as `name.0.`,
/// `name.1.`, ..., optional modules when present), so a model only writes its init.
public protocol Module: Sendable {
    /// Reads this module's parameters from `loader`, each under `prefix`
    /// (empty or ending with "."). Problems are recorded in the loader, not
    /// thrown, so one load reports them all; throw only for errors of your own.
    init(loading loader: inout ModuleLoader, prefix: String) throws

    /// Every parameter under torch's name, prefixed by `prefix`.
    func stateDictionary(prefix: String) -> TensorDictionary
}

extension Module {
    /// The parameters of the stored properties that are modules, each under
    /// `prefix` + its property name + "."; arrays of modules as `name.0.`, `name.1.`, ...
    public func stateDictionary(prefix: String) -> TensorDictionary {
        var result = TensorDictionary()
        for child in Mirror(reflecting: self).children {
            guard let label = child.label else { continue }
            // `lazy var` and property-wrapper storage carry a prefix in their mirror label.
            let name = label.hasPrefix("$__lazy_storage_$_") ? String(label.dropFirst(18))
                : label.hasPrefix("_") ? String(label.dropFirst()) : label
            Self.collect(child.value, prefix: normalizedPrefix(prefix) + name + ".", into: &result)
        }
        return result
    }

    private static func collect(_ value: Any, prefix: String, into result: inout TensorDictionary) {
        if let module = value as? any Module {
            result.merge(module.stateDictionary(prefix: prefix))
        } else if let modules = value as? [any Module] {
            for (index, module) in modules.enumerated() {
                result.merge(module.stateDictionary(prefix: prefix + "\(index)."))
            }
        }
    }

    /// Loads the whole model from `source` under `prefix`, strictly: every tensor
    /// under `prefix` must be used, every parameter must be present with its shape.
    /// - Throws: ``ModuleLoadingError`` naming every missing, unexpected and
    ///   mis-shaped key at once (and any other problem the layers found).
    public init(loading source: some TensorSource, prefix: String = "") throws {
        self = try Self.load(from: source, prefix: prefix, strict: true).module
    }

    /// Loads the whole model from `source` under `prefix`.
    /// - Parameters:
    ///   - source: a checkpoint, a safetensors file, a `TensorDictionary`, ...
    ///   - prefix: the model's key prefix ("model_state." for a training checkpoint); "" for none.
    ///   - strict: true throws for tensors under `prefix` the model does not use,
    ///     like `load_state_dict(strict=True)`; false returns them in the report instead
    ///     (a training checkpoint's extra parameters, for example).
    /// - Returns: the model, and the unexpected keys (always empty when `strict`).
    /// - Throws: ``ModuleLoadingError`` for missing or mis-shaped keys (either mode) and,
    ///   when `strict`, unexpected ones; all of them together.
    public static func load(from source: some TensorSource, prefix: String = "",
                            strict: Bool) throws -> (module: Self, report: LoadReport) {
        let prefix = normalizedPrefix(prefix)
        var loader = ModuleLoader(source: source)
        let module = try Self(loading: &loader, prefix: prefix)
        let report = try loader.finish(prefix: prefix, strict: strict)
        return (module, report)
    }
}

/// What a non-strict load (`strict: false`) leaves out.
public struct LoadReport: Sendable, Equatable {
    /// Tensors under the prefix that no parameter of the model used, in file order.
    public var unexpectedKeys: [String]

    /// A report listing the keys no module used.
    public init(unexpectedKeys: [String] = []) {
        self.unexpectedKeys = unexpectedKeys
    }
}

/// torch prefixes end with a dot; accept "model.rnn" for "model.rnn.".
func normalizedPrefix(_ prefix: String) -> String {
    prefix.isEmpty || prefix.hasSuffix(".") ? prefix : prefix + "."
}
