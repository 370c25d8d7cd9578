//! Placeholder: the stream proxy (in progress).
