//! Properties of the whole write path under random operations of every kind:
//! - I6: replaying the change log from empty rebuilds exactly the tables;
//! - I4: a refused operation logs nothing;
//! - every ordered list (projects, a project's columns, a column's tasks, a task's subtasks)
//!   keeps a strict order: no two siblings share a position.

use proptest::prelude::*;
use sqlx::Connection as _;

use crate::model::{
    Change, Column, ColumnId, Comment, CommentId, EntityKind, Label, LabelId, Op as LogOp,
    Priority, Project, ProjectId, Subtask, SubtaskId, Task, TaskId, TaskLabel,
};
use crate::store::sql::{query, Conn, Connection};
use crate::store::testing::{self, TestStore};
use crate::store::{ColumnEdit, Dialect, Step, TaskEdit};

/// The tables that hold the board, as replay rebuilds them.
const TABLES: [&str; 8] = [
    "projects",
    "columns",
    "tasks",
    "subtasks",
    "labels",
    "task_labels",
    "task_assignees",
    "comments",
];

/// One operation, naming entities by an index into those that exist when it runs.
#[derive(Debug, Clone)]
enum Op {
    CreateProject(u8),
    RenameProject(usize, u8),
    MoveProject(usize, i64),
    DeleteProject(usize),
    CreateColumn(usize, u8, Option<i64>),
    EditColumn(usize, Option<u8>, Option<Option<i64>>),
    MoveColumn(usize, i64),
    DeleteColumn(usize, Option<usize>),
    CreateTask(usize, u8),
    EditTask(usize, Option<u8>, Option<Priority>, Option<Option<u8>>),
    MoveTask(usize, usize, i64),
    StepTask(usize, Step),
    DeleteTask(usize),
    /// Brings back a deleted row of a kind: the undo of a delete.
    Restore(EntityKind, usize),
    AddSubtask(usize, u8),
    CheckSubtask(usize, bool),
    MoveSubtask(usize, i64),
    DeleteSubtask(usize),
    CreateLabel(usize, u8, u8),
    EditLabel(usize, Option<u8>, Option<u8>),
    DeleteLabel(usize),
    AddLabel(usize, usize),
    RemoveLabel(usize, usize),
    AddComment(usize, u8),
    EditComment(usize, u8),
    DeleteComment(usize),
}

