//! A counting global allocator: while tracking is on, it keeps the bytes
//! currently allocated and their peak, and counts the calls of each kind.
//! Off (the default), it costs one relaxed load per call, so the
//! throughput runs are not skewed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering::Relaxed};

/// The allocator; installed in main.rs.
pub struct Counting;

static ON: AtomicBool = AtomicBool::new(false);
static CURRENT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static REALLOCS: AtomicUsize = AtomicUsize::new(0);
static FREES: AtomicUsize = AtomicUsize::new(0);

fn grow(by: usize) {
    let now = CURRENT.fetch_add(by as isize, Relaxed) + by as isize;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; the counters have
// no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.load(Relaxed) {
            ALLOCS.fetch_add(1, Relaxed);
            grow(layout.size());
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if ON.load(Relaxed) {
            ALLOCS.fetch_add(1, Relaxed);
            grow(layout.size());
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ON.load(Relaxed) {
            FREES.fetch_add(1, Relaxed);
            CURRENT.fetch_sub(layout.size() as isize, Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ON.load(Relaxed) {
            // Counted as "new block, then free the old one": a moving
            // realloc holds both for a moment (an upper bound otherwise).
            REALLOCS.fetch_add(1, Relaxed);
            grow(new_size);
            CURRENT.fetch_sub(layout.size() as isize, Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` with tracking on and returns its result and the peak number of
/// bytes allocated above the level at the start (the result is still alive
/// when the peak is read, so it counts).
pub fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    CURRENT.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    ON.store(true, Relaxed);
    let value = f();
    ON.store(false, Relaxed);
    let peak = PEAK.load(Relaxed).max(0) as usize;
    (value, peak)
}

/// Allocator calls made while tracking was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calls {
    pub allocs: usize,
    pub reallocs: usize,
    pub frees: usize,
}

/// Runs `f` with tracking on and returns its result and the allocator
/// calls it made (the result is still alive: what freeing it costs is
/// not counted).
pub fn calls_during<T>(f: impl FnOnce() -> T) -> (T, Calls) {
    ALLOCS.store(0, Relaxed);
    REALLOCS.store(0, Relaxed);
    FREES.store(0, Relaxed);
    ON.store(true, Relaxed);
    let value = f();
    ON.store(false, Relaxed);
    let calls = Calls {
        allocs: ALLOCS.load(Relaxed),
        reallocs: REALLOCS.load(Relaxed),
        frees: FREES.load(Relaxed),
    };
    (value, calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_kind() {
        let (kept, calls) = calls_during(|| {
            let temporary = std::hint::black_box(vec![1u8; 40]);
            drop(temporary);
            let mut kept: Vec<u64> = Vec::with_capacity(1);
            kept.extend(std::hint::black_box([1, 2, 3]));
            kept
        });
        // The test harness's own threads may allocate at the same time,
        // so these are lower bounds.
        assert!(calls.allocs >= 2, "{calls:?}");
        assert!(calls.reallocs >= 1, "{calls:?}");
        assert!(calls.frees >= 1, "{calls:?}");
        assert_eq!(kept, [1, 2, 3]);
    }
}
