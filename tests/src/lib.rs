//! Shared helpers of the workspace's integration tests live in the test
//! files themselves; this library is intentionally empty.