fn priority() -> impl Strategy<Value = Priority> {
    prop_oneof![
        Just(Priority::None),
        Just(Priority::Low),
        Just(Priority::Medium),
        Just(Priority::High),
        Just(Priority::Urgent),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::NextColumn),
        Just(Step::PreviousColumn),
        Just(Step::Up),
        Just(Step::Down),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    // Entities are picked by index, wrapping, from those that exist: most land on a few.
    let i = || 0..4usize;
    // Small name pools, so names collide and the uniqueness rules are exercised.
    let n = || 0..6u8;
    // A few out-of-range values, so refusals are exercised too.
    let index = || -1..6i64;
    prop_oneof![
        1 => n().prop_map(Op::CreateProject),
        1 => (i(), n()).prop_map(|(a, b)| Op::RenameProject(a, b)),
        1 => (i(), index()).prop_map(|(a, b)| Op::MoveProject(a, b)),
        1 => i().prop_map(Op::DeleteProject),
        1 => (i(), n(), proptest::option::of(index())).prop_map(|(a, b, c)| Op::CreateColumn(a, b, c)),
        1 => (i(), proptest::option::of(n()), proptest::option::of(proptest::option::of(-1..4i64)))
            .prop_map(|(a, b, c)| Op::EditColumn(a, b, c)),
        1 => (i(), index()).prop_map(|(a, b)| Op::MoveColumn(a, b)),
        1 => (i(), proptest::option::of(i())).prop_map(|(a, b)| Op::DeleteColumn(a, b)),
        8 => (i(), n()).prop_map(|(a, b)| Op::CreateTask(a, b)),
        2 => (
            i(),
            proptest::option::of(n()),
            proptest::option::of(priority()),
            proptest::option::of(proptest::option::of(0..40u8)),
        )
            .prop_map(|(a, b, c, d)| Op::EditTask(a, b, c, d)),
        8 => (i(), i(), index()).prop_map(|(a, b, c)| Op::MoveTask(a, b, c)),
        2 => (i(), step()).prop_map(|(a, b)| Op::StepTask(a, b)),
        1 => i().prop_map(Op::DeleteTask),
        2 => (
            prop_oneof![
                Just(EntityKind::Project),
                Just(EntityKind::Column),
                Just(EntityKind::Task),
                Just(EntityKind::Subtask),
                Just(EntityKind::Label),
                Just(EntityKind::Comment),
            ],
            i()
        )
            .prop_map(|(kind, i)| Op::Restore(kind, i)),
        4 => (i(), n()).prop_map(|(a, b)| Op::AddSubtask(a, b)),
        1 => (i(), any::<bool>()).prop_map(|(a, b)| Op::CheckSubtask(a, b)),
        3 => (i(), index()).prop_map(|(a, b)| Op::MoveSubtask(a, b)),
        1 => i().prop_map(Op::DeleteSubtask),
        1 => (i(), n(), 0..4u8).prop_map(|(a, b, c)| Op::CreateLabel(a, b, c)),
        1 => (i(), proptest::option::of(n()), proptest::option::of(0..4u8))
            .prop_map(|(a, b, c)| Op::EditLabel(a, b, c)),
        1 => i().prop_map(Op::DeleteLabel),
        2 => (i(), i()).prop_map(|(a, b)| Op::AddLabel(a, b)),
        1 => (i(), i()).prop_map(|(a, b)| Op::RemoveLabel(a, b)),
        2 => (i(), n()).prop_map(|(a, b)| Op::AddComment(a, b)),
        1 => (i(), n()).prop_map(|(a, b)| Op::EditComment(a, b)),
        1 => i().prop_map(Op::DeleteComment),
    ]
}

/// The ids and versions of a table's rows, in a stable order.
async fn rows(t: &TestStore, table: &str) -> Vec<(String, i64)> {
    query(format!(
        "SELECT id, version FROM {table} ORDER BY created_at, id"
    ))
    .fetch_all(&t.store.readers)
    .await
    .expect("the table reads")
}

/// The `i`-th row (wrapping) of `table`, if it has any.
async fn pick(t: &TestStore, table: &str, i: usize) -> Option<(String, i64)> {
    let rows = rows(t, table).await;
    (!rows.is_empty()).then(|| rows[i % rows.len()].clone())
}

fn name(n: u8) -> String {
    // One blank name in the pool: refused, and so logs nothing.
    if n == 5 {
        " ".into()
    } else {
        format!("Name {n}")
    }
}

fn color(c: u8) -> &'static str {
    ["#aa0000", "#00AA00", "#0000aa", "not a colour"][usize::from(c % 4)]
}

