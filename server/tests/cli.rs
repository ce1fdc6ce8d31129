//! The `ioc` binary's behaviour on bad input: usage errors, one-line failures, refusals.

// Test code: a failed expectation is the test failing.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;

fn ioc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ioc"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run ioc");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

#[test]
fn unknown_subcommand_or_flag_prints_usage() {
    let (code, _, err) = ioc(&["fly"]);
    assert_eq!(code, 2);
    assert!(err.contains("Usage"), "{err}");
    let (code, _, err) = ioc(&["seed", "--bogus"]);
    assert_eq!(code, 2);
    assert!(err.contains("--bogus"), "{err}");
}

#[test]
fn a_wrong_database_url_is_one_line_naming_the_problem() {
    let (code, _, err) = ioc(&["--database-url", "mysql://root@localhost/x", "seed"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("ioc:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("unsupported database URL"), "{err}");
}

#[test]
fn seed_twice_refuses_and_if_empty_keeps_the_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("x.db").display());
    let (code, out, err) = ioc(&["--database-url", &url, "seed", "--scale", "0.001"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("viec_thi_hanh") && out.contains("seeded in"),
        "{out}"
    );
    let (code, _, err) = ioc(&["--database-url", &url, "seed", "--scale", "0.001"]);
    assert_eq!(code, 1);
    assert!(err.contains("--force"), "{err}");
    let (code, out, _) = ioc(&["--database-url", &url, "seed", "--if-empty"]);
    assert_eq!(code, 0);
    assert!(out.contains("kept it"), "{out}");
}
