/// mimalloc rather than the system allocator: a run frees and reallocates millions of small
/// per-job structures across worker threads, and glibc's per-thread arenas kept ~80% more
/// memory resident than was live (1.77 GiB RSS for 0.96 GiB of heap at 100k jobs).
/// Built with mimalloc's `no_thp` (Cargo.toml): left to itself, mimalloc asks Linux for transparent
/// huge pages on its arenas, so every touched 2 MiB region became resident whole (38 MiB peak RSS
/// for a 1-job log, 12 MiB without) and the kernel spent system time faulting them in (10k jobs:
/// 0.21 → 0.03 s; 100k jobs: 1.79 → 0.49 s, measured).
/// The `system-alloc` feature keeps the system allocator, for heap profilers that hook malloc
/// (heaptrack, valgrind's massif): see the README's Benchmark section.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    #[cfg(not(feature = "system-alloc"))]
    purge_soon();
    ddldiag::cli::main()
}

/// mimalloc's `mi_option_purge_delay` (its `mi_option_e` in mimalloc.h, v2 and v3 alike), for
/// which libmimalloc-sys names no constant. The test below checks it.
#[cfg(not(feature = "system-alloc"))]
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long mimalloc keeps freed pages before handing them back to the OS, in ms.
///
/// mimalloc v3 waits a second. A run frees each phase's memory as the next one builds its own
/// (a job's accumulator while its timeline is made, the timelines while the report is), and a
/// whole run is often shorter than a second, so nothing freed was returned and peak RSS was the
/// sum of the phases: 100k jobs 472–476 MiB at 1 s, 435–436 MiB at 10 ms or at once; 1 GiB of
/// plain logs 15.0 → 10.8 MiB. Purging at once cost a million-job run 0.7–1.0 s more system
/// time than 10 ms or 1 s did; 10 ms (mimalloc v2's default) keeps the memory without that
/// (measured in paired runs).
#[cfg(not(feature = "system-alloc"))]
const PURGE_AFTER_MS: std::ffi::c_long = 10;

/// Sets [`PURGE_AFTER_MS`]; `MIMALLOC_PURGE_DELAY` in the environment still wins.
#[cfg(not(feature = "system-alloc"))]
fn purge_soon() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` stores an integer in mimalloc's option table; any
        // non-negative value is a delay this option documents.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_AFTER_MS) }
    }
}

#[cfg(all(test, not(feature = "system-alloc")))]
mod tests {
    /// The option index is `purge_delay`'s: it holds one of that option's documented defaults
    /// (10 ms in mimalloc v2, 1000 ms in v3) until it is set.
    #[test]
    fn purge_delay_is_the_option_we_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return; // the environment's value stands; nothing of ours to check
        }
        // SAFETY: reads mimalloc's option table.
        let default = unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) };
        assert!(
            default == 10 || default == 1000,
            "option {} is {default}",
            super::PURGE_DELAY
        );
        super::purge_soon();
        // SAFETY: as above.
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) },
            super::PURGE_AFTER_MS
        );
    }
}
