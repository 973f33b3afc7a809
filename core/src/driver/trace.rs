//! A `tracing` span per repository call (feature `tracing`): the model's
//! table, the operation, and once it is done the rows it returned and the
//! statements it sent. Without the feature, [`traced!`] is its body.

#[cfg(feature = "tracing")]
pub(crate) use rows::RowCount;

#[cfg(feature = "tracing")]
mod rows {
    /// How many rows a repository result carries: returned, written or counted.
    pub(crate) trait RowCount {
        fn row_count(&self) -> u64;
    }

    impl<M: crate::Model> RowCount for M {
        fn row_count(&self) -> u64 {
            1
        }
    }

    impl<M: crate::Model> RowCount for Option<M> {
        fn row_count(&self) -> u64 {
            u64::from(self.is_some())
        }
    }

    impl<M: crate::Model> RowCount for Vec<M> {
        fn row_count(&self) -> u64 {
            self.len() as u64
        }
    }

    impl<M: crate::Model> RowCount for (Vec<M>, u64) {
        fn row_count(&self) -> u64 {
            self.0.len() as u64
        }
    }

    impl<M: crate::Model> RowCount for crate::Upserted<M> {
        fn row_count(&self) -> u64 {
            self.rows.len() as u64
        }
    }

    /// A link written or not.
    impl RowCount for () {
        fn row_count(&self) -> u64 {
            0
        }
    }

    /// A link removed (1) or absent (0).
    impl RowCount for bool {
        fn row_count(&self) -> u64 {
            u64::from(*self)
        }
    }

    /// A count: the rows it counted.
    impl RowCount for u64 {
        fn row_count(&self) -> u64 {
            *self
        }
    }
}

/// Runs `$body` (an expression using `$session`) in a span named
/// `alchemy.repository` with the table named `$table`, the operation `$op`,
/// and then `rows` and `statements`.
#[cfg(feature = "tracing")]
macro_rules! traced {
    ($table:expr, $session:ident, $op:literal, $body:expr) => {{
        use tracing::Instrument as _;
        let span = tracing::debug_span!(
            "alchemy.repository",
            table = $table,
            operation = $op,
            rows = tracing::field::Empty,
            statements = tracing::field::Empty,
        );
        let before = $crate::Session::statements(&*$session);
        let result = async { $body }.instrument(span.clone()).await;
        span.record(
            "statements",
            $crate::Session::statements(&*$session) - before,
        );
        if let Ok(value) = &result {
            span.record("rows", $crate::driver::trace::RowCount::row_count(value));
        }
        result
    }};
}

#[cfg(not(feature = "tracing"))]
macro_rules! traced {
    ($table:expr, $session:ident, $op:literal, $body:expr) => {
        $body
    };
}

pub(crate) use traced;
