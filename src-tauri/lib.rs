//! Tandem: a live desktop task board for many windows and many running copies.
//!
//! Modules, in the order a change flows through them:
//! - [`model`]: the board's entities (Project, Column, Task, ...) and the IPC boundary's types.
//! - [`validate`]: field rules, enforced by the store for every writer.
//! - [`store`]: the database (an SQLite file or a PostgreSQL server), its migrations, the one
//!   write path and the change log.
//! - [`backoff`]: jittered exponential backoff for everything that retries forever.
//! - [`bus`]: in-process fan-out of each committed transaction's changes.
//! - [`debounce`]: per-subscriber throttling and coalescing of changes into batches.
//! - [`subscription`]: one subscriber's live stream: bus → debouncer → sink, resynced on lag.
//! - [`latency`]: commit→apply latency as the windows report it.
//! - [`bridge`]: the hub and the links that join every running copy of Tandem on one file.
//! - [`notice`]: which changes become desktop notifications, gathered per project.
//! - [`history`]: a task's timeline in words, from the change log.
//! - [`error`]: the one error type and how it serialises for the UI.
//! - [`config`]: where the database lives: a file, or a server's URL (its password never shown).
//! - [`settings`]: the user's settings file, and which debounce window is in force.
//! - [`cli`]: the headless `tandem` subcommands.
//! - `sync`: locking shared mutexes.
//! - [`testing`]: a private PostgreSQL server that tests start and stop themselves.
//! - [`app`]: the Tauri adapter: commands, windows, the tray and notifications on screen. The
//!   only module that imports `tauri`.

pub mod app;
pub mod backoff;
pub mod bridge;
pub mod bus;
pub mod cli;
pub mod config;
pub mod debounce;
pub mod error;
pub mod export;
pub mod fuzzing;
pub mod history;
pub mod import;
pub mod inbox;
pub mod latency;
pub mod logs;
pub mod model;
pub mod notice;
pub mod settings;
pub mod store;
pub mod subscription;
mod sync;
#[cfg(unix)]
pub mod testing;
pub mod validate;

#[cfg(test)]
mod bindings;
