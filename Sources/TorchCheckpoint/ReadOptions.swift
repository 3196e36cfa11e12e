/// How strictly a checkpoint's pickle is read.
public struct ReadOptions: Sendable {
    /// What to do with a class or function outside the allowlist.
    public enum UnknownGlobals: Sendable {
        /// Refuse the file, naming the global, as `torch.load(weights_only=True)` does.
        case refuse
        /// Build inert placeholder objects for them — nothing is imported or
        /// called — so the tensors of a `torch.save(model)` pickle or a
        /// TorchScript archive can be extracted. Names follow module paths
        /// (`rnn.weight_ih_l0`, through `_parameters`, `_buffers`, `_modules`).
        case placeholder
    }

    public var unknownGlobals: UnknownGlobals

    public init(unknownGlobals: UnknownGlobals = .refuse) {
        self.unknownGlobals = unknownGlobals
    }
}
