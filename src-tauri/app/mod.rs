//! The desktop app: the Tauri commands, the board windows and their menu.
//!
//! A thin adapter over the core. It turns IPC calls into store calls and their results into IPC
//! replies, gives each window its own live stream, names the window each change came from, and
//! holds no rules of its own: every rule lives in the store, where the CLI meets it too.

mod commands;
mod desktop;
mod presence;
mod unopened;

pub use unopened::{run as run_cannot_open, CannotOpen};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tauri::menu::{MenuBuilder, MenuItemBuilder, PredefinedMenuItem, SubmenuBuilder};
use tauri::{
    AppHandle, Builder, Emitter, Manager, RunEvent, Runtime, WebviewUrl, WebviewWindowBuilder,
    WindowEvent,
};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};
use tokio::sync::{watch, Notify};

use crate::bridge::peer::Desk;
use crate::bridge::{Endpoint, Link, LinkConfig, Timing};
use crate::config::{DatabaseSource, Location};
use crate::model::{Actor, DatabaseStatus, LinkStatus, Origin, ProjectId, WindowStatus};
use crate::notice::Attention;
use crate::settings::{self, Settings, SettingsFile, SettingsView};
use crate::store::{Replayed, Store};
use crate::subscription::Subscription;
use crate::sync::lock;

/// How long a window's moves and resizes must settle before its size and place are saved.
const WINDOW_STATE_SETTLE: Duration = Duration::from_millis(400);

/// The event that tells every window the link's new state.
const LINK_EVENT: &str = "link";

/// The event that tells every window whether the database answers.
const DATABASE_EVENT: &str = "database";

/// How often a server database is asked whether it answers.
const PING_EVERY: Duration = Duration::from_secs(1);

/// How often the app checks whether today's backup is made.
const BACKUP_CHECK_EVERY: Duration = Duration::from_secs(60 * 60);

/// The event that tells every window the settings in force.
const SETTINGS_EVENT: &str = "settings";

/// The menu item that opens a new board window.
const NEW_WINDOW: &str = "new-window";
/// The menu items a window acts on: File ▸ Import… and Export… open its panels.
const WINDOW_ACTIONS: [&str; 2] = ["import", "export"];

/// What an app starts from, besides its database.
pub struct Startup {
    /// This process's id in change origins.
    pub instance: String,
    /// The database, as the user gave it.
    pub database: Location,
    /// Who chose it.
    pub database_source: DatabaseSource,
    /// Where the hub for this database listens.
    pub endpoint: std::io::Result<Endpoint>,
    pub settings_file: Option<SettingsFile>,
    /// `TANDEM_DEBOUNCE_MS`, when set.
    pub env_window: Option<Duration>,
}

/// What every command can reach.
pub struct AppState {
    /// The database as opened: a file, a team's server, or (opened while the server was away)
    /// this machine's copy of its board.
    pub opened: Arc<Store>,
    /// While a server opened here cannot be reached: this machine's copy of its board, which
    /// the windows show and edit (their changes queued for the server) until it is back.
    copy: Mutex<Option<Arc<Store>>>,
    /// Rung when the windows leave the copy, to stop following it.
    copy_put_away: Arc<Notify>,
    /// This process's id in change origins.
    pub instance: String,
    /// The debounce window of every window's stream and of the link; the settings change it.
    debounce: watch::Sender<Duration>,
    /// The user's settings as loaded or last saved, and why the saved ones could not be used.
    settings: Mutex<(Settings, Option<String>)>,
    /// Where the settings are saved; `None` when there is no config folder.
    settings_file: Option<SettingsFile>,
    /// `TANDEM_DEBOUNCE_MS` for this run, which wins over the settings.
    env_window: Option<Duration>,
    /// The database, for the settings panel (a server's URL without its password).
    database: Location,
    database_source: DatabaseSource,
    /// Each window's live stream, by window label; replacing or removing one stops it.
    subscriptions: Mutex<HashMap<String, Subscription>>,
    /// The number of the last board window opened, for the next label (`board-<n>`).
    windows: AtomicU32,
    /// Set to `true` when the app exits, to stop its background tasks.
    shutdown: watch::Sender<bool>,
    /// Rung when a window moves or resizes, so its size and place are saved once it settles.
    window_moved: Arc<Notify>,
    /// The link to the other instances, until setup starts it.
    link: Mutex<Option<Link>>,
    /// The link's state, for the badge and `status`.
    link_status: watch::Receiver<LinkStatus>,
    /// Whether the database answers, for the badge and `status`.
    database_status: watch::Sender<DatabaseStatus>,
    /// Where the user's attention is, as the hub is told.
    attention: watch::Sender<Attention>,
    /// Notifications this instance showed for the machine.
    notices_shown: AtomicU64,
    /// The window that last had the focus, for the tray to bring back.
    last_focused: Mutex<Option<String>>,
    /// The project each window shows, by label.
    projects_shown: Mutex<HashMap<String, ProjectId>>,
    /// What each window shows, by label, as the server is told for presence.
    looks: Mutex<HashMap<String, crate::model::Look>>,
    /// Rung when a window's look changes, so the server hears it.
    looks_changed: Arc<Notify>,
    /// When the person last did something in any window (milliseconds since 1970).
    active_at: std::sync::atomic::AtomicI64,
    /// The projects in the tray's Open project menu, in order.
    tray_projects: Mutex<Vec<(ProjectId, String)>>,
    /// The tray menu's entries as shown, for `status` (the tray cannot be read back).
    tray_entries: Mutex<Vec<String>>,
}

