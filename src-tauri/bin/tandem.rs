//! `tandem`: the command users type. Given a subcommand, it runs it here, in a program that
//! never maps GTK or WebKit, so a command costs about what `sqlite3` costs. Given none, it
//! becomes the desktop app, `tandem-desktop`, installed beside it, with the same arguments.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitCode};

use clap::Parser;
use tandem::cli::{self, Cli};

/// The desktop app's program, in the folder this one is in.
const DESKTOP: &str = "tandem-desktop";

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli::parse_error(e),
    };
    match cli.command {
        Some(command) => cli::main(cli.db, cli.json, command),
        None => desktop(std::env::args_os().skip(1).collect()),
    }
}

/// Becomes the desktop app (the same process, on Unix), or says why it cannot.
fn desktop(args: Vec<OsString>) -> ExitCode {
    let program = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name(DESKTOP),
        Err(e) => {
            eprintln!("tandem: cannot find where tandem is installed: {e}");
            return ExitCode::from(cli::EXIT_FAILURE);
        }
    };
    let error = run(&program, args);
    eprintln!(
        "tandem: cannot start the desktop app {}: {error}",
        program.display()
    );
    ExitCode::from(cli::EXIT_FAILURE)
}

#[cfg(unix)]
fn run(program: &Path, args: Vec<OsString>) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    Command::new(program).args(args).exec()
}

#[cfg(not(unix))]
fn run(program: &Path, args: Vec<OsString>) -> std::io::Error {
    match Command::new(program).args(args).status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => e,
    }
}
