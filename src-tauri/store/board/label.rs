//! Labels: coloured tags defined per project, put on that project's tasks.

use crate::store::sql::{query, Conn};

use crate::error::{Error, Result};
use crate::model::{EntityKind, Label, LabelId, Origin, ProjectId, Task, TaskId};
use crate::store::{at_version, now_ms, row, Store};
use crate::validate;

impl Store {
    /// A label of `project` by id, or else by name (ignoring case).
    pub async fn find_label(&self, project: &ProjectId, id_or_name: &str) -> Result<Label> {
        query(
            "SELECT * FROM labels WHERE project_id = $1 AND (id = $2 OR lower(name) = lower($2))
             ORDER BY id = $2 DESC LIMIT 1",
        )
        .bind(project)
        .bind(id_or_name)
        .fetch_optional(&self.readers)
        .await?
        .ok_or_else(|| Error::not_found(EntityKind::Label, id_or_name))
    }

    /// The labels on a task, by name.
    pub async fn task_labels(&self, task: &TaskId) -> Result<Vec<Label>> {
        query(
            "SELECT l.* FROM labels l JOIN task_labels tl ON tl.label_id = l.id
             WHERE tl.task_id = $1 ORDER BY l.name",
        )
        .bind(task)
        .fetch_all(&self.readers)
        .await
    }

