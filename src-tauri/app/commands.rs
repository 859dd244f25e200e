//! The commands a window may invoke. Each one is a store call with the window's origin.

use std::path::{Path, PathBuf};

use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State, WebviewWindow};

use super::AppState;
use crate::error::{Error, Result};
use crate::export::{Export, ExportRequest};
use crate::history::{self, HistoryEntry};
use crate::import::{self, ImportPreview, ImportProgress, ImportRequest, Source};
use crate::latency::Latencies;
use crate::model::{
    ArchiveTasks, Batch, Board, BoardTask, ChooseFile, Comment, CommentCount, CreateTask,
    DeleteTask, Entity, Look, Member, MembersView, MoveTask, Mutation, Person, Project, ProjectId,
    Queueing, RenameTask, Role, SearchHit, SearchRequest, Status, Task, TaskId, Told,
};
use crate::settings::{self, Settings, SettingsView};
use crate::store::{self, Found, Search, Store};
use crate::subscription;

#[tauri::command]
pub async fn projects(app: State<'_, AppState>) -> Result<Vec<Project>> {
    app.store().projects().await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn board(app: State<'_, AppState>, project_id: ProjectId) -> Result<Board> {
    app.store().board(&project_id).await
}

/// Shows `project_id` in the calling window: returns its board and from then on sends every
/// later change to `channel`, in batches. Replaces the window's previous subscription.
#[tauri::command(rename_all = "snake_case")]
pub async fn subscribe<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    project_id: ProjectId,
    channel: Channel<Batch>,
) -> Result<Board> {
    let (board, subscription) = subscription::subscribe(
        app.store(),
        project_id,
        app.debounce.subscribe(),
        move |batch| channel.send(batch).is_ok(),
    )
    .await?;
    app.set_subscription(window.label(), &board.project.id, subscription);
    Ok(board)
}

/// The changes of `project_id` after `since`, for a window that found a gap in its stream.
#[tauri::command(rename_all = "snake_case")]
pub async fn changes_since<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    since: i64,
    project_id: ProjectId,
) -> Result<Batch> {
    app.gap_filled(window.label());
    app.store().changes_since(since, Some(&project_id)).await
}

/// How this instance and its windows' streams are doing.
#[tauri::command]
pub async fn status(app: State<'_, AppState>) -> Result<Status> {
    Ok(Status {
        instance: app.instance.clone(),
        seq: app.store().seq().await?,
        link: app.link_status.borrow().clone(),
        database: app.database_status.borrow().clone(),
        windows: app.window_statuses(),
    })
}

/// Who the user is on this database, with the name and colour others see.
#[tauri::command]
pub async fn me(app: State<'_, AppState>) -> Result<Person> {
    app.store().me().await
}

/// Everyone the board knows: their names, for history and announcements.
#[tauri::command]
pub async fn people(app: State<'_, AppState>) -> Result<Vec<Person>> {
    app.store().people().await
}

/// A project's members, for its Members panel.
#[tauri::command(rename_all = "snake_case")]
pub async fn members(app: State<'_, AppState>, project_id: ProjectId) -> Result<MembersView> {
    app.store().members_view(&project_id).await
}

/// Makes someone a member of a project with a role, or changes their role (owners only).
#[tauri::command(rename_all = "snake_case")]
pub async fn member_set<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    project_id: ProjectId,
    login: String,
    role: Role,
) -> Result<Member> {
    let origin = app.origin(window.label(), None);
    app.store()
        .set_member(&origin, &project_id, &login, role)
        .await
}

/// Takes someone off a project (owners only).
#[tauri::command(rename_all = "snake_case")]
pub async fn member_remove<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    project_id: ProjectId,
    login: String,
) -> Result<()> {
    let origin = app.origin(window.label(), None);
    app.store()
        .remove_member(&origin, &project_id, &login)
        .await
}

/// Takes the commit→apply latencies, in milliseconds, that the calling window measured since
/// its last report.
#[tauri::command(rename_all = "snake_case")]
pub async fn window_latency<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    samples_ms: Vec<u32>,
) -> Result<()> {
    Latencies::check(&samples_ms)?;
    app.latencies_applied(window.label(), &samples_ms);
    Ok(())
}

