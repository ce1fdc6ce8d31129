//! The task API: `GET/POST /api/tasks`, `GET /api/tasks/units`, `GET /api/tasks/{id}`,
//! `POST /api/tasks/{id}/progress`; each handler turns the session into an [`Actor`] and calls
//! the [`Tasks`] service.

use app::wire::tasks::{ProgressForm, TaskForm, TaskQuery};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use queries::access::User;
use queries::Scope;

use super::*;

/// The task API routes.
pub fn routes() -> Router<crate::State> {
    Router::new()
        .route("/api/tasks", get(board_get).post(create_post))
        .route("/api/tasks/units", get(units_get))
        .route("/api/tasks/{id}", get(detail_get))
        .route("/api/tasks/{id}/progress", post(progress_post))
}

/// The signed-in caller of a task request (401 without a session).
impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Actor, StatusCode> {
        let ext = &parts.extensions;
        Ok(Actor {
            user: Some(ext.get::<User>().cloned().ok_or(StatusCode::UNAUTHORIZED)?),
            scope: ext
                .get::<Scope>()
                .cloned()
                .ok_or(StatusCode::UNAUTHORIZED)?,
            address: ext
                .get::<crate::auth::ClientAddr>()
                .map(|a| a.0.clone())
                .unwrap_or_default(),
        })
    }
}

/// The service's answer as JSON with `ok`, or its error.
fn reply<T: serde::Serialize>(result: Result<T, TaskError>, ok: StatusCode) -> Response {
    match result {
        Ok(value) => (ok, Json(value)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn board_get(
    State(state): State<crate::State>,
    actor: Actor,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let query = TaskQuery::from_params(|k| params.get(k).cloned());
    reply(state.tasks.board(&actor, &query).await, StatusCode::OK)
}

async fn units_get(actor: Actor) -> Response {
    Json(unit_choices(&actor.scope)).into_response()
}

async fn create_post(
    State(state): State<crate::State>,
    actor: Actor,
    Json(form): Json<TaskForm>,
) -> Response {
    reply(
        state.tasks.confirm(&actor, &form).await,
        StatusCode::CREATED,
    )
}

async fn detail_get(
    State(state): State<crate::State>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Response {
    reply(state.tasks.detail(&actor, id).await, StatusCode::OK)
}

/// The body of `POST /api/tasks/{id}/progress`.
#[derive(Debug, serde::Deserialize)]
struct ProgressBody {
    trang_thai: String,
    tien_do: i64,
    #[serde(default)]
    ghi_chu: String,
}

async fn progress_post(
    State(state): State<crate::State>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(body): Json<ProgressBody>,
) -> Response {
    let form = ProgressForm {
        id,
        trang_thai: body.trang_thai,
        tien_do: body.tien_do,
        ghi_chu: body.ghi_chu,
    };
    reply(state.tasks.progress(&actor, &form).await, StatusCode::OK)
}
