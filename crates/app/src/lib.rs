//! The application layer: the workflows the command line and the server both call.
//!
//! An [`App`] is opened on a store (the caller opens it: the CLI from its flags, the server from
//! its configuration) and holds what is shared across requests: the safety check's hazard index,
//! built once and rebuilt when the store's hazard data version moved (a write of an area: not an
//! account, a field report or the registry). A [`Session`] is
//! the app for one requester ([`Requester`]: who asks, their access level and scope); every
//! store read and write of a session goes through a store handle carrying that requester, so the
//! store decides, in one place, what they may see and change.
//!
//! Results are typed and `Serialize` (one struct per answer); errors are one type, [`AppError`],
//! whose [`AppError::exit_code`] the CLI's `main` maps to the process exit. A flagged place is
//! not an error: it is a [`Verdict`].
//!
//! ```no_run
//! # async fn f(store: demine_store::AnyStore) -> Result<(), demine_app::AppError> {
//! use demine_app::{App, Requester};
//! let app = App::new(store);
//! let session = app.session(Requester::local("ana", demine_store::Access::Operational));
//! let answer = session.check_point(104.91, 11.56, 100.0).await?;
//! println!("{}", answer.status.as_str());
//! # Ok(()) }
//! ```

pub mod accident;
pub mod check;
mod error;
pub mod hazards;
mod index;
pub mod odk;
pub mod registry;
pub mod reports;

use std::sync::Arc;

use demine_store::AnyStore;

pub use check::{
    BatchCheck, BatchDetail, Checker, FlaggedPoint, HazardHit, NoData, NoDataPoint, PointCheck,
    RouteCheck, RouteFeature, Verdict,
};
pub use demine_store::{Access, Head as DataVersion, Requester};
pub use error::{AppError, store_exit_code};
pub use hazards::{
    ActivitiesImported, ActivityRecorded, HazardImport, HazardImportOutcome, VersionMade,
};

/// The application: a store and what is shared across its requests (the hazard index).
#[derive(Debug)]
pub struct App {
    store: AnyStore,
    threads: usize,
    index: index::Shared,
    pack_after_writes: bool,
}

impl App {
    /// The application over an opened store. The store's own handle (its access level as
    /// opened) builds the shared hazard index; requests go through [`App::session`].
    pub fn new(store: AnyStore) -> App {
        App {
            store,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            index: index::Shared::default(),
            pack_after_writes: true,
        }
    }

    /// Whether a write through this app rewrites the store's packed index at once (the default:
    /// the next process that checks the whole store reads one blob). Without it, the packed index
    /// is rewritten by the next writable handle that builds the index.
    pub fn with_pack_after_writes(mut self, on: bool) -> App {
        self.pack_after_writes = on;
        self
    }

    /// The same app using `n` threads for the work that runs in parallel (at least 1).
    pub fn with_threads(mut self, n: usize) -> App {
        self.threads = n.max(1);
        self
    }

    /// Threads for parallel work.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The store as opened.
    pub fn store(&self) -> &AnyStore {
        &self.store
    }

    /// The app for one requester: every read and write goes through a store handle carrying
    /// them (their level, write permission and scope).
    pub fn session(&self, who: Requester) -> Session<'_> {
        let store = self.store.as_requester(&who);
        Session {
            app: self,
            who,
            store,
        }
    }

    /// The store's data version: its audit head, which moves with every write.
    pub async fn data_version(&self) -> Result<DataVersion, AppError> {
        Ok(self.store.data_version().await?)
    }

    /// The version of the hazard data alone, which the shared index is keyed on.
    pub async fn hazard_version(&self) -> Result<demine_store::HazardVersion, AppError> {
        Ok(self.store.hazard_version().await?)
    }

    /// The hazard index and coverage of the store, shared across requests: built on first use
    /// (from the store's packed index when it is current, else row by row) and rebuilt when the
    /// hazard data version moved since (checked on every call, by a read that started after the
    /// call: a write committed before it, by any process, is always seen).
    pub async fn checker(&self) -> Result<Arc<Checker>, AppError> {
        self.index.get(&self.store, self.threads).await
    }

    /// How many times this app built its shared index (for tests and diagnostics).
    pub fn index_builds(&self) -> u64 {
        self.index.builds()
    }

    /// After a write through this app: unless turned off, rewrites the store's packed index.
    /// The shared index needs nothing: the write moved the hazard version, which the next check
    /// reads. The write is done whatever happens here: a packed index that cannot be written is
    /// rebuilt by a later reader.
    pub(crate) async fn written(&self) {
        if self.pack_after_writes {
            let _ = self.refresh_packed_index().await;
        }
    }

    /// Rewrites the store's packed index if it is not current (and the store may be written):
    /// returns whether it was written.
    pub async fn refresh_packed_index(&self) -> Result<bool, AppError> {
        use demine_store::HazardStore;
        Ok(self
            .store
            .index_records_cached(self.threads)
            .await?
            .cache_written)
    }
}

