//! `dsimg://localhost/<sha256>.<ext>`: read-only access for the UI to the image library,
//! and nothing else on disk (keys are checked by `ImageLibrary::path_of`).

use tauri::http::{header, Request, Response, StatusCode};
use tauri::{Manager as _, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::AppState;

pub const SCHEME: &str = "dsimg";

pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let Some(state) = ctx.app_handle().try_state::<AppState>() else {
        return responder.respond(status(StatusCode::SERVICE_UNAVAILABLE));
    };
    let key = request.uri().path().trim_start_matches('/').to_owned();
    let path = state.images.path_of(&key);
    tauri::async_runtime::spawn_blocking(move || {
        let response = match path.and_then(|p| {
            std::fs::read(&p).map_err(|_| dynaspark_core::Error::NotFound { what: key.clone() })
        }) {
            Ok(bytes) => {
                let mime = dynaspark::sniff_image_type(&bytes)
                    .map_or("application/octet-stream", |t| t.mime());
                Response::builder()
                    .header(header::CONTENT_TYPE, mime)
                    .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
                    .header("X-Content-Type-Options", "nosniff")
                    .body(bytes)
                    .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
            }
            Err(_) => status(StatusCode::NOT_FOUND),
        };
        responder.respond(response);
    });
}

fn status(code: StatusCode) -> Response<Vec<u8>> {
    let mut r = Response::new(Vec::new());
    *r.status_mut() = code;
    r
}
