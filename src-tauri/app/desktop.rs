//! Tandem on the desktop: the tray icon and its menu, the notifications the hub asks this
//! instance to show, where the user's attention is, and settings changed by another instance.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use tauri::menu::{CheckMenuItemBuilder, Menu, MenuBuilder, MenuItemBuilder, SubmenuBuilder};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use super::{open_board_window, AppState};
use crate::model::{LinkStatus, ProjectId};
use crate::notice::Notice;
use crate::sync::lock;

/// The tray icon's id.
const TRAY: &str = "tandem";
/// Tray menu item ids; a project's entry is `OPEN_PROJECT` followed by its id.
const NEW_WINDOW: &str = "tray-new-window";
const OPEN_PROJECT: &str = "tray-open:";
const NOTIFICATIONS: &str = "tray-notifications";
const QUIT: &str = "tray-quit";

/// The event that tells every window the projects, in order, when they change.
const PROJECTS_EVENT: &str = "projects";

/// How often the settings file is checked for changes saved by another instance.
const SETTINGS_POLL: Duration = Duration::from_secs(1);

/// Notes which window has the focus, for the hub (no notification of what the user made in the
/// window they are looking at) and for the tray (which window to bring back).
pub fn focus_changed<R: Runtime>(app: &AppHandle<R>, window: &str, focused: bool) {
    let state = app.state::<AppState>();
    state.attention.send_if_modified(|attention| {
        let before = attention.focused.clone();
        if focused {
            attention.focused = Some(window.to_owned());
        } else if attention.focused.as_deref() == Some(window) {
            attention.focused = None;
        }
        attention.focused != before
    });
    if focused {
        *lock(&state.last_focused) = Some(window.to_owned());
    }
}

/// Shows `notice`, which the hub sent this instance to show for the whole machine; clicking it
/// opens or brings up a window on its project.
pub fn show_notice<R: Runtime>(app: &AppHandle<R>, notice: Notice) {
    let state = app.state::<AppState>();
    if !lock(&state.settings).0.notifications {
        // The hub learns of the switch within moments; until then, say nothing.
        return;
    }
    show(app, notice);
}

/// Shows a desktop notification; clicking it opens or brings up a window on its project.
fn show<R: Runtime>(app: &AppHandle<R>, notice: Notice) {
    let state = app.state::<AppState>();
    state.notices_shown.fetch_add(1, Ordering::Relaxed);
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let shown = notify_rust::Notification::new()
            .appname("Tandem")
            .summary(&notice.title)
            .body(&notice.body)
            .action("default", "Open")
            .show_async()
            .await;
        match shown {
            Ok(handle) => {
                let mut clicked = false;
                handle
                    .wait_for_action_async(|response| {
                        clicked = matches!(response, notify_rust::NotificationResponse::Default);
                    })
                    .await;
                if clicked {
                    open_project(&app, &notice.project);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot show a notification"),
        }
    });
}

/// Brings up a window showing `project`, or opens one on it.
pub fn open_project<R: Runtime>(app: &AppHandle<R>, project: &ProjectId) {
    let state = app.state::<AppState>();
    let showing = lock(&state.projects_shown)
        .iter()
        .find(|(_, p)| *p == project)
        .map(|(label, _)| label.clone());
    match showing.and_then(|label| app.get_webview_window(&label)) {
        Some(window) => bring_up(&window),
        None => {
            if let Err(e) = open_board_window(app, Some(project)) {
                tracing::error!(error = %e, "cannot open a window");
            }
        }
    }
}

fn bring_up<R: Runtime>(window: &tauri::WebviewWindow<R>) {
    let _ = window.unminimize();
    let _ = window.show();
    if let Err(e) = window.set_focus() {
        tracing::warn!(error = %e, "cannot focus a window");
    }
}

