//! Running the server: listen, serve until SIGTERM or Ctrl-C, then finish the requests in flight
//! (a write that committed is answered; none is cut off) and close the store.

use std::net::SocketAddr;

use axum::Router;
use demine_store::AnyStore;

use crate::state::AppState;

/// What `demine serve` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    pub demo: bool,
    pub secure_cookies: bool,
}

/// Serves `store` until a shutdown signal; `ready` is told the bound address (port 0 picks one).
pub async fn run(
    store: AnyStore,
    opts: &Options,
    pages: Router<AppState>,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let state = AppState::new(store.clone(), opts.demo, opts.secure_cookies);
    let app = crate::app(state, pages);
    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    ready(addr);
    tracing::info!(%addr, demo = opts.demo, "serving");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("stopped: every request in flight was answered");
    if let Err(e) = store.close().await {
        tracing::error!(error = %e, "closing the database");
    }
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal: finishing requests in flight");
}
