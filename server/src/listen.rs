//! Serving connections: what `axum::serve` does, plus a deadline for a request's headers (from
//! the moment a connection opens) so that a slow, stalled or silent client (slowloris) cannot
//! keep connections open forever. Bodies and handlers are bounded by the request timeout in
//! `http`.

use std::{future::Future, net::SocketAddr, pin::pin, time::Duration};

use axum::{Router, body::Body, extract::Request};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tower::{Service, ServiceExt};

/// A client has this long to send a request's headers (each request on a kept-alive connection).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` until `shutdown` resolves, then stops accepting and waits for open connections
/// to finish their requests.
pub async fn serve(listener: TcpListener, app: Router, shutdown: impl Future<Output = ()>) {
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    // HTTP/1 only (browsers speak HTTP/2 only over TLS, which a proxy in front ends): the
    // protocol sniffing of the auto builder has no deadline, so a client that connects and sends
    // nothing would hold its socket forever; HTTP/1's header timer starts at once.
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // E.g. out of file descriptors: wait a moment instead of spinning.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let Ok(router) = make_service.call(remote).await;
        let service = TowerToHyperService::new(
            router.map_request(|req: Request<Incoming>| req.map(Body::new)),
        );
        let connection = graceful.watch(
            builder
                .serve_connection(TokioIo::new(stream), service)
                .into_owned(),
        );
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %remote, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
