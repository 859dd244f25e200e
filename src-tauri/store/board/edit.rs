//! One way to change an existing row: check the version the caller saw, work out the row's new
//! fields, and write them in one update that bumps the version, so the log holds one change
//! with exactly the fields that changed. A change that leaves the row as it was writes nothing.

use std::future::Future;

use crate::store::sql::{query, Conn};

use crate::error::Result;
use crate::model::{Column, Label, Origin, Project, Subtask, Task};
use crate::store::board::position::{self, List};
use crate::store::{at_version, now_ms, Store, Versioned};
use crate::validate;

/// A row whose fields a user can change.
pub(in crate::store) trait Editable:
    Versioned + Clone + PartialEq + Send + Sync
{
    /// Writes this row's changeable fields over the stored row and bumps its version; returns
    /// the row as stored.
    fn save(&self, conn: &mut Conn<'_>) -> impl Future<Output = Result<Self>> + Send;
}

impl Store {
    /// Writes what `change` makes of row `id`, which the caller saw at `expected_version`.
    pub(in crate::store) async fn update<T: Editable>(
        &self,
        origin: &Origin,
        id: &str,
        expected_version: i64,
        change: impl AsyncFnOnce(&mut Conn<'_>, T) -> Result<T>,
    ) -> Result<T> {
        let (row, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                let before = at_version::<T>(conn, id, expected_version).await?;
                let after = change(&mut *conn, before.clone()).await?;
                if after == before {
                    return Ok(before);
                }
                after.save(conn).await
            })
            .await?;
        Ok(row)
    }
}

/// A row kept in an ordered list.
pub(in crate::store) trait Positioned: Editable {
    const LIST: List;
    /// The id of the list the row is in; `None` for the one list of projects.
    fn parent(&self) -> Option<&str>;
    fn position(&self) -> i64;
    fn at(self, position: i64) -> Self;
}

macro_rules! positioned {
    ($($ty:ident in $list:ident $(by $parent:ident)?),* $(,)?) => {$(
        impl Positioned for $ty {
            const LIST: List = List::$list;
            fn parent(&self) -> Option<&str> {
                None $(.or(Some(&self.$parent.0)))?
            }
            fn position(&self) -> i64 {
                self.position
            }
            fn at(self, position: i64) -> Self {
                Self { position, ..self }
            }
        }
    )*};
}

positioned!(
    Project in Projects,
    Column in Columns by project_id,
    Subtask in Subtasks by task_id,
);

impl Store {
    /// Moves row `id`, which the caller saw at `expected_version`, to `to_index` in its list
    /// (past the end: last).
    pub(in crate::store) async fn reorder<T: Positioned>(
        &self,
        origin: &Origin,
        id: &str,
        expected_version: i64,
        to_index: i64,
    ) -> Result<T> {
        let to_index = validate::index("index", to_index)?;
        self.update(origin, id, expected_version, async |conn, row: T| {
            let parent = row.parent().map(str::to_owned);
            let current = Some(row.position());
            let slot = position::slot(conn, T::LIST, parent.as_deref(), id, current, to_index);
            Ok(match slot.await? {
                Some(position) => row.at(position),
                None => row,
            })
        })
        .await
    }
}

impl Editable for Project {
    async fn save(&self, conn: &mut Conn<'_>) -> Result<Self> {
        query(
            "UPDATE projects SET name = $2, position = $3, version = version + 1, updated_at = $4
             WHERE id = $1 RETURNING *",
        )
        .bind(&self.id)
        .bind(&self.name)
        .bind(self.position)
        .bind(now_ms())
        .fetch_one(conn)
        .await
    }
}

impl Editable for Column {
    async fn save(&self, conn: &mut Conn<'_>) -> Result<Self> {
        query(
            "UPDATE columns SET name = $2, position = $3, wip_limit = $4, version = version + 1,
                updated_at = $5
             WHERE id = $1 RETURNING *",
        )
        .bind(&self.id)
        .bind(&self.name)
        .bind(self.position)
        .bind(self.wip_limit)
        .bind(now_ms())
        .fetch_one(conn)
        .await
    }
}

impl Editable for Task {
    async fn save(&self, conn: &mut Conn<'_>) -> Result<Self> {
        query(
            "UPDATE tasks SET column_id = $2, title = $3, description = $4, priority = $5,
                due_date = $6, position = $7, archived_at = $8, version = version + 1,
                updated_at = $9
             WHERE id = $1 RETURNING *",
        )
        .bind(&self.id)
        .bind(&self.column_id)
        .bind(&self.title)
        .bind(&self.description)
        .bind(self.priority)
        .bind(&self.due_date)
        .bind(self.position)
        .bind(self.archived_at)
        .bind(now_ms())
        .fetch_one(conn)
        .await
    }
}

impl Editable for Subtask {
    async fn save(&self, conn: &mut Conn<'_>) -> Result<Self> {
        query(
            "UPDATE subtasks SET title = $2, done = $3, position = $4, version = version + 1,
                updated_at = $5
             WHERE id = $1 RETURNING *",
        )
        .bind(&self.id)
        .bind(&self.title)
        .bind(self.done)
        .bind(self.position)
        .bind(now_ms())
        .fetch_one(conn)
        .await
    }
}

impl Editable for Label {
    async fn save(&self, conn: &mut Conn<'_>) -> Result<Self> {
        query(
            "UPDATE labels SET name = $2, color = $3, version = version + 1, updated_at = $4
             WHERE id = $1 RETURNING *",
        )
        .bind(&self.id)
        .bind(&self.name)
        .bind(&self.color)
        .bind(now_ms())
        .fetch_one(conn)
        .await
    }
}
