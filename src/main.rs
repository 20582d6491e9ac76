fn main() -> std::process::ExitCode {
    ddldiag::cli::main()
}
