//! Changes made while a team's server is away: applied to this machine's copy of its board and
//! queued in the copy's outbox in one transaction; sent when the server is back, in order, each
//! exactly once (the server records each machine's last number with the change); those it
//! refuses kept for the person, so the rest go on. Then the copy is made anew from the server.

use std::path::Path;

use crate::config::Location;
use crate::error::{Error, Result};
use crate::model::{
    Actor, Entity, EntityKind, Mutation, Origin, QueueState, Queued, Queueing, TaskId,
};
use crate::store::sql::{query, sqlite, Conn, Connection};
use crate::store::Store;

/// The most changes a machine keeps waiting; past it, edits are refused rather than dropped.
pub const OUTBOX_LIMIT: i64 = 10_000;

/// What sending the outbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Replayed {
    /// Applied on the server now.
    pub applied: usize,
    /// Found applied already (sent before, the answer lost).
    pub already: usize,
    /// Refused by the server, and kept in the Couldn't apply list.
    pub refused: usize,
}

/// A row of the outbox: number, made at, state, the change, why refused, theirs.
type OutboxRow = (i64, i64, String, String, Option<String>, Option<String>);

/// A board opened as its person has it ([`Store::open_board`]).
pub struct Opened {
    pub store: Store,
    /// What was sent of the changes this machine made while the server was away, when any
    /// waited; or why they still wait.
    pub sent: Option<Result<Replayed>>,
}

impl Replayed {
    /// What was sent, as said to the person: "sent 3 changes made while offline; 1 could not be
    /// applied (see tandem outbox)".
    pub fn sentence(&self) -> String {
        let sent = self.applied + self.already;
        let changes = if sent == 1 { "change" } else { "changes" };
        let mut said = format!("sent {sent} {changes} made while offline");
        if self.refused > 0 {
            said.push_str(&format!(
                "; {} could not be applied (see tandem outbox)",
                self.refused
            ));
        }
        said
    }
}

impl Store {
    /// Opens the board at `location` as its person has it on this machine: a server board
    /// whose server is away opens from this machine's copy of it (if there is one); and once the
    /// server is back, what was queued on the copy meanwhile is sent first, in order, each
    /// change once, before anything else is written.
    pub async fn open_board(location: &Location, origin: &Origin) -> Result<Opened> {
        let url = match location {
            Location::Server(url) => url,
            Location::File(_) => {
                let store = Store::open(location, origin).await?;
                return Ok(Opened { store, sent: None });
            }
        };
        let copy = crate::config::copy_of(url).filter(|copy| copy.is_file());
        let store = match (Store::open(location, origin).await, &copy) {
            (Err(Error::Offline { .. }), Some(copy)) => {
                tracing::info!(host = %url.host(), "the server is away: opening this machine's copy");
                let store = Store::open_copy(url, copy, origin).await?;
                return Ok(Opened { store, sent: None });
            }
            (opened, _) => opened?,
        };
        // A copy that cannot be read does not keep the server's board from opening.
        let sent = match &copy {
            Some(copy) => match Store::waiting(copy).await {
                Ok(0) => None,
                Ok(_) => Some(store.replay(copy, origin).await),
                Err(e) => Some(Err(e)),
            },
            None => None,
        };
        Ok(Opened { store, sent })
    }

    /// Queues `mutation` on this copy of a server board (its server is away): applied to the
    /// copy at once, and kept in its outbox until the server takes it. A change whose meaning
    /// depends on the server's state now (bringing back what was deleted) is refused.
    pub async fn queue(&self, origin: &Origin, mut mutation: Mutation) -> Result<Option<Entity>> {
        let Some(url) = self.copy_of() else {
            return Err(Error::invalid(
                "outbox",
                "only a copy of a server's board queues changes",
            ));
        };
        if matches!(mutation, Mutation::Restore { .. }) {
            return Err(Error::invalid(
                "outbox",
                format!(
                    "bringing back what was deleted needs the server {}, which cannot be \
                     reached: try again once it is back",
                    url.host()
                ),
            ));
        }
        // What it makes is named now, so that the same change sent later makes the same thing,
        // and what was queued after it can name it.
        mutation.name_what_it_makes();
        let json = serde_json::to_string(&mutation)
            .map_err(|e| Error::Storage(sqlx::Error::Encode(Box::new(e))))?;
        let queued = Origin {
            queued: Some(Queued {
                machine: String::new(),
                number: 0,
                mutation: Some(json),
            }),
            ..origin.clone()
        };
        self.apply_mutation(&queued, mutation).await
    }

