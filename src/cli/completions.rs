//! `bindery completions SHELL` and `bindery man`: shell completions and man pages, generated
//! from the command-line definition itself (clap_complete, clap_mangen).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory};

use super::run::{eprint, print};
use super::Cli;
use crate::hosts::EXIT_BAD_INPUT;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `bindery.1` and one `bindery-<command>.1` per command into this directory (created
    /// if missing) instead of printing `bindery.1` to stdout.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `bindery completions SHELL`: the completion script on stdout.
pub fn completions(args: &CompletionsArgs) -> ExitCode {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "bindery", &mut out);
    match print(&String::from_utf8_lossy(&out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// The man page of `cmd` (roff).
fn page(cmd: clap::Command) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = clap_mangen::Man::new(cmd).render(&mut out);
    out
}

/// `bindery man [--dir DIR]`.
pub fn man(args: &ManArgs) -> ExitCode {
    let cmd = Cli::command();
    let Some(dir) = &args.dir else {
        return match print(&String::from_utf8_lossy(&page(cmd))) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        };
    };
    let mut pages = vec![("bindery.1".to_string(), page(cmd.clone()))];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("bindery-{}", sub.get_name());
        pages.push((format!("{name}.1"), page(sub.clone().name(name))));
    }
    let written =
        std::fs::create_dir_all(dir).and_then(|()| pages.iter().try_for_each(|(file, text)| std::fs::write(dir.join(file), text)));
    if let Err(e) = written {
        eprint(&format!("bindery: cannot write man pages to {}: {e}\n", dir.display()));
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    ExitCode::SUCCESS
}