/// Runs `op`; whether it succeeded does not matter here, only what it left behind.
async fn run(t: &TestStore, op: &Op) -> Option<bool> {
    let s = &t.store;
    let o = &t.origin;
    // A refusal is a typed answer to the caller; no sequence of operations may fail in storage.
    macro_rules! ok {
        ($e:expr) => {
            match $e.await {
                Ok(_) => Some(true),
                Err(error @ crate::error::Error::Storage(_)) => {
                    panic!("{op:?} failed in storage: {error}")
                }
                Err(_) => Some(false),
            }
        };
    }
    match op.clone() {
        Op::CreateProject(n) => ok!(s.create_project(o, &name(n))),
        Op::RenameProject(i, n) => {
            let (id, v) = pick(t, "projects", i).await?;
            ok!(s.rename_project(o, &ProjectId(id), v, &name(n)))
        }
        Op::MoveProject(i, to) => {
            let (id, v) = pick(t, "projects", i).await?;
            let moved = s
                .move_project(o, &ProjectId(id.clone()), v, to)
                .await
                .is_ok();
            placed(t, moved, "projects", "'all'", &id, to).await
        }
        Op::DeleteProject(i) => {
            let (id, v) = pick(t, "projects", i).await?;
            ok!(s.delete_project(o, &ProjectId(id), v))
        }
        Op::CreateColumn(i, n, at) => {
            let (id, _) = pick(t, "projects", i).await?;
            ok!(s.create_column(o, &ProjectId(id), &name(n), at))
        }
        Op::EditColumn(i, n, limit) => {
            let (id, v) = pick(t, "columns", i).await?;
            let edit = ColumnEdit {
                name: n.map(name),
                wip_limit: limit,
            };
            ok!(s.edit_column(o, &ColumnId(id), v, edit))
        }
        Op::MoveColumn(i, to) => {
            let (id, v) = pick(t, "columns", i).await?;
            let moved = s.move_column(o, &ColumnId(id.clone()), v, to).await.is_ok();
            placed(t, moved, "columns", "project_id", &id, to).await
        }
        Op::DeleteColumn(i, to) => {
            let (id, v) = pick(t, "columns", i).await?;
            let to = match to {
                Some(j) => pick(t, "columns", j).await.map(|(c, _)| ColumnId(c)),
                None => None,
            };
            ok!(s.delete_column(o, &ColumnId(id), v, to.as_ref()))
        }
        Op::CreateTask(i, n) => {
            let (column, _) = pick(t, "columns", i).await?;
            let project: ProjectId = query("SELECT project_id FROM columns WHERE id = $1")
                .bind(&column)
                .scalar(&s.readers)
                .await
                .ok()?;
            let new = crate::store::NewTask {
                project_id: project,
                column_id: Some(ColumnId(column)),
                title: name(n),
            };
            ok!(s.create_task(o, new))
        }
        Op::EditTask(i, n, priority, due) => {
            let (id, v) = pick(t, "tasks", i).await?;
            let edit = TaskEdit {
                title: n.map(name),
                description: n.map(|n| format!("Line one\nLine {n}")),
                priority,
                // Day 31 of a 30-day month is refused.
                due_date: due.map(|d| d.map(|d| format!("2026-04-{:02}", d % 32))),
            };
            ok!(s.edit_task(o, &TaskId(id), v, edit))
        }
        Op::MoveTask(i, c, to) => {
            let (id, v) = pick(t, "tasks", i).await?;
            let (column, _) = pick(t, "columns", c).await?;
            let moved = s
                .move_task(o, &TaskId(id.clone()), v, &ColumnId(column), to)
                .await
                .is_ok();
            placed(t, moved, "tasks", "column_id", &id, to).await
        }
        Op::StepTask(i, step) => {
            let (id, v) = pick(t, "tasks", i).await?;
            ok!(s.step_task(o, &TaskId(id), v, step))
        }
        Op::DeleteTask(i) => {
            let (id, v) = pick(t, "tasks", i).await?;
            ok!(s.delete_task(o, &TaskId(id), v))
        }
        Op::Restore(kind, i) => {
            let deleted: Vec<String> = query(
                "SELECT DISTINCT entity_id FROM changes
                 WHERE entity = $1 AND op = 'delete' ORDER BY entity_id",
            )
            .bind(kind)
            .scalars(&s.readers)
            .await
            .ok()?;
            let id = deleted.get(i % deleted.len().max(1))?.clone();
            ok!(s.restore(o, kind, &id))
        }
        Op::AddSubtask(i, n) => {
            let (id, _) = pick(t, "tasks", i).await?;
            ok!(s.add_subtask(o, &TaskId(id), &name(n)))
        }
        Op::AddComment(i, n) => {
            let (id, _) = pick(t, "tasks", i).await?;
            ok!(s.add_comment(o, &TaskId(id), &name(n)))
        }
        Op::EditComment(i, n) => {
            let (id, v) = pick(t, "comments", i).await?;
            ok!(s.edit_comment(o, &CommentId(id), v, &name(n)))
        }
        Op::DeleteComment(i) => {
            let (id, v) = pick(t, "comments", i).await?;
            ok!(s.delete_comment(o, &CommentId(id), v))
        }
        Op::CheckSubtask(i, done) => {
            let (id, v) = pick(t, "subtasks", i).await?;
            ok!(s.check_subtask(o, &SubtaskId(id), v, done))
        }
        Op::MoveSubtask(i, to) => {
            let (id, v) = pick(t, "subtasks", i).await?;
            let moved = s
                .move_subtask(o, &SubtaskId(id.clone()), v, to)
                .await
                .is_ok();
            placed(t, moved, "subtasks", "task_id", &id, to).await
        }
        Op::DeleteSubtask(i) => {
            let (id, v) = pick(t, "subtasks", i).await?;
            ok!(s.delete_subtask(o, &SubtaskId(id), v))
        }
        Op::CreateLabel(i, n, c) => {
            let (id, _) = pick(t, "projects", i).await?;
            ok!(s.create_label(o, &ProjectId(id), &name(n), color(c)))
        }
        Op::EditLabel(i, n, c) => {
            let (id, v) = pick(t, "labels", i).await?;
            let n = n.map(name);
            ok!(s.edit_label(o, &LabelId(id), v, n.as_deref(), c.map(color)))
        }
        Op::DeleteLabel(i) => {
            let (id, v) = pick(t, "labels", i).await?;
            ok!(s.delete_label(o, &LabelId(id), v))
        }
        Op::AddLabel(i, l) => {
            let (task, _) = pick(t, "tasks", i).await?;
            let (label, _) = pick(t, "labels", l).await?;
            ok!(s.add_task_label(o, &TaskId(task), &LabelId(label)))
        }
        Op::RemoveLabel(i, l) => {
            let (task, _) = pick(t, "tasks", i).await?;
            let (label, _) = pick(t, "labels", l).await?;
            ok!(s.remove_task_label(o, &TaskId(task), &LabelId(label)))
        }
    }
}