impl AppState {
    /// The state of an app on `store`, linked to the other instances at `start.endpoint` (or
    /// working alone when no endpoint could be found).
    pub fn new(store: Store, start: Startup) -> Self {
        let Startup {
            instance,
            database,
            database_source,
            endpoint,
            settings_file,
            env_window,
        } = start;
        let loaded = settings_file
            .as_ref()
            .map_or(Ok(Settings::default()), |f| f.load());
        let (settings, problem) = match loaded {
            Ok(settings) => (settings, None),
            Err(e) => {
                tracing::warn!(error = %e, "using the default settings");
                (Settings::default(), Some(e.to_string()))
            }
        };
        let debounce = watch::Sender::new(settings::debounce_window(env_window, &settings).0);
        let store = Arc::new(store);
        let (link, link_status) = match endpoint {
            Ok(endpoint) => {
                let config = LinkConfig {
                    instance: instance.clone(),
                    kind: Actor::Gui,
                    scope: None,
                    serve: true,
                    window: debounce.subscribe().into(),
                    timing: Timing::default(),
                };
                let link = Link::new(config, endpoint, store.clone());
                let status = link.status();
                (Some(link), status)
            }
            Err(e) => {
                tracing::warn!(error = %e, "no place for the hub's socket; working locally");
                let reason = e.kind().to_string();
                (None, watch::channel(LinkStatus::LocalOnly { reason }).1)
            }
        };
        let attention = watch::Sender::new(Attention {
            focused: None,
            notify: settings.notifications,
        });
        Self {
            opened: store,
            copy: Mutex::new(None),
            copy_put_away: Arc::new(Notify::new()),
            instance,
            attention,
            notices_shown: AtomicU64::new(0),
            last_focused: Mutex::default(),
            projects_shown: Mutex::default(),
            looks: Mutex::default(),
            looks_changed: Arc::new(Notify::new()),
            active_at: std::sync::atomic::AtomicI64::new(crate::store::now_ms()),
            tray_projects: Mutex::default(),
            tray_entries: Mutex::default(),
            debounce,
            settings: Mutex::new((settings, problem)),
            settings_file,
            env_window,
            database,
            database_source,
            link: Mutex::new(link),
            link_status,
            database_status: watch::Sender::new(DatabaseStatus::Online),
            subscriptions: Mutex::default(),
            windows: AtomicU32::new(0),
            shutdown: watch::Sender::new(false),
            window_moved: Arc::default(),
        }
    }

    /// The settings and what is in force, as the settings panel shows them.
    fn settings_view(&self) -> SettingsView {
        let (settings, problem) = lock(&self.settings).clone();
        let (window, source) = settings::debounce_window(self.env_window, &settings);
        SettingsView {
            settings,
            debounce_ms: u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
            debounce_source: source,
            database: self.database.to_string(),
            database_source: self.database_source,
            file: self
                .settings_file
                .as_ref()
                .map(|f| f.path().display().to_string()),
            backup_folder: crate::config::backup_dir()
                .ok()
                .map(|d| d.display().to_string()),
            log_folder: crate::logs::dir().map(|d| d.display().to_string()),
            problem,
        }
    }

