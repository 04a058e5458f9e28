fn main() -> std::process::ExitCode {
    schema::cli::main()
}
