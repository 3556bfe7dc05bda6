//! Compile-time checks: what ryx must refuse (tests/ui/fail) and accept (tests/ui/pass).
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
