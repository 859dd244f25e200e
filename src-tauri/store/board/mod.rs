//! The board's entities and their rules, written once for both databases: projects, their
//! columns and the board snapshot here; tasks, checklists, labels, assignees, the archive, a card moved to
//! another project, undoing a deletion and search in the modules below. Every change goes
//! through [`Store::write`](crate::store::Store).

pub(super) mod archive;
pub(super) mod assignee;
pub(super) mod comment;
pub(super) mod edit;
pub(super) mod label;
pub(super) mod mutation;
pub(super) mod position;
pub(super) mod search;
pub(super) mod subtask;
pub(super) mod task;
pub(super) mod transfer;
pub(super) mod undelete;

use std::collections::HashMap;

use crate::store::sql::{query, Conn, Dialect};

use crate::error::{Error, Result};
use crate::model::{
    Board, BoardTask, Column, ColumnId, Comment, CommentCount, EntityKind, Label, Origin, Project,
    ProjectId, Role, Subtask, TaskAssignee, TaskId, TaskLabel,
};
use crate::store::{at_version, last_seq, now_ms, Store, Versioned};
use crate::validate;
use position::{List, POSITION_GAP};

/// The session's role in `project`: on a team's server, its membership's; `None` on a file and
/// for those row-level security does not hold (superusers, the tables' owner), who may do
/// everything.
async fn role_in(conn: &mut Conn<'_>, project: &ProjectId) -> Result<Option<Role>> {
    if conn.dialect() != Dialect::Postgres {
        return Ok(None);
    }
    let role: Option<String> = query(
        "SELECT CASE
             WHEN r.rolsuper OR r.rolbypassrls
                  OR pg_has_role(session_user, (SELECT c.relowner FROM pg_class c
                                                WHERE c.oid = 'projects'::regclass), 'MEMBER')
             THEN NULL
             ELSE (SELECT m.role FROM members m
                   WHERE m.project_id = $1 AND m.login = session_user)
         END
         FROM pg_roles r WHERE r.rolname = session_user",
    )
    .bind(project)
    .scalar(conn)
    .await?;
    role.map(Role::try_from).transpose().map_err(|e| {
        tracing::error!(error = %e, "a membership holds a role Tandem does not know");
        Error::Storage(sqlx::Error::Decode(Box::new(e)))
    })
}

/// What a board leaves out and a whole export needs: cards' descriptions (those not empty) and
/// conversations (oldest first), by task.
#[derive(Debug, Default)]
pub struct CardTexts {
    pub descriptions: HashMap<TaskId, String>,
    pub comments: HashMap<TaskId, Vec<Comment>>,
}

/// The project and columns a new database starts with.
const INBOX: &str = "Inbox";
const INBOX_COLUMNS: [&str; 3] = ["To do", "Doing", "Done"];

