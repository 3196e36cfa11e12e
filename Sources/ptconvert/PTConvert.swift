import ArgumentParser

@main
struct PTConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ptconvert",
        abstract: "Inspect, verify and convert PyTorch checkpoints without Python.",
        discussion: """
        Exit codes: 0 success; 1 a verified result differs from its golden values; \
        2 an input file could not be read; 3 the output could not be written; \
        64 the arguments ask for something impossible (a one-line reason is printed on stderr).
        """,
        subcommands: [Inspect.self, Verify.self, Convert.self]
    )
}
