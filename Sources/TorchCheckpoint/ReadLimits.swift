/// Resource budgets for reading untrusted checkpoints. A file that exceeds one
/// is refused with `CheckpointError.limitExceeded` instead of exhausting
/// memory or time. The defaults are far above anything torch.save writes for
/// real models.
public struct ReadLimits: Sendable {
    /// Largest pickle stream (data.pkl) read, in bytes.
    public var maxPickleBytes = 512 << 20
    /// Most pickle opcodes executed.
    public var maxOpcodes = 100_000_000
    /// Most memo entries.
    public var maxMemoEntries = 10_000_000
    /// Deepest pickle stack / container nesting walked.
    public var maxDepth = 1_000
    /// Most container nodes visited while naming tensors (guards against a
    /// small pickle that references one list a billion times through the memo).
    public var maxVisitedNodes = 50_000_000
    /// Most zip entries.
    public var maxZipEntries = 1_000_000
    /// Largest size a deflated entry may inflate to.
    public var maxInflatedEntryBytes = 16 << 30
    /// Largest contiguous buffer one tensor is materialised into (`floatTensor`,
    /// `contiguousBytes`, ...). A stride-0 (expanded) view of a one-element
    /// storage is valid torch metadata for any number of elements: this bounds
    /// what reading its values allocates.
    public var maxTensorBytes = 16 << 30

    public init() {}

    public static let `default` = ReadLimits()
}