/// After a successful move of row `id` of `table` to `index`, fails unless it stands there
/// among its siblings under `parent` (last, for an index past the end). Returns the outcome.
async fn placed(
    t: &TestStore,
    moved: bool,
    table: &str,
    parent: &str,
    id: &str,
    index: i64,
) -> Option<bool> {
    if moved {
        let ids: Vec<String> = query(format!(
            "SELECT id FROM {table}
             WHERE {parent} = (SELECT {parent} FROM {table} WHERE id = $1)
             ORDER BY position"
        ))
        .bind(id)
        .scalars(&t.store.readers)
        .await
        .expect("the list reads");
        let at = ids.iter().position(|i| i == id).expect("the moved row");
        let wanted = usize::try_from(index).expect("a move to a negative index is refused");
        assert_eq!(at, wanted.min(ids.len() - 1), "{table}: moved to {index}");
    }
    Some(moved)
}

/// Fails when two siblings in any ordered list share a position.
async fn assert_strict_orders(t: &TestStore) {
    assert_strict_orders_of(t, &[("projects", "'all'")]).await;
}

/// [`assert_strict_orders`] for the lists inside projects, and `more`.
async fn assert_strict_orders_of(t: &TestStore, more: &[(&str, &str)]) {
    for &(table, parent) in more.iter().chain(&[
        ("columns", "project_id"),
        ("tasks", "column_id"),
        ("subtasks", "task_id"),
    ]) {
        let shared: Vec<(String, i64)> = query(format!(
            "SELECT {parent}, position FROM {table} GROUP BY 1, 2 HAVING COUNT(*) > 1"
        ))
        .fetch_all(&t.store.readers)
        .await
        .expect("positions read");
        assert!(shared.is_empty(), "{table} share positions: {shared:?}");
    }
}

