//! Backups: a consistent copy of the whole database in a new SQLite file, taken while every
//! window and script goes on writing.

use std::path::{Path, PathBuf};

use crate::config::Location;
use crate::error::{Error, Result};
use crate::store::sql::query;
use crate::store::whole::copy::copy;
use crate::store::Store;

/// How many daily backups are kept.
pub const DAILY_KEPT: usize = 7;

/// The name of a backup made at `now` (UTC): `tandem-YYYY-MM-DD-HHMMSS.db`, so names sort as
/// the backups were made.
pub fn backup_name(now: time::OffsetDateTime) -> String {
    format!(
        "tandem-{:04}-{:02}-{:02}-{:02}{:02}{:02}.db",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// Tandem's backups among `names`, oldest first.
fn backups(names: &[String]) -> Vec<&String> {
    let mut ours: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("tandem-") && n.ends_with(".db") && n.len() == 27)
        .collect();
    ours.sort();
    ours
}

/// The names of the files in `dir`.
fn listed(dir: &Path) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::invalid("file", format!("cannot read {}: {e}", dir.display())))?;
    Ok(entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect())
}

/// Whether a daily backup is due: none of `names` was made on `now`'s day.
pub fn daily_due(names: &[String], now: time::OffsetDateTime) -> bool {
    let today = &backup_name(now)[..17];
    !backups(names).iter().any(|n| n.starts_with(today))
}

/// The backups among `names` to delete so that the newest `keep` remain.
pub fn expired(names: &[String], keep: usize) -> Vec<String> {
    let ours = backups(names);
    let extra = ours.len().saturating_sub(keep);
    ours.into_iter().take(extra).cloned().collect()
}

impl Store {
    /// Makes today's backup of a file in `dir` unless there is one, and deletes all but the
    /// newest [`DAILY_KEPT`]. Returns the backup it made. A server is left to its own backups
    /// (every member's copy of Tandem would otherwise copy the whole team's board each day).
    pub async fn daily_backup(&self, dir: &Path) -> Result<Option<PathBuf>> {
        if self.location.file().is_none() {
            return Ok(None);
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::invalid("file", format!("cannot make {}: {e}", dir.display())))?;
        let now = time::OffsetDateTime::now_utc();
        if !daily_due(&listed(dir)?, now) {
            return Ok(None);
        }
        let made = dir.join(backup_name(now));
        if made.exists() {
            return Ok(None);
        }
        self.copy_file(&made).await?;
        for old in expired(&listed(dir)?, DAILY_KEPT) {
            if let Err(e) = std::fs::remove_file(dir.join(&old)) {
                tracing::warn!(file = old, error = %e, "cannot delete an old backup");
            }
        }
        Ok(Some(made))
    }

