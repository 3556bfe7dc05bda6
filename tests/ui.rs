//! Compile-time checks: what ryx must refuse (tests/ui/fail) and accept (tests/ui/pass).
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]
/// The expected compiler output names every backend's impls, so it is recorded
/// with all three backends enabled, as `scripts/test` runs it
/// (`cargo test --all-features`).
#[cfg(all(feature = "postgres", feature = "sqlite", feature = "mysql"))]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