impl Store {
    /// Creates the Inbox project, once per database file, whoever opens it first.
    pub(in crate::store) async fn seed(&self, origin: &Origin) -> Result<()> {
        // Most opens find the board made: a plain read says so without taking the write lock.
        if self.seeded().await? {
            return self.seed_own_inbox(origin).await;
        }
        self.write(origin, async |conn: &mut Conn<'_>| {
            let seeded: Option<String> = query("SELECT value FROM meta WHERE key = 'seeded'")
                .scalar_optional(&mut *conn)
                .await?;
            if seeded.is_some() {
                return Ok(());
            }
            let now = now_ms();
            let project = ProjectId::new();
            query(
                "INSERT INTO projects (id, name, position, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(&project)
            .bind(INBOX)
            .bind(POSITION_GAP)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            add_columns(conn, &project, &INBOX_COLUMNS, now).await?;
            query("INSERT INTO meta (key, value) VALUES ('seeded', $1)")
                .bind(now.to_string())
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// On a team's server, gives a person who may see no project an Inbox of their own, so
    /// their board is never empty: another's projects come once they are let in. A person who
    /// sees a project, and every file, needs nothing.
    async fn seed_own_inbox(&self, origin: &Origin) -> Result<()> {
        if self.dialect() != Dialect::Postgres {
            return Ok(());
        }
        let sees_one: bool = query("SELECT EXISTS (SELECT 1 FROM projects)")
            .scalar(&self.readers)
            .await?;
        if sees_one {
            return Ok(());
        }
        match self.create_project(origin, INBOX).await {
            // Another of their processes made it meanwhile.
            Err(Error::Invalid { .. }) => Ok(()),
            made => made.map(drop),
        }
    }

    /// Every project, in the user's order.
    pub async fn projects(&self) -> Result<Vec<Project>> {
        query("SELECT * FROM projects ORDER BY position, created_at")
            .fetch_all(&self.readers)
            .await
    }

    /// A project by id, or else by name (ignoring case), as a user types it on the command line.
    pub async fn find_project(&self, id_or_name: &str) -> Result<Project> {
        let query = query(
            "SELECT * FROM projects WHERE id = $1 OR lower(name) = lower($1)
             ORDER BY id = $1 DESC, position LIMIT 1",
        )
        .bind(id_or_name);
        self.lookup(query)
            .await?
            .ok_or_else(|| Error::not_found(EntityKind::Project, id_or_name))
    }

    /// The first project in the user's order: where commands go when none is named.
    pub async fn first_project(&self) -> Result<Project> {
        self.lookup(query(
            "SELECT * FROM projects ORDER BY position, created_at LIMIT 1",
        ))
        .await?
        .ok_or_else(|| Error::not_found(EntityKind::Project, "(any)"))
    }

    /// A column of `project` by id, or else by name (ignoring case).
    pub async fn find_column(&self, project: &ProjectId, id_or_name: &str) -> Result<Column> {
        let query = query(
            "SELECT * FROM columns WHERE project_id = $1 AND (id = $2 OR lower(name) = lower($2))
             ORDER BY id = $2 DESC, position LIMIT 1",
        )
        .bind(project)
        .bind(id_or_name);
        self.lookup(query)
            .await?
            .ok_or_else(|| Error::not_found(EntityKind::Column, id_or_name))
    }

    /// Everything needed to draw `project`, read in one snapshot, with the log's seq at that
    /// snapshot: a subscriber that starts from this seq misses nothing (I5).
    pub async fn board(&self, project: &ProjectId) -> Result<Board> {
        Ok(self.read_board(project, false).await?.0)
    }

    /// `project`'s board with its archived cards, and every card's description (those not
    /// empty), read in one snapshot: everything there is to export.
    pub async fn whole_board(&self, project: &ProjectId) -> Result<(Board, CardTexts)> {
        self.read_board(project, true).await
    }

    /// `project`'s board: only the cards on it, or (`whole`) the archived ones too, with every
    /// description.
    async fn read_board(&self, project: &ProjectId, whole: bool) -> Result<(Board, CardTexts)> {
        let mut tx = self.readers.snapshot().await?;
        let mut conn = tx.conn();
        let seq = last_seq(&mut conn).await?;
        let project: Project = query("SELECT * FROM projects WHERE id = $1")
            .bind(project)
            .fetch_optional(&mut conn)
            .await?
            .ok_or_else(|| Error::not_found(EntityKind::Project, project))?;
        let columns: Vec<Column> =
            query("SELECT * FROM columns WHERE project_id = $1 ORDER BY position")
                .bind(&project.id)
                .fetch_all(&mut conn)
                .await?;
        // A board shows the cards on it; an export keeps the archived ones too. Checklists and
        // labels are read for every card either way, so a card that comes back from the
        // archive needs nothing but itself.
        let tasks: Vec<BoardTask> = query(format!(
            "SELECT {BOARD_TASK} FROM tasks WHERE project_id = $1{on_board}
             ORDER BY column_id, position",
            on_board = if whole {
                ""
            } else {
                " AND archived_at IS NULL"
            },
        ))
        .bind(&project.id)
        .fetch_all(&mut conn)
        .await?;
        let subtasks: Vec<Subtask> = query(
            "SELECT s.* FROM subtasks s JOIN tasks t ON t.id = s.task_id
             WHERE t.project_id = $1 ORDER BY s.task_id, s.position",
        )
        .bind(&project.id)
        .fetch_all(&mut conn)
        .await?;
        let labels: Vec<Label> = query("SELECT * FROM labels WHERE project_id = $1 ORDER BY name")
            .bind(&project.id)
            .fetch_all(&mut conn)
            .await?;
        let task_labels: Vec<TaskLabel> = query(
            "SELECT tl.* FROM task_labels tl JOIN tasks t ON t.id = tl.task_id
             WHERE t.project_id = $1",
        )
        .bind(&project.id)
        .fetch_all(&mut conn)
        .await?;

        let task_assignees: Vec<TaskAssignee> = query(
            "SELECT ta.* FROM task_assignees ta JOIN tasks t ON t.id = ta.task_id
             WHERE t.project_id = $1 ORDER BY ta.task_id, ta.login",
        )
        .bind(&project.id)
        .fetch_all(&mut conn)
        .await?;

        let comments: Vec<CommentCount> = query(
            "SELECT c.task_id, count(*) AS count FROM comments c JOIN tasks t ON t.id = c.task_id
             WHERE t.project_id = $1 GROUP BY c.task_id ORDER BY c.task_id",
        )
        .bind(&project.id)
        .fetch_all(&mut conn)
        .await?;

        let mut texts = CardTexts::default();
        if whole {
            let notes: Vec<(TaskId, String)> = query(
                "SELECT id, description FROM tasks WHERE project_id = $1 AND description <> ''",
            )
            .bind(&project.id)
            .fetch_all(&mut conn)
            .await?;
            texts.descriptions = notes.into_iter().collect();
            let thread: Vec<Comment> = query(
                "SELECT c.* FROM comments c JOIN tasks t ON t.id = c.task_id
                 WHERE t.project_id = $1 ORDER BY c.task_id, c.created_at, c.id",
            )
            .bind(&project.id)
            .fetch_all(&mut conn)
            .await?;
            for comment in thread {
                texts
                    .comments
                    .entry(comment.task_id.clone())
                    .or_default()
                    .push(comment);
            }
        }

        let role = role_in(&mut conn, &project.id).await?;
        tx.rollback().await?;
        let board = Board {
            project,
            columns,
            tasks,
            subtasks,
            labels,
            task_labels,
            task_assignees,
            comments,
            seq,
            role,
        };
        Ok((board, texts))
    }
}

/// Refuses a task that is not there, or that the person may not see.
pub(in crate::store) async fn task_exists(conn: &mut Conn<'_>, task: &TaskId) -> Result<()> {
    let exists: bool = query("SELECT EXISTS (SELECT 1 FROM tasks WHERE id = $1)")
        .bind(task)
        .scalar(&mut *conn)
        .await?;
    if exists {
        Ok(())
    } else {
        Err(Error::not_found(EntityKind::Task, task))
    }
}

/// The columns of `tasks` that make a [`BoardTask`]: all but the description, which only says
/// whether there is one.
pub(in crate::store) const BOARD_TASK: &str =
    "id, project_id, column_id, title, priority, due_date, position,
    version, created_at, updated_at, description <> '' AS has_description, archived_at";

/// The fields of a column to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnEdit {
    pub name: Option<String>,
    /// `Some(None)` removes the limit.
    pub wip_limit: Option<Option<i64>>,
}

impl Store {
    /// Creates a project, after the others, with the usual three columns.
    pub async fn create_project(&self, origin: &Origin, name: &str) -> Result<Project> {
        let name = validate::name("name", name)?;
        let id = ProjectId::made_by(origin)?;
        let (project, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                name_is_free(conn, Names::Projects, None, &name, None).await?;
                let position =
                    position::slot(conn, List::Projects, None, &id.0, None, usize::MAX).await?;
                let now = now_ms();
                // Read back by a statement of its own: on a team's server the creator can read
                // the row only once the insert's trigger has made them its owner.
                query(
                    "INSERT INTO projects (id, name, position, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $4)",
                )
                .bind(&id)
                .bind(&name)
                .bind(position)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                let project: Project = crate::store::row(conn, &id.0).await?;
                add_columns(conn, &project.id, &INBOX_COLUMNS, now).await?;
                Ok(project)
            })
            .await?;
        Ok(project)
    }

    /// Renames a project. Names are unique, ignoring case.
    pub async fn rename_project(
        &self,
        origin: &Origin,
        id: &ProjectId,
        expected_version: i64,
        name: &str,
    ) -> Result<Project> {
        let name = validate::name("name", name)?;
        self.update(
            origin,
            &id.0,
            expected_version,
            async |conn, project: Project| {
                if project.name != name {
                    name_is_free(conn, Names::Projects, None, &name, Some(&id.0)).await?;
                }
                Ok(Project { name, ..project })
            },
        )
        .await
    }

    /// Moves a project to `to_index` among the others (past the end: last).
    pub async fn move_project(
        &self,
        origin: &Origin,
        id: &ProjectId,
        expected_version: i64,
        to_index: i64,
    ) -> Result<Project> {
        self.reorder(origin, &id.0, expected_version, to_index)
            .await
    }

    /// Deletes a project with everything on it. The last project cannot go: a board needs one.
    pub async fn delete_project(
        &self,
        origin: &Origin,
        id: &ProjectId,
        expected_version: i64,
    ) -> Result<()> {
        self.write(origin, async |conn: &mut Conn<'_>| {
            at_version::<Project>(conn, &id.0, expected_version).await?;
            let others: i64 = query("SELECT COUNT(*) FROM projects WHERE id != $1")
                .bind(id)
                .scalar(&mut *conn)
                .await?;
            if others == 0 {
                return Err(Error::invalid(
                    "project_id",
                    "the last project cannot be deleted; create another first",
                ));
            }
            // Children first and explicitly, so each of their log rows still finds its project.
            for sql in [
                "DELETE FROM comments WHERE task_id IN (SELECT id FROM tasks WHERE project_id = $1)",
                "DELETE FROM task_assignees WHERE task_id IN (SELECT id FROM tasks WHERE project_id = $1)",
                "DELETE FROM task_labels WHERE task_id IN (SELECT id FROM tasks WHERE project_id = $1)",
                "DELETE FROM subtasks WHERE task_id IN (SELECT id FROM tasks WHERE project_id = $1)",
                "DELETE FROM tasks WHERE project_id = $1",
                "DELETE FROM labels WHERE project_id = $1",
                "DELETE FROM columns WHERE project_id = $1",
                "DELETE FROM projects WHERE id = $1",
            ] {
                query(sql).bind(id).execute(&mut *conn).await?;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Adds a column to `project` at `index` (past the end, or `None`: last). Names are unique
    /// in a project, ignoring case.
    pub async fn create_column(
        &self,
        origin: &Origin,
        project: &ProjectId,
        name: &str,
        index: Option<i64>,
    ) -> Result<Column> {
        let name = validate::name("name", name)?;
        let index = index.map(|i| validate::index("index", i)).transpose()?;
        let id = ColumnId::made_by(origin)?;
        let (column, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                at_version_any::<Project>(conn, &project.0).await?;
                name_is_free(conn, Names::Columns, Some(project), &name, None).await?;
                let position = position::slot(
                    conn,
                    List::Columns,
                    Some(&project.0),
                    &id.0,
                    None,
                    index.unwrap_or(usize::MAX),
                )
                .await?;
                let now = now_ms();
                query(
                    "INSERT INTO columns (id, project_id, name, position, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
                )
                .bind(&id)
                .bind(project)
                .bind(&name)
                .bind(position)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
            })
            .await?;
        Ok(column)
    }

    /// Renames a column and/or sets or removes its WIP limit.
    pub async fn edit_column(
        &self,
        origin: &Origin,
        id: &ColumnId,
        expected_version: i64,
        edit: ColumnEdit,
    ) -> Result<Column> {
        let name = edit.name.map(|n| validate::name("name", &n)).transpose()?;
        let wip_limit = edit
            .wip_limit
            .map(|limit| {
                limit
                    .map(|l| validate::wip_limit("wip_limit", l))
                    .transpose()
            })
            .transpose()?;
        self.update(
            origin,
            &id.0,
            expected_version,
            async |conn, column: Column| {
                let name = name.unwrap_or_else(|| column.name.clone());
                if name != column.name {
                    let project = column.project_id.clone();
                    name_is_free(conn, Names::Columns, Some(&project), &name, Some(&id.0)).await?;
                }
                Ok(Column {
                    name,
                    wip_limit: wip_limit.unwrap_or(column.wip_limit),
                    ..column
                })
            },
        )
        .await
    }

    /// Moves a column to `to_index` in its project (past the end: last).
    pub async fn move_column(
        &self,
        origin: &Origin,
        id: &ColumnId,
        expected_version: i64,
        to_index: i64,
    ) -> Result<Column> {
        self.reorder(origin, &id.0, expected_version, to_index)
            .await
    }

    /// Deletes a column. One that holds tasks goes only when told where they go: `tasks_to`, a
    /// column of the same project, at whose bottom they land in their order. A project keeps at
    /// least one column.
    pub async fn delete_column(
        &self,
        origin: &Origin,
        id: &ColumnId,
        expected_version: i64,
        tasks_to: Option<&ColumnId>,
    ) -> Result<()> {
        self.write(origin, async |conn: &mut Conn<'_>| {
            let doomed = at_version::<Column>(conn, &id.0, expected_version).await?;
            let on_board: Vec<TaskId> = query(
                "SELECT id FROM tasks WHERE column_id = $1 AND archived_at IS NULL
                 ORDER BY position",
            )
            .bind(id)
            .scalars(&mut *conn)
            .await?;
            let archived: Vec<TaskId> = query(
                "SELECT id FROM tasks WHERE column_id = $1 AND archived_at IS NOT NULL
                 ORDER BY position",
            )
            .bind(id)
            .scalars(&mut *conn)
            .await?;
            let siblings: i64 = query("SELECT COUNT(*) FROM columns WHERE project_id = $1")
                .bind(&doomed.project_id)
                .scalar(&mut *conn)
                .await?;
            if siblings <= 1 {
                return Err(Error::invalid(
                    "column_id",
                    "a project keeps at least one column",
                ));
            }
            let target = match tasks_to {
                None if !on_board.is_empty() => {
                    return Err(Error::invalid(
                        "tasks_to",
                        format!(
                            "the column holds {} tasks: say which column they move to",
                            on_board.len()
                        ),
                    ))
                }
                None if archived.is_empty() => None,
                // Archived cards are not the user's to place: they go to the first column left,
                // to come back there when unarchived.
                None => {
                    let first: ColumnId = query(
                        "SELECT id FROM columns WHERE project_id = $1 AND id <> $2
                         ORDER BY position LIMIT 1",
                    )
                    .bind(&doomed.project_id)
                    .bind(id)
                    .scalar(&mut *conn)
                    .await?;
                    Some(column(conn, &first).await?)
                }
                Some(to) => {
                    let target = column(conn, to).await?;
                    if target.project_id != doomed.project_id || target.id == doomed.id {
                        return Err(Error::invalid(
                            "tasks_to",
                            "the tasks can only move to another column of the same project",
                        ));
                    }
                    Some(target)
                }
            };
            if let Some(target) = target {
                let now = now_ms();
                for task in on_board.iter().chain(&archived) {
                    let position = position::slot(
                        conn,
                        List::Tasks,
                        Some(&target.id.0),
                        &task.0,
                        None,
                        usize::MAX,
                    )
                    .await?;
                    query(
                        "UPDATE tasks SET column_id = $2, position = $3,
                            version = version + 1, updated_at = $4
                         WHERE id = $1",
                    )
                    .bind(task)
                    .bind(&target.id)
                    .bind(position)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            query("DELETE FROM columns WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
        .await?;
        Ok(())
    }
}

/// Adds `names` as columns of `project`, in order.
async fn add_columns(
    conn: &mut Conn<'_>,
    project: &ProjectId,
    names: &[&str],
    now: i64,
) -> Result<()> {
    for (i, name) in (1..).zip(names) {
        query(
            "INSERT INTO columns (id, project_id, name, position, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(ColumnId::of_new_project(project, i))
        .bind(project)
        .bind(name)
        .bind(i * POSITION_GAP)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The named things whose names must be unique: projects, and each project's columns.
#[derive(Clone, Copy)]
enum Names {
    Projects,
    Columns,
}

/// Refuses `name` when another project (or column of `project`), not `except`, has it,
/// ignoring case: the command line finds them by name.
async fn name_is_free(
    conn: &mut Conn<'_>,
    names: Names,
    project: Option<&ProjectId>,
    name: &str,
    except: Option<&str>,
) -> Result<()> {
    let (sql, taken_by) = match names {
        Names::Projects => (
            "SELECT EXISTS (SELECT 1 FROM projects
             WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2)",
            "there is already a project",
        ),
        Names::Columns => (
            "SELECT EXISTS (SELECT 1 FROM columns
             WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2 AND project_id = $3)",
            "the project already has a column",
        ),
    };
    let taken: bool = query(sql)
        .bind(name)
        .bind(except)
        .bind(project)
        .scalar(&mut *conn)
        .await?;
    if taken {
        return Err(Error::invalid("name", format!("{taken_by} named {name:?}")));
    }
    Ok(())
}

/// The row `id` of `T`'s table at whatever version, or `NotFound`.
async fn at_version_any<T: Versioned>(conn: &mut Conn<'_>, id: &str) -> Result<T> {
    query(format!("SELECT * FROM {} WHERE id = $1", T::TABLE))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::not_found(T::KIND, id))
}

/// A column inside a write, or `NotFound`.
pub(in crate::store) async fn column(conn: &mut Conn<'_>, id: &ColumnId) -> Result<Column> {
    at_version_any(conn, &id.0).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing;

    #[tokio::test]
    async fn a_new_database_has_an_inbox_with_three_columns() {
        let t = testing::store().await;
        let projects = t.store.projects().await.unwrap();
        assert_eq!(projects.len(), 1);
        assert_eq!(projects[0].name, "Inbox");
        let board = t.store.board(&projects[0].id).await.unwrap();
        let names: Vec<_> = board.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["To do", "Doing", "Done"]);
        assert!(board.tasks.is_empty());
    }

    /// What a user relies on: a board of long descriptions opens with what its cards show, and
    /// a card's details still read its whole description. On a file and on a server.
    async fn a_board_carries_whether_a_card_has_a_description_not_the_text(t: testing::TestStore) {
        let project = t.store.first_project().await.unwrap().id;
        let add = async |title: &str| {
            let new = crate::store::NewTask {
                project_id: project.clone(),
                column_id: None,
                title: title.into(),
            };
            t.store.create_task(&t.origin, new).await.unwrap()
        };
        let long = add("Long notes").await;
        add("No notes").await;
        let notes = "A paragraph of notes.\n".repeat(400);
        let edit = crate::store::TaskEdit {
            description: Some(notes.clone()),
            ..Default::default()
        };
        t.store
            .edit_task(&t.origin, &long.id, 1, edit)
            .await
            .unwrap();

        let board = t.store.board(&project).await.unwrap();
        let shown: Vec<(&str, bool)> = board
            .tasks
            .iter()
            .map(|c| (c.title.as_str(), c.has_description))
            .collect();
        assert_eq!(shown, [("Long notes", true), ("No notes", false)]);
        let sent = serde_json::to_string(&board).unwrap();
        assert!(
            !sent.contains("A paragraph"),
            "the board sends no description"
        );
        assert!(sent.len() < 4_000, "{} bytes for two cards", sent.len());
        let whole = t.store.task(&long.id).await.unwrap().description;
        assert!(
            whole == notes.trim_end(),
            "the details read the whole description"
        );
    }

    #[tokio::test]
    async fn a_board_carries_whether_a_card_has_a_description_not_the_text_in_a_file() {
        a_board_carries_whether_a_card_has_a_description_not_the_text(testing::store().await).await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_board_carries_whether_a_card_has_a_description_not_the_text_on_a_server() {
        let t = testing::server_store().await;
        a_board_carries_whether_a_card_has_a_description_not_the_text(t).await;
    }

    #[tokio::test]
    async fn the_seed_is_logged_like_any_other_write() {
        let t = testing::store().await;
        let changes = t.store.changes_since(0, None).await.unwrap().changes;
        assert_eq!(changes.len(), 4, "one project and three columns");
        assert!(changes.iter().all(|c| c.origin.as_ref() == Some(&t.origin)));
        assert_eq!(t.store.seq().await.unwrap(), changes[3].seq);
    }

    #[tokio::test]
    async fn changes_since_covers_the_whole_range_read_even_outside_the_scope() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap();
        let start = t.store.seq().await.unwrap();
        let mut conn = t.store.writer.lock().await;
        query("INSERT INTO projects VALUES ('other', 'Other', 2, 1, 0, 0)")
            .execute(&mut conn.conn.as_mut().unwrap().conn())
            .await
            .unwrap();

        let end = t.store.seq().await.unwrap();
        assert_eq!(end, start + 1);

        let scoped = t.store.changes_since(start, Some(&inbox.id)).await.unwrap();
        assert_eq!((scoped.from_seq, scoped.to_seq), (start + 1, end));
        assert!(
            scoped.changes.is_empty(),
            "the other project's change is out of scope"
        );
        let all = t.store.changes_since(start, None).await.unwrap();
        assert_eq!(all.changes.len(), 1);
        let none = t.store.changes_since(end, None).await.unwrap();
        assert_eq!(
            (none.from_seq, none.to_seq, none.changes.len()),
            (end + 1, end, 0)
        );
    }

    #[tokio::test]
    async fn reopening_a_database_does_not_seed_it_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.db");
        let origin = Origin::new("i", crate::model::Actor::Cli);
        drop(Store::open(&path, &origin).await.unwrap());
        let store = Store::open(&path, &origin).await.unwrap();
        assert_eq!(store.projects().await.unwrap().len(), 1);
        assert_eq!(store.changes_since(0, None).await.unwrap().changes.len(), 4);
    }

    #[tokio::test]
    async fn projects_and_columns_are_found_by_name_ignoring_case_or_by_id() {
        let t = testing::store().await;
        let inbox = t.store.find_project("inbox").await.unwrap();
        assert_eq!(t.store.find_project(&inbox.id.0).await.unwrap(), inbox);
        let doing = t.store.find_column(&inbox.id, "DOING").await.unwrap();
        assert_eq!(doing.name, "Doing");
        let err = t.store.find_column(&inbox.id, "Later").await.unwrap_err();
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Column,
                ..
            }
        ));
        let err = t.store.find_project("Nowhere").await.unwrap_err();
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Project,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn an_unknown_project_has_no_board() {
        let t = testing::store().await;
        let err = t.store.board(&ProjectId::from("nope")).await.unwrap_err();
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Project,
                ..
            }
        ));
    }