/// The app for one requester.
#[derive(Debug)]
pub struct Session<'a> {
    app: &'a App,
    who: Requester,
    store: AnyStore,
}

impl<'a> Session<'a> {
    /// The app.
    pub fn app(&self) -> &'a App {
        self.app
    }

    /// Who asks.
    pub fn requester(&self) -> &Requester {
        &self.who
    }

    /// Who writes, as the audit log records it.
    pub fn actor(&self) -> &str {
        &self.who.actor
    }

    /// The store as this requester sees it.
    pub fn store(&self) -> &AnyStore {
        &self.store
    }

    /// What a hit list may show this requester: below [`Access::Operational`] (an anonymous
    /// visitor), which hazards are near and how near is withheld; the verdict is not.
    fn shown(&self, hits: &mut Vec<HazardHit>) {
        if self.who.access < Access::Operational {
            hits.clear();
        }
    }

    /// Checks one place against the shared index of the store's hazards.
    pub async fn check_point(
        &self,
        lon: f64,
        lat: f64,
        within: f64,
    ) -> Result<PointCheck, AppError> {
        check::valid_within(within)?;
        check::valid_place(lon, lat)?;
        let c = self.app.checker().await?;
        let mut r = c.check_point(lon, lat, within)?;
        self.shown(&mut r.hazards);
        Ok(r)
    }

    /// Checks one place reading only the areas near it (through the store's box index), for a
    /// process that checks once: nothing is built for the whole store.
    pub async fn check_point_nearby(
        &self,
        lon: f64,
        lat: f64,
        within: f64,
    ) -> Result<PointCheck, AppError> {
        check::valid_within(within)?;
        let p = check::valid_place(lon, lat)?;
        let c = index::nearby(&self.app.store, &[demine_geo::Geometry::Point(p)], within).await?;
        let mut r = c.check_point(lon, lat, within)?;
        self.shown(&mut r.hazards);
        Ok(r)
    }

    /// Checks a batch of points against the shared index (`name` names the batch in messages).
    pub async fn check_points(
        &self,
        name: &str,
        points: &demine_geo::csvfmt::PointBatch,
        within: f64,
        detail: BatchDetail,
    ) -> Result<BatchCheck, AppError> {
        check::valid_within(within)?;
        let c = self.app.checker().await?;
        let mut r = c.check_points(name, points, within, detail, self.app.threads)?;
        if self.who.access < Access::Operational {
            for f in &mut r.flagged {
                f.hazard_id = None;
                f.distance_m = None;
            }
        }
        Ok(r)
    }

    /// Checks route or site geometries (with their positions in the file `name`) against the
    /// shared index.
    pub async fn check_route(
        &self,
        name: &str,
        geoms: &[(usize, demine_geo::Geometry)],
        within: f64,
    ) -> Result<RouteCheck, AppError> {
        check::valid_within(within)?;
        let c = self.app.checker().await?;
        let mut r = c.check_route(name, geoms, within, self.app.threads)?;
        self.shown(&mut r.hazards);
        Ok(r)
    }

    /// [`Session::check_route`], reading only the areas near the geometries.
    pub async fn check_route_nearby(
        &self,
        name: &str,
        geoms: &[(usize, demine_geo::Geometry)],
        within: f64,
    ) -> Result<RouteCheck, AppError> {
        check::valid_within(within)?;
        if geoms.is_empty() {
            return Err(AppError::Invalid(format!("{name}: no geometry to check")));
        }
        let gs: Vec<demine_geo::Geometry> = geoms.iter().map(|g| g.1.clone()).collect();
        let c = index::nearby(&self.app.store, &gs, within).await?;
        let mut r = c.check_route(name, geoms, within, self.app.threads)?;
        self.shown(&mut r.hazards);
        Ok(r)
    }
}