/// Puts Tandem in the tray, keeps its menu current as projects and instances come and go,
/// and logs once when the desktop shows no tray.
pub fn start_tray<R: Runtime>(app: &AppHandle<R>) {
    let menu = match tray_menu(app) {
        Ok(menu) => menu,
        Err(e) => return tracing::error!(error = %e, "cannot build the tray menu"),
    };
    let mut builder = TrayIconBuilder::with_id(TRAY)
        .tooltip("Tandem")
        .menu(&menu)
        .show_menu_on_left_click(false)
        // Its menu's clicks reach the app's one menu handler, which calls `tray_action`: a
        // handler here would be a second global one, and every click would act twice.
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                bring_back(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    match builder.build(app) {
        Ok(_) => drop(tauri::async_runtime::spawn(tray_has_a_host())),
        Err(e) => {
            tracing::warn!(error = %e, "this desktop has no tray; Tandem works on without it")
        }
    }
    keep_tray_current(app);
    follow_news(app);
}

/// Logs, once, when no tray host (a StatusNotifierWatcher) runs on the session bus: the icon
/// is then nowhere to be seen, and the windows are the way in.
async fn tray_has_a_host() {
    let hosted = async {
        let bus = zbus::Connection::session().await?;
        let dbus = zbus::fdo::DBusProxy::new(&bus).await?;
        let name = zbus::names::BusName::try_from("org.kde.StatusNotifierWatcher")?;
        Ok::<bool, zbus::Error>(dbus.name_has_owner(name).await?)
    };
    match hosted.await {
        Ok(true) => {}
        Ok(false) => tracing::info!("this desktop shows no tray; Tandem works on without it"),
        Err(e) => {
            tracing::info!(error = %e, "no session bus to find a tray on; Tandem works on without it")
        }
    }
}

/// The tray menu: New window, Open project ▸, the instances live, Notifications, Quit. The
/// entries' texts are kept in the state, where `status` shows them.
fn tray_menu<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let state = app.state::<AppState>();
    let projects = lock(&state.tray_projects).clone();
    let instances = match &*state.link_status.borrow() {
        LinkStatus::Live { instances, .. } => match instances {
            1 => "1 instance live".to_owned(),
            n => format!("{n} instances live"),
        },
        LinkStatus::Reconnecting | LinkStatus::Connecting => "Reconnecting…".to_owned(),
        LinkStatus::LocalOnly { .. } => "Local only".to_owned(),
    };
    let notifications = lock(&state.settings).0.notifications;

    let mut open = SubmenuBuilder::new(app, "Open project");
    for (id, name) in &projects {
        open =
            open.item(&MenuItemBuilder::with_id(format!("{OPEN_PROJECT}{id}"), name).build(app)?);
    }
    let menu = MenuBuilder::new(app)
        .item(&MenuItemBuilder::with_id(NEW_WINDOW, "New window").build(app)?)
        .item(&open.build()?)
        .separator()
        .item(&MenuItemBuilder::new(&instances).enabled(false).build(app)?)
        .item(
            &CheckMenuItemBuilder::with_id(NOTIFICATIONS, "Notifications")
                .checked(notifications)
                .build(app)?,
        )
        .separator()
        .item(&MenuItemBuilder::with_id(QUIT, "Quit Tandem").build(app)?)
        .build()?;

    let mut entries = vec!["New window".to_owned()];
    entries.extend(
        projects
            .iter()
            .map(|(_, name)| format!("Open project ▸ {name}")),
    );
    entries.push(instances);
    entries.push(format!(
        "Notifications: {}",
        if notifications { "on" } else { "off" }
    ));
    entries.push("Quit Tandem".to_owned());
    *lock(&state.tray_entries) = entries;
    Ok(menu)
}

/// Does what a tray menu entry says.
pub fn tray_action<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let state = app.state::<AppState>();
    if id == NEW_WINDOW {
        if let Err(e) = open_board_window(app, None) {
            tracing::error!(error = %e, "cannot open a window");
        }
    } else if let Some(project) = id.strip_prefix(OPEN_PROJECT) {
        open_project(app, &ProjectId::from(project));
    } else if id == NOTIFICATIONS {
        let mut settings = lock(&state.settings).0.clone();
        settings.notifications = !settings.notifications;
        if let Err(e) = state.change_settings(app, settings) {
            tracing::error!(error = %e, "cannot save the notifications switch");
        }
    } else if id == QUIT {
        app.exit(0);
    }
}

