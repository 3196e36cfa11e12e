import ArgumentParser

@main
struct PTConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ptconvert",
        abstract: "Inspect, verify and convert PyTorch checkpoints without Python.",
        discussion: """
        Exit codes: 0 success, 1 a verified result differs from its golden values, \
        2 a file could not be read (a one-line reason is printed on stderr).
        """,
        subcommands: [Inspect.self, Verify.self, Convert.self]
    )
}
