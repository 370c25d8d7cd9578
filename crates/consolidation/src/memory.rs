//! Keeping the memory consolidation frees, for its next allocations.
//!
//! Consolidating allocates and frees buffers of hundreds of KiB to a few MiB
//! all the time: Arrow builders per batch, Parquet pages and column chunks per
//! row group. glibc's allocator serves large requests with `mmap` (above a
//! threshold that adapts, up to 32 MiB) and returns the top of its heap to the
//! kernel once it is free, so the same memory keeps going back and coming
//! again, every page faulted in and zeroed each time: on the benchmark report
//! about 0.1 s of system time on one core (5%), for no gain in memory (the
//! peak is the same).

/// Allocations served from the heap rather than `mmap`, up to this size:
/// glibc's largest threshold (its own adaptive maximum on 64-bit).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD_BYTES: libc::c_int = 32 * 1024 * 1024;
/// Free memory at the top of the heap kept, up to this size.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD_BYTES: libc::c_int = 128 * 1024 * 1024;

/// Tells the C allocator to keep freed memory for reuse (glibc on Linux,
/// what Lambda's `provided.al2023` runtime runs; elsewhere it does nothing).
///
/// Call it once, first thing, in a process that consolidates data files (the
/// inventory processor, the benchmark). It is process-wide: the memory a
/// process frees stays its own, up to 128 MiB, instead of going back to the
/// kernel. Returns whether the allocator took the settings.
pub fn retain_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes the allocator's parameters; both values
        // are within glibc's documented ranges.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_the_settings() {
        assert!(retain_freed_memory());
        // A large allocation still works and is served.
        let buffer = vec![1u8; 8 * 1024 * 1024];
        assert_eq!(
            buffer.iter().map(|&b| usize::from(b)).sum::<usize>(),
            8 * 1024 * 1024
        );
    }
}