    async fn names(t: &testing::TestStore, project: &ProjectId) -> Vec<String> {
        let board = t.store.board(project).await.unwrap();
        board.columns.iter().map(|c| c.name.clone()).collect()
    }

    #[tokio::test]
    async fn projects_are_created_with_three_columns_renamed_reordered_and_deleted() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap();
        let work = t.store.create_project(&t.origin, " Work ").await.unwrap();
        assert_eq!(work.name, "Work");
        assert_eq!(names(&t, &work.id).await, ["To do", "Doing", "Done"]);

        t.store
            .move_project(&t.origin, &work.id, 1, 0)
            .await
            .unwrap();
        let order: Vec<_> = t
            .store
            .projects()
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(order, ["Work", "Inbox"]);
        let renamed = t
            .store
            .rename_project(&t.origin, &work.id, 2, "Job")
            .await
            .unwrap();
        assert_eq!((renamed.name.as_str(), renamed.version), ("Job", 3));

        let task = t
            .store
            .create_task(
                &t.origin,
                crate::store::NewTask {
                    project_id: work.id.clone(),
                    column_id: None,
                    title: "Goes with it".into(),
                },
            )
            .await
            .unwrap();
        t.store
            .delete_project(&t.origin, &work.id, 3)
            .await
            .unwrap();
        assert!(matches!(
            t.store.task(&task.id).await,
            Err(Error::NotFound { .. })
        ));
        let last = t
            .store
            .delete_project(&t.origin, &inbox.id, 1)
            .await
            .unwrap_err();
        assert!(
            matches!(
                last,
                Error::Invalid {
                    field: "project_id",
                    ..
                }
            ),
            "{last}"
        );
    }

    #[tokio::test]
    async fn project_and_column_names_are_unique_ignoring_case() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap();
        let before = t.store.seq().await.unwrap();
        let err = t
            .store
            .create_project(&t.origin, "INBOX")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "name", .. }));
        let err = t
            .store
            .create_column(&t.origin, &inbox.id, "doing", None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "name", .. }));
        assert_eq!(t.store.seq().await.unwrap(), before, "nothing logged (I4)");
        // Its own name, in another case, is no clash.
        let renamed = t
            .store
            .rename_project(&t.origin, &inbox.id, 1, "inbox")
            .await
            .unwrap();
        assert_eq!(renamed.name, "inbox");
    }

    #[tokio::test]
    async fn columns_are_added_anywhere_limited_moved_and_renamed() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap().id;
        let review = t
            .store
            .create_column(&t.origin, &inbox, "Review", Some(2))
            .await
            .unwrap();
        assert_eq!(
            names(&t, &inbox).await,
            ["To do", "Doing", "Review", "Done"]
        );
        let limited = t
            .store
            .edit_column(
                &t.origin,
                &review.id,
                1,
                ColumnEdit {
                    name: Some("In review".into()),
                    wip_limit: Some(Some(3)),
                },
            )
            .await
            .unwrap();
        assert_eq!((limited.wip_limit, limited.version), (Some(3), 2));
        let unlimited = t
            .store
            .edit_column(
                &t.origin,
                &review.id,
                2,
                ColumnEdit {
                    wip_limit: Some(None),
                    ..ColumnEdit::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(unlimited.wip_limit, None);
        t.store
            .move_column(&t.origin, &review.id, 3, 0)
            .await
            .unwrap();
        assert_eq!(
            names(&t, &inbox).await,
            ["In review", "To do", "Doing", "Done"]
        );
        let before = t.store.seq().await.unwrap();
        for limit in [0, -2, 1000] {
            let edit = ColumnEdit {
                wip_limit: Some(Some(limit)),
                ..ColumnEdit::default()
            };
            let err = t
                .store
                .edit_column(&t.origin, &review.id, 4, edit)
                .await
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Invalid {
                        field: "wip_limit",
                        ..
                    }
                ),
                "{limit}"
            );
        }
        assert_eq!(t.store.seq().await.unwrap(), before, "nothing logged (I4)");
    }

    #[tokio::test]
    async fn a_column_with_tasks_goes_only_when_told_where_they_go() {
        let t = testing::store().await;
        let board = t
            .store
            .board(&t.store.first_project().await.unwrap().id)
            .await
            .unwrap();
        let [todo, doing, done] = [0, 1, 2].map(|i| board.columns[i].clone());
        for title in ["One", "Two"] {
            let new = crate::store::NewTask {
                project_id: board.project.id.clone(),
                column_id: Some(todo.id.clone()),
                title: title.into(),
            };
            t.store.create_task(&t.origin, new).await.unwrap();
        }
        let before = t.store.seq().await.unwrap();
        let err = t
            .store
            .delete_column(&t.origin, &todo.id, 1, None)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Invalid {
                    field: "tasks_to",
                    ..
                }
            ),
            "{err}"
        );
        let err = t
            .store
            .delete_column(&t.origin, &todo.id, 1, Some(&todo.id))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Invalid {
                    field: "tasks_to",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(t.store.seq().await.unwrap(), before, "nothing logged (I4)");

        t.store
            .delete_column(&t.origin, &todo.id, 1, Some(&done.id))
            .await
            .unwrap();
        let after = t.store.board(&board.project.id).await.unwrap();
        let mut moved: Vec<_> = after
            .tasks
            .iter()
            .filter(|t| t.column_id == done.id)
            .collect();
        moved.sort_by_key(|t| t.position);
        let titles: Vec<_> = moved.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(titles, ["One", "Two"], "in their order");
        t.store
            .delete_column(&t.origin, &doing.id, 1, None)
            .await
            .unwrap();
        let last = t
            .store
            .delete_column(&t.origin, &done.id, 1, None)
            .await
            .unwrap_err();
        assert!(
            matches!(
                last,
                Error::Invalid {
                    field: "column_id",
                    ..
                }
            ),
            "{last}"
        );
    }
}