/// The settings, what is in force, and where things are kept.
#[tauri::command]
pub async fn settings(app: State<'_, AppState>) -> Result<SettingsView> {
    Ok(app.settings_view())
}

/// Saves the settings and puts them in force in every window of this instance. A newly chosen
/// database is tested first, and refused (nothing saved) when Tandem could not use it; the
/// app opens it when it starts again.
#[tauri::command]
pub async fn settings_set<R: Runtime>(
    handle: AppHandle<R>,
    app: State<'_, AppState>,
    mut settings: Settings,
) -> Result<SettingsView> {
    settings.database = settings.database.filter(|d| !d.trim().is_empty());
    if let Some(database) = &settings.database {
        let location = settings::database_choice(database)?;
        if app.saved_database().as_deref() != Some(database.as_str()) {
            store::check(&location).await?;
        }
        // Kept as Tandem reads it back: a whole path, `~/` spelled out.
        settings.database = Some(location.to_string());
    }
    app.change_settings(&handle, settings)
}

/// Looks at a file or a server URL (as Settings ▸ Database would keep it) and says what it
/// holds, changing nothing.
#[tauri::command]
pub async fn database_check(database: String) -> Result<Found> {
    store::check(&settings::database_choice(&database)?).await
}

/// Starts Tandem again, so a newly chosen database is opened.
#[tauri::command]
pub fn app_restart<R: Runtime>(handle: AppHandle<R>) {
    tracing::info!("restarting to open the chosen database");
    handle.restart();
}

/// Opens the folder that holds the database file in the desktop's file manager. A server's
/// database has no folder to show.
#[tauri::command]
pub async fn reveal_database(app: State<'_, AppState>) -> Result<()> {
    let Some(file) = app.database.file() else {
        return Err(crate::error::Error::Open {
            what: app.database.to_string(),
            reason: "it is on a server, not in a folder of this machine".into(),
        });
    };
    let folder = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    open::that_detached(&folder).map_err(|e| crate::error::Error::Open {
        what: folder.display().to_string(),
        reason: e.to_string(),
    })
}

/// Opens the folder of the app's log files in the file manager.
#[tauri::command]
pub async fn reveal_logs() -> Result<()> {
    let folder = crate::logs::dir().ok_or_else(|| crate::error::Error::Open {
        what: "the log folder".into(),
        reason: "there is none (no HOME or XDG_STATE_HOME)".into(),
    })?;
    open::that_detached(&folder).map_err(|e| crate::error::Error::Open {
        what: folder.display().to_string(),
        reason: e.to_string(),
    })
}

/// Opens a link from a card's text in the desktop's browser (or mail program). Only web and
/// mail links are opened; anything else is refused, whatever the window asks.
#[tauri::command]
pub async fn link_open(url: String) -> Result<()> {
    let link = crate::validate::web_link(&url)?;
    open::that_detached(link.as_str()).map_err(|e| crate::error::Error::Open {
        what: link.to_string(),
        reason: e.to_string(),
    })
}

/// Opens another board window.
#[tauri::command]
pub async fn window_open<R: Runtime>(app: AppHandle<R>) -> Result<()> {
    super::open_board_window(&app, None).map_err(|e| {
        tracing::error!(error = %e, "cannot open a window");
        crate::error::Error::Window
    })
}

#[tauri::command]
pub async fn task_create<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    request: CreateTask,
) -> Result<Task> {
    let origin = app.origin(window.label(), request.mutation_id);
    let create = Mutation::TaskCreate {
        project_id: request.project_id,
        column_id: request.column_id,
        title: request.title,
        id: None,
    };
    app.store().change_as(&origin, create).await
}

#[tauri::command]
pub async fn task_rename<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    request: RenameTask,
) -> Result<Task> {
    let origin = app.origin(window.label(), request.mutation_id);
    let rename = Mutation::TaskEdit {
        id: request.id,
        expected_version: request.expected_version,
        title: Some(request.title),
        description: None,
        priority: None,
        due_date: None,
    };
    app.store().change_as(&origin, rename).await
}

#[tauri::command]
pub async fn task_move<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    request: MoveTask,
) -> Result<Task> {
    let origin = app.origin(window.label(), request.mutation_id);
    let step = Mutation::TaskMove {
        id: request.id,
        expected_version: request.expected_version,
        to_column: request.to_column,
        to_index: request.to_index,
    };
    app.store().change_as(&origin, step).await
}

