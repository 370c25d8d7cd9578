//! Placeholder: the Current and Durable tables (in progress).
