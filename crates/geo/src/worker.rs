//! Joining worker threads without losing their work.
//!
//! Every parallel step of demine-geo (batch queries, index building, CSV parsing, validation)
//! joins its workers through [`join`]: a worker that panicked makes the whole step fail with
//! [`GeoError::Worker`]. Its share of the answer is missing, and an answer with a part missing
//! could call a hazardous place safe, so none is given.

use std::thread::ScopedJoinHandle;

use crate::error::GeoError;

/// The message a panic carried, when it was text.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "no message".to_string()
    }
}

/// Joins worker `k` of `task`, turning a panic into [`GeoError::Worker`].
pub(crate) fn join<T>(task: &str, k: usize, h: ScopedJoinHandle<'_, T>) -> Result<T, GeoError> {
    h.join().map_err(|p| GeoError::Worker {
        task: task.to_string(),
        worker: k,
        message: panic_message(p.as_ref()),
    })
}

/// Joins every worker of `task` in order; the first failed one fails the step.
pub(crate) fn join_all<'s, T>(
    task: &str,
    hs: impl IntoIterator<Item = ScopedJoinHandle<'s, T>>,
) -> Result<Vec<T>, GeoError> {
    // Every handle is joined, even after a failure, so no thread outlives the step unseen.
    let results: Vec<Result<T, GeoError>> = hs
        .into_iter()
        .enumerate()
        .map(|(k, h)| join(task, k, h))
        .collect();
    results.into_iter().collect()
}

/// A fault-injection hook for tests: the worker (by position) to make panic, if any. Outside
/// tests, [`FailWorker::at`] does nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FailWorker(pub(crate) Option<usize>);

impl FailWorker {
    /// No failure.
    pub(crate) const NONE: FailWorker = FailWorker(None);

    /// Called by worker `k` as it starts: panics in tests when `k` is the one chosen.
    #[inline]
    pub(crate) fn at(self, k: usize) {
        #[cfg(test)]
        #[allow(clippy::panic)]
        if self.0 == Some(k) {
            panic!("injected failure of worker {k}");
        }
        let _ = (self, k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_worker_fails_the_step() {
        let r: Result<Vec<usize>, GeoError> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..3)
                .map(|k| {
                    s.spawn(move || {
                        FailWorker(Some(1)).at(k);
                        k
                    })
                })
                .collect();
            join_all("test step", hs)
        });
        let e = r.unwrap_err();
        assert!(matches!(e, GeoError::Worker { worker: 1, .. }), "{e:?}");
        assert!(e.to_string().contains("test step"), "{e}");
        assert!(e.to_string().contains("injected failure"), "{e}");
    }
}
