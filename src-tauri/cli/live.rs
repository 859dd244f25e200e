//! The commands that follow the live board: `watch`, `status` and `hub`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use crate::bridge::{self, Endpoint, Link, LinkConfig, Timing};
use crate::error::{Error, Result};
use crate::model::{Actor, Change, LinkStatus, ProjectId};
use crate::store::Store;

use super::Output;

/// `tandem watch`: replays the log after `since`, then prints each change as it commits,
/// whether it came over the link or from the file, once and in seq order.
pub(super) async fn watch(
    store: Arc<Store>,
    endpoint: std::io::Result<Endpoint>,
    instance: String,
    scope: Option<ProjectId>,
    since: Option<i64>,
) -> Result<()> {
    // Joined before the log is read, so nothing falls between the replay and the stream.
    let mut bus = store.bus().subscribe();
    let since = match since {
        Some(seq) => seq,
        None => store.seq().await?,
    };
    let replay = store.changes_since(since, scope.as_ref()).await?;
    let mut printed = replay.to_seq;
    if !print_changes(&replay.changes) {
        return Ok(());
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stopping = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    match endpoint {
        // The link watches the database for other writers whenever no hub does it for it.
        Ok(endpoint) => {
            let config = LinkConfig {
                instance,
                kind: Actor::Cli,
                scope: scope.clone(),
                serve: false,
                window: std::time::Duration::ZERO.into(),
                timing: Timing::default(),
            };
            tokio::spawn(Link::new(config, endpoint, store.clone()).run(stopping()));
        }
        Err(_) => {
            let (store, stopping) = (store.clone(), stopping());
            tokio::spawn(async move {
                store
                    .watch_other_writers(Timing::default().watch_every, stopping)
                    .await
            });
        }
    }
    let interrupted = interrupted();
    tokio::pin!(interrupted);
    loop {
        let changes: Vec<Change> = tokio::select! {
            () = &mut interrupted => break,
            received = bus.recv() => match received {
                Ok(committed) => committed.iter().filter(|c| c.seq > printed).cloned().collect(),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    store.changes_since(printed, scope.as_ref()).await?.changes
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
        };
        let Some(last) = changes.last().map(|c| c.seq) else {
            continue;
        };
        printed = last;
        let mine: Vec<Change> = changes
            .into_iter()
            .filter(|c| scope.is_none() || c.project_id == scope)
            .collect();
        if !print_changes(&mine) {
            break;
        }
    }
    stop.send_replace(true);
    Ok(())
}

/// Prints changes as JSON lines; `false` once nobody reads stdout any more.
fn print_changes(changes: &[Change]) -> bool {
    let mut out = io::stdout().lock();
    for change in changes {
        let Ok(line) = serde_json::to_string(change) else {
            tracing::error!(seq = change.seq, "cannot encode a change");
            continue;
        };
        if writeln!(out, "{line}").is_err() {
            return false;
        }
    }
    out.flush().is_ok()
}

/// `tandem status`: the log, the hub and everyone linked to it.
pub(super) async fn status(
    store: &Store,
    location: &crate::config::Location,
    endpoint: std::io::Result<Endpoint>,
    instance: &str,
    out: &Output,
) -> Result<()> {
    let seq = store.seq().await?;
    let (socket, welcome) = match &endpoint {
        Ok(endpoint) => (
            Some(endpoint.socket().to_path_buf()),
            bridge::ask_hub(endpoint, instance).await?,
        ),
        Err(_) => (None, None),
    };
    // This command's own connection is not one of the peers worth showing.
    let peers: Vec<_> = welcome
        .as_ref()
        .map(|w| {
            w.peers
                .iter()
                .filter(|p| p.instance != instance)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let report = StatusReport {
        db: location.to_string(),
        seq,
        socket,
        hub: welcome.as_ref().map(|w| w.hub.clone()),
        notices: welcome.as_ref().map(|w| w.notices),
        peers,
    };
    out.print(&report, || report.text())
}

/// What `tandem status` prints.
#[derive(serde::Serialize)]
struct StatusReport {
    db: String,
    /// The change log's last seq.
    seq: i64,
    /// Where the hub listens (or would).
    socket: Option<PathBuf>,
    /// The hub's instance id; `None` when no instance is running.
    hub: Option<String>,
    /// What the hub did with the notifications it gathered.
    notices: Option<bridge::frame::NoticeCounts>,
    peers: Vec<bridge::frame::PeerInfo>,
}

impl StatusReport {
    fn text(&self) -> String {
        let mut text = format!("database  {}  (log at seq {})\n", self.db, self.seq);
        let Some(hub) = &self.hub else {
            text.push_str("hub       none: no instance of Tandem is running on this database");
            return text;
        };
        let serving = self.peers.iter().find(|p| &p.instance == hub);
        let socket = self
            .socket
            .as_ref()
            .map(|s| s.display().to_string())
            .unwrap_or_default();
        match serving {
            Some(p) => text.push_str(&format!(
                "hub       {hub}  ({}, pid {})  at {socket}\n",
                kind_name(p.kind),
                p.pid
            )),
            None => text.push_str(&format!("hub       {hub}  at {socket}\n")),
        }
        if let Some(n) = &self.notices {
            text.push_str(&format!(
                "notices   {} sent, {} held back (notifications off everywhere)\n",
                n.sent, n.unwanted
            ));
        }
        text.push_str(&format!("peers     {}\n", self.peers.len()));
        for peer in &self.peers {
            let l = &peer.link;
            text.push_str(&format!(
                "  {:<4} pid {:<7} {}  batches in {}, out {}, resyncs {}\n",
                kind_name(peer.kind),
                peer.pid,
                peer.instance,
                l.batches_in,
                l.batches_out,
                l.resyncs
            ));
            if let Some(a) = &peer.attention {
                text.push_str(&format!(
                    "       focused {}, notifications {}\n",
                    a.focused.as_deref().unwrap_or("none"),
                    if a.notify { "on" } else { "off" }
                ));
            }
            let windows = peer
                .report
                .as_ref()
                .and_then(|r| serde_json::from_str::<WindowsReport>(r.get()).ok())
                .map(|r| r.windows)
                .unwrap_or_default();
            for w in windows {
                let latency = match w.latency {
                    Some(l) => format!("; commit→shown p50 {} ms, p99 {} ms", l.p50_ms, l.p99_ms),
                    None => String::new(),
                };
                text.push_str(&format!(
                    "       {:<9} batches {}, changes {}, coalesced {}, gaps filled {}, resyncs {}{latency}\n",
                    w.label, w.batches, w.changes, w.coalesced, w.gaps_filled, w.resyncs
                ));
            }
        }
        text.trim_end().to_owned()
    }
}

/// The part of a GUI instance's report that `status` shows.
#[derive(serde::Deserialize)]
struct WindowsReport {
    windows: Vec<crate::model::WindowStatus>,
}

fn kind_name(kind: Actor) -> &'static str {
    match kind {
        Actor::Gui => "gui",
        Actor::Cli => "cli",
        Actor::Hub => "hub",
    }
}

/// `tandem hub`: serves the hub, or stands by to take over, until interrupted.
pub(super) async fn hub(
    store: Arc<Store>,
    endpoint: std::io::Result<Endpoint>,
    instance: String,
) -> Result<()> {
    let endpoint = endpoint.map_err(|e| Error::Config {
        name: "XDG_RUNTIME_DIR",
        reason: format!("no folder for the hub's socket: {}", e.kind()),
    })?;
    let socket = endpoint.socket().to_path_buf();
    let config = LinkConfig {
        instance,
        kind: Actor::Hub,
        scope: None,
        serve: true,
        window: std::time::Duration::ZERO.into(),
        timing: Timing::default(),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let link = Link::new(config, endpoint, store);
    let mut status = link.status();
    let running = tokio::spawn(link.run(async move {
        let mut stopped = stopped;
        let _ = stopped.wait_for(|s| *s).await;
    }));
    let interrupted = interrupted();
    tokio::pin!(interrupted);
    let mut said = String::new();
    loop {
        tokio::select! {
            () = &mut interrupted => break,
            changed = status.changed() => if changed.is_err() { break },
        }
        let line = match &*status.borrow_and_update() {
            LinkStatus::Live { serving: true, .. } => {
                format!("serving the hub at {}", socket.display())
            }
            LinkStatus::Live { hub, .. } => format!("standing by: instance {hub} serves the hub"),
            LinkStatus::Reconnecting => "the hub went away; taking over or reconnecting".to_owned(),
            LinkStatus::LocalOnly { reason } => format!("cannot serve the hub: {reason}"),
            LinkStatus::Connecting => continue,
        };
        // Presence changes the instance count, not what is worth saying.
        if line != said {
            eprintln!("tandem: {line}");
            said = line;
        }
    }
    stop.send_replace(true);
    let _ = running.await;
    Ok(())
}

/// Completes on Ctrl+C or SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_shows_each_windows_stream_and_latency() {
        let report = r#"{"windows": [
            {"label": "board-1", "batches": 3, "changes": 5, "coalesced": 1, "gaps_filled": 0,
             "resyncs": 0, "latency": {"p50_ms": 4, "p99_ms": 17, "samples": 5}},
            {"label": "board-2", "batches": 0, "changes": 0, "coalesced": 0, "gaps_filled": 0,
             "resyncs": 0}
        ]}"#;
        let status = StatusReport {
            db: "/data/tandem.db".into(),
            seq: 9,
            socket: Some("/run/tandem/x.sock".into()),
            hub: Some("app".into()),
            peers: vec![bridge::frame::PeerInfo {
                instance: "app".into(),
                pid: 42,
                kind: Actor::Gui,
                scope: None,
                link: Default::default(),
                report: serde_json::value::RawValue::from_string(report.into()).ok(),
                attention: None,
            }],
            notices: None,
        };
        let text = status.text();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].starts_with("hub       app  (gui, pid 42)"),
            "{text}"
        );
        assert!(
            lines[4].trim().starts_with("board-1")
                && lines[4].ends_with("resyncs 0; commit→shown p50 4 ms, p99 17 ms"),
            "{text}"
        );
        assert!(lines[5].trim().starts_with("board-2"), "{text}");
        assert!(
            lines[5].ends_with("resyncs 0"),
            "a window with no figures yet: {text}"
        );
    }
}