/// A new database of the same kind as `t`'s, with the schema and no rows at all (not even the
/// Inbox), and what keeps it alive.
async fn empty_like(t: &TestStore) -> (Option<tempfile::TempDir>, Connection) {
    match t.store.dialect() {
        Dialect::Sqlite => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let (conn, _) = crate::store::sql::sqlite::open(&dir.path().join("replay.db"))
                .await
                .expect("a replay database with the schema");
            (Some(dir), conn)
        }
        Dialect::Postgres => {
            let url = crate::testing::TestServer::shared().database().url;
            let mut conn = sqlx::PgConnection::connect(&url)
                .await
                .expect("a replay database");
            crate::store::sql::postgres::MIGRATOR
                .run(&mut conn)
                .await
                .expect("the schema");
            (None, Connection::Postgres(conn))
        }
    }
}

/// Rebuilds the board's tables from `changes` alone, in a new database with no rows.
async fn replay(t: &TestStore, changes: &[Change]) -> (Option<tempfile::TempDir>, Connection) {
    let (keep, mut replayed) = empty_like(t).await;
    let mut conn = replayed.conn();
    let dialect = conn.dialect();
    for change in changes {
        let table = match change.entity {
            EntityKind::Project => "projects",
            EntityKind::Column => "columns",
            EntityKind::Task => "tasks",
            EntityKind::Subtask => "subtasks",
            EntityKind::Label => "labels",
            EntityKind::TaskLabel => "task_labels",
            EntityKind::TaskAssignee => "task_assignees",
            EntityKind::Comment => "comments",
            // Memberships are not the board: the replayed database makes its own (its
            // projects' creator owns them).
            EntityKind::Member => continue,
            // Watching and news are a person's, written by the server's triggers.
            EntityKind::Watch | EntityKind::ProjectWatch | EntityKind::News => continue,
        };
        let json = |raw: &Option<Box<serde_json::value::RawValue>>| {
            let raw = raw.as_ref().expect("the log carries the row");
            let fields: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(raw.get()).expect("a JSON object");
            (raw.get().to_owned(), fields)
        };
        let sql = match change.op {
            LogOp::Insert | LogOp::Update => {
                let (text, fields) = json(&change.data);
                let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
                let statement = match (change.op, dialect) {
                    (LogOp::Insert, Dialect::Sqlite) => {
                        let values: Vec<String> =
                            keys.iter().map(|k| format!("$1 ->> '$.{k}'")).collect();
                        format!(
                            "INSERT INTO {table} ({}) VALUES ({})",
                            keys.join(", "),
                            values.join(", ")
                        )
                    }
                    (_, Dialect::Sqlite) => {
                        let sets: Vec<String> = keys
                            .iter()
                            .map(|k| format!("{k} = $1 ->> '$.{k}'"))
                            .collect();
                        format!("UPDATE {table} SET {} WHERE id = $2", sets.join(", "))
                    }
                    (LogOp::Insert, Dialect::Postgres) => format!(
                        "INSERT INTO {table} ({keys}) SELECT {keys}
                         FROM jsonb_populate_record(NULL::{table}, $1::jsonb)",
                        keys = keys.join(", ")
                    ),
                    (_, Dialect::Postgres) => format!(
                        "UPDATE {table} SET ({keys}) = (SELECT {keys}
                         FROM jsonb_populate_record(NULL::{table}, $1::jsonb)) WHERE id = $2",
                        keys = keys.join(", ")
                    ),
                };
                let statement = query(statement).bind(text);
                match change.op {
                    LogOp::Insert => statement,
                    _ => statement.bind(&change.entity_id),
                }
                .execute(&mut conn)
                .await
            }
            LogOp::Delete if change.entity == EntityKind::TaskLabel => {
                let (_, fields) = json(&change.previous);
                let field = |k: &str| fields[k].as_str().map(str::to_owned);
                query("DELETE FROM task_labels WHERE task_id = $1 AND label_id = $2")
                    .bind(field("task_id"))
                    .bind(field("label_id"))
                    .execute(&mut conn)
                    .await
            }
            LogOp::Delete if change.entity == EntityKind::TaskAssignee => {
                let (_, fields) = json(&change.previous);
                let field = |k: &str| fields[k].as_str().map(str::to_owned);
                query("DELETE FROM task_assignees WHERE task_id = $1 AND login = $2")
                    .bind(field("task_id"))
                    .bind(field("login"))
                    .execute(&mut conn)
                    .await
            }
            LogOp::Delete => {
                query(format!("DELETE FROM {table} WHERE id = $1"))
                    .bind(&change.entity_id)
                    .execute(&mut conn)
                    .await
            }
        };
        sql.unwrap_or_else(|e| panic!("change {} replays: {e}", change.seq));
    }
    (keep, replayed)
}

