//! Who is on a card: any number of people. On a server they are members of the card's project
//! (the database refuses anyone else, and anyone below editor assigning); on a file, any name,
//! which the board then knows as a person.

use crate::error::{Error, Result};
use crate::model::{Origin, Task, TaskId};
use crate::store::people::color_for;
use crate::store::sql::{query, Conn, Dialect};
use crate::store::{now_ms, row, Store};
use crate::validate;

impl Store {
    /// The people on task `task`, by login.
    pub async fn task_assignees(&self, task: &TaskId) -> Result<Vec<String>> {
        on_task(&mut self.readers.acquire().await?.conn(), task).await
    }

    /// Puts `logins` on task `task`; those already on it stay as they are. Returns who is on
    /// it now. Two people assigning at once both win: assigning needs no version.
    pub async fn assign(
        &self,
        origin: &Origin,
        task: &TaskId,
        logins: &[String],
    ) -> Result<Vec<String>> {
        self.reassign(origin, task, logins, true).await
    }

    /// Takes `logins` off task `task`; those not on it are no matter. Returns who is on it now.
    pub async fn unassign(
        &self,
        origin: &Origin,
        task: &TaskId,
        logins: &[String],
    ) -> Result<Vec<String>> {
        self.reassign(origin, task, logins, false).await
    }

    /// Puts `logins` on task `task` (`on`) or takes them off, in one write.
    async fn reassign(
        &self,
        origin: &Origin,
        task: &TaskId,
        logins: &[String],
        on: bool,
    ) -> Result<Vec<String>> {
        let logins = valid(logins)?;
        let (now_on, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                let card = row::<Task>(conn, &task.0).await?;
                for login in &logins {
                    let change = if on {
                        match conn.dialect() {
                            Dialect::Postgres => member(conn, &card, login).await?,
                            Dialect::Sqlite => known(conn, login).await?,
                        }
                        "INSERT INTO task_assignees (task_id, login) VALUES ($1, $2)
                         ON CONFLICT DO NOTHING"
                    } else {
                        "DELETE FROM task_assignees WHERE task_id = $1 AND login = $2"
                    };
                    query(change)
                        .bind(task)
                        .bind(login)
                        .execute(&mut *conn)
                        .await?;
                }
                on_task(conn, task).await
            })
            .await?;
        Ok(now_on)
    }
}

/// `logins`, each a valid login, once each; at least one.
fn valid(logins: &[String]) -> Result<Vec<String>> {
    if logins.is_empty() {
        return Err(Error::invalid("login", "name at least one person"));
    }
    let mut valid = Vec::with_capacity(logins.len());
    for login in logins {
        let login = validate::login(login)?;
        if !valid.contains(&login) {
            valid.push(login);
        }
    }
    Ok(valid)
}

/// Refuses `login` unless they are a member of `card`'s project, in words that say so (the
/// database would refuse it too, as a lack of rights).
async fn member(conn: &mut Conn<'_>, card: &Task, login: &str) -> Result<()> {
    let member: bool =
        query("SELECT EXISTS (SELECT 1 FROM members WHERE project_id = $1 AND login = $2)")
            .bind(&card.project_id)
            .bind(login)
            .scalar(&mut *conn)
            .await?;
    if member {
        Ok(())
    } else {
        Err(Error::invalid(
            "login",
            format!("{login} is not a member of the card's project"),
        ))
    }
}