/// Moves a task to a column of another project, with its checklist and labels.
#[tauri::command]
pub async fn task_transfer<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    request: MoveTask,
) -> Result<Task> {
    let origin = app.origin(window.label(), request.mutation_id);
    let transfer = Mutation::TaskTransfer {
        id: request.id,
        expected_version: request.expected_version,
        to_column: request.to_column,
        to_index: request.to_index,
    };
    app.store().change_as(&origin, transfer).await
}

#[tauri::command]
pub async fn task_delete<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    request: DeleteTask,
) -> Result<()> {
    let origin = app.origin(window.label(), request.mutation_id);
    let delete = Mutation::TaskDelete {
        id: request.id,
        expected_version: request.expected_version,
    };
    app.store().change(&origin, delete).await.map(drop)
}

/// Archives tasks or brings them back, all in one write; answers with them as they now are.
#[tauri::command]
pub async fn tasks_archive<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    request: ArchiveTasks,
) -> Result<Vec<Task>> {
    let origin = app.origin(window.label(), request.mutation_id);
    let ids: Vec<TaskId> = request.tasks.iter().map(|t| t.id.clone()).collect();
    let archive = Mutation::TasksArchive {
        tasks: request.tasks,
        archived: request.archived,
    };
    app.store().change(&origin, archive).await?;
    let mut tasks = Vec::with_capacity(ids.len());
    for id in &ids {
        tasks.push(app.store().task(id).await?);
    }
    Ok(tasks)
}

/// What importing the file would do: read and checked whole, written nowhere. A file that
/// would fail says where and why, as the import would.
#[tauri::command]
pub async fn import_preview(
    app: State<'_, AppState>,
    request: ImportRequest,
) -> Result<ImportPreview> {
    let projects = app.store().projects().await?;
    let (source, plan) = plan(&app.store(), &request).await?;
    let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
    Ok(plan.preview(source, &names))
}

/// Imports the file in one transaction, telling `progress` how far it has come; answers with
/// how many cards it brought.
#[tauri::command]
pub async fn import_run<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    request: ImportRequest,
    progress: Channel<ImportProgress>,
) -> Result<usize> {
    let origin = app.origin(window.label(), None);
    let (_, plan) = plan(&app.store(), &request).await?;
    let imported = app
        .store()
        .import(&origin, &plan.projects, |done, total| {
            // A window closed meanwhile misses the progress, not the import.
            let _ = progress.send(ImportProgress { done, total });
        })
        .await?;
    Ok(imported.cards)
}

/// The request's file read whole and checked, off the async threads (a file may be large).
async fn plan(store: &Store, request: &ImportRequest) -> Result<(Source, import::Plan)> {
    let fallback = match &request.fallback {
        Some(name) => name.clone(),
        None => store.first_project().await?.name,
    };
    let path = whole_path(&request.path)?;
    let (source, project) = (request.source, request.project.clone());
    let options = request.csv.clone().unwrap_or_default();
    blocking(move || import::read(&path, source, project.as_deref(), &fallback, &options)).await
}

/// A path typed in a window, which has no working folder to start from: whole, or from `~/`.
fn whole_path(path: &Path) -> Result<PathBuf> {
    let home = path
        .strip_prefix("~")
        .ok()
        .and_then(|rest| dirs::home_dir().map(|home| home.join(rest)));
    let path = home.unwrap_or_else(|| path.to_owned());
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(Error::invalid(
            "path",
            format!(
                "{} is not a whole path: start it with / or ~/",
                path.display()
            ),
        ))
    }
}

/// Runs `work` on a thread that may block.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "a file task failed");
        Error::Storage(sqlx::Error::WorkerCrashed)
    })?
}

/// Writes the board (one project, or every one) to the file in the format asked; answers with
/// how many cards it wrote. The file is replaced only once the whole export is written.
#[tauri::command]
pub async fn export_run(app: State<'_, AppState>, request: ExportRequest) -> Result<usize> {
    let export = Export::read(&app.store(), request.project_id.as_ref()).await?;
    let cards = export.cards();
    let text = export.render(request.format)?;
    let path = whole_path(&request.path)?;
    blocking(move || crate::export::write(&path, &text)).await?;
    Ok(cards)
}

