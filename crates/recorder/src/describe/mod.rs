//! Placeholder: listing and describing resources (in progress).
