//! Tandem's integration tests, in one binary so the app links once: the real `tandem` binary on
//! real database files, and the real app window driven through WebDriver.

mod common;

mod bridge;
mod cli;
mod convergence;
mod doctor;
mod e2e;
mod fuzz_corpus;
mod team;
