//! Redshift migrations verified without a cluster, through the product's emulation
//! (`schema::dialect::redshift::emulation`: the translation, the stand-ins of Redshift's system
//! views and the rules PostgreSQL does not enforce), applied file by file as the tool applies
//! them, with the checks of `harness` after each.

pub mod access;
pub mod cases;
pub mod checks;
pub mod harness;
pub mod pairs;

use schema::dialect::redshift::emulation::Checker;
pub use schema::dialect::redshift::emulation::{statements, translate};
pub use schema::dialect::NO_TRANSACTION;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The Redshift rules PostgreSQL does not enforce that one migration file breaks.
pub fn static_violations(file_text: &str) -> Vec<String> {
    Checker::default().file(file_text)
}

/// The same for every file of a migrations folder in version order, so a table created with
/// an interleaved sort key in one file is known in the next. Each line names its file.
pub fn static_violations_dir(dir: &Path) -> Vec<String> {
    let mut checker = Checker::default();
    let mut out = Vec::new();
    for path in migration_files(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        out.extend(checker.file(&text).into_iter().map(|v| format!("{name}: {v}")));
    }
    out
}

/// `V<n>__<name>.sql` files of a folder, by version.
pub fn migration_files(dir: &Path) -> Vec<PathBuf> {
    let version = |p: &Path| -> Option<u64> {
        let stem = p.file_stem()?.to_str()?;
        stem.strip_prefix('V')?.split_once("__")?.0.parse().ok()
    };
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .filter_map(|p| Some((version(&p)?, p)))
        .collect();
    files.sort();
    files.into_iter().map(|(_, p)| p).collect()
}

/// Applies every migration of a Redshift migrations folder, in version order.
pub fn apply(url: &str, dir: &Path) -> Result<(), String> {
    migration_files(dir).iter().try_for_each(|f| apply_file(url, f))
}

/// Applies one Redshift migration file, translated statement by statement, as the tool applies
/// it: a transactional file inside one transaction, a `-- schema:no-transaction` file
/// statement by statement in autocommit (a failure mid-file keeps what ran before it, as on
/// Redshift). The error names the file, the statement and the server's message.
pub fn apply_file(url: &str, path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let no_transaction = text.lines().next().is_some_and(|l| l.starts_with(NO_TRANSACTION));
    let target = schema::db::Target::parse(url, None, Duration::from_secs(10)).map_err(|e| e.to_string())?;
    let mut client = target.connect().map_err(|e| e.to_string())?;
    // Redshift's sessions run in UTC unless told otherwise ("timezone" configuration).
    client.batch_execute("SET TIME ZONE 'UTC'").map_err(|e| e.to_string())?;
    if !no_transaction {
        client.batch_execute("BEGIN").map_err(|e| e.to_string())?;
    }
    let all = statements(&text);
    for (i, statement) in all.iter().enumerate() {
        let translated = translate(statement);
        if let Err(e) = client.batch_execute(&translated) {
            let kept = if no_transaction && i > 0 {
                format!("statements 1 to {i} stay applied (no-transaction file)")
            } else {
                "nothing of the file was kept".to_string()
            };
            return Err(format!(
                "{name}: statement {} of {} failed: {}\n  {kept}\n  Redshift:   {}\n  PostgreSQL: {}",
                i + 1,
                all.len(),
                schema::error::describe(&e),
                one_line(statement),
                one_line(&translated)
            ));
        }
    }
    if !no_transaction {
        client.batch_execute("COMMIT").map_err(|e| format!("{name}: COMMIT failed: {e}"))?;
    }
    Ok(())
}

/// A statement on one line, shortened for messages.
fn one_line(sql: &str) -> String {
    let line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 300 {
        format!("{} …", line.chars().take(300).collect::<String>())
    } else {
        line
    }
}