    /// The database the saved settings choose, if any.
    fn saved_database(&self) -> Option<String> {
        lock(&self.settings).0.database.clone()
    }

    /// Saves `settings` and puts them in force at once, in every window and on the link.
    fn change_settings<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        settings: Settings,
    ) -> crate::error::Result<SettingsView> {
        settings.validate()?;
        let Some(file) = &self.settings_file else {
            return Err(crate::error::Error::Config {
                name: "XDG_CONFIG_HOME",
                reason: "there is no config folder to save settings in; set HOME".into(),
            });
        };
        file.save(&settings)?;
        Ok(self.put_in_force(app, settings, None))
    }

    /// Puts `settings` in force: the debounce window, the notifications switch (told to the
    /// hub), every window's theme, and the tray.
    fn put_in_force<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        settings: Settings,
        problem: Option<String>,
    ) -> SettingsView {
        self.debounce
            .send_replace(settings::debounce_window(self.env_window, &settings).0);
        let notify = settings.notifications;
        self.attention.send_if_modified(|a| {
            let changed = a.notify != notify;
            a.notify = notify;
            changed
        });
        for window in app.webview_windows().values() {
            dress(window, &settings);
        }
        *lock(&self.settings) = (settings, problem);
        let view = self.settings_view();
        if let Err(e) = app.emit(SETTINGS_EVENT, &view) {
            tracing::warn!(error = %e, "cannot tell the windows about the settings");
        }
        desktop::refresh_tray(app);
        view
    }

    /// The board the windows show and edit: the database as opened, or this machine's copy of
    /// it while its server is away.
    pub fn store(&self) -> Arc<Store> {
        lock(&self.copy)
            .clone()
            .unwrap_or_else(|| self.opened.clone())
    }

    /// The origin of a change made in `window`.
    fn origin(&self, window: &str, mutation_id: Option<String>) -> Origin {
        Origin {
            window: Some(window.to_owned()),
            mutation_id,
            ..Origin::new(&self.instance, Actor::Gui)
        }
    }

    /// Completes when the app is shutting down.
    fn stopping(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut stop = self.shutdown.subscribe();
        async move {
            let _ = stop.wait_for(|stopping| *stopping).await;
        }
    }

    /// Makes `subscription` (of `project`) the stream of `window`, stopping the one it had.
    fn set_subscription(&self, window: &str, project: &ProjectId, subscription: Subscription) {
        self.subscriptions_lock()
            .insert(window.to_owned(), subscription);
        lock(&self.projects_shown).insert(window.to_owned(), project.clone());
    }

    /// Each window's stream counters, by label.
    fn window_statuses(&self) -> Vec<WindowStatus> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut windows: Vec<WindowStatus> = self
            .subscriptions_lock()
            .iter()
            .map(|(label, subscription)| {
                let c = &subscription.counters;
                let changes = c.changes.load(Relaxed);
                WindowStatus {
                    label: label.clone(),
                    batches: c.batches.load(Relaxed),
                    changes,
                    coalesced: c.taken.load(Relaxed).saturating_sub(changes),
                    gaps_filled: c.gaps_filled.load(Relaxed),
                    resyncs: c.resyncs.load(Relaxed),
                    latency: lock(&c.latency).summary(),
                }
            })
            .collect();
        windows.sort_by(|a, b| a.label.cmp(&b.label));
        windows
    }

    /// Counts a gap `window` filled from the log.
    fn gap_filled(&self, window: &str) {
        if let Some(subscription) = self.subscriptions_lock().get(window) {
            subscription
                .counters
                .gaps_filled
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Records the commit→apply latencies `window` measured.
    fn latencies_applied(&self, window: &str, samples_ms: &[u32]) {
        if let Some(subscription) = self.subscriptions_lock().get(window) {
            lock(&subscription.counters.latency).record(samples_ms);
        }
    }

    fn subscriptions_lock(&self) -> MutexGuard<'_, HashMap<String, Subscription>> {
        lock(&self.subscriptions)
    }
}

/// Runs the desktop app until its last window closes.
pub fn run(state: AppState) -> tauri::Result<()> {
    let builder = Builder::default()
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init());
    setup(builder, state).build(context())?.run(|app, event| {
        if let RunEvent::Exit = event {
            app.state::<AppState>().shutdown.send_replace(true);
        }
    });
    Ok(())
}

