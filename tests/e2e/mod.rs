//! End-to-end tests: the real app, in real windows, driven through WebDriver.
//!
//! Each test gets a [`Desktop`]: an X server (its own Xvfb unless `DISPLAY` is set), a private
//! D-Bus session, and WebKitWebDriver, which launches the `tandem` binary as its "browser". All
//! of it lives in one process group that is killed when the test ends, pass or fail.

mod access;
mod archive;
mod axe;
mod board;
mod card;
mod data;
mod desktop;
mod doctor;
mod live;
mod notify;
mod server;
mod team;

pub use desktop::*;