    /// How many changes wait in this copy's outbox (none on a board that is not a copy).
    pub async fn outbox_waiting(&self) -> Result<i64> {
        if self.copy_of().is_none() {
            return Ok(0);
        }
        query("SELECT count(*) FROM outbox WHERE state = 'waiting'")
            .scalar(&self.readers)
            .await
    }

    /// How many changes of the outbox of the copy at `file` are still to be sent (those
    /// dropped too: the server passes over their numbers).
    pub async fn waiting(file: &Path) -> Result<i64> {
        let (mut copy, _) = sqlite::open(file).await?;
        query("SELECT count(*) FROM outbox WHERE state IN ('waiting', 'dropped')")
            .scalar(&mut copy.conn())
            .await
    }

    /// What the outbox of the copy at `file` holds: the changes waiting, in the order made,
    /// and those the server refused.
    pub async fn outbox(file: &Path) -> Result<Vec<Queueing>> {
        if !file.is_file() {
            return Ok(Vec::new());
        }
        let (mut copy, _) = sqlite::open(file).await?;
        let mut conn = copy.conn();
        let rows: Vec<OutboxRow> = query(
            "SELECT number, made_at, state, mutation, reason, theirs FROM outbox
             WHERE state IN ('waiting', 'refused') ORDER BY number",
        )
        .fetch_all(&mut conn)
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for (number, made_at, state, json, reason, theirs) in rows {
            let mutation: Mutation = serde_json::from_str(&json)
                .map_err(|e| Error::Storage(sqlx::Error::Decode(Box::new(e))))?;
            let task_id = about(&mut conn, &mutation).await?;
            entries.push(Queueing {
                number,
                made_at,
                state: if state == "refused" {
                    QueueState::Refused
                } else {
                    QueueState::Waiting
                },
                what: mutation.describe(),
                mutation,
                task_id,
                reason,
                theirs: theirs.and_then(|json| serde_json::from_str(&json).ok()),
            });
        }
        copy.close().await?;
        Ok(entries)
    }

    /// Drops change `number` of the outbox of the copy at `file`: one the server refused is
    /// forgotten (theirs stays); one still waiting is never sent (the server passes over its
    /// number). The copy shows it until it is made anew from the server.
    pub async fn drop_queued(file: &Path, number: i64) -> Result<()> {
        let (mut copy, _) = sqlite::open(file).await?;
        let state: Option<String> = query("SELECT state FROM outbox WHERE number = $1")
            .bind(number)
            .scalar_optional(&mut copy.conn())
            .await?;
        let done = match state.as_deref() {
            Some("refused") => "DELETE FROM outbox WHERE number = $1",
            Some("waiting") => "UPDATE outbox SET state = 'dropped' WHERE number = $1",
            _ => {
                return Err(Error::invalid(
                    "number",
                    format!("the outbox has no change {number} (tandem outbox lists them)"),
                ))
            }
        };
        outbox_write(&mut copy, done, number, None).await?;
        copy.close().await?;
        Ok(())
    }

    /// Makes refused change `number` of the outbox of the copy at `file` anew, over what is
    /// there now ("keep mine"): on this board (the server, or queued again at the end of the
    /// copy's outbox while it is away), at the version it now has. Answers with what it made.
    pub async fn keep_mine(
        &self,
        file: &Path,
        number: i64,
        origin: &Origin,
    ) -> Result<Option<Entity>> {
        let refused = Store::outbox(file)
            .await?
            .into_iter()
            .find(|q| q.number == number && q.state == QueueState::Refused)
            .ok_or_else(|| {
                Error::invalid(
                    "number",
                    format!("no change {number} was refused (tandem outbox lists them)"),
                )
            })?;
        let mut mutation = refused.mutation;
        if let Some((kind, id, version)) = mutation.seen() {
            *version = self.current(kind, id).await?.version();
        }
        let made = self.change(origin, mutation).await?;
        let (mut copy, _) = sqlite::open(file).await?;
        let forget = "DELETE FROM outbox WHERE number = $1 AND state = 'refused'";
        outbox_write(&mut copy, forget, number, None).await?;
        copy.close().await?;
        Ok(made)
    }