/// The app's configuration and its pages, embedded once for whichever way it runs.
fn context() -> tauri::Context {
    tauri::generate_context!()
}

/// The app's state, commands, window events, menu and background tasks, generic over the
/// runtime so the wiring does not depend on the webview behind it.
pub fn setup<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::projects,
            commands::board,
            commands::subscribe,
            commands::changes_since,
            commands::status,
            commands::me,
            commands::people,
            commands::members,
            commands::member_set,
            commands::member_remove,
            commands::window_latency,
            commands::settings,
            commands::settings_set,
            commands::window_open,
            commands::reveal_database,
            commands::reveal_logs,
            commands::link_open,
            commands::database_check,
            commands::app_restart,
            commands::task_create,
            commands::task_rename,
            commands::task_move,
            commands::task_delete,
            commands::task_transfer,
            commands::tasks_archive,
            commands::archived_tasks,
            commands::import_preview,
            commands::import_run,
            commands::export_run,
            commands::choose_file,
            commands::apply,
            commands::outbox,
            commands::outbox_keep_mine,
            commands::outbox_drop,
            commands::task_history,
            commands::comments,
            commands::comment_counts,
            commands::inbox,
            commands::inbox_read,
            commands::watching,
            commands::watch,
            commands::watching_project,
            commands::watch_project,
            commands::presence_look,
            commands::presence_active,
            commands::search,
            commands::task,
        ])
        .on_window_event(|window, event| {
            let state = window.state::<AppState>();
            match event {
                WindowEvent::Destroyed => {
                    state.subscriptions_lock().remove(window.label());
                    lock(&state.projects_shown).remove(window.label());
                    if lock(&state.looks).remove(window.label()).is_some() {
                        state.looks_changed.notify_one();
                    }
                    desktop::focus_changed(window.app_handle(), window.label(), false);
                    save_window_state(window.app_handle());
                }
                WindowEvent::Focused(focused) => {
                    desktop::focus_changed(window.app_handle(), window.label(), *focused);
                }
                WindowEvent::Moved(_) | WindowEvent::Resized(_) => state.window_moved.notify_one(),
                _ => {}
            }
        })
        .on_menu_event(|app, event| {
            if event.id() == NEW_WINDOW {
                if let Err(e) = open_board_window(app, None) {
                    tracing::error!(error = %e, "cannot open a window");
                }
            } else if WINDOW_ACTIONS.contains(&event.id().as_ref()) {
                // The window whose menu was used is the focused one.
                let windows = app.webview_windows();
                let focused = windows
                    .values()
                    .find(|w| w.is_focused().unwrap_or(false))
                    .or_else(|| windows.values().next());
                if let Some(window) = focused {
                    if let Err(e) = app.emit_to(window.label(), "menu", event.id().as_ref()) {
                        tracing::warn!(error = %e, "cannot tell a window about its menu");
                    }
                }
            } else {
                desktop::tray_action(app, event.id().as_ref());
            }
        })
        .setup(|app| {
            app.set_menu(menu(app.handle())?)?;
            watch_other_writers(app.handle());
            follow_the_database(app.handle());
            make_daily_backups(app.handle());
            start_link(app.handle());
            desktop::start_tray(app.handle());
            desktop::follow_settings_file(app.handle());
            presence::keep(app.handle());
            keep_the_copy(app.handle());
            save_window_state_when_settled(app.handle());
            open_board_window(app.handle(), None)?;
            Ok(())
        })
}

fn menu<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<tauri::menu::Menu<R>> {
    let new_window = MenuItemBuilder::with_id(NEW_WINDOW, "New Window")
        .accelerator("CmdOrCtrl+Shift+N")
        .build(app)?;
    let import = MenuItemBuilder::with_id(WINDOW_ACTIONS[0], "Import…").build(app)?;
    let export = MenuItemBuilder::with_id(WINDOW_ACTIONS[1], "Export…").build(app)?;
    let file = SubmenuBuilder::new(app, "File")
        .item(&new_window)
        .separator()
        .item(&import)
        .item(&export)
        .separator()
        .item(&PredefinedMenuItem::close_window(
            app,
            Some("Close Window"),
        )?)
        .separator()
        .item(&PredefinedMenuItem::quit(app, Some("Quit Tandem"))?)
        .build()?;
    MenuBuilder::new(app).item(&file).build()
}

