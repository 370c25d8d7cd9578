//! The run report: what a run found, as data (`summary.json`), as an HTML email and as plain text.
//!
//! The report Lambda builds a [`RunReport`] from the run's stored state and query results ([`assemble`]), stores it
//! as JSON, and sends [`render_html`] and [`render_text`] as the two parts of one email under
//! [`subject`]. Everything shown comes from buckets and objects of the scanned accounts, so every
//! value is treated as hostile: HTML-escaped in the HTML part, control and bidirectional-override
//! characters made visible in both parts (an object key can carry terminal escape sequences), long
//! values cut. The only links are Athena console links this crate builds.

mod assemble;
mod chart;
mod comparison;
mod format;
mod html;
mod model;
mod sections;
mod text;
mod totals;

pub use assemble::{assemble, email_not_sent, with_previous_run, Origin, StoredRun};
pub use chart::{storage_class_shares, ClassShare};
pub use comparison::{
    comparable, compare, findings_line, headline, BucketChange, ChangeStatus, Comparison, Coverage,
    ObjectKey,
};
pub use format::{group_thousands, human_bytes, human_duration, percent};
pub use html::{escape_html, render_html};
pub use model::{AthenaReport, BucketReport, QueryReport, QueryState, RunOutcome, RunReport};
pub use text::{render_text, subject};
pub use totals::RunTotals;
