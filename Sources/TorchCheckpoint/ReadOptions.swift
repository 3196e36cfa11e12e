/// How strictly a checkpoint's pickle is read.
public struct ReadOptions: Sendable {
    /// What to do with a class or function outside the allowlist.
    public enum UnknownGlobals: Sendable {
        /// Refuse the file, naming the global, as `torch.load(weights_only=True)` does.
        case refuse
        /// Build inert placeholder objects for them — nothing is imported or
        /// called — so the tensors of a `torch.save(model)` pickle or a
        /// TorchScript archive can be extracted. Names follow module paths
        /// (`rnn.weight_ih_l0`, through `_parameters`, `_buffers`, `_modules`);
        /// a TorchScript archive gives exactly `torch.jit.load(f).state_dict()`:
        /// the parameters and buffers its classes declare, module by module.
        case placeholder
    }

    /// Refuse (the default) or build placeholders for globals outside the allowlist.
    public var unknownGlobals: UnknownGlobals
    /// TorchScript archives read with `.placeholder`: also list the tensors of
    /// `constants.pkl` (what the code calls `CONSTANTS.c0`, ...) as
    /// `constants.c0`, ... after the state_dict. They are not part of
    /// `torch.jit.load(f).state_dict()`, so they are left out by default.
    public var torchScriptConstants: Bool

    /// Options for reading; the defaults read state dictionaries and refuse everything else.
    /// - Parameters:
    ///   - unknownGlobals: `.placeholder` to read `torch.save(model)` pickles and TorchScript archives.
    ///   - torchScriptConstants: also list a TorchScript archive's `constants.pkl` tensors.
    public init(unknownGlobals: UnknownGlobals = .refuse, torchScriptConstants: Bool = false) {
        self.unknownGlobals = unknownGlobals
        self.torchScriptConstants = torchScriptConstants
    }
}