    /// Sends the outbox of this server board's copy at `file`, in order, each change once; a
    /// change the server refuses is passed over there and kept here, with why. Stops at the
    /// first change the server could not answer (gone again): what is left waits. Once all is
    /// sent, the copy is made anew from the server.
    pub async fn replay(&self, file: &Path, origin: &Origin) -> Result<Replayed> {
        let done = self.send_outbox(file, origin).await?;
        self.copy_anew(file).await?;
        Ok(done)
    }

    /// Makes the copy at `file` anew from this server board: what the copy showed of its own
    /// changes gives way to the server's board. Its outbox (what was refused) stays.
    pub async fn copy_anew(&self, file: &Path) -> Result<()> {
        crate::store::copy(
            &self.location,
            &crate::config::Location::File(file.to_path_buf()),
            true,
            |_, _| {},
        )
        .await?;
        Ok(())
    }

    /// Sends what waits in the outbox of the copy at `file` ([`Store::replay`]), leaving the
    /// copy as it is: a copy open meanwhile (the windows') goes on showing it.
    pub async fn send_outbox(&self, file: &Path, origin: &Origin) -> Result<Replayed> {
        // One sender at a time on this machine (the app, a second copy of it, the command
        // line): the others wait, then find what it sent gone from the outbox.
        let _sending = sending(file).await?;
        let mut done = Replayed::default();
        let (mut copy, _) = sqlite::open(file).await?;
        let machine: Option<String> = query("SELECT id FROM outbox_machine")
            .scalar_optional(&mut copy.conn())
            .await?;
        let waiting: Vec<(i64, String, String)> = query(
            "SELECT number, mutation, state FROM outbox WHERE state IN ('waiting', 'dropped')
             ORDER BY number",
        )
        .fetch_all(&mut copy.conn())
        .await?;
        if let Some(machine) = machine {
            for (number, json, state) in waiting {
                let sent = Origin {
                    queued: Some(Queued {
                        machine: machine.clone(),
                        number,
                        mutation: None,
                    }),
                    ..Origin::new(&origin.instance, Actor::Hub)
                };
                let outcome = if state == "dropped" {
                    // Dropped by the person: its number is passed over, nothing applied.
                    self.pass_queued(&sent).await.map(|()| None)
                } else {
                    let mutation: Mutation = serde_json::from_str(&json)
                        .map_err(|e| Error::Storage(sqlx::Error::Decode(Box::new(e))))?;
                    self.apply_mutation(&sent, mutation).await
                };
                let refusal = match outcome {
                    Ok(_) if state == "dropped" => None,
                    Ok(_) => {
                        done.applied += 1;
                        None
                    }
                    Err(Error::Applied { .. }) => {
                        done.already += 1;
                        None
                    }
                    Err(
                        e @ (Error::Offline { .. } | Error::ServerFull { .. } | Error::Storage(_)),
                    ) => return Err(e),
                    Err(refused) => Some(refused),
                };
                match refusal {
                    None => {
                        let sent = "DELETE FROM outbox WHERE number = $1";
                        outbox_write(&mut copy, sent, number, None).await?;
                    }
                    Some(refused) => {
                        match self.pass_queued(&sent).await {
                            Ok(()) | Err(Error::Applied { .. }) => {}
                            Err(e) => return Err(e),
                        }
                        done.refused += 1;
                        let theirs = match &refused {
                            Error::Conflict { current } => {
                                Some(serde_json::to_string(current).map_err(|e| {
                                    Error::Storage(sqlx::Error::Encode(Box::new(e)))
                                })?)
                            }
                            _ => None,
                        };
                        let kept = "UPDATE outbox SET state = 'refused', reason = $2, theirs = $3
                                    WHERE number = $1";
                        let why = Some((why_refused(&refused), theirs));
                        outbox_write(&mut copy, kept, number, why).await?;
                    }
                }
            }
        }
        copy.close().await?;
        Ok(done)
    }
}

