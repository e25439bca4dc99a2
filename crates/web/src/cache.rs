//! What the State page built, kept per data version: the country report it quotes (release by
//! method, the completion forecast) took a whole report build per request. An entry is found by
//! the State, the date asked about and what the reader may see (access level and scope); every
//! entry goes when the store's data version (its audit head) moves, so a page never shows
//! figures older than the data. Errors are not kept.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use demine_store::Access;

/// At most this many entries per data version (a crawler walking every State and date cannot
/// grow the cache without bound): when full, it starts again empty.
const CAPACITY: usize = 512;

/// Who reads what, as far as a built report depends on it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub iso3: String,
    pub as_of: NaiveDate,
    pub access: Access,
    /// The reader's scope (State, organisation), when they have one.
    pub scope: (Option<String>, Option<String>),
}

/// Values built per key, dropped when the data version moves.
#[derive(Debug)]
pub struct VersionedCache<V> {
    inner: Mutex<(String, BTreeMap<Key, Arc<V>>)>,
}

impl<V> Default for VersionedCache<V> {
    fn default() -> Self {
        VersionedCache {
            inner: Mutex::new((String::new(), BTreeMap::new())),
        }
    }
}

impl<V> VersionedCache<V> {
    /// The value for `key` at data version `version`, built by `build` when not held. The lock
    /// is not held while building (two readers missing at once both build; the later keeps
    /// its own). A poisoned lock is treated as an empty cache.
    pub async fn get_or_build<E, F>(&self, version: &str, key: Key, build: F) -> Result<Arc<V>, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        if let Ok(g) = self.inner.lock()
            && g.0 == version
            && let Some(v) = g.1.get(&key)
        {
            return Ok(v.clone());
        }
        let v = Arc::new(build.await?);
        if let Ok(mut g) = self.inner.lock() {
            if g.0 != version || g.1.len() >= CAPACITY {
                g.0 = version.to_string();
                g.1.clear();
            }
            g.1.insert(key, v.clone());
        }
        Ok(v)
    }

    /// How many entries are held (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |g| g.1.len())
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn key(iso3: &str, access: Access) -> Key {
        Key {
            iso3: iso3.into(),
            as_of: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
            access,
            scope: (None, None),
        }
    }

    async fn get(
        c: &VersionedCache<String>,
        built: &AtomicUsize,
        version: &str,
        k: Key,
    ) -> Arc<String> {
        c.get_or_build::<(), _>(version, k.clone(), async {
            built.fetch_add(1, Ordering::SeqCst);
            Ok(format!("{version}/{}/{:?}", k.iso3, k.access))
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn built_once_per_key_and_data_version() {
        let c = VersionedCache::default();
        let n = AtomicUsize::new(0);
        let a = get(&c, &n, "v1", key("KHM", Access::Public)).await;
        let b = get(&c, &n, "v1", key("KHM", Access::Public)).await;
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(n.load(Ordering::SeqCst), 1);
        // Another reader's level is another entry: a public reader never gets what an
        // operational one was built.
        let op = get(&c, &n, "v1", key("KHM", Access::Operational)).await;
        assert_eq!(*op, "v1/KHM/Operational");
        assert_eq!(n.load(Ordering::SeqCst), 2);
        // The data moved: everything is built again.
        let moved = get(&c, &n, "v2", key("KHM", Access::Public)).await;
        assert_eq!(*moved, "v2/KHM/Public");
        assert_eq!(n.load(Ordering::SeqCst), 3);
        assert_eq!(c.len(), 1);
    }

    #[tokio::test]
    async fn errors_are_not_kept_and_the_cache_stays_bounded() {
        let c: VersionedCache<String> = VersionedCache::default();
        let failed = c
            .get_or_build("v1", key("KHM", Access::Public), async { Err("no") })
            .await;
        assert_eq!(failed, Err("no"));
        assert!(c.is_empty());
        let n = AtomicUsize::new(0);
        for day in 0..(CAPACITY as u32 + 10) {
            let mut k = key("KHM", Access::Public);
            k.as_of = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(day.into());
            get(&c, &n, "v1", k).await;
        }
        assert!(c.len() <= CAPACITY);
    }
}
