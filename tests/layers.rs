//! The host's dependency rules (ARCHITECTURE.md), checked on the code as it is:
//! - each crate under `host/` depends only on the crates below it (read from `cargo metadata`);
//! - nothing depends on the CLI or the server, and the vendor fakes only reach tests, the demo
//!   and `credence sandbox`;
//! - within each crate, no two modules import each other, at any level of the module tree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What each host crate may depend on (normal and build dependencies; dev-dependencies are
/// the tests' business, except that they too may not reach the CLI or the server).
const ALLOWED: &[(&str, &[&str])] = &[
    ("credence-model", &[]),
    ("credence-runtime", &[]),
    (
        "credence-normalize",
        &["credence-model", "credence-runtime"],
    ),
    ("credence-store", &["credence-model"]),
    ("credence-rules", &["credence-model"]),
    (
        "credence-app",
        &[
            "credence-model",
            "credence-runtime",
            "credence-normalize",
            "credence-store",
            "credence-rules",
        ],
    ),
    (
        "credence-server",
        &[
            "credence-model",
            "credence-runtime",
            "credence-normalize",
            "credence-store",
            "credence-rules",
            "credence-app",
        ],
    ),
    ("credence-fakes", &[]),
    (
        "credence",
        &[
            "credence-model",
            "credence-runtime",
            "credence-normalize",
            "credence-store",
            "credence-rules",
            "credence-app",
            "credence-server",
            "credence-fakes",
        ],
    ),
];

fn repo() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).to_path_buf()
}

fn metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(repo())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata JSON")
}

/// Every workspace package under `host/`: name -> (manifest folder, [(dependency, kind)]).
fn host_crates() -> BTreeMap<String, (PathBuf, Vec<(String, String)>)> {
    let meta = metadata();
    let host = repo().join("host").canonicalize().expect("host/");
    let mut crates = BTreeMap::new();
    for p in meta["packages"].as_array().expect("packages") {
        let manifest = PathBuf::from(p["manifest_path"].as_str().expect("manifest_path"));
        let dir = manifest.parent().expect("folder").to_path_buf();
        if !dir.starts_with(&host) {
            continue;
        }
        let deps = p["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .map(|d| {
                (
                    d["name"].as_str().expect("name").to_string(),
                    d["kind"].as_str().unwrap_or("normal").to_string(),
                )
            })
            .collect();
        crates.insert(p["name"].as_str().expect("name").to_string(), (dir, deps));
    }
    crates
}

#[test]
fn every_host_crate_depends_only_on_the_layers_below_it() {
    let crates = host_crates();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let known: BTreeSet<&str> = allowed.keys().copied().collect();
    let found: BTreeSet<&str> = crates.keys().map(String::as_str).collect();
    assert_eq!(
        found, known,
        "the crates under host/ changed: give each new one its place in ALLOWED and ARCHITECTURE.md"
    );
    let mut broken = Vec::new();
    for (name, (_, deps)) in &crates {
        for (dep, kind) in deps {
            if !known.contains(dep.as_str()) {
                continue;
            }
            let ok = match kind.as_str() {
                "dev" => dep != "credence" && dep != "credence-server" || name == "credence",
                _ => allowed[name.as_str()].contains(&dep.as_str()),
            };
            if !ok {
                broken.push(format!("{name} -> {dep} ({kind})"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "dependencies against the layering (see ARCHITECTURE.md): {broken:?}"
    );
}

#[test]
fn argument_parsing_and_http_serving_stay_at_the_top() {
    // The service layer and below know nothing of command lines or HTTP routing: clap only in
    // the binary, axum only in the server and the vendor fakes (and the binary's tests).
    let crates = host_crates();
    let mut broken = Vec::new();
    for (name, (_, deps)) in &crates {
        for (dep, kind) in deps {
            let allowed: &[&str] = match dep.as_str() {
                "clap" => &["credence"],
                "axum" => &["credence-server", "credence-fakes"],
                _ => continue,
            };
            if kind != "dev" && !allowed.contains(&name.as_str()) {
                broken.push(format!("{name} -> {dep}"));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:?}");
}

#[test]
fn the_rule_table_itself_points_downwards_only() {
    // A table that allowed a cycle would make the check above meaningless.
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    for (name, deps) in &allowed {
        for dep in *deps {
            assert!(
                !allowed[dep].contains(name),
                "{name} and {dep} may depend on each other"
            );
            assert!(
                !["credence", "credence-server"].contains(dep) || *name == "credence",
                "{name} may depend on {dep}: nothing depends on the CLI or the server"
            );
        }
    }
}

/// A module's path in its crate (`["credit", "facts"]`; the root is `[]`).
type ModPath = Vec<String>;

/// Every module of a crate: path -> the source of its file, test modules cut off.
fn modules(src: &Path) -> BTreeMap<ModPath, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src");
            let mut parts: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|c| c.to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            // Tests may reach anywhere in their crate; the rule is about the code itself.
            let code = match text.find("#[cfg(test)]") {
                Some(i) => &text[..i],
                None => &text,
            };
            // Comments (doc links included) are not dependencies.
            let code: String = code
                .lines()
                .map(|line| match line.find("//") {
                    Some(i) => &line[..i],
                    None => line,
                })
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(parts, code);
        }
    }
    out
}

/// The paths a source refers to through `crate::`, `super::` and `self::`, made absolute.
fn references(module: &ModPath, code: &str) -> Vec<ModPath> {
    let mut refs = Vec::new();
    let bytes = code.as_bytes();
    for (start, prefix) in ["crate::", "super::", "self::"]
        .iter()
        .flat_map(|p| code.match_indices(p).map(move |(i, _)| (i, *p)))
    {
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue; // `$crate::`, `my_crate::` and the like
        }
        let mut base: ModPath = match prefix {
            "crate::" => Vec::new(),
            // In `a/b.rs` (module a::b) `super` is `a`; in `a/mod.rs` (module a) it is the root.
            "super::" => {
                let mut b = module.clone();
                b.pop();
                b
            }
            _ => module.clone(),
        };
        let rest = &code[start + prefix.len()..];
        let mut more_supers = rest;
        while let Some(r) = more_supers.strip_prefix("super::") {
            base.pop();
            more_supers = r;
        }
        let rest = more_supers;
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let mut path = base.clone();
                path.extend(ident_path(item.trim()));
                refs.push(path);
            }
        } else {
            let mut path = base.clone();
            path.extend(ident_path(rest));
            refs.push(path);
        }
    }
    refs
}

