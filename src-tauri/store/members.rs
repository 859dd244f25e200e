//! A team project's members and their roles. The database enforces them (row-level security,
//! see the members migration); the store says the same things first, in words, and writes
//! memberships through the one write path, so they are logged and every window hears of them.
//!
//! A file has no members: its one person may do everything, and the file's permissions decide
//! who may open it.

use crate::error::{Error, Result};
use crate::model::{EntityKind, Member, MembersView, Origin, ProjectId, Role};
use crate::store::sql::{query, Conn, Dialect};
use crate::store::{now_ms, Store};
use crate::validate;

impl Store {
    /// The members of `project`, owners first. A project the person may not see is not found.
    pub async fn members(&self, project: &ProjectId) -> Result<Vec<Member>> {
        self.no_members_on_a_file()?;
        visible(&mut self.readers.acquire().await?.conn(), project).await?;
        query(
            "SELECT * FROM members WHERE project_id = $1
             ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'editor' THEN 1
                                WHEN 'commenter' THEN 2 ELSE 3 END, login",
        )
        .bind(project)
        .fetch_all(&self.readers)
        .await
    }

    /// What `project`'s Members panel shows: on a file, that members are not enforced.
    pub async fn members_view(&self, project: &ProjectId) -> Result<MembersView> {
        let people = self.people().await?;
        if self.dialect() == Dialect::Sqlite {
            return Ok(MembersView {
                enforced: false,
                members: Vec::new(),
                people,
            });
        }
        Ok(MembersView {
            enforced: true,
            members: self.members(project).await?,
            people,
        })
    }

    /// Makes `login` a member of `project` with `role`, or gives a member another role. Only
    /// the project's owners may; the last owner keeps the role.
    pub async fn set_member(
        &self,
        origin: &Origin,
        project: &ProjectId,
        login: &str,
        role: Role,
    ) -> Result<Member> {
        self.no_members_on_a_file()?;
        let login = validate::login(login)?;
        let (member, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                visible(conn, project).await?;
                let known: bool = query("SELECT EXISTS (SELECT 1 FROM people WHERE login = $1)")
                    .bind(&login)
                    .scalar(&mut *conn)
                    .await?;
                if !known {
                    return Err(Error::invalid(
                        "login",
                        format!(
                            "{login} is not one of the team: the database's owner lets them in \
                             with `tandem team add {login}`"
                        ),
                    ));
                }
                let now = now_ms();
                let member: Member = query(
                    "INSERT INTO members (project_id, login, role, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $4)
                     ON CONFLICT (project_id, login) DO UPDATE SET role = excluded.role,
                         version = members.version + 1, updated_at = excluded.updated_at
                     WHERE members.role <> excluded.role
                     RETURNING *",
                )
                .bind(project)
                .bind(&login)
                .bind(role.as_str())
                .bind(now)
                .fetch_optional(&mut *conn)
                .await?
                .map_or_else(
                    || member(conn, project, &login),
                    |m| Box::pin(async { Ok(m) }),
                )
                .await?;
                keeps_an_owner(conn, project).await?;
                Ok(member)
            })
            .await?;
        Ok(member)
    }

    /// Takes `login` off `project`: they no longer see it, and their windows drop it. Only the
    /// project's owners may; the last owner stays.
    pub async fn remove_member(
        &self,
        origin: &Origin,
        project: &ProjectId,
        login: &str,
    ) -> Result<()> {
        self.no_members_on_a_file()?;
        let login = validate::login(login)?;
        self.write(origin, async |conn: &mut Conn<'_>| {
            visible(conn, project).await?;
            member(conn, project, &login).await?;
            // Off the project's cards too: only its members may be on them.
            query(
                "DELETE FROM task_assignees WHERE login = $2
                 AND task_id IN (SELECT id FROM tasks WHERE project_id = $1)",
            )
            .bind(project)
            .bind(&login)
            .execute(&mut *conn)
            .await?;
            query("DELETE FROM members WHERE project_id = $1 AND login = $2")
                .bind(project)
                .bind(&login)
                .execute(&mut *conn)
                .await?;
            keeps_an_owner(conn, project).await
        })
        .await?;
        Ok(())
    }

    fn no_members_on_a_file(&self) -> Result<()> {
        // Who may see a project is the server's to say, now: never queued.
        if let Some(url) = self.copy_of() {
            return Err(Error::Offline { host: url.host() });
        }
        match self.dialect() {
            Dialect::Postgres => Ok(()),
            Dialect::Sqlite => Err(Error::Config {
                name: "TANDEM_DB",
                reason: "a file has no members: its one person may do everything, and the \
                         file's permissions decide who may open it; share a board with people \
                         on a server (postgres://...)"
                    .to_owned(),
            }),
        }
    }
}

/// Fails with `NotFound` unless the person may see `project`: a project they may not see does
/// not exist for them, so its existence does not leak.
async fn visible(conn: &mut Conn<'_>, project: &ProjectId) -> Result<()> {
    let seen: bool = query("SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1)")
        .bind(project)
        .scalar(&mut *conn)
        .await?;
    if seen {
        Ok(())
    } else {
        Err(Error::not_found(EntityKind::Project, project))
    }
}

/// `login`'s membership of `project`, or `NotFound`.
fn member<'a>(
    conn: &'a mut Conn<'_>,
    project: &'a ProjectId,
    login: &'a str,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Member>> + Send + 'a>> {
    Box::pin(async move {
        query("SELECT * FROM members WHERE project_id = $1 AND login = $2")
            .bind(project)
            .bind(login)
            .fetch_optional(conn)
            .await?
            .ok_or_else(|| Error::not_found(EntityKind::Member, format!("{project}:{login}")))
    })
}

/// Refuses a change that would leave `project` without an owner.
async fn keeps_an_owner(conn: &mut Conn<'_>, project: &ProjectId) -> Result<()> {
    let owners: i64 =
        query("SELECT count(*) FROM members WHERE project_id = $1 AND role = 'owner'")
            .bind(project)
            .scalar(conn)
            .await?;
    if owners > 0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "role",
            "a project keeps at least one owner: make someone else its owner first",
        ))
    }
}
