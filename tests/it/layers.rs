//! The layer order README states ("Layout"), checked: each module of `src/` names (`crate::X`)
//! only the layers below it, never one above. Comments and unit-test modules are not code that
//! depends on anything. A wrong-way import fails this test with the file and the edge. The
//! lowest layers, `model` and `rules`, are the crate `adcomputer-core` (crates/core): the
//! compiler itself keeps them from using anything here, and its manifest has no tokio or ldap3.

use crate::common;

use std::collections::BTreeSet;

/// What each layer may use besides itself, lowest first (README, "Layout").
const ALLOWED: &[(&str, &[&str])] = &[
    ("files", &[]),
    ("random", &[]),
    ("exit", &[]),
    ("progress", &["model"]),
    ("interact", &["model"]),
    ("atomic", &["interact", "random"]),
    ("secret", &["files", "interact"]),
    ("ldap", &["model", "files", "random", "secret"]),
    (
        "source",
        &[
            "model", "ldap", "files", "random", "secret", "progress", "atomic",
        ],
    ),
    (
        "apply",
        &["model", "rules", "ldap", "source", "random", "progress"],
    ),
    (
        "report",
        &["model", "rules", "interact", "random", "exit", "atomic"],
    ),
    ("cli", &["report"]),
    (
        "config",
        &[
            "cli", "model", "rules", "ldap", "source", "report", "files", "secret",
        ],
    ),
];

/// The layers a file's code names, `crate::X` without comments and unit-test modules.
fn used_layers(code: &str) -> BTreeSet<String> {
    let code = code.split("#[cfg(test)]\nmod tests").next().unwrap();
    let mut used = BTreeSet::new();
    for line in code
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
    {
        for (at, _) in line.match_indices("crate::") {
            let layer: String = line[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            used.insert(layer);
        }
    }
    used
}

#[test]
fn no_module_uses_a_layer_above_it() {
    let src = common::repo_path("src");
    let mut files = Vec::new();
    let mut pending = vec![src.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    let mut wrong = Vec::new();
    let mut checked = 0;
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let layer = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == layer) else {
            continue; // commands/, lib.rs, main.rs: the top, may use every layer
        };
        checked += 1;
        for used in used_layers(&std::fs::read_to_string(file).unwrap()) {
            if used != layer && !allowed.contains(&used.as_str()) {
                wrong.push(format!("{} uses {used}", relative.display()));
            }
        }
    }
    assert!(checked > 40, "{checked} files checked");
    assert!(wrong.is_empty(), "wrong-way imports:\n{}", wrong.join("\n"));
}

#[test]
fn the_pure_crate_has_no_runtime_and_no_ldap() {
    let manifest = std::fs::read_to_string(common::repo_path("crates/core/Cargo.toml")).unwrap();
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .expect("a [dependencies] table");
    for forbidden in [
        "tokio",
        "ldap3",
        "rustls",
        "kerberos",
        "hickory",
        "adcomputer =",
    ] {
        assert!(
            !dependencies
                .lines()
                .any(|line| line.trim_start().starts_with(forbidden)),
            "crates/core depends on {forbidden}"
        );
    }
}

#[test]
fn the_check_sees_an_import() {
    let code = "use crate::report::Progress;\n// crate::apply in a comment\nfn f() { crate::model::text::fold(\"\"); }\n#[cfg(test)]\nmod tests {\n    use crate::commands;\n}\n";
    assert_eq!(
        used_layers(code),
        ["model", "report"].iter().map(|s| s.to_string()).collect()
    );
}

/// Commands orchestrate: no command file over 150 lines, no `run` over 60 (README,
/// "Development"). Policy belongs to the rules, presentation to the report.
#[test]
fn commands_stay_thin() {
    let dir = common::repo_path("src/commands");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let code = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            code.lines().count() <= 150,
            "{name}: {} lines",
            code.lines().count()
        );
        if let Some(start) = code.find("pub(crate) async fn run(") {
            let body = &code[start..];
            let end = body.find("\n}\n").expect("run ends");
            let lines = body[..end].lines().count() + 1;
            assert!(lines <= 60, "{name}: run() is {lines} lines");
        }
    }
}
