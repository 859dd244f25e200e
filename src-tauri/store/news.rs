//! Watching cards and projects, and each person's news (team boards only: on a file every
//! change is the one person's own). The server works out who watches what and writes the
//! news, in the transaction of the change it tells of; a person reads, and marks read, only
//! their own (row-level security).

use crate::error::{Error, Result};
use crate::model::{EntityKind, News, Origin, ProjectId, TaskId};
use crate::store::board::task_exists;
use crate::store::sql::{query, Conn, Dialect};
use crate::store::{now_ms, Store};

/// The most items `news` answers.
pub const NEWS_LIMIT: i64 = 500;

const NEWS: &str = "SELECT id, kind, project_id, task_id, actor, detail ->> 'title' AS title,
    detail ->> 'column' AS column, detail ->> 'excerpt' AS excerpt, detail ->> 'due' AS due,
    created_at, read_at FROM news";

impl Store {
    /// Refuses what only a team's server does.
    fn on_a_server(&self, what: &'static str) -> Result<()> {
        if let Some(url) = self.copy_of() {
            return Err(Error::Offline { host: url.host() });
        }
        match self.dialect() {
            Dialect::Postgres => Ok(()),
            Dialect::Sqlite => Err(Error::invalid(
                what,
                "watching and news are for a team's server: on a file every change is your own",
            )),
        }
    }

    /// Whether the person watches `task`: by choice, or for having made it, being on it,
    /// having commented on it, being mentioned on it, or watching its project.
    pub async fn watching(&self, task: &TaskId) -> Result<bool> {
        self.on_a_server("watch")?;
        let mut conn = self.readers.acquire().await?;
        let mut conn = conn.conn();
        task_exists(&mut conn, task).await?;
        query("SELECT tandem_watching($1)")
            .bind(task)
            .scalar(&mut conn)
            .await
    }

    /// Watches `task` (`on`), or stops watching it, whatever made the person watch it.
    pub async fn watch(&self, origin: &Origin, task: &TaskId, on: bool) -> Result<()> {
        self.on_a_server("watch")?;
        self.write(origin, async |conn: &mut Conn<'_>| {
            task_exists(conn, task).await?;
            query(
                "INSERT INTO watching (task_id, login, watch) VALUES ($1, session_user, $2)
                 ON CONFLICT (task_id, login) DO UPDATE SET watch = EXCLUDED.watch
                 WHERE watching.watch <> EXCLUDED.watch",
            )
            .bind(task)
            .bind(on)
            .execute(&mut *conn)
            .await?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Whether the person watches every card of `project`.
    pub async fn watching_project(&self, project: &ProjectId) -> Result<bool> {
        self.on_a_server("watch")?;
        query(
            "SELECT EXISTS (SELECT 1 FROM project_watching
             WHERE project_id = $1 AND login = session_user)",
        )
        .bind(project)
        .scalar(&mut self.readers.acquire().await?.conn())
        .await
    }

    /// Watches every card of `project` (`on`), or stops; a card's own choice still wins.
    pub async fn watch_project(
        &self,
        origin: &Origin,
        project: &ProjectId,
        on: bool,
    ) -> Result<()> {
        self.on_a_server("watch")?;
        self.write(origin, async |conn: &mut Conn<'_>| {
            let seen: bool = query("SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1)")
                .bind(project)
                .scalar(&mut *conn)
                .await?;
            if !seen {
                return Err(Error::not_found(EntityKind::Project, project));
            }
            let statement = if on {
                "INSERT INTO project_watching (project_id, login) VALUES ($1, session_user)
                 ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM project_watching WHERE project_id = $1 AND login = session_user"
            };
            query(statement).bind(project).execute(&mut *conn).await?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// The person's news, the latest first: unread only, or (`all`) read too; at most
    /// [`NEWS_LIMIT`] items.
    pub async fn news(&self, all: bool) -> Result<Vec<News>> {
        if self.dialect() == Dialect::Sqlite {
            return Ok(Vec::new());
        }
        let unread = if all { "" } else { " AND read_at IS NULL" };
        query(format!(
            "{NEWS} WHERE login = session_user{unread}
             ORDER BY created_at DESC, id DESC LIMIT {NEWS_LIMIT}"
        ))
        .fetch_all(&mut self.readers.acquire().await?.conn())
        .await
    }

    /// Marks items of news read: those of `ids`, or every unread one when `ids` is empty.
    /// Returns how many it marked; an id that is not the person's, or read already, is no
    /// matter.
    pub async fn read_news(&self, origin: &Origin, ids: &[String]) -> Result<u64> {
        if self.dialect() == Dialect::Sqlite {
            return Ok(0);
        }
        let (marked, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                let now = now_ms();
                if ids.is_empty() {
                    return query(
                        "UPDATE news SET read_at = $1 WHERE login = session_user
                         AND read_at IS NULL",
                    )
                    .bind(now)
                    .execute(&mut *conn)
                    .await;
                }
                let mut marked = 0;
                for id in ids {
                    marked += query(
                        "UPDATE news SET read_at = $1 WHERE id = $2 AND login = session_user
                         AND read_at IS NULL",
                    )
                    .bind(now)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(marked)
            })
            .await?;
        Ok(marked)
    }

    /// Tells watchers of the cards due by tomorrow, each once per due date (the server keeps
    /// count, so any number of machines may ask). Returns how many it told.
    pub async fn due_news(&self, origin: &Origin) -> Result<i64> {
        if self.dialect() == Dialect::Sqlite {
            return Ok(0);
        }
        let (told, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                query("SELECT tandem_due_news()").scalar(&mut *conn).await
            })
            .await?;
        Ok(told)
    }
}
