import ArgumentParser
import TorchCheckpoint

/// Resource limits a user may raise for a trusted file, shared by the
/// commands that read checkpoints.
struct ReadLimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Let reading produce up to SIZE (e.g. 8GB) beyond what the file holds: expanded (stride-0) views and inflated deflated records. The budget is the larger of SIZE and 16 times the file size; default 1GiB.",
        valueName: "SIZE"))
    var maxExpansion: String?

    func validate() throws {
        guard let maxExpansion else { return }
        do {
            _ = try ByteSize.parse(maxExpansion)
        } catch {
            throw ValidationError("--max-expansion: \(error)")
        }
    }

    /// `ReadLimits.default` with the options given (validated by `validate()`).
    var readLimits: ReadLimits {
        var limits = ReadLimits.default
        if let maxExpansion, let bytes = try? ByteSize.parse(maxExpansion) { limits.maxExpansionBytes = bytes }
        return limits
    }
}
