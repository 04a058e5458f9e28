fn main() -> std::process::ExitCode {
    restore_sigpipe();
    schema::main()
}

/// Rust ignores SIGPIPE, so `schema render | head` would make println! panic on the closed pipe.
/// Restore the default: the process ends quietly, like other Unix tools.
fn restore_sigpipe() {
    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGPIPE: i32 = 13;
    const SIG_DFL: usize = 0;
    // SAFETY: called once at start-up, before any thread exists.
    unsafe {
        signal(SIGPIPE, SIG_DFL);
    }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
