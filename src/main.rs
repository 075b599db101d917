//! The `adcomputer` binary: runs `adcomputer::run` and prints any error as one line (exit 2).

use std::process::ExitCode;

fn main() -> ExitCode {
    without_huge_pages();
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

/// A run touches its memory once, so transparent huge pages buy it little, and a fault on a
/// region the allocator marked for them may make the kernel compact memory to find 2 MiB
/// (`defrag=madvise`, the usual setting) or zero all 2 MiB at once: on a VM whose host reclaims
/// idle memory, an audit of a million computers spent 1.1 s of system time so against 0.3 s
/// without (BENCHMARKS.md, "Speed at scale, fourth session").
fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process's memory; a kernel that
    // does not know it returns an error, which changes nothing.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1 as libc::c_ulong, 0, 0, 0);
    }
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
