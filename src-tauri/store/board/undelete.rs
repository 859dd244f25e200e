//! Bringing deleted rows back from the change log: the undo of a deletion.
//!
//! A deletion logs the whole old row of everything it removed: the row itself and, just before
//! it in the same write, the rows it took with it (a project's columns, tasks, labels and
//! checklists; a task's checklist and labels; a label's place on tasks). A restore re-inserts
//! them with their ids, so anything that refers to them (an undo step, another window's view)
//! still does, and each is logged as an ordinary insert.

use std::collections::HashSet;

use crate::store::sql::{query, Conn};

use crate::error::{Error, Result};
use crate::model::{
    Column, Comment, Entity, EntityKind, Label, Member, Origin, Project, Subtask, Task,
    TaskAssignee, TaskId, TaskLabel,
};
use crate::store::board::comment;
use crate::store::board::position::{self, List};
use crate::store::{now_ms, Store, Versioned};

/// How a kind of row is stored, for putting it back.
struct Shape {
    table: &'static str,
    /// The list it is ordered in, if any.
    list: Option<List>,
    /// The field naming the row it belongs to, and that row's kind: it must exist for the row to
    /// come back.
    parent: Option<(&'static str, EntityKind)>,
}

fn shape(kind: EntityKind) -> Shape {
    let (table, list, parent) = match kind {
        EntityKind::Project => ("projects", Some(List::Projects), None),
        EntityKind::Column => (
            "columns",
            Some(List::Columns),
            Some(("project_id", EntityKind::Project)),
        ),
        EntityKind::Task => (
            "tasks",
            Some(List::Tasks),
            Some(("column_id", EntityKind::Column)),
        ),
        EntityKind::Subtask => (
            "subtasks",
            Some(List::Subtasks),
            Some(("task_id", EntityKind::Task)),
        ),
        EntityKind::Label => ("labels", None, Some(("project_id", EntityKind::Project))),
        EntityKind::TaskLabel => ("task_labels", None, None),
        EntityKind::TaskAssignee => ("task_assignees", None, None),
        EntityKind::Comment => ("comments", None, Some(("task_id", EntityKind::Task))),
        EntityKind::Member => ("members", None, None),
        EntityKind::Watch => ("watching", None, None),
        EntityKind::ProjectWatch => ("project_watching", None, None),
        EntityKind::News => ("news", None, None),
    };
    Shape {
        table,
        list,
        parent,
    }
}

/// Reads a row the log holds as JSON (the same on either database: the model's own fields).
fn logged<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| {
        tracing::error!(error = %e, "a logged row does not read as its kind");
        Error::Storage(sqlx::Error::Decode(Box::new(e)))
    })
}

