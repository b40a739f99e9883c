//! The console's dependency boundary (DESIGN.md §3).

/// DESIGN.md §3: the console reaches the database only through `crate::store`.
#[test]
fn console_never_names_the_database_or_http_crates() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![root.join("console.rs")];
    let mut dirs = vec![root.join("console")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 20, "found the console's files");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for word in [concat!("sq", "lx"), concat!("req", "west")] {
            assert!(!text.contains(word), "{} names {word}", file.display());
        }
    }
}
