//! Properties of the whole store, on a file and on a server.

mod replay;
#[cfg(unix)]
mod server;