/// Inserts the `kind` row logged as `json`, as changed at `at` and one version on, at `pos` (or
/// its logged position when `None`) for ordered rows. A task's label whose label or task is
/// gone is left out, so a restore never fails on what was deleted since.
async fn insert(
    conn: &mut Conn<'_>,
    kind: EntityKind,
    json: &str,
    at: i64,
    pos: Option<i64>,
) -> Result<()> {
    let statement = match kind {
        EntityKind::Project => {
            let r: Project = logged(json)?;
            query(
                "INSERT INTO projects (id, name, position, version, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(r.id)
            .bind(r.name)
            .bind(pos.unwrap_or(r.position))
            .bind(r.version + 1)
            .bind(r.created_at)
            .bind(at)
        }
        EntityKind::Column => {
            let r: Column = logged(json)?;
            query(
                "INSERT INTO columns (id, project_id, name, position, wip_limit, version,
                    created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(r.id)
            .bind(r.project_id)
            .bind(r.name)
            .bind(pos.unwrap_or(r.position))
            .bind(r.wip_limit)
            .bind(r.version + 1)
            .bind(r.created_at)
            .bind(at)
        }
        EntityKind::Task => {
            let r: Task = logged(json)?;
            query(
                "INSERT INTO tasks (id, project_id, column_id, title, description, priority,
                    due_date, position, version, created_at, updated_at, archived_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(r.id)
            .bind(r.project_id)
            .bind(r.column_id)
            .bind(r.title)
            .bind(r.description)
            .bind(r.priority)
            .bind(r.due_date)
            .bind(pos.unwrap_or(r.position))
            .bind(r.version + 1)
            .bind(r.created_at)
            .bind(at)
            .bind(r.archived_at)
        }
        EntityKind::Subtask => {
            let r: Subtask = logged(json)?;
            query(
                "INSERT INTO subtasks (id, task_id, title, done, position, version, created_at,
                    updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(r.id)
            .bind(r.task_id)
            .bind(r.title)
            .bind(r.done)
            .bind(pos.unwrap_or(r.position))
            .bind(r.version + 1)
            .bind(r.created_at)
            .bind(at)
        }
        EntityKind::Label => {
            let r: Label = logged(json)?;
            query(
                "INSERT INTO labels (id, project_id, name, color, version, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(r.id)
            .bind(r.project_id)
            .bind(r.name)
            .bind(r.color)
            .bind(r.version + 1)
            .bind(r.created_at)
            .bind(at)
        }
        EntityKind::TaskLabel => {
            let r: TaskLabel = logged(json)?;
            query(
                "INSERT INTO task_labels (task_id, label_id)
                 SELECT $1, $2
                 WHERE EXISTS (SELECT 1 FROM labels WHERE id = $2)
                    AND EXISTS (SELECT 1 FROM tasks WHERE id = $1)
                 ON CONFLICT DO NOTHING",
            )
            .bind(r.task_id)
            .bind(r.label_id)
        }
        EntityKind::TaskAssignee => {
            let r: TaskAssignee = logged(json)?;
            query(
                "INSERT INTO task_assignees (task_id, login)
                 SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $1)
                 ON CONFLICT DO NOTHING",
            )
            .bind(r.task_id)
            .bind(r.login)
        }
        EntityKind::Comment => {
            let r: Comment = logged(json)?;
            return comment::put_back(conn, &r, at).await;
        }
        EntityKind::Watch | EntityKind::ProjectWatch | EntityKind::News => return Ok(()),
        EntityKind::Member => {
            let r: Member = logged(json)?;
            query(
                "INSERT INTO members (project_id, login, role, version, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(r.project_id)
            .bind(r.login)
            .bind(r.role.as_str())
            .bind(r.version + 1)
            .bind(r.created_at)
            .bind(at)
        }
    };
    statement.execute(conn).await?;
    Ok(())
}

/// The fields by which a logged row refers to the rows it belongs to.
const REFERENCES: [&str; 4] = ["project_id", "column_id", "task_id", "label_id"];

impl Store {
    /// Brings back the deleted `kind` row `id` as its latest deletion logged it, with what that
    /// deletion took with it; a column also gets back the tasks its deletion moved elsewhere,
    /// unless they were changed since. It goes back to its place in its list, or the end when
    /// another row took the place. Refused: a row that exists or was never deleted, one whose
    /// project, column or task is gone, and a task's label (set it with `task label`).
    pub async fn restore(&self, origin: &Origin, kind: EntityKind, id: &str) -> Result<Entity> {
        let (entity, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                restore(conn, kind, id).await
            })
            .await?;
        Ok(entity)
    }

    /// [`Store::restore`] for a task.
    pub async fn restore_task(&self, origin: &Origin, id: &TaskId) -> Result<Task> {
        match self.restore(origin, EntityKind::Task, &id.0).await? {
            Entity::Task(task) => Ok(task),
            _ => Err(Error::not_found(EntityKind::Task, id)),
        }
    }
}

async fn restore(conn: &mut Conn<'_>, kind: EntityKind, id: &str) -> Result<Entity> {
    if kind == EntityKind::TaskLabel {
        return Err(Error::invalid(
            "entity",
            "a task's label is put back by labelling the task",
        ));
    }
    let own = shape(kind);
    let exists: bool = query(format!(
        "SELECT EXISTS (SELECT 1 FROM {} WHERE id = $1)",
        own.table
    ))
    .bind(id)
    .scalar(&mut *conn)
    .await?;
    if exists {
        return Err(Error::invalid(
            "id",
            format!("the {kind} exists; there is nothing to restore"),
        ));
    }
    let previous = conn.dialect().json_text("previous");
    let deleted: Option<(i64, String, Option<String>)> = query(format!(
        "SELECT seq, {previous}, origin FROM changes
         WHERE entity = $1 AND entity_id = $2 AND op = 'delete'
         ORDER BY seq DESC LIMIT 1"
    ))
    .bind(kind)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((seq, row, deleted_by)) = deleted else {
        return Err(Error::not_found(kind, id));
    };

    let mut parent_id = None;
    if let Some((field, parent)) = own.parent {
        let parent_table = shape_table(parent);
        let refers = field_of(&row, field);
        let found: Option<String> = query(format!("SELECT id FROM {parent_table} WHERE id = $1"))
            .bind(refers)
            .scalar_optional(&mut *conn)
            .await?;
        let Some(found) = found else {
            return Err(Error::invalid(
                field,
                format!("the {kind}'s {parent} was deleted since: bring that back first"),
            ));
        };
        parent_id = Some(found);
    }
    let position = match own.list {
        Some(list) => free_position(conn, list, parent_id.as_deref(), id, &row).await?,
        None => None,
    };
    let now = now_ms();
    insert(conn, kind, &row, now, position).await?;

    for (entity, op, row, data) in taken_along(conn, seq, deleted_by.as_deref(), kind, id).await? {
        match op.as_str() {
            "delete" => insert(conn, entity, &row, now, None).await?,
            // A task the column's deletion moved elsewhere goes back, unless changed since. Its
            // old position is logged only when the move changed it.
            _ => {
                let before: serde_json::Value = logged(&row)?;
                let after: Task = logged(data.as_deref().unwrap_or("null"))?;
                query(
                    "UPDATE tasks SET column_id = $1, position = COALESCE($2, position),
                        version = version + 1, updated_at = $3
                     WHERE id = $4 AND version = $5",
                )
                .bind(field_of(&row, "column_id"))
                .bind(before.get("position").and_then(serde_json::Value::as_i64))
                .bind(now)
                .bind(after.id)
                .bind(after.version)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    fetch(conn, kind, id).await
}

/// The text field `field` of a logged row, if it has one.
fn field_of(row: &str, field: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(row)
        .ok()?
        .get(field)?
        .as_str()
        .map(str::to_owned)
}

fn shape_table(kind: EntityKind) -> &'static str {
    shape(kind).table
}

/// Where a restored row stands: its logged position when that is still free in its list, else
/// `Some` position at the end.
async fn free_position(
    conn: &mut Conn<'_>,
    list: List,
    parent: Option<&str>,
    id: &str,
    row: &str,
) -> Result<Option<i64>> {
    let (table, parent_column) = (list.table(), list.parent());
    let logged_position = serde_json::from_str::<serde_json::Value>(row)
        .ok()
        .and_then(|fields| fields.get("position").and_then(serde_json::Value::as_i64));
    let taken: bool = query(format!(
        "SELECT EXISTS (SELECT 1 FROM {table} WHERE position = $1{})",
        parent_column.map_or(String::new(), |c| format!(" AND {c} = $2")),
    ))
    .bind(logged_position)
    .bind(parent)
    .scalar(&mut *conn)
    .await?;
    if !taken {
        return Ok(None);
    }
    position::slot(conn, list, parent, id, None, usize::MAX).await
}

/// The rows that the deletion logged at `seq` took with the row `id`: the deletes (and, for a
/// column, the moves of its tasks) logged just before it by the same origin that belong to it,
/// directly or through one another, parents before children.
async fn taken_along(
    conn: &mut Conn<'_>,
    seq: i64,
    origin: Option<&str>,
    kind: EntityKind,
    id: &str,
) -> Result<Vec<(EntityKind, String, String, Option<String>)>> {
    let dialect = conn.dialect();
    let (previous, data) = (dialect.json_text("previous"), dialect.json_text("data"));
    let run: Vec<(String, String, String, Option<String>)> = query(format!(
        "SELECT entity, op, {previous}, {data} FROM changes
         WHERE seq < $1 AND seq > (
            SELECT COALESCE(MAX(seq), 0) FROM changes
            WHERE seq < $1 AND NOT (
                (op = 'delete' OR (op = 'update' AND entity = 'task'))
                AND origin IS NOT DISTINCT FROM $2))
         ORDER BY seq DESC"
    ))
    .bind(seq)
    .bind(origin)
    .fetch_all(&mut *conn)
    .await?;
    // The log holds a cascade children first, so walking it backwards meets each row's parent
    // before the row.
    let mut family: HashSet<String> = HashSet::from([id.to_owned()]);
    let mut along = Vec::new();
    for (entity, op, previous, data) in run {
        let Ok(entity) = EntityKind::try_from(entity) else {
            continue;
        };
        // A person's watching and news are theirs: they do not come back with a card.
        if matches!(
            entity,
            EntityKind::Watch | EntityKind::ProjectWatch | EntityKind::News
        ) {
            continue;
        }
        let Ok(fields) = serde_json::from_str::<serde_json::Value>(&previous) else {
            continue;
        };
        let refers = |field: &str| {
            fields
                .get(field)
                .and_then(|v| v.as_str())
                .is_some_and(|r| family.contains(r))
        };
        let belongs = match op.as_str() {
            "delete" => REFERENCES.iter().any(|field| refers(field)),
            _ => kind == EntityKind::Column && refers("column_id"),
        };
        if belongs {
            if op == "delete" {
                if let Some(child) = fields.get("id").and_then(|v| v.as_str()) {
                    family.insert(child.to_owned());
                }
            }
            along.push((entity, op, previous, data));
        }
    }
    // Parents first: projects, then columns and labels, tasks, checklists and task labels.
    along.sort_by_key(|(entity, ..)| match entity {
        EntityKind::Project => 0,
        EntityKind::Column | EntityKind::Label => 1,
        EntityKind::Task => 2,
        EntityKind::Subtask
        | EntityKind::TaskLabel
        | EntityKind::TaskAssignee
        | EntityKind::Comment
        | EntityKind::Member
        | EntityKind::Watch
        | EntityKind::ProjectWatch
        | EntityKind::News => 3,
    });
    Ok(along)
}

async fn fetch(conn: &mut Conn<'_>, kind: EntityKind, id: &str) -> Result<Entity> {
    async fn row<T: Versioned>(conn: &mut Conn<'_>, id: &str) -> Result<Entity> {
        Ok(crate::store::row::<T>(conn, id).await?.into_entity())
    }
    match kind {
        EntityKind::Project => row::<Project>(conn, id).await,
        EntityKind::Column => row::<Column>(conn, id).await,
        EntityKind::Task => row::<Task>(conn, id).await,
        EntityKind::Subtask => row::<Subtask>(conn, id).await,
        EntityKind::Label => row::<Label>(conn, id).await,
        EntityKind::Comment => row::<Comment>(conn, id).await,
        EntityKind::TaskLabel
        | EntityKind::TaskAssignee
        | EntityKind::Member
        | EntityKind::Watch
        | EntityKind::ProjectWatch
        | EntityKind::News => Err(Error::invalid(
            "entity",
            "only cards, columns, labels, checklist items, comments and projects come back",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Board, ColumnId, ProjectId, SubtaskId};
    use crate::store::testing::{self, TestStore};
    use crate::store::NewTask;

    async fn add(t: &TestStore, project: &ProjectId, column: &ColumnId, title: &str) -> Task {
        let new = NewTask {
            project_id: project.clone(),
            column_id: Some(column.clone()),
            title: title.into(),
        };
        t.store.create_task(&t.origin, new).await.unwrap()
    }

    /// A board, everything in it in order and without versions or times: what a user sees.
    fn seen(board: &Board) -> String {
        let mut out = format!("{}:", board.project.name);
        for column in &board.columns {
            out += &format!(" [{} {:?}", column.name, column.wip_limit);
            for task in board.tasks.iter().filter(|t| t.column_id == column.id) {
                out += &format!(" {}", task.title);
                for item in board.subtasks.iter().filter(|s| s.task_id == task.id) {
                    out += &format!(" ({} {})", item.title, item.done);
                }
                for link in board.task_labels.iter().filter(|l| l.task_id == task.id) {
                    let label = board.labels.iter().find(|l| l.id == link.label_id).unwrap();
                    out += &format!(" #{}", label.name);
                }
            }
            out += "]";
        }
        out
    }

    async fn log_len(t: &TestStore) -> i64 {
        t.store.seq().await.unwrap()
    }

    #[tokio::test]
    async fn a_deleted_project_comes_back_whole_and_in_its_place() {
        let t = testing::store().await;
        let work = t.store.create_project(&t.origin, "Work").await.unwrap();
        t.store.create_project(&t.origin, "Home").await.unwrap();
        let board = t.store.board(&work.id).await.unwrap();
        let (todo, doing) = (&board.columns[0].id, &board.columns[1].id);
        let ship = add(&t, &work.id, todo, "Ship").await;
        add(&t, &work.id, doing, "Test").await;
        t.store
            .add_subtask(&t.origin, &ship.id, "Draft")
            .await
            .unwrap();
        let bug = t
            .store
            .create_label(&t.origin, &work.id, "Bug", "#ff0000")
            .await
            .unwrap();
        t.store
            .add_task_label(&t.origin, &ship.id, &bug.id)
            .await
            .unwrap();
        let before = seen(&t.store.board(&work.id).await.unwrap());
        let order = |p: Vec<Project>| p.into_iter().map(|p| p.name).collect::<Vec<_>>();

        let work = t.store.find_project("Work").await.unwrap();
        t.store
            .delete_project(&t.origin, &work.id, work.version)
            .await
            .unwrap();
        let back = t
            .store
            .restore(&t.origin, EntityKind::Project, &work.id.0)
            .await
            .unwrap();

        assert!(matches!(back, Entity::Project(p) if p.version == work.version + 1));
        assert_eq!(seen(&t.store.board(&work.id).await.unwrap()), before);
        assert_eq!(
            order(t.store.projects().await.unwrap()),
            ["Inbox", "Work", "Home"]
        );
    }

    #[tokio::test]
    async fn a_deleted_column_comes_back_with_the_tasks_it_sent_away_unless_they_changed() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap().id;
        let board = t.store.board(&inbox).await.unwrap();
        let (todo, doing, done) = (
            board.columns[0].clone(),
            &board.columns[1].id,
            &board.columns[2].id,
        );
        add(&t, &inbox, &todo.id, "Stays").await;
        let edited = add(&t, &inbox, &todo.id, "Edited").await;
        add(&t, &inbox, doing, "Already there").await;
        let before = seen(&t.store.board(&inbox).await.unwrap());

        t.store
            // Into an empty column, where the first task keeps its position number.
            .delete_column(&t.origin, &todo.id, todo.version, Some(done))
            .await
            .unwrap();
        let moved = t.store.task(&edited.id).await.unwrap();
        t.store
            .rename_task(&t.origin, &edited.id, moved.version, "Edited since")
            .await
            .unwrap();
        t.store
            .restore(&t.origin, EntityKind::Column, &todo.id.0)
            .await
            .unwrap();

        let after = seen(&t.store.board(&inbox).await.unwrap());
        assert_eq!(
            before,
            "Inbox: [To do None Stays Edited] [Doing None Already there] [Done None]"
        );
        assert_eq!(
            after,
            "Inbox: [To do None Stays] [Doing None Already there] [Done None Edited since]"
        );
    }

    #[tokio::test]
    async fn a_deleted_label_comes_back_on_its_tasks_but_not_on_deleted_ones() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap().id;
        let todo = t.store.board(&inbox).await.unwrap().columns[0].id.clone();
        let (kept, gone) = (
            add(&t, &inbox, &todo, "Kept").await,
            add(&t, &inbox, &todo, "Gone").await,
        );
        let bug = t
            .store
            .create_label(&t.origin, &inbox, "Bug", "#ff0000")
            .await
            .unwrap();
        for task in [&kept, &gone] {
            t.store
                .add_task_label(&t.origin, &task.id, &bug.id)
                .await
                .unwrap();
        }
        t.store.delete_label(&t.origin, &bug.id, 1).await.unwrap();
        t.store.delete_task(&t.origin, &gone.id, 1).await.unwrap();

        t.store
            .restore(&t.origin, EntityKind::Label, &bug.id.0)
            .await
            .unwrap();

        assert_eq!(
            seen(&t.store.board(&inbox).await.unwrap()),
            "Inbox: [To do None Kept #Bug] [Doing None] [Done None]"
        );
    }

    #[tokio::test]
    async fn a_deleted_checklist_item_comes_back_in_its_place_or_last_when_it_was_taken() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap().id;
        let todo = t.store.board(&inbox).await.unwrap().columns[0].id.clone();
        let task = add(&t, &inbox, &todo, "Ship").await;
        let mut items = Vec::new();
        for title in ["One", "Two", "Three"] {
            items.push(
                t.store
                    .add_subtask(&t.origin, &task.id, title)
                    .await
                    .unwrap(),
            );
        }
        let titles = async || -> Vec<String> {
            let items = t.store.subtasks(&task.id).await.unwrap();
            items.into_iter().map(|s| s.title).collect()
        };
        t.store
            .delete_subtask(&t.origin, &items[1].id, 1)
            .await
            .unwrap();
        t.store
            .restore(&t.origin, EntityKind::Subtask, &items[1].id.0)
            .await
            .unwrap();
        assert_eq!(titles().await, ["One", "Two", "Three"]);

        t.store
            .delete_subtask(&t.origin, &items[0].id, 1)
            .await
            .unwrap();
        t.store
            .move_subtask(&t.origin, &items[2].id, 1, 0)
            .await
            .unwrap();
        t.store
            .restore(&t.origin, EntityKind::Subtask, &items[0].id.0)
            .await
            .unwrap();
        assert_eq!(titles().await, ["Three", "Two", "One"]);
    }

    #[tokio::test]
    async fn restores_of_what_exists_never_was_or_lost_its_parent_are_refused_and_logged_nowhere() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap().id;
        let board = t.store.board(&inbox).await.unwrap();
        let (todo, doing) = (board.columns[0].clone(), board.columns[1].clone());
        let task = add(&t, &inbox, &doing.id, "Orphan").await;
        t.store.delete_task(&t.origin, &task.id, 1).await.unwrap();
        t.store
            .delete_column(&t.origin, &doing.id, doing.version, None)
            .await
            .unwrap();
        let seq = log_len(&t).await;

        let refusals = [
            (EntityKind::Column, todo.id.0.clone()),
            (EntityKind::Task, "never".to_owned()),
            (EntityKind::Task, task.id.0.clone()),
            (EntityKind::Subtask, SubtaskId::from("never").0),
            (EntityKind::TaskLabel, format!("{}:x", task.id.0)),
        ];
        let mut errors = Vec::new();
        for (kind, id) in refusals {
            errors.push(t.store.restore(&t.origin, kind, &id).await.unwrap_err());
        }
        assert!(matches!(&errors[0], Error::Invalid { field: "id", .. }));
        assert!(matches!(&errors[1], Error::NotFound { .. }));
        assert!(
            matches!(&errors[2], Error::Invalid { field: "column_id", reason } if reason.contains("column was deleted")),
            "{:?}",
            errors[2]
        );
        assert!(matches!(&errors[3], Error::NotFound { .. }));
        assert!(matches!(
            &errors[4],
            Error::Invalid {
                field: "entity",
                ..
            }
        ));
        assert_eq!(log_len(&t).await, seq, "nothing logged");
    }
}
