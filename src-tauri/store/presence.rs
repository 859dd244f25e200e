//! Who is here right now, on a team's server: each copy of Tandem keeps a row for itself and
//! one for each of its windows, saying what it shows; the server stamps them, wakes listeners
//! when what someone looks at changes, and shows each person only the rows of their projects.
//! Outside the change log: it is not history. A file has one person, so no presence.

use crate::error::Result;
use crate::model::{Look, Presence};
use crate::store::sql::{query, Dialect};
use crate::store::Store;

/// How long a row stays fresh without a refresh: a copy of Tandem that has not said anything
/// for this long is gone.
pub const FRESH_MS: i64 = 30_000;

/// The server's clock, in milliseconds.
const NOW: &str = "(extract(epoch FROM clock_timestamp()) * 1000)::BIGINT";

impl Store {
    /// Says what copy of Tandem `instance` shows: `looks`, by window label (any window not in
    /// them is gone); its person last did something at `active_at`. Wakes the other copies only
    /// when what a window shows changed.
    pub async fn present(
        &self,
        instance: &str,
        looks: &[(String, Look)],
        active_at: i64,
    ) -> Result<()> {
        if self.dialect() == Dialect::Sqlite {
            return Ok(());
        }
        let mut rows: Vec<serde_json::Value> = looks
            .iter()
            .map(|(window, look)| {
                serde_json::json!({
                    "window_label": window,
                    "project_id": look.project_id,
                    "task_id": look.task_id,
                    "editing": look.editing.map(crate::model::Editing::as_str),
                    "active_at": active_at,
                })
            })
            .collect();
        rows.push(serde_json::json!({ "window_label": "", "active_at": active_at }));
        let rows = serde_json::Value::Array(rows).to_string();
        let mut writer = self.writer().await;
        let written = async {
            let conn = self.connected(&mut writer).await?;
            let mut conn = conn.conn();
            query(
                "INSERT INTO presence
                    (instance, window_label, project_id, task_id, editing, active_at)
                 SELECT $1, l.window_label, l.project_id, l.task_id, l.editing, l.active_at
                 FROM jsonb_to_recordset(CAST($2 AS JSONB)) AS l(window_label TEXT,
                    project_id TEXT, task_id TEXT, editing TEXT, active_at BIGINT)
                 ON CONFLICT (instance, window_label) DO UPDATE SET
                    project_id = EXCLUDED.project_id, task_id = EXCLUDED.task_id,
                    editing = EXCLUDED.editing, active_at = EXCLUDED.active_at",
            )
            .bind(instance)
            .bind(&rows)
            .execute(&mut conn)
            .await?;
            query(
                "DELETE FROM presence WHERE instance = $1 AND window_label NOT IN (
                    SELECT l.window_label FROM jsonb_to_recordset(CAST($2 AS JSONB))
                    AS l(window_label TEXT))",
            )
            .bind(instance)
            .bind(&rows)
            .execute(&mut conn)
            .await?;
            Ok(())
        };
        let written = written.await;
        self.settle(&mut writer, written)
    }

    /// Keeps copy `instance`'s rows fresh, its person last active at `active_at`. Wakes no
    /// one.
    pub async fn keep_present(&self, instance: &str, active_at: i64) -> Result<()> {
        if self.dialect() == Dialect::Sqlite {
            return Ok(());
        }
        let mut writer = self.writer().await;
        let written = async {
            let conn = self.connected(&mut writer).await?;
            query(
                "UPDATE presence SET active_at = CASE WHEN window_label = '' THEN $2
                    ELSE active_at END
                 WHERE instance = $1",
            )
            .bind(instance)
            .bind(active_at)
            .execute(&mut conn.conn())
            .await?;
            Ok(())
        };
        let written = written.await;
        self.settle(&mut writer, written)
    }

    /// Takes copy `instance` away: it is closing.
    pub async fn leave(&self, instance: &str) -> Result<()> {
        if self.dialect() == Dialect::Sqlite {
            return Ok(());
        }
        let mut writer = self.writer().await;
        let written = async {
            let conn = self.connected(&mut writer).await?;
            query("DELETE FROM presence WHERE instance = $1")
                .bind(instance)
                .execute(&mut conn.conn())
                .await?;
            query("SELECT tandem_presence_tidy()")
                .execute(&mut conn.conn())
                .await?;
            Ok(())
        };
        let written = written.await;
        self.settle(&mut writer, written)
    }

    /// Changes whenever what someone looks at changes (heard while the store watches the
    /// server for other writers).
    pub fn presence_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.presence_woken.subscribe()
    }

    /// Notes a wake-up about presence.
    pub(in crate::store) fn presence_woke(&self) {
        self.presence_woken.send_modify(|n| *n += 1);
    }

    /// Who is here: every fresh row the person may see (their own, and those of their
    /// projects), by person and window.
    pub async fn presence(&self) -> Result<Vec<Presence>> {
        if self.dialect() == Dialect::Sqlite {
            return Ok(Vec::new());
        }
        query(format!(
            "SELECT login, instance, window_label, project_id, task_id, editing, active_at
             FROM presence WHERE seen_at > {NOW} - {FRESH_MS}
             ORDER BY login, instance, window_label"
        ))
        .fetch_all(&mut self.readers.acquire().await?.conn())
        .await
    }
}
