//! Process output, written once for every command and host: stdout that tolerates a closed
//! pipe (`| head`), stderr, and the exit of a command line clap refused.

use std::io::Write;
use std::process::ExitCode;

use super::EXIT_BAD_INPUT;

/// Write text to stderr (errors writing it are ignored: there is nowhere left to report them).
pub fn eprint(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Write text to stdout; a closed pipe is not an error. `Err(exit status)` when stdout fails
/// otherwise (reported on stderr).
pub fn print(text: &str) -> Result<(), u8> {
    write_stdout(|out| out.write_all(text.as_bytes()))
}

/// Write to stdout through a buffer with `write`, then flush; a closed pipe is not an error.
pub fn write_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), u8> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            eprint(&format!("bindery: cannot write to stdout: {e}\n"));
            Err(EXIT_BAD_INPUT)
        }
    }
}

/// The exit of a command line clap refused (exit 2), or of `--help`/`--version` (exit 0).
pub fn clap_exit(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    ExitCode::from(if e.use_stderr() { EXIT_BAD_INPUT } else { 0 })
}
