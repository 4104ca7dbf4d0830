//! The `server` binary: see `server::cli` for the subcommands.

fn main() -> std::process::ExitCode {
    server::cli::main()
}
