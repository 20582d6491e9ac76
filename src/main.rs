/// mimalloc rather than the system allocator: a run frees and reallocates millions of small
/// per-job structures across worker threads, and glibc's per-thread arenas kept ~80% more
/// memory resident than was live (1.77 GiB RSS for 0.96 GiB of heap at 100k jobs).
/// Built with mimalloc's `no_thp` (Cargo.toml): left to itself, mimalloc asks Linux for transparent
/// huge pages on its arenas, so every touched 2 MiB region became resident whole (38 MiB peak RSS
/// for a 1-job log, 15 MiB without) and the kernel's compaction of huge pages now and then cost a
/// run seconds of system time (0.3 s → 1.8 s wall on a 1 GiB plain file, measured).
/// The `system-alloc` feature keeps the system allocator, for heap profilers that hook malloc
/// (heaptrack, valgrind's massif): see the README's Benchmark section.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ddldiag::cli::main()
}