/// Brings commits by other processes (the CLI, the sqlite3 shell) to every window when this
/// instance has no link: a linked one leaves that to the hub.
fn watch_other_writers<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if lock(&state.link).is_some() {
        return;
    }
    let store = state.opened.clone();
    let stopping = state.stopping();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = store
            .watch_other_writers(Timing::default().watch_every, stopping)
            .await
        {
            tracing::error!(error = %e, "stopped watching for other programs' changes");
        }
    });
}

/// Backs the database up once a day while the settings ask for it: at start, then each hour
/// checks whether today's backup is made (`Store::daily_backup`).
fn make_daily_backups<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let store = state.opened.clone();
    let stopping = state.stopping();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::pin!(stopping);
        let mut ticks = tokio::time::interval(BACKUP_CHECK_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stopping => return,
                _ = ticks.tick() => {}
            }
            let wanted = lock(&app.state::<AppState>().settings).0.backups;
            let Ok(dir) = crate::config::backup_dir() else {
                continue;
            };
            if !wanted {
                continue;
            }
            match store.daily_backup(&dir).await {
                Ok(Some(made)) => tracing::info!(file = %made.display(), "made today's backup"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not make today's backup"),
            }
        }
    });
}

/// Asks a server database every [`PING_EVERY`] whether it answers, and tells every window when
/// that changes. A file always answers: nothing to do.
///
/// When the server has not answered for [`AWAY_AFTER`], the windows go over to this machine's
/// copy of the board (if there is one): they show it, and their edits are queued in its
/// outbox. When it answers again, what waited is sent in the background, the windows still on
/// the copy and the badge counting down, and then they come back to the server.
fn follow_the_database<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if state.database.file().is_some() {
        return;
    }
    let opened = state.opened.clone();
    let status = state.database_status.clone();
    let stopping = state.stopping();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::pin!(stopping);
        let mut ticks = tokio::time::interval(PING_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut away_since: Option<tokio::time::Instant> = None;
        let mut sending: Option<tokio::task::JoinHandle<crate::error::Result<Replayed>>> = None;
        loop {
            tokio::select! {
                () = &mut stopping => return,
                _ = ticks.tick() => {}
            }
            // Opened on the copy (the server was away at start): once the server answers, what
            // waited is sent while the windows stay on the copy, the badge counting down; then
            // Tandem opens the server again (a restart: its work for a team's server starts
            // with it).
            if opened.copy_of().is_some() {
                match sending.take() {
                    None if opened.server_is_back().await => {
                        sending = Some(send_before_reopening(&app, &opened));
                    }
                    Some(sent) if sent.is_finished() => match sent.await {
                        Ok(Ok(done)) => {
                            tracing::info!(?done, "sent what waited: opening the server again");
                            app.restart();
                        }
                        Ok(Err(e)) => tracing::info!(error = %e, "what waited still waits"),
                        Err(e) => tracing::warn!(error = %e, "sending the outbox failed"),
                    },
                    still => sending = still,
                }
                let now = with_sending(opened.ping().await, sending.is_some());
                if status.send_if_modified(|was| std::mem::replace(was, now.clone()) != now) {
                    if let Err(e) = app.emit(DATABASE_EVENT, now) {
                        tracing::warn!(error = %e, "cannot tell the windows about the database");
                    }
                }
                continue;
            }
            let copy = lock(&app.state::<AppState>().copy).clone();
            let now = match copy {
                None => {
                    let now = opened.ping().await;
                    let away = matches!(now, DatabaseStatus::Offline { .. });
                    let since = *away_since.get_or_insert_with(tokio::time::Instant::now);
                    if !away {
                        away_since = None;
                        now
                    } else if since.elapsed() >= AWAY_AFTER && opened.copy_of().is_none() {
                        match go_to_the_copy(&app).await {
                            Some(copy) => copy.ping().await,
                            None => now,
                        }
                    } else {
                        now
                    }
                }
                Some(copy) => {
                    match sending.take() {
                        None => {
                            if opened.ping().await == DatabaseStatus::Online {
                                sending = Some(send_what_waited(&app, &opened));
                            }
                        }
                        Some(sent) if sent.is_finished() => match sent.await {
                            Ok(Ok(done)) => {
                                tracing::info!(?done, "sent the changes made while offline");
                                back_to_the_server(&app, &opened);
                            }
                            Ok(Err(e)) => {
                                tracing::info!(error = %e, "the changes made offline still wait");
                            }
                            Err(e) => tracing::warn!(error = %e, "sending the outbox failed"),
                        },
                        Some(sent) => sending = Some(sent),
                    }
                    if lock(&app.state::<AppState>().copy).is_none() {
                        opened.ping().await
                    } else {
                        with_sending(copy.ping().await, sending.is_some())
                    }
                }
            };
            if status.send_if_modified(|was| std::mem::replace(was, now.clone()) != now) {
                tracing::info!(database = ?now, "the database's state changed");
                if let Err(e) = app.emit(DATABASE_EVENT, now) {
                    tracing::warn!(error = %e, "cannot tell the windows about the database");
                }
            }
        }
    });
}