/// `a::b::{c}` -> ["a", "b"]: the leading identifiers of a path.
fn ident_path(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        out.push(rest[..end].to_string());
        match rest[end..].strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    out
}

/// Names a module re-exports from one of its children (`pub use session::{CallError, Session};`
/// in `lib.rs`): (module, name) -> the child's path, so `crate::CallError` counts as a use of
/// `session`, not of the crate root.
fn re_exports(mods: &BTreeMap<ModPath, String>) -> BTreeMap<(ModPath, String), ModPath> {
    let mut out = BTreeMap::new();
    for (module, code) in mods {
        for statement in code.split(';') {
            let Some(rest) = statement.trim().strip_prefix("pub use ") else {
                continue;
            };
            let rest = rest.strip_prefix("self::").unwrap_or(rest);
            let head = ident_path(rest);
            let Some(first) = head.first() else { continue };
            let mut child = module.clone();
            child.push(first.clone());
            if !mods.contains_key(&child) {
                continue; // a re-export from another crate or from a parent
            }
            let names: Vec<String> = match rest.find('{') {
                Some(open) => rest[open + 1..]
                    .trim_end_matches('}')
                    .split(',')
                    .filter_map(|item| ident_path(item.trim()).last().cloned())
                    .collect(),
                None => head.last().cloned().into_iter().collect(),
            };
            for name in names {
                out.insert((module.clone(), name), child.clone());
            }
        }
    }
    out
}

/// Sibling edges: module `a::x` using `a::y::Thing` is an edge x -> y among `a`'s children.
fn sibling_edges(
    mods: &BTreeMap<ModPath, String>,
) -> BTreeMap<ModPath, BTreeSet<(String, String)>> {
    let exported = re_exports(mods);
    let mut edges: BTreeMap<ModPath, BTreeSet<(String, String)>> = BTreeMap::new();
    for (module, code) in mods {
        for target in references(module, code) {
            // The longest prefix of the target that is a module of this crate, seen through
            // the re-exports of that module.
            let mut t = target.clone();
            while !t.is_empty() && !mods.contains_key(&t) {
                t.pop();
            }
            if let Some(name) = target.get(t.len())
                && let Some(child) = exported.get(&(t.clone(), name.clone()))
            {
                t = child.clone();
            }
            let common = module.iter().zip(&t).take_while(|(a, b)| a == b).count();
            if common == module.len() || common == t.len() {
                continue; // itself, an ancestor or a descendant
            }
            edges
                .entry(module[..common].to_vec())
                .or_default()
                .insert((module[common].clone(), t[common].clone()));
        }
    }
    edges
}

/// A cycle in a directed graph, if any.
fn find_cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = path[i..].iter().map(|s| s.to_string()).collect();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node);
        for n in next.get(node).into_iter().flatten() {
            if let Some(c) = visit(n, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    for start in next.keys() {
        if let Some(c) = visit(start, &next, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_two_modules_of_a_host_crate_import_each_other() {
    let mut cycles = Vec::new();
    for (name, (dir, _)) in host_crates() {
        let mods = modules(&dir.join("src"));
        for (parent, edges) in sibling_edges(&mods) {
            if let Some(cycle) = find_cycle(&edges) {
                let at = if parent.is_empty() {
                    String::new()
                } else {
                    format!("::{}", parent.join("::"))
                };
                cycles.push(format!("{name}{at}: {}", cycle.join(" -> ")));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles between modules: {cycles:#?}"
    );
}

#[test]
fn the_cycle_check_finds_a_cycle_when_there_is_one() {
    let mods: BTreeMap<ModPath, String> = [
        (vec!["a".to_string()], "use crate::b::Thing;".to_string()),
        (
            vec!["b".to_string()],
            "use crate::{c::Other, Root};".to_string(),
        ),
        (vec!["c".to_string()], "pub struct Other;".to_string()),
        (vec![], "pub use a::{Root, More};".to_string()),
    ]
    .into_iter()
    .collect();
    let edges = sibling_edges(&mods);
    // b reaches a only through the root's re-export of `Root`.
    let cycle = find_cycle(&edges[&Vec::<String>::new()]).expect("a -> b -> a");
    assert_eq!(cycle.first(), cycle.last());
    assert!(cycle.contains(&"a".to_string()) && cycle.contains(&"b".to_string()));
    assert!(!cycle.contains(&"c".to_string()), "{cycle:?}");
    // Without the use of the re-exported name there is no cycle.
    let mut acyclic = mods.clone();
    acyclic.insert(vec!["b".to_string()], "use crate::c::Other;".to_string());
    let edges = sibling_edges(&acyclic);
    assert_eq!(find_cycle(&edges[&Vec::<String>::new()]), None);
}
