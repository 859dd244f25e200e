//! Whole-board operations: a backup of the database, a backup restored over the board, a board
//! copied between a file and a server, an import of plain board data, and what a database
//! holds, told without changing it.

pub(super) mod backup;
pub(super) mod check;
pub(super) mod copy;
pub(super) mod import;
pub(super) mod mirror;
pub(super) mod outbox;
pub(super) mod restore;