/// `status` of a copy, saying whether what waited is being sent.
fn with_sending(status: DatabaseStatus, sending: bool) -> DatabaseStatus {
    match status {
        DatabaseStatus::Offline {
            host,
            waiting,
            copy,
            ..
        } => DatabaseStatus::Offline {
            host,
            waiting,
            copy,
            sending,
        },
        other => other,
    }
}

/// For Tandem opened on the copy (`opened`): opens the server that answers again and sends
/// what waited, then makes the copy anew from it, on a thread of its own.
fn send_before_reopening<R: Runtime>(
    app: &AppHandle<R>,
    opened: &Arc<Store>,
) -> tokio::task::JoinHandle<crate::error::Result<Replayed>> {
    let state = app.state::<AppState>();
    let origin = Origin::new(&state.instance, Actor::Gui);
    let location = state.database.clone();
    let file = opened.outbox_file();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        runtime.block_on(async {
            let Some(file) = file else {
                return Ok(Replayed::default());
            };
            let server = Store::open(&location, &origin).await?;
            let done = server.send_outbox(&file, &origin).await?;
            server.copy_anew(&file).await?;
            server.close().await;
            Ok(done)
        })
    })
}

/// How long a server must not answer before the windows go over to this machine's copy: a
/// restart of the server or a blip of the network is not worth it.
const AWAY_AFTER: Duration = Duration::from_secs(3);

/// Opens this machine's copy of the server board for the windows, while its server is away;
/// `None` when there is none (the board never opened here) or it cannot be opened.
async fn go_to_the_copy<R: Runtime>(app: &AppHandle<R>) -> Option<Arc<Store>> {
    let state = app.state::<AppState>();
    let Location::Server(url) = &state.database else {
        return None;
    };
    let file = crate::config::copy_of(url).filter(|file| file.is_file())?;
    let origin = Origin::new(&state.instance, Actor::Gui);
    let url = url.clone();
    let runtime = tokio::runtime::Handle::current();
    // Opening a SQLite file holds its connection across awaits: a thread of its own.
    let opened = tokio::task::spawn_blocking(move || {
        runtime.block_on(Store::open_copy(&url, &file, &origin))
    })
    .await;
    let copy = match opened {
        Ok(Ok(copy)) => Arc::new(copy),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot open this machine's copy of the board");
            return None;
        }
        Err(e) => {
            tracing::warn!(error = %e, "opening this machine's copy failed");
            return None;
        }
    };
    tracing::info!("the server is away: the windows show this machine's copy");
    // Another copy of Tandem on this machine, or the command line, queues on the same file.
    let watching = copy.clone();
    let put_away = state.copy_put_away.clone();
    let stopping = state.stopping();
    tauri::async_runtime::spawn(async move {
        let stop = async move {
            tokio::select! {
                () = stopping => {}
                () = put_away.notified() => {}
            }
        };
        if let Err(e) = watching
            .watch_other_writers(Timing::default().watch_every, stop)
            .await
        {
            tracing::warn!(error = %e, "stopped watching the copy for other programs' changes");
        }
    });
    *lock(&state.copy) = Some(copy.clone());
    Some(copy)
}