/// Brings back the window the user was in last (or any), or opens one.
fn bring_back<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let last = lock(&state.last_focused).clone();
    let window = last
        .and_then(|label| app.get_webview_window(&label))
        .or_else(|| app.webview_windows().into_values().next());
    match window {
        Some(window) => bring_up(&window),
        None => {
            if let Err(e) = open_board_window(app, None) {
                tracing::error!(error = %e, "cannot open a window");
            }
        }
    }
}

/// Rebuilds the tray menu when the projects, the link or the settings change.
pub fn refresh_tray<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY) else {
        // Without a tray the entries are still kept for `status`.
        let _ = tray_menu(app);
        return;
    };
    match tray_menu(app) {
        Ok(menu) => {
            if let Err(e) = tray.set_menu(Some(menu)) {
                tracing::warn!(error = %e, "cannot update the tray menu");
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot build the tray menu"),
    }
}

/// Follows the projects (from the store's bus) and the link, and rebuilds the menu on change;
/// tells every window the projects as they change.
fn keep_tray_current<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let store = state.opened.clone();
    let mut bus = store.bus().subscribe();
    let mut link = state.link_status.clone();
    let stopping = state.stopping();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::pin!(stopping);
        let mut read_projects = true;
        loop {
            if read_projects {
                match store.projects().await {
                    Ok(projects) => {
                        // Every window's project menu follows too, whichever project it shows.
                        if let Err(e) = app.emit(PROJECTS_EVENT, &projects) {
                            tracing::warn!(error = %e, "cannot tell the windows about the projects");
                        }
                        let state = app.state::<AppState>();
                        *lock(&state.tray_projects) =
                            projects.into_iter().map(|p| (p.id, p.name)).collect();
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot read the projects for the tray"),
                }
            }
            refresh_tray(&app);
            read_projects = tokio::select! {
                () = &mut stopping => return,
                changed = link.changed() => {
                    if changed.is_err() { return }
                    false
                }
                received = bus.recv() => match received {
                    Ok(committed) => {
                        // A membership changed: a project came into view or left it.
                        let projects = committed.iter().any(|c| {
                            matches!(
                                c.entity,
                                crate::model::EntityKind::Project | crate::model::EntityKind::Member
                            )
                        });
                        if !projects { continue }
                        true
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
            };
        }
    });
}

/// The event that wakes every window to read the person's news again (a team's server only).
const INBOX_EVENT: &str = "inbox";
/// How often a hub asks the server for news of cards falling due.
const DUE_EVERY: Duration = Duration::from_secs(10 * 60);
/// News that arrives within this of the last is told with it, as one notification...
const BURST_QUIET: Duration = Duration::from_millis(1500);
/// ...but a burst is told at the latest this long after it began.
const BURST_MOST: Duration = Duration::from_secs(10);

/// On a team's server: wakes the windows whenever the person's news changes (an item arrives,
/// or is read on another machine), tells new news as a desktop notification (a burst as one)
/// when this copy is where the person is and they are not looking at its card, and asks now
/// and then for news of cards falling due.
fn follow_news<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if state.opened.dialect() != crate::store::Dialect::Postgres {
        return;
    }
    let store = state.opened.clone();
    let origin = crate::model::Origin::new(&state.instance, crate::model::Actor::Hub);
    let mut bus = store.bus().subscribe();
    let stopping = state.stopping();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::pin!(stopping);
        let mut due = tokio::time::interval(DUE_EVERY);
        let mut burst: Vec<crate::model::News> = Vec::new();
        let mut began = tokio::time::Instant::now();
        let mut tell_at = tokio::time::Instant::now();
        loop {
            let news = tokio::select! {
                () = &mut stopping => return,
                _ = due.tick() => {
                    if let Err(e) = store.due_news(&origin).await {
                        tracing::warn!(error = %e, "cannot ask for news of cards falling due");
                    }
                    false
                }
                () = tokio::time::sleep_until(tell_at), if !burst.is_empty() => {
                    tell_news(&app, std::mem::take(&mut burst)).await;
                    false
                }
                received = bus.recv() => match received {
                    Ok(committed) => {
                        let mut any = false;
                        for change in committed.iter() {
                            if change.entity != crate::model::EntityKind::News {
                                continue;
                            }
                            any = true;
                            if change.op != crate::model::Op::Insert {
                                continue;
                            }
                            let row = change
                                .data
                                .as_ref()
                                .and_then(|raw| serde_json::from_str(raw.get()).ok());
                            let Some((login, news)) = row.as_ref().and_then(crate::inbox::logged)
                            else {
                                continue;
                            };
                            if login == store.login() {
                                let now = tokio::time::Instant::now();
                                if burst.is_empty() {
                                    began = now;
                                }
                                burst.push(news);
                                tell_at = (now + BURST_QUIET).min(began + BURST_MOST);
                            }
                        }
                        any
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
            };
            if news {
                if let Err(e) = app.emit(INBOX_EVENT, ()) {
                    tracing::warn!(error = %e, "cannot tell the windows about the news");
                }
            }
        }
    });
}

