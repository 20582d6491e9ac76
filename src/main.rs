/// mimalloc rather than the system allocator: a run frees and reallocates millions of small
/// per-job structures across worker threads, and glibc's per-thread arenas kept ~80% more
/// memory resident than was live (1.77 GiB RSS for 0.96 GiB of heap at 100k jobs).
/// The `system-alloc` feature keeps the system allocator, for heap profilers that hook malloc
/// (heaptrack, valgrind's massif): see the README's Benchmark section.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ddldiag::cli::main()
}