/// Sends what waits in the copy's outbox to the server that answers again, on a thread of its
/// own (the copy is SQLite): the windows stay on the copy meanwhile.
fn send_what_waited<R: Runtime>(
    app: &AppHandle<R>,
    server: &Arc<Store>,
) -> tokio::task::JoinHandle<crate::error::Result<Replayed>> {
    let state = app.state::<AppState>();
    let file = lock(&state.copy)
        .as_ref()
        .and_then(|copy| copy.outbox_file());
    let origin = Origin::new(&state.instance, Actor::Gui);
    let (server, runtime) = (server.clone(), tokio::runtime::Handle::current());
    tokio::task::spawn_blocking(move || match file {
        Some(file) => runtime.block_on(server.send_outbox(&file, &origin)),
        None => Ok(Replayed::default()),
    })
}

/// Takes the windows back to the server once what waited is sent: what was queued in the last
/// moment is sent too, and the copy is made anew from the server.
fn back_to_the_server<R: Runtime>(app: &AppHandle<R>, server: &Arc<Store>) {
    let state = app.state::<AppState>();
    let Some(copy) = lock(&state.copy).take() else {
        return;
    };
    state.copy_put_away.notify_one();
    tracing::info!("the server is back: the windows show it again");
    let Some(file) = copy.outbox_file() else {
        return;
    };
    drop(copy);
    let origin = Origin::new(&state.instance, Actor::Gui);
    let (server, runtime) = (server.clone(), tokio::runtime::Handle::current());
    tokio::task::spawn_blocking(move || {
        runtime.block_on(async {
            server.send_outbox(&file, &origin).await?;
            server.copy_anew(&file).await
        })
    });
}

/// How long the copy of a server board waits after a change for more before it is brought up.
const COPY_SETTLE: Duration = Duration::from_secs(2);

/// On a team's server: keeps this machine's copy of the board current (at start, then after
/// changes settle), so the board opens while the server is away.
fn keep_the_copy<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let Location::Server(url) = &state.database else {
        return;
    };
    if state.opened.copy_of().is_some() {
        return;
    }
    let Some(file) = crate::config::copy_of(url) else {
        return;
    };
    let store = state.opened.clone();
    let mut bus = store.bus().subscribe();
    let stopping = state.stopping();
    tauri::async_runtime::spawn(async move {
        tokio::pin!(stopping);
        let runtime = tokio::runtime::Handle::current();
        loop {
            // The copy is written through SQLite on the calling thread: a thread of its own.
            let mirrored = tokio::task::spawn_blocking({
                let (store, file, runtime) = (store.clone(), file.clone(), runtime.clone());
                move || runtime.block_on(store.mirror_to(&file))
            })
            .await;
            match mirrored {
                Ok(Ok(done)) => {
                    tracing::debug!(?done, "the board's copy on this machine is current")
                }
                Ok(Err(e)) => tracing::debug!(error = %e, "cannot bring this machine's copy up"),
                Err(e) => tracing::warn!(error = %e, "bringing this machine's copy up failed"),
            }
            tokio::select! {
                () = &mut stopping => return,
                received = bus.recv() => {
                    if matches!(received, Err(tokio::sync::broadcast::error::RecvError::Closed)) {
                        return;
                    }
                }
            }
            tokio::time::sleep(COPY_SETTLE).await;
            // What came meanwhile goes with this round.
            while bus.try_recv().is_ok() {}
        }
    });
}

/// Links this instance to the others, and tells every window how the link is doing.
fn start_link<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let link = lock(&state.link).take();
    if let Some(link) = link {
        let reporter = {
            let app = app.clone();
            Box::new(move || {
                let state = app.state::<AppState>();
                serde_json::value::to_raw_value(&serde_json::json!({
                    "windows": state.window_statuses(),
                    "notices_shown": state.notices_shown.load(Ordering::Relaxed),
                    "tray": *lock(&state.tray_entries),
                }))
                .ok()
            })
        };
        let desk = {
            let app = app.clone();
            Desk {
                attention: state.attention.subscribe(),
                show: Box::new(move |notice| desktop::show_notice(&app, notice)),
            }
        };
        let link = link.with_reporter(reporter).with_desk(desk);
        tauri::async_runtime::spawn(link.run(state.stopping()));
    }
    let mut status = state.link_status.clone();
    let stopping = state.stopping();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::pin!(stopping);
        loop {
            tokio::select! {
                () = &mut stopping => return,
                changed = status.changed() => if changed.is_err() { return },
            }
            let now = status.borrow_and_update().clone();
            if let Err(e) = app.emit(LINK_EVENT, now) {
                tracing::warn!(error = %e, "cannot tell the windows about the link");
            }
        }
    });
}