/// Makes `login` a person the file's board knows, named by their login until they say
/// otherwise.
pub(in crate::store) async fn known(conn: &mut Conn<'_>, login: &str) -> Result<()> {
    let now = now_ms();
    query(
        "INSERT INTO people (login, name, color, created_at, updated_at)
         VALUES ($1, $1, $2, $3, $3) ON CONFLICT DO NOTHING",
    )
    .bind(login)
    .bind(color_for(login))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Who is on `task`, by login.
async fn on_task(conn: &mut Conn<'_>, task: &TaskId) -> Result<Vec<String>> {
    query("SELECT login FROM task_assignees WHERE task_id = $1 ORDER BY login")
        .bind(task)
        .scalars(&mut *conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityKind, Op, TaskAssignee};
    use crate::store::testing::{self, TestStore};
    use crate::store::NewTask;

    async fn card(t: &TestStore, title: &str) -> Task {
        let project = t.store.first_project().await.unwrap().id;
        let new = NewTask {
            project_id: project,
            column_id: None,
            title: title.into(),
        };
        t.store.create_task(&t.origin, new).await.unwrap()
    }

    /// Assigning and unassigning, logged; a deleted card comes back with its people.
    async fn people_go_on_and_off_a_card_through_the_log(t: TestStore) {
        let task = card(&t, "Ship").await;
        let me = t.store.me().await.unwrap().login;
        let start = t.store.seq().await.unwrap();
        let on = t
            .store
            .assign(&t.origin, &task.id, &[me.clone(), me.clone()])
            .await
            .unwrap();
        assert_eq!(on, std::slice::from_ref(&me));
        // Again: nothing changes, nothing is logged.
        t.store
            .assign(&t.origin, &task.id, std::slice::from_ref(&me))
            .await
            .unwrap();
        let logged = t.store.changes_since(start, None).await.unwrap().changes;
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert_eq!(logged[0].entity, EntityKind::TaskAssignee);
        assert_eq!(logged[0].entity_id, format!("{}:{me}", task.id));
        assert_eq!(logged[0].op, Op::Insert);
        assert_eq!(logged[0].project_id.as_ref(), Some(&task.project_id));

        let board = t.store.board(&task.project_id).await.unwrap();
        assert_eq!(
            board.task_assignees,
            [TaskAssignee {
                task_id: task.id.clone(),
                login: me.clone()
            }]
        );

        // A deleted card takes its people with it, and brings them back when restored.
        t.store
            .delete_task(&t.origin, &task.id, task.version)
            .await
            .unwrap();
        assert!(t.store.task_assignees(&task.id).await.unwrap().is_empty());
        t.store
            .restore(&t.origin, EntityKind::Task, &task.id.0)
            .await
            .unwrap();
        assert_eq!(
            t.store.task_assignees(&task.id).await.unwrap(),
            std::slice::from_ref(&me)
        );

        let off = t
            .store
            .unassign(&t.origin, &task.id, std::slice::from_ref(&me))
            .await
            .unwrap();
        assert!(off.is_empty());
        let refused = t.store.assign(&t.origin, &task.id, &[]).await.unwrap_err();
        assert!(
            matches!(refused, Error::Invalid { field: "login", .. }),
            "{refused:?}"
        );
        let refused = t
            .store
            .assign(&t.origin, &task.id, &["not a login".into()])
            .await
            .unwrap_err();
        assert!(
            matches!(refused, Error::Invalid { field: "login", .. }),
            "{refused:?}"
        );
        let gone = t
            .store
            .assign(&t.origin, &TaskId("nope".into()), &[me])
            .await
            .unwrap_err();
        assert!(matches!(gone, Error::NotFound { .. }), "{gone:?}");
    }

    #[tokio::test]
    async fn people_go_on_and_off_a_card_through_the_log_on_a_file() {
        people_go_on_and_off_a_card_through_the_log(testing::store().await).await;
    }

    #[tokio::test]
    async fn people_go_on_and_off_a_card_through_the_log_on_a_server() {
        people_go_on_and_off_a_card_through_the_log(testing::server_store().await).await;
    }

    #[tokio::test]
    async fn a_file_knows_a_new_name_once_it_is_assigned_and_keeps_it_on_a_moved_card() {
        let t = testing::store().await;
        let task = card(&t, "Ship").await;
        let on = t
            .store
            .assign(&t.origin, &task.id, &["dana".into()])
            .await
            .unwrap();
        assert_eq!(on, ["dana"]);
        let people = t.store.people().await.unwrap();
        assert!(people.iter().any(|p| p.login == "dana" && p.name == "dana"));
        // On a file everyone comes along when the card moves to another project.
        let garden = t.store.create_project(&t.origin, "Garden").await.unwrap();
        let to = t.store.board(&garden.id).await.unwrap().columns[0]
            .id
            .clone();
        let task = t.store.task(&task.id).await.unwrap();
        t.store
            .transfer_task(&t.origin, &task.id, task.version, &to, 0)
            .await
            .unwrap();
        assert_eq!(t.store.task_assignees(&task.id).await.unwrap(), ["dana"]);
    }
}
