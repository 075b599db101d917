//! The `adcomputer` binary: runs `adcomputer::run` and prints any error as one line (exit 2).

use std::process::ExitCode;

fn main() -> ExitCode {
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