/// Tells `burst`, the person's new news, as one desktop notification: if notifications are on,
/// of the kinds the settings choose, on the one copy of Tandem where the person is, and not of
/// a card they are looking at (anywhere).
async fn tell_news<R: Runtime>(app: &AppHandle<R>, mut burst: Vec<crate::model::News>) {
    let state = app.state::<AppState>();
    let (on, kinds) = {
        let settings = &lock(&state.settings).0;
        (settings.notifications, settings.news.clone())
    };
    burst.retain(|n| kinds.contains(&n.kind));
    if !on || burst.is_empty() {
        return;
    }
    let store = state.opened.clone();
    let me = store.login().to_owned();
    let here = match store.presence().await {
        Ok(here) => here,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read where the person is; telling here");
            Vec::new()
        }
    };
    if !crate::inbox::tells_here(&here, &me, &state.instance) {
        return;
    }
    let looking: std::collections::HashSet<_> = crate::inbox::looking_at(&here, &me).collect();
    burst.retain(|n| !looking.contains(&n.task_id));
    let Some(first) = burst.first() else {
        return;
    };
    let people = store.names().await.unwrap_or_default();
    let projects: HashMap<ProjectId, String> = lock(&state.tray_projects).iter().cloned().collect();
    let name = |login: &str| {
        people
            .get(login)
            .cloned()
            .unwrap_or_else(|| login.to_owned())
    };
    let project_of = |n: &crate::model::News| {
        projects
            .get(&n.project_id)
            .cloned()
            .unwrap_or_else(|| "a project".to_owned())
    };
    let Some(title) = crate::inbox::burst(&burst, name, project_of) else {
        return;
    };
    let body = if burst.len() == 1 {
        project_of(first)
    } else {
        format!("{} items in your inbox", burst.len())
    };
    show(
        app,
        Notice {
            project: first.project_id.clone(),
            title,
            body,
        },
    );
}

/// Takes in settings another instance saved: the switch in one is the switch in all.
pub fn follow_settings_file<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let Some(file) = state.settings_file.clone() else {
        return;
    };
    let stopping = state.stopping();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::pin!(stopping);
        let modified =
            || -> Option<SystemTime> { std::fs::metadata(file.path()).ok()?.modified().ok() };
        let mut seen = modified();
        loop {
            tokio::select! {
                () = &mut stopping => return,
                () = tokio::time::sleep(SETTINGS_POLL) => {}
            }
            let now = modified();
            if now == seen {
                continue;
            }
            seen = now;
            let state = app.state::<AppState>();
            match file.load() {
                Ok(settings) if settings != lock(&state.settings).0 => {
                    state.put_in_force(&app, settings, None);
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the settings file changed into something unusable")
                }
            }
        }
    });
}