/// A table's rows as the model reads them, in a stable order: the same on either database.
async fn table(conn: &mut Conn<'_>, table: &str) -> Vec<serde_json::Value> {
    async fn all<T: crate::store::sql::Row + serde::Serialize>(
        conn: &mut Conn<'_>,
        sql: String,
    ) -> Vec<serde_json::Value> {
        let rows: Vec<T> = query(sql).fetch_all(conn).await.expect("the table reads");
        rows.iter()
            .map(|row| serde_json::to_value(row).expect("a row serialises"))
            .collect()
    }
    let sql = format!("SELECT * FROM {table} ORDER BY 1, 2");
    match table {
        "projects" => all::<Project>(conn, sql).await,
        "columns" => all::<Column>(conn, sql).await,
        "tasks" => all::<Task>(conn, sql).await,
        "subtasks" => all::<Subtask>(conn, sql).await,
        "labels" => all::<Label>(conn, sql).await,
        "comments" => all::<Comment>(conn, sql).await,
        _ => all::<TaskLabel>(conn, sql).await,
    }
}

async fn check(t: TestStore, ops: Vec<Op>) {
    let mut refused = 0;
    for op in &ops {
        let before = t.store.seq().await.expect("the log reads");
        if run(&t, op).await == Some(false) {
            refused += 1;
            assert_eq!(
                t.store.seq().await.expect("the log reads"),
                before,
                "{op:?} was refused, and logs nothing (I4)"
            );
        }
        assert_strict_orders(&t).await;
    }
    let log = t.store.changes_since(0, None).await.expect("the log reads");
    assert_rebuilds(&t, &log.changes, ops.len(), refused).await;
}

/// I6: replaying `log` from empty yields exactly the tables `t` reads, after `ops` operations
/// of which `refused` were refused.
async fn assert_rebuilds(t: &TestStore, log: &[Change], ops: usize, refused: usize) {
    let (_keep, mut replayed) = replay(t, log).await;
    let mut live = t.store.readers.acquire().await.expect("a reader");
    for name in TABLES {
        assert_eq!(
            table(&mut replayed.conn(), name).await,
            table(&mut live.conn(), name).await,
            "{name}: the log rebuilds it exactly (I6), after {ops} operations ({refused} refused)"
        );
    }
}

