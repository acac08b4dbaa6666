//! The committed generated modules must match what the generator produces from the models.

use std::process::Command;

#[test]
fn generated_code_is_current() {
    let output = Command::new("python3")
        .arg("codegen/generate.py")
        .arg("--check")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("python3 must be installed to run the generator check");
    assert!(
        output.status.success(),
        "generated code is stale or the generator failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
