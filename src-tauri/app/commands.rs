//! The commands a window may invoke. Each one is a store call with the window's origin.

use tauri::{Runtime, State, WebviewWindow};

use super::AppState;
use crate::error::Result;
use crate::model::{Board, CreateTask, DeleteTask, MoveTask, Project, ProjectId, RenameTask, Task};
use crate::store::NewTask;

#[tauri::command]
pub async fn projects(app: State<'_, AppState>) -> Result<Vec<Project>> {
    app.store.projects().await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn board(app: State<'_, AppState>, project_id: ProjectId) -> Result<Board> {
    app.store.board(&project_id).await
}

#[tauri::command]
pub async fn task_create<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    request: CreateTask,
) -> Result<Task> {
    let origin = app.origin(window.label(), request.mutation_id);
    let new = NewTask {
        project_id: request.project_id,
        column_id: request.column_id,
        title: request.title,
    };
    app.store.create_task(&origin, new).await
}

#[tauri::command]
pub async fn task_rename<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    request: RenameTask,
) -> Result<Task> {
    let origin = app.origin(window.label(), request.mutation_id);
    app.store
        .rename_task(
            &origin,
            &request.id,
            request.expected_version,
            &request.title,
        )
        .await
}

#[tauri::command]
pub async fn task_move<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    request: MoveTask,
) -> Result<Task> {
    let origin = app.origin(window.label(), request.mutation_id);
    app.store
        .move_task(
            &origin,
            &request.id,
            request.expected_version,
            &request.to_column,
            request.to_index,
        )
        .await
}

#[tauri::command]
pub async fn task_delete<R: Runtime>(
    app: State<'_, AppState>,
    window: WebviewWindow<R>,
    request: DeleteTask,
) -> Result<()> {
    let origin = app.origin(window.label(), request.mutation_id);
    app.store
        .delete_task(&origin, &request.id, request.expected_version)
        .await
}
