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
        if let maxExpansion, ByteSize.parse(maxExpansion) == nil {
            throw ValidationError("--max-expansion takes a size like 8GB, 500MB or 1048576.")
        }
    }

    /// `ReadLimits.default` with the options given.
    var readLimits: ReadLimits {
        var limits = ReadLimits.default
        if let bytes = maxExpansion.flatMap(ByteSize.parse) { limits.maxExpansionBytes = bytes }
        return limits
    }
}
