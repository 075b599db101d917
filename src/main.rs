//! The `adcomputer` binary: runs `adcomputer::run` and prints any error as one line (exit 2).

use std::process::ExitCode;

fn main() -> ExitCode {
    keep_freed_memory();
    match adcomputer::run() {
        Ok(code) => code,
        // The reader of our output went away (`| head`): nothing more to say, like other tools.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => adcomputer::fail(&err),
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|json| json.io_error_kind())
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's `mi_option_set` (mimalloc.h), linked with the allocator.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in mimalloc.h (v2 and v3 alike).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// Memory a run frees is kept for its next allocations instead of being handed back to the
/// kernel after 10 ms (mimalloc's default): a run lasts seconds, and on a VM whose host
/// reclaims idle memory every page handed back costs a fault and zeroing when it is used
/// again (1,000,000 computers offline: 2.87 s → 2.49 s, BENCHMARKS.md). What a run has freed
/// is returned when it exits.
fn keep_freed_memory() {
    // SAFETY: sets one of mimalloc's options, which it reads whenever it would purge; no
    // memory is touched.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}
