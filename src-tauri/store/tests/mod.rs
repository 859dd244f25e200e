//! Properties of the whole store, on a file and on a server.

#[cfg(unix)]
mod access;
#[cfg(unix)]
mod mirror;
#[cfg(unix)]
mod news;
#[cfg(unix)]
mod outbox;
#[cfg(unix)]
mod people;
#[cfg(unix)]
mod presence;
mod replay;
#[cfg(unix)]
mod replays;
#[cfg(unix)]
mod server;