/// I4 and I6 with people of different roles on a team's server: `ops` run as alice (who owns
/// the projects she makes) or, when marked, as bob, who may only read hers and owns his own.
/// Every refused operation logs nothing; bob's writes land only in his own projects; and the
/// whole log, read by the database's owner, rebuilds every table.
async fn check_team(ops: Vec<(bool, Op)>) {
    use crate::model::Role;
    let server = crate::testing::TestServer::shared();
    let database = server.database();
    let owner = testing::server_store_at(&database.url).await;
    owner.store.team_init().await.expect("a team");
    for login in ["alice", "bob"] {
        server.login(login).expect("a login");
        owner
            .store
            .team_add(login, None, None)
            .await
            .expect("let in");
    }
    let alice = testing::server_store_at(&server.url_as("alice", &database.name)).await;
    let bob = testing::server_store_at(&server.url_as("bob", &database.name)).await;
    let mut refused = 0;
    for (by_bob, op) in &ops {
        let actor = if *by_bob { &bob } else { &alice };
        let before = owner.store.seq().await.expect("the log reads");
        if run(actor, op).await == Some(false) {
            refused += 1;
            assert_eq!(
                owner.store.seq().await.expect("the log reads"),
                before,
                "{op:?} by {} was refused, and logs nothing (I4)",
                if *by_bob { "bob" } else { "alice" }
            );
        }
        // Bob may read every project of alice's.
        let unshared: Vec<ProjectId> = query(
            "SELECT p.id FROM projects p WHERE NOT EXISTS
                 (SELECT 1 FROM members m WHERE m.project_id = p.id AND m.login = 'bob')",
        )
        .scalars(&owner.store.readers)
        .await
        .expect("projects read");
        for project in unshared {
            owner
                .store
                .set_member(&owner.origin, &project, "bob", Role::Viewer)
                .await
                .expect("bob reads it");
        }
        // A project's place is in the order its person sees: only within a project are lists
        // one order for everyone.
        assert_strict_orders_of(&owner, &[]).await;
    }
    let log = owner
        .store
        .changes_since(0, None)
        .await
        .expect("the log reads");
    let bobs: Vec<ProjectId> =
        query("SELECT project_id FROM members WHERE login = 'bob' AND role = 'owner'")
            .scalars(&owner.store.readers)
            .await
            .expect("memberships read");
    for change in &log.changes {
        if change.author.as_deref() == Some("bob") && change.entity != EntityKind::Member {
            assert!(
                change.project_id.as_ref().is_some_and(|p| bobs.contains(p)),
                "bob wrote to a project he only reads: {change:?}"
            );
        }
    }
    assert_rebuilds(&owner, &log.changes, ops.len(), refused).await;
}

/// Many moves among the Inbox's three columns: crowded lists, where gaps run out.
async fn crowd(moves: Vec<(usize, usize, i64)>) {
    let t = testing::store().await;
    let inbox = t.store.first_project().await.expect("the Inbox");
    for title in ["A", "B", "C", "D", "E", "F", "G", "H"] {
        let new = crate::store::NewTask {
            project_id: inbox.id.clone(),
            column_id: None,
            title: title.into(),
        };
        t.store.create_task(&t.origin, new).await.expect("a task");
    }
    for (task, column, index) in moves {
        let op = Op::MoveTask(task, column, index);
        assert_eq!(run(&t, &op).await, Some(true), "{op:?}");
        assert_strict_orders(&t).await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn moves_land_where_they_were_sent_and_keep_each_column_in_a_strict_order(
        moves in proptest::collection::vec((0..8usize, 0..3usize, 0..9i64), 1..150)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(crowd(moves));
    }

    #[test]
    fn the_log_rebuilds_the_board_and_every_list_keeps_a_strict_order(
        ops in proptest::collection::vec(op(), 1..120)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async { check(testing::store().await, ops).await });
    }
}

#[cfg(unix)]
proptest! {
    // Fewer cases: each runs on a database of the shared test server.
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn on_a_server_the_log_rebuilds_the_board_and_every_list_keeps_a_strict_order(
        ops in proptest::collection::vec(op(), 1..120)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async { check(testing::server_store().await, ops).await });
    }

    #[test]
    fn with_an_editor_and_a_reader_refusals_log_nothing_and_the_log_rebuilds_the_board(
        ops in proptest::collection::vec((proptest::bool::weighted(0.4), op()), 1..80)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(check_team(ops));
    }
}