    /// Writes a copy of the database to the new file `to`: on a file, SQLite's `VACUUM INTO`
    /// from one read snapshot (writers are not held up); on a server, the whole board and its
    /// log copied into a file, as `tandem db copy` does (`progress` hears of long copies). An
    /// existing `to` is refused untouched, and so is a folder that does not exist.
    pub async fn backup(&self, to: &Path, progress: impl FnMut(u64, u64)) -> Result<()> {
        if to.exists() {
            return Err(Error::invalid(
                "file",
                format!(
                    "{} exists already; a backup never replaces a file",
                    to.display()
                ),
            ));
        }
        if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(Error::invalid(
                    "file",
                    format!("{} is not a folder", dir.display()),
                ));
            }
        }
        match &self.location {
            Location::File(_) => self.copy_file(to).await,
            Location::Server(_) => {
                copy(
                    &self.location,
                    &Location::File(to.to_owned()),
                    false,
                    progress,
                )
                .await?;
                Ok(())
            }
        }
    }

    /// A file's copy: `VACUUM INTO` from one read snapshot.
    async fn copy_file(&self, to: &Path) -> Result<()> {
        let target = to.to_string_lossy().into_owned();
        query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.readers)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{backup_name, daily_due, expired};
    use crate::model::{Actor, Origin};
    use crate::store::testing::{self, TestStore};
    use crate::store::{NewTask, Store};

    /// What a user relies on, on a file and on a server: the backup opens as a board of its own
    /// with every card and the whole history, and an existing file is never replaced.
    async fn a_backup_is_the_whole_board_with_its_history(test: TestStore) {
        let TestStore { store, origin, .. } = &test;
        let project = store.first_project().await.unwrap().id;
        for title in ["Keep me", "And me"] {
            let new = NewTask {
                project_id: project.clone(),
                column_id: None,
                title: title.into(),
            };
            store.create_task(origin, new).await.unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("backup.db");
        store.backup(&file, |_, _| {}).await.unwrap();

        let copy = Store::open(&file, &Origin::new("restorer", Actor::Cli))
            .await
            .unwrap();
        let first = copy.first_project().await.unwrap();
        let titles: Vec<String> = copy
            .tasks(&first.id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.title)
            .collect();
        assert_eq!(titles, ["Keep me", "And me"]);
        let log = copy.changes_since(0, None).await.unwrap().changes;
        let original = store.changes_since(0, None).await.unwrap().changes;
        assert_eq!(log.len(), original.len(), "the history came along");

        let before = std::fs::read(&file).unwrap();
        let again = store.backup(&file, |_, _| {}).await;
        assert!(matches!(
            again,
            Err(crate::error::Error::Invalid { field: "file", .. })
        ));
        assert_eq!(
            std::fs::read(&file).unwrap(),
            before,
            "the existing file is untouched"
        );
        let nowhere = dir.path().join("no/such/folder/backup.db");
        assert!(store.backup(&nowhere, |_, _| {}).await.is_err());
    }

    #[test]
    fn a_daily_backup_is_due_once_a_day_and_the_newest_seven_are_kept() {
        let day = |d: u8, h: u8| {
            time::macros::datetime!(2026-11-01 00:00 UTC)
                .replace_day(d)
                .unwrap()
                .replace_hour(h)
                .unwrap()
        };
        let mut names: Vec<String> = (1..=9).map(|d| backup_name(day(d, 8))).collect();
        names.push("notes.txt".into());
        names.push("tandem-by-hand.db".into());
        assert_eq!(names[0], "tandem-2026-11-01-080000.db");
        assert!(!daily_due(&names, day(9, 23)), "one made today");
        assert!(daily_due(&names, day(10, 0)));
        assert_eq!(
            expired(&names, 7),
            ["tandem-2026-11-01-080000.db", "tandem-2026-11-02-080000.db"],
            "the two oldest of nine, and nothing that is not a daily backup"
        );
        assert!(expired(&names[..3], 7).is_empty());
    }

    #[tokio::test]
    async fn a_daily_backup_is_made_once_and_old_ones_go() {
        let test = testing::store().await;
        let dir = tempfile::tempdir().unwrap();
        for d in 1..=8u8 {
            let old = time::macros::datetime!(2020-01-01 00:00 UTC)
                .replace_day(d)
                .unwrap();
            std::fs::write(dir.path().join(backup_name(old)), b"old").unwrap();
        }
        let made = test
            .store
            .daily_backup(dir.path())
            .await
            .unwrap()
            .expect("made");
        assert!(made.is_file());
        assert_eq!(
            test.store.daily_backup(dir.path()).await.unwrap(),
            None,
            "once a day"
        );
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 7, "today's and the six newest before it");
        assert!(!dir.path().join("tandem-2020-01-01-000000.db").exists());
    }

    #[tokio::test]
    async fn a_backup_of_a_file_is_the_whole_board_with_its_history() {
        a_backup_is_the_whole_board_with_its_history(testing::store().await).await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_backup_of_a_server_is_the_whole_board_with_its_history() {
        a_backup_is_the_whole_board_with_its_history(testing::server_store().await).await;
    }
}
