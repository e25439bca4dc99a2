//! The state every handler shares: the store, the login limiter and whether this is the demo.

use std::sync::Arc;

use demine_app::App;
use demine_store::{Access, AnyStore};

use crate::auth::{LoginLimiter, Requester};

/// The largest request body accepted (a batch of points, an import file).
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// Shared by every request; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    app: App,
    store: AnyStore,
    demo: bool,
    secure_cookies: bool,
    limiter: LoginLimiter,
}

impl AppState {
    /// `demo`: every response says its data is synthetic. `secure_cookies`: the session cookie
    /// is sent over HTTPS only (behind a TLS proxy).
    pub fn new(store: AnyStore, demo: bool, secure_cookies: bool) -> AppState {
        AppState(Arc::new(Inner {
            app: App::new(store.clone()),
            store,
            demo,
            secure_cookies,
            limiter: LoginLimiter::default(),
        }))
    }

    /// The store at the public tier, for the server's own bookkeeping (sessions, tokens).
    pub fn store(&self) -> AnyStore {
        self.0.store.clone().with_access(Access::Public)
    }

    /// The store as the requester: their tier and scope, checked by the store on every read.
    pub fn store_for(&self, r: &Requester) -> AnyStore {
        self.0.store.as_requester(&r.store_requester())
    }

    /// The application layer (the workflows the CLI shares, the safety check's shared index).
    pub fn app(&self) -> &App {
        &self.0.app
    }

    /// The application layer for this requester.
    pub fn session(&self, r: &Requester) -> demine_app::Session<'_> {
        self.0.app.session(r.store_requester())
    }

    pub fn demo(&self) -> bool {
        self.0.demo
    }

    pub fn secure_cookies(&self) -> bool {
        self.0.secure_cookies
    }

    pub fn limiter(&self) -> &LoginLimiter {
        &self.0.limiter
    }
}