/// The window-state plugin writes only on a clean exit. Saving once moves and resizes settle
/// (and when a window closes) keeps the windows' places through a crash or a kill.
fn save_window_state_when_settled<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let moved = state.window_moved.clone();
    let stopping = state.stopping();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::pin!(stopping);
        loop {
            tokio::select! {
                () = &mut stopping => return,
                () = moved.notified() => {}
            }
            // Wait for the moves to stop: every new one restarts the wait.
            loop {
                tokio::select! {
                    () = &mut stopping => return,
                    () = moved.notified() => continue,
                    () = tokio::time::sleep(WINDOW_STATE_SETTLE) => break,
                }
            }
            save_window_state(&app);
        }
    });
}

fn save_window_state<R: Runtime>(app: &AppHandle<R>) {
    if let Err(e) = app.save_window_state(StateFlags::all()) {
        tracing::warn!(error = %e, "cannot save the windows' sizes and places");
    }
}

/// Opens a new board window, labelled `board-<n>`, on `project` (by default, the first).
/// Gives `window` the zoom and the theme of `settings`: the theme reaches the window's own
/// menu bar, which the page cannot draw.
fn dress<R: Runtime>(window: &tauri::WebviewWindow<R>, settings: &Settings) {
    if let Err(e) = window.set_zoom(f64::from(settings.zoom) / 100.0) {
        tracing::warn!(error = %e, "cannot zoom a window");
    }
    let theme = match settings.theme {
        crate::settings::Theme::System => None,
        crate::settings::Theme::Light => Some(tauri::Theme::Light),
        crate::settings::Theme::Dark => Some(tauri::Theme::Dark),
    };
    if let Err(e) = window.set_theme(theme) {
        tracing::warn!(error = %e, "cannot theme a window");
    }
}

pub fn open_board_window<R: Runtime>(
    app: &AppHandle<R>,
    project: Option<&ProjectId>,
) -> tauri::Result<()> {
    let state = app.state::<AppState>();
    let n = state.windows.fetch_add(1, Ordering::Relaxed) + 1;
    let mut query = Vec::new();
    if let Some(project) = project {
        let project =
            percent_encoding::utf8_percent_encode(&project.0, percent_encoding::NON_ALPHANUMERIC);
        query.push(format!("project={project}"));
    }
    // For `make bench`: the board drawn whole, to measure beside the usual windowed one.
    if std::env::var_os("TANDEM_DRAW_ALL_CARDS").is_some_and(|v| v == "1") {
        query.push("windowed=off".to_owned());
    }
    let page = if query.is_empty() {
        "index.html".to_owned()
    } else {
        format!("index.html?{}", query.join("&"))
    };
    let label = format!("board-{n}");
    let settings = lock(&state.settings).0.clone();
    // Every window's page runs in the first window's web process: a window then costs about
    // 9 MB instead of 44 (a web process of its own). `make bench` measures both, the second with
    // TANDEM_SEPARATE_WEB_PROCESSES=1.
    #[cfg(target_os = "linux")]
    if std::env::var_os("TANDEM_SEPARATE_WEB_PROCESSES").is_none_or(|v| v != "1") {
        let first = app
            .webview_windows()
            .into_values()
            .find(|w| w.label().starts_with("board-"));
        if let Some(first) = first {
            // The first window's page, which only the main thread may touch.
            let app = app.clone();
            return first.with_webview(move |platform| {
                let built = board_window(&app, label, page)
                    .with_related_view(platform.inner())
                    .build();
                match built {
                    Ok(window) => dress(&window, &settings),
                    Err(e) => tracing::error!(error = %e, "cannot open a window"),
                }
            });
        }
    }
    dress(&board_window(app, label, page).build()?, &settings);
    Ok(())
}

/// A board window's builder: its title, size and page.
fn board_window<R: Runtime>(
    app: &AppHandle<R>,
    label: String,
    page: String,
) -> WebviewWindowBuilder<'_, R, AppHandle<R>> {
    WebviewWindowBuilder::new(app, label, WebviewUrl::App(page.into()))
        .title("Tandem")
        .inner_size(1180.0, 760.0)
        .min_inner_size(560.0, 400.0)
        // Tauri's own file-drop handling would swallow pointer drags over the board.
        .disable_drag_drop_handler()
}
