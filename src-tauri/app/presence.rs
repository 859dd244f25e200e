//! Who is here, for this copy of Tandem on a team's server: tells the server what each window
//! shows (at once when it changes, and again every few seconds so it stays fresh), and tells
//! every window who is here, as soon as the server says it changed and every few seconds
//! anyway (a copy linked to its machine's hub hears no wake-ups of its own). Leaves when the app
//! closes; a copy that vanishes is gone for the others once its rows go stale.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager, Runtime};

use super::AppState;
use crate::model::Presence;
use crate::store::Dialect;
use crate::sync::lock;

/// The event that tells every window who is here: every fresh row the person may see.
const PRESENCE_EVENT: &str = "presence";
/// How often this copy's rows are refreshed: well within the 30 s that keeps them fresh.
const REFRESH: Duration = Duration::from_secs(10);
/// How often who is here is read without a wake-up: for rows gone stale (a machine that
/// vanished wakes no one), and for a copy linked to its machine's hub, which hears no
/// wake-ups of its own.
const REREAD: Duration = Duration::from_secs(5);
/// How long a change of look waits for others to come with it.
const SETTLE: Duration = Duration::from_millis(30);

/// Starts keeping presence, on a team's server.
pub fn keep<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if state.opened.dialect() != Dialect::Postgres {
        return;
    }
    let store = state.opened.clone();
    let instance = state.instance.clone();
    let changed = state.looks_changed.clone();
    let mut woken = store.presence_changes();
    let stopping = state.stopping();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::pin!(stopping);
        let mut refresh = tokio::time::interval(REFRESH);
        let mut reread = tokio::time::interval(REREAD);
        reread.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut shown: Option<Vec<Presence>> = None;
        // The first look is told as soon as a window says what it shows.
        let mut tell = true;
        loop {
            let read = tokio::select! {
                () = &mut stopping => break,
                () = changed.notified() => {
                    tokio::time::sleep(SETTLE).await;
                    tell = true;
                    true
                }
                _ = refresh.tick() => {
                    let state = app.state::<AppState>();
                    let active = state.active_at.load(Ordering::Relaxed);
                    if let Err(e) = store.keep_present(&instance, active).await {
                        tracing::debug!(error = %e, "cannot refresh presence");
                    }
                    false
                }
                woke = woken.changed() => woke.is_ok(),
                _ = reread.tick() => true,
            };
            if tell {
                let state = app.state::<AppState>();
                let looks: Vec<_> = lock(&state.looks)
                    .iter()
                    .map(|(window, look)| (window.clone(), look.clone()))
                    .collect();
                let active = state.active_at.load(Ordering::Relaxed);
                match store.present(&instance, &looks, active).await {
                    Ok(()) => tell = false,
                    Err(e) => tracing::debug!(error = %e, "cannot tell the server who is here"),
                }
            }
            if read {
                match store.presence().await {
                    Ok(here) if shown.as_ref() != Some(&here) => {
                        if let Err(e) = app.emit(PRESENCE_EVENT, &here) {
                            tracing::warn!(error = %e, "cannot tell the windows who is here");
                        }
                        shown = Some(here);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::debug!(error = %e, "cannot read who is here"),
                }
            }
        }
        if let Err(e) = store.leave(&instance).await {
            tracing::debug!(error = %e, "cannot tell the server this copy is leaving");
        }
    });
}
