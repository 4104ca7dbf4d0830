//! Who is calling: the bearer token is checked once per request (a middleware), the caller's
//! scopes are resolved exactly as for a signed-in session, and each token has its own rate limit.

use std::{num::NonZeroU32, sync::Arc};

use app::{auth::access::Viewer, error::AppError};
use axum::{
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock};

use super::{ApiState, problem::Problem};

/// The user behind the request's token, with their read and write scopes.
#[derive(Clone, Debug)]
pub struct Caller {
    pub viewer: Viewer,
}

pub type Limiter = DefaultKeyedRateLimiter<i64>;

/// `per_second` requests per second per token, with bursts of twice that.
pub fn limiter(per_second: u32) -> Arc<Limiter> {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
    Arc::new(Limiter::keyed(Quota::per_second(rate).allow_burst(burst)))
}

/// Requires `Authorization: Bearer <token>`; puts the [`Caller`] in the request's extensions.
pub async fn authenticate(
    State(state): State<ApiState>,
    mut request: Request,
    next: Next,
) -> Response {
    let secret = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(secret) = secret else {
        return Problem::from(AppError::Unauthorized).into_response();
    };
    let (user, token_id) = match app::tokens::ops::authenticate(&state.pool, secret).await {
        Ok(Some(found)) => found,
        Ok(None) => return Problem::from(AppError::Unauthorized).into_response(),
        Err(e) => return Problem::from(e).into_response(),
    };
    if let Err(not_until) = state.limiter.check_key(&token_id) {
        let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
        return Problem::from(AppError::RateLimited(wait.as_secs().max(1))).into_response();
    }
    let viewer = match app::auth::access::resolve(&state.pool, user).await {
        Ok(v) => v,
        Err(e) => return Problem::from(e).into_response(),
    };
    tracing::Span::current().record("token", token_id);
    request.extensions_mut().insert(Caller { viewer });
    next.run(request).await
}