/// Holds the lock that makes one process at a time on this machine send the outbox of the copy
/// at `file`, until dropped (or the process ends).
async fn sending(file: &Path) -> Result<std::fs::File> {
    let mut name = file.as_os_str().to_owned();
    name.push(".sending");
    let path = std::path::PathBuf::from(name);
    let refused = |e: &dyn std::fmt::Display| Error::Open {
        what: path.display().to_string(),
        reason: e.to_string(),
    };
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| refused(&e))?;
    tokio::task::spawn_blocking(move || lock.lock().map(|()| lock))
        .await
        .map_err(|e| refused(&e))?
        .map_err(|e| refused(&e))
}

/// The card change `mutation` is about, when it is about one: named by it, or found on the copy
/// from the checklist item or comment it names.
async fn about(conn: &mut Conn<'_>, mutation: &Mutation) -> Result<Option<TaskId>> {
    let (table, id) = match mutation {
        Mutation::TaskCreate { id, .. } => return Ok(id.clone()),
        Mutation::TaskEdit { id, .. }
        | Mutation::TaskMove { id, .. }
        | Mutation::TaskTransfer { id, .. }
        | Mutation::TaskStep { id, .. }
        | Mutation::TaskDelete { id, .. }
        | Mutation::TaskLabel { id, .. }
        | Mutation::TaskLabels { id, .. }
        | Mutation::TaskAssign { id, .. } => return Ok(Some(id.clone())),
        Mutation::TasksArchive { tasks, .. } if tasks.len() == 1 => {
            return Ok(Some(tasks[0].id.clone()))
        }
        Mutation::SubtaskAdd { task_id, .. } | Mutation::CommentAdd { task_id, .. } => {
            return Ok(Some(task_id.clone()))
        }
        Mutation::SubtaskRename { id, .. }
        | Mutation::SubtaskCheck { id, .. }
        | Mutation::SubtaskMove { id, .. }
        | Mutation::SubtaskDelete { id, .. } => ("subtasks", &id.0),
        Mutation::CommentEdit { id, .. } | Mutation::CommentDelete { id, .. } => {
            ("comments", &id.0)
        }
        _ => return Ok(None),
    };
    query(format!("SELECT task_id FROM {table} WHERE id = $1"))
        .bind(id)
        .scalar_optional(conn)
        .await
}

/// Writes change `number` of the outbox of `copy` (`sql`, binding `why` and the server's side
/// after it when given) in a write transaction of its own: it waits its turn behind the copy's
/// other writers (windows queueing meanwhile, another copy of Tandem, the command line).
async fn outbox_write(
    copy: &mut Connection,
    sql: &'static str,
    number: i64,
    why: Option<(String, Option<String>)>,
) -> Result<()> {
    let mut tx = copy.begin_write().await?;
    let mut conn = tx.conn();
    let write = query(sql).bind(number);
    let write = match why {
        Some((reason, theirs)) => write.bind(reason).bind(theirs),
        None => write,
    };
    write.execute(&mut conn).await?;
    tx.commit().await
}

/// Why the server refused a change sent from the outbox, as the Couldn't apply list says it:
/// the person is not in a window that could reload, so a conflict says what happened instead.
fn why_refused(refused: &Error) -> String {
    let noun = |kind: EntityKind| match kind {
        EntityKind::Task => "card".to_owned(),
        EntityKind::Subtask => "checklist item".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    };
    match refused {
        Error::Conflict { current } => format!(
            "the {} was changed on the server meanwhile",
            noun(current.kind())
        ),
        Error::NotFound { entity, .. } => format!(
            "the {} is no longer on the server: deleted meanwhile, or out of your reach",
            noun(*entity)
        ),
        other => other.to_string(),
    }
}
