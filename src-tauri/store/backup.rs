//! Backups: a consistent copy of the whole database in a new SQLite file, taken while every
//! window and script goes on writing.

use std::path::Path;

use super::sql::query;
use super::{copy, Store};
use crate::config::Location;
use crate::error::{Error, Result};

impl Store {
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
            Location::File(_) => {
                let target = to.to_string_lossy().into_owned();
                query("VACUUM INTO $1")
                    .bind(target)
                    .execute(&self.readers)
                    .await?;
            }
            Location::Server(_) => {
                copy(
                    &self.location,
                    &Location::File(to.to_owned()),
                    false,
                    progress,
                )
                .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