    /// Creates a label in `project`. Names are unique in a project, ignoring case.
    pub async fn create_label(
        &self,
        origin: &Origin,
        project: &ProjectId,
        name: &str,
        color: &str,
    ) -> Result<Label> {
        let name = validate::name("name", name)?;
        let color = validate::color("color", color)?;
        let id = LabelId::made_by(origin)?;
        let (label, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                let exists: bool = query("SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1)")
                    .bind(project)
                    .scalar(&mut *conn)
                    .await?;
                if !exists {
                    return Err(Error::not_found(EntityKind::Project, project));
                }
                name_is_free(conn, project, &name, None).await?;
                let now = now_ms();
                query(
                    "INSERT INTO labels (id, project_id, name, color, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
                )
                .bind(&id)
                .bind(project)
                .bind(&name)
                .bind(&color)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
            })
            .await?;
        Ok(label)
    }

    /// Renames and/or recolours a label; `None` keeps a field as it is.
    pub async fn edit_label(
        &self,
        origin: &Origin,
        id: &LabelId,
        expected_version: i64,
        name: Option<&str>,
        color: Option<&str>,
    ) -> Result<Label> {
        let name = name.map(|n| validate::name("name", n)).transpose()?;
        let color = color.map(|c| validate::color("color", c)).transpose()?;
        self.update(
            origin,
            &id.0,
            expected_version,
            async |conn, label: Label| {
                let name = name.unwrap_or_else(|| label.name.clone());
                if name != label.name {
                    name_is_free(conn, &label.project_id, &name, Some(id)).await?;
                }
                Ok(Label {
                    name,
                    color: color.unwrap_or_else(|| label.color.clone()),
                    ..label
                })
            },
        )
        .await
    }

    /// Deletes a label, taking it off every task.
    pub async fn delete_label(
        &self,
        origin: &Origin,
        id: &LabelId,
        expected_version: i64,
    ) -> Result<()> {
        self.write(origin, async |conn: &mut Conn<'_>| {
            at_version::<Label>(conn, &id.0, expected_version).await?;
            // The task links first, so each of their log rows still finds its project.
            for sql in [
                "DELETE FROM task_labels WHERE label_id = $1",
                "DELETE FROM labels WHERE id = $1",
            ] {
                query(sql).bind(id).execute(&mut *conn).await?;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Makes `labels` exactly the labels on task `task`, adding and removing as needed. The
    /// labels must be of the task's project. The caller must have seen the task's current version;
    /// labelling does not change it.
    pub async fn set_task_labels(
        &self,
        origin: &Origin,
        task: &TaskId,
        expected_version: i64,
        labels: &[LabelId],
    ) -> Result<Vec<LabelId>> {
        self.relabel(origin, task, Some(expected_version), async |_| {
            Ok(labels.to_vec())
        })
        .await
    }

    /// Puts `label` on task `task` (if it is not there yet). Whatever else changed on the task
    /// meanwhile, it goes on: putting one label on commutes with every other edit, so no
    /// version is asked for (two windows labelling one card at once both win).
    pub async fn add_task_label(
        &self,
        origin: &Origin,
        task: &TaskId,
        label: &LabelId,
    ) -> Result<Vec<LabelId>> {
        self.relabel(origin, task, None, async |mut on| {
            on.push(label.clone());
            Ok(on)
        })
        .await
    }

    /// Takes `label` off task `task` (if it is there), whatever else changed meanwhile, as
    /// [`Store::add_task_label`] puts one on.
    pub async fn remove_task_label(
        &self,
        origin: &Origin,
        task: &TaskId,
        label: &LabelId,
    ) -> Result<Vec<LabelId>> {
        self.relabel(origin, task, None, async |mut on| {
            on.retain(|l| l != label);
            Ok(on)
        })
        .await
    }

    /// Replaces the labels on a task with what `choose` makes of them. Returns the labels now
    /// on it, sorted.
    /// With `expected_version`, a task changed since is a conflict; without, the change goes
    /// on whatever changed.
    async fn relabel(
        &self,
        origin: &Origin,
        task: &TaskId,
        expected_version: Option<i64>,
        choose: impl AsyncFnOnce(Vec<LabelId>) -> Result<Vec<LabelId>>,
    ) -> Result<Vec<LabelId>> {
        let (labels, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                let task = match expected_version {
                    Some(version) => at_version::<Task>(conn, &task.0, version).await?,
                    None => row::<Task>(conn, &task.0).await?,
                };
                let on: Vec<LabelId> =
                    query("SELECT label_id FROM task_labels WHERE task_id = $1 ORDER BY label_id")
                        .bind(&task.id)
                        .scalars(&mut *conn)
                        .await?;
                let mut wanted = choose(on.clone()).await?;
                wanted.sort();
                wanted.dedup();
                for label in wanted.iter().filter(|l| !on.contains(l)) {
                    let project: Option<ProjectId> =
                        query("SELECT project_id FROM labels WHERE id = $1")
                            .bind(label)
                            .scalar_optional(&mut *conn)
                            .await?;
                    match project {
                        None => return Err(Error::not_found(EntityKind::Label, label)),
                        Some(p) if p != task.project_id => {
                            return Err(Error::invalid(
                                "label_id",
                                "the label belongs to another project",
                            ))
                        }
                        Some(_) => {}
                    }
                    query("INSERT INTO task_labels (task_id, label_id) VALUES ($1, $2)")
                        .bind(&task.id)
                        .bind(label)
                        .execute(&mut *conn)
                        .await?;
                }
                for label in on.iter().filter(|l| !wanted.contains(l)) {
                    query("DELETE FROM task_labels WHERE task_id = $1 AND label_id = $2")
                        .bind(&task.id)
                        .bind(label)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(wanted)
            })
            .await?;
        Ok(labels)
    }
}

/// Refuses `name` when another label of `project` (not `except`) has it, ignoring case.
async fn name_is_free(
    conn: &mut Conn<'_>,
    project: &ProjectId,
    name: &str,
    except: Option<&LabelId>,
) -> Result<()> {
    let taken: bool = query(
        "SELECT EXISTS (SELECT 1 FROM labels
         WHERE project_id = $1 AND lower(name) = lower($2) AND id IS DISTINCT FROM $3)",
    )
    .bind(project)
    .bind(name)
    .bind(except)
    .scalar(&mut *conn)
    .await?;
    if taken {
        return Err(Error::invalid(
            "name",
            format!("the project already has a label named {name:?}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{self, TestStore};
    use crate::store::NewTask;

    async fn task(t: &TestStore, project: &ProjectId) -> Task {
        let new = NewTask {
            project_id: project.clone(),
            column_id: None,
            title: "Labelled".into(),
        };
        t.store.create_task(&t.origin, new).await.unwrap()
    }

    /// A label put on or taken off goes through whatever else changed on the card meanwhile (a
    /// window's own edit not yet answered, or another window's): it commutes with them.
    #[tokio::test]
    async fn a_label_goes_on_and_off_whatever_else_changed_on_the_card() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap().id;
        let card = task(&t, &inbox).await;
        let bug = t
            .store
            .create_label(&t.origin, &inbox, "Bug", "#d73a4a")
            .await
            .unwrap();
        let edit = crate::store::TaskEdit {
            priority: Some(crate::model::Priority::High),
            ..Default::default()
        };
        t.store
            .edit_task(&t.origin, &card.id, card.version, edit)
            .await
            .unwrap();
        let on = t
            .store
            .add_task_label(&t.origin, &card.id, &bug.id)
            .await
            .unwrap();
        assert_eq!(on, vec![bug.id.clone()]);
        assert_eq!(
            t.store.task(&card.id).await.unwrap().priority,
            crate::model::Priority::High
        );
        let off = t
            .store
            .remove_task_label(&t.origin, &card.id, &bug.id)
            .await
            .unwrap();
        assert!(off.is_empty());
        let gone = t
            .store
            .add_task_label(&t.origin, &TaskId::from("gone"), &bug.id)
            .await
            .unwrap_err();
        assert!(matches!(gone, Error::NotFound { .. }), "{gone:?}");
    }

    #[tokio::test]
    async fn labels_are_created_recoloured_put_on_taken_off_and_deleted() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap().id;
        let task = task(&t, &inbox).await;
        let bug = t
            .store
            .create_label(&t.origin, &inbox, "Bug", "#D73A4A")
            .await
            .unwrap();
        let docs = t
            .store
            .create_label(&t.origin, &inbox, "Docs", "#0075ca")
            .await
            .unwrap();
        assert_eq!(bug.color, "#d73a4a", "colours are kept in lower case");

        let on = t
            .store
            .add_task_label(&t.origin, &task.id, &bug.id)
            .await
            .unwrap();
        assert_eq!(on, vec![bug.id.clone()]);
        let mut both = vec![bug.id.clone(), docs.id.clone()];
        both.sort();
        let on = t
            .store
            .set_task_labels(&t.origin, &task.id, 1, &[docs.id.clone(), bug.id.clone()])
            .await
            .unwrap();
        assert_eq!(on, both);
        let on = t
            .store
            .remove_task_label(&t.origin, &task.id, &bug.id)
            .await
            .unwrap();
        assert_eq!(on, vec![docs.id.clone()]);

        let recoloured = t
            .store
            .edit_label(
                &t.origin,
                &docs.id,
                1,
                Some("Documentation"),
                Some("#00ff00"),
            )
            .await
            .unwrap();
        assert_eq!(
            (
                recoloured.name.as_str(),
                recoloured.color.as_str(),
                recoloured.version
            ),
            ("Documentation", "#00ff00", 2)
        );
        t.store.delete_label(&t.origin, &docs.id, 2).await.unwrap();
        let board = t.store.board(&inbox).await.unwrap();
        assert_eq!(board.labels, [bug]);
        assert!(
            board.task_labels.is_empty(),
            "a deleted label leaves every task"
        );
    }

    #[tokio::test]
    async fn bad_colours_taken_names_and_other_projects_labels_are_refused() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap().id;
        let other = t.store.create_project(&t.origin, "Other").await.unwrap().id;
        let task = task(&t, &inbox).await;
        let bug = t
            .store
            .create_label(&t.origin, &inbox, "Bug", "#ff0000")
            .await
            .unwrap();
        let theirs = t
            .store
            .create_label(&t.origin, &other, "Bug", "#ff0000")
            .await
            .unwrap();
        let before = t.store.seq().await.unwrap();

        let err = t
            .store
            .create_label(&t.origin, &inbox, "Red", "red")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "color", .. }));
        let err = t
            .store
            .create_label(&t.origin, &inbox, "bug", "#00ff00")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "name", .. }), "{err}");
        let err = t
            .store
            .add_task_label(&t.origin, &task.id, &theirs.id)
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Invalid {
                field: "label_id",
                ..
            }
        ));
        let err = t
            .store
            .add_task_label(&t.origin, &task.id, &LabelId::from("gone"))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Label,
                ..
            }
        ));
        let err = t
            .store
            .edit_label(&t.origin, &bug.id, 9, None, None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Conflict { .. }));
        assert_eq!(t.store.seq().await.unwrap(), before, "nothing logged (I4)");
    }
}