/// Asks the user for a file with the desktop's own chooser: one to import, or one to export to.
/// Answers `None` when they cancel.
#[tauri::command]
pub async fn choose_file<R: Runtime>(
    window: WebviewWindow<R>,
    request: ChooseFile,
) -> Result<Option<PathBuf>> {
    use tauri_plugin_dialog::DialogExt;
    let (tell, chosen) = tokio::sync::oneshot::channel();
    let dialog = window.dialog().file().set_parent(&window);
    if request.save {
        let dialog = match &request.name {
            Some(name) => dialog.set_file_name(name),
            None => dialog,
        };
        dialog.save_file(move |path| {
            let _ = tell.send(path);
        });
    } else {
        dialog
            .add_filter("Boards (JSON, CSV)", &["json", "csv"])
            .add_filter("Any file", &["*"])
            .pick_file(move |path| {
                let _ = tell.send(path);
            });
    }
    let path = chosen.await.ok().flatten();
    path.map(|p| {
        p.into_path().map_err(|e| Error::Open {
            what: "the chosen file".into(),
            reason: e.to_string(),
        })
    })
    .transpose()
}

/// A project's archived tasks, the latest archived first.
#[tauri::command(rename_all = "snake_case")]
pub async fn archived_tasks(
    app: State<'_, AppState>,
    project_id: ProjectId,
) -> Result<Vec<BoardTask>> {
    app.store().archived_tasks(Some(&project_id)).await
}

/// Applies any other edit (see [`Mutation`]) for the calling window. Answers with the entity as
/// it now is, or `None` when it is gone.
#[tauri::command(rename_all = "snake_case")]
pub async fn apply<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    mutation: Mutation,
    mutation_id: Option<String>,
) -> Result<Option<Entity>> {
    let origin = app.origin(window.label(), mutation_id);
    app.store().change(&origin, mutation).await
}

/// What waits in this machine's outbox for the board's server, in the order made, and what
/// the server refused (none for a board in a file).
#[tauri::command]
pub async fn outbox(app: State<'_, AppState>) -> Result<Vec<Queueing>> {
    let Some(file) = app.store().outbox_file() else {
        return Ok(Vec::new());
    };
    // The copy is read through SQLite on the calling thread: a thread of its own.
    let runtime = tokio::runtime::Handle::current();
    blocking(move || runtime.block_on(Store::outbox(&file))).await
}

/// Makes refused change `number` anew over what is there now ("keep mine").
#[tauri::command]
pub async fn outbox_keep_mine<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    number: i64,
) -> Result<Option<Entity>> {
    let file = outbox_file(&app.store())?;
    let origin = app.origin(window.label(), None);
    let (store, runtime) = (app.store(), tokio::runtime::Handle::current());
    blocking(move || runtime.block_on(store.keep_mine(&file, number, &origin))).await
}

/// Forgets change `number` of the outbox: a refused one ("keep theirs"), or one still waiting.
#[tauri::command]
pub async fn outbox_drop(app: State<'_, AppState>, number: i64) -> Result<()> {
    let file = outbox_file(&app.store())?;
    let runtime = tokio::runtime::Handle::current();
    blocking(move || runtime.block_on(Store::drop_queued(&file, number))).await
}

fn outbox_file(store: &Store) -> Result<PathBuf> {
    store.outbox_file().ok_or_else(|| {
        Error::invalid(
            "outbox",
            "a board in a file has no outbox: its changes are written as they are made",
        )
    })
}

/// A task whole, with its description, which the board's cards leave out.
#[tauri::command]
pub async fn task(app: State<'_, AppState>, id: TaskId) -> Result<Task> {
    app.store().task(&id).await
}

/// The cards that hold every word of the request's text, best first.
#[tauri::command]
pub async fn search(app: State<'_, AppState>, request: SearchRequest) -> Result<Vec<SearchHit>> {
    let search = Search {
        text: &request.text,
        project: request.project_id.as_ref(),
        prefixes: request.prefixes.unwrap_or(false),
        archived: request.archived.unwrap_or(false),
        limit: request.limit.unwrap_or(store::SEARCH_LIMIT),
    };
    app.store().search(search).await
}

/// A task's timeline from the change log, in words, oldest first.
#[tauri::command(rename_all = "snake_case")]
pub async fn task_history(app: State<'_, AppState>, id: TaskId) -> Result<Vec<HistoryEntry>> {
    history::timeline(&app.store(), &id).await
}

