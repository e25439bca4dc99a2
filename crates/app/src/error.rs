//! The one error type of the application layer, and the exit code each error means.

use demine_geo::GeoError;
use demine_store::StoreError;
use thiserror::Error;

/// Everything a workflow of the application layer can fail with. A flagged place (a hazard within
/// the distance) or a place without hazard data is not an error: it is a [`crate::Verdict`].
#[derive(Debug, Error)]
pub enum AppError {
    /// Bad input data (a file, a feature, a value given): nothing was changed. Exit code 3.
    #[error("{0}")]
    BadInput(String),
    /// Something asked for does not exist. Exit code 4.
    #[error("not found: {what}")]
    NotFound { what: String },
    /// The requester may not do this (their level, or their scope). Exit code 6.
    #[error("{0}")]
    Refused(String),
    /// A request that cannot be answered as asked (a value out of range, a missing choice), not
    /// a fault of a file. Exit code 1, as the safety check documents for its inputs.
    #[error("{0}")]
    Invalid(String),
    /// The command line asks for something that cannot be done as given. Exit code 2.
    #[error("{0}")]
    Usage(String),
    /// The store kept changing under a read that needs one version of it (the safety check's
    /// index, built while hazard writes came in): nothing was answered; try again. Exit code 1.
    #[error("{0}")]
    Busy(String),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Geometry could not be read or checked, in the safety check (exit code 1: the check's
    /// inputs are named in the message and nothing is answered).
    #[error(transparent)]
    Geo(#[from] GeoError),
    /// The store failed or refused (its exit code follows the kind of failure: see
    /// [`AppError::exit_code`]).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    /// The process exit code this error means, as the CLI documents them: 3 bad input data (an
    /// import or restore file; nothing was changed), 4 not found, 6 access refused, 1 anything
    /// else (2, bad usage, is the argument parser's).
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::BadInput(_) => 3,
            AppError::NotFound { .. } => 4,
            AppError::Refused(_) => 6,
            AppError::Usage(_) => 2,
            AppError::Invalid(_) | AppError::Busy(_) | AppError::Read { .. } | AppError::Geo(_) => {
                1
            }
            AppError::Store(e) => store_exit_code(e),
        }
    }

    /// A store error met while reading or writing an input file's contents: feature faults and
    /// geometry faults are bad input (exit 3), the rest keeps its meaning.
    pub fn input(e: StoreError) -> AppError {
        match e {
            StoreError::Geo(g) => AppError::BadInput(g.to_string()),
            other => AppError::Store(other),
        }
    }
}

/// The exit code of a store error: 3 bad input, 4 not found, 6 access refused, else 1.
pub fn store_exit_code(e: &StoreError) -> u8 {
    match e {
        StoreError::Invalid { .. }
        | StoreError::BadFile { .. }
        | StoreError::Features { .. }
        | StoreError::WouldRemove { .. } => 3,
        StoreError::NotFound { .. } => 4,
        StoreError::Forbidden { .. } | StoreError::Refused { .. } => 6,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_documented_table() {
        assert_eq!(AppError::BadInput("x".into()).exit_code(), 3);
        assert_eq!(AppError::NotFound { what: "x".into() }.exit_code(), 4);
        assert_eq!(AppError::Refused("x".into()).exit_code(), 6);
        assert_eq!(AppError::Invalid("x".into()).exit_code(), 1);
        assert_eq!(AppError::Usage("x".into()).exit_code(), 2);
        let nf = StoreError::NotFound { what: "x".into() };
        assert_eq!(AppError::from(nf).exit_code(), 4);
        let bad = StoreError::BadFile {
            file: "f".into(),
            reason: "r".into(),
        };
        assert_eq!(AppError::from(bad).exit_code(), 3);
        let forbidden = StoreError::Forbidden {
            what: "w".into(),
            needs: demine_store::Access::Restricted,
            have: demine_store::Access::Public,
        };
        assert_eq!(AppError::from(forbidden).exit_code(), 6);
        let corrupt = StoreError::Corrupt {
            table: "t".into(),
            reason: "r".into(),
        };
        assert_eq!(AppError::from(corrupt).exit_code(), 1);
    }
}