/// A task's conversation, oldest first.
#[tauri::command(rename_all = "snake_case")]
pub async fn comments(app: State<'_, AppState>, task_id: TaskId) -> Result<Vec<Comment>> {
    app.store().comments(&task_id).await
}

/// The person's news on a team's server, the latest first, each told in words: unread, or
/// (`all`) read too. A file has none.
#[tauri::command(rename_all = "snake_case")]
pub async fn inbox(app: State<'_, AppState>, all: bool) -> Result<Vec<Told>> {
    let news = app.store().news(all).await?;
    if news.is_empty() {
        return Ok(Vec::new());
    }
    let people = app.store().names().await?;
    let projects = app.store().project_names().await?;
    let name = |login: &str| {
        people
            .get(login)
            .cloned()
            .unwrap_or_else(|| login.to_owned())
    };
    Ok(news
        .into_iter()
        .map(|news| Told {
            said: crate::inbox::sentence(&news, name),
            project: projects.get(&news.project_id).cloned(),
            news,
        })
        .collect())
}

/// Marks news read on every machine: `ids`, or every unread item when empty; answers how many.
#[tauri::command(rename_all = "snake_case")]
pub async fn inbox_read<R: Runtime>(
    window: tauri::Window<R>,
    app: State<'_, AppState>,
    ids: Vec<String>,
) -> Result<u64> {
    let origin = app.origin(window.label(), None);
    app.store().read_news(&origin, &ids).await
}

/// Whether the person watches every card of a project (a team's server only).
#[tauri::command(rename_all = "snake_case")]
pub async fn watching_project(app: State<'_, AppState>, project_id: ProjectId) -> Result<bool> {
    app.store().watching_project(&project_id).await
}

/// Watches every card of a project, or stops; answers whether the person now does.
#[tauri::command(rename_all = "snake_case")]
pub async fn watch_project<R: Runtime>(
    window: tauri::Window<R>,
    app: State<'_, AppState>,
    project_id: ProjectId,
    on: bool,
) -> Result<bool> {
    let origin = app.origin(window.label(), None);
    app.store().watch_project(&origin, &project_id, on).await?;
    app.store().watching_project(&project_id).await
}

/// Whether the person watches a card (a team's server only).
#[tauri::command(rename_all = "snake_case")]
pub async fn watching(app: State<'_, AppState>, task_id: TaskId) -> Result<bool> {
    app.store().watching(&task_id).await
}

/// Watches a card, or stops; answers whether the person now watches it.
#[tauri::command(rename_all = "snake_case")]
pub async fn watch<R: Runtime>(
    window: tauri::Window<R>,
    app: State<'_, AppState>,
    task_id: TaskId,
    on: bool,
) -> Result<bool> {
    let origin = app.origin(window.label(), None);
    app.store().watch(&origin, &task_id, on).await?;
    app.store().watching(&task_id).await
}

/// What a window shows, for who is here on a team's server: its project, the card open in it
/// and what is being written there.
#[tauri::command(rename_all = "snake_case")]
pub async fn presence_look<R: Runtime>(
    window: tauri::Window<R>,
    app: State<'_, AppState>,
    look: Look,
) -> Result<()> {
    let changed =
        crate::sync::lock(&app.looks).insert(window.label().to_owned(), look.clone()) != Some(look);
    if changed {
        app.looks_changed.notify_one();
    }
    Ok(())
}

/// The person did something in a window: this copy of Tandem is where they are.
#[tauri::command(rename_all = "snake_case")]
pub async fn presence_active(app: State<'_, AppState>) -> Result<()> {
    app.active_at
        .store(store::now_ms(), std::sync::atomic::Ordering::Relaxed);
    // The server hears it now: news goes to the copy the person last used.
    app.looks_changed.notify_one();
    Ok(())
}

/// How many comments each of `task_ids` has (those with none are left out): a window counts
/// again the cards whose conversations changed.
#[tauri::command(rename_all = "snake_case")]
pub async fn comment_counts(
    app: State<'_, AppState>,
    task_ids: Vec<TaskId>,
) -> Result<Vec<CommentCount>> {
    app.store().comment_counts(&task_ids).await
}
