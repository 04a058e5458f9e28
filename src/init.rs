//! `schema init [DIR]`: a new project that loads as written, commented for a first reader, with
//! the local development cluster kept out of git.

use crate::error::{Context, Error, Result};
use crate::layout::Layout;
use crate::load::json_schema::{self, modeline, Kind};
use crate::model::Dialect;
use std::path::{Path, PathBuf};

const PROJECT: &str = include_str!("../templates/init/schema.yaml.j2");
const TABLE: &str = include_str!("../templates/init/table.yaml.j2");
const VIEW: &str = include_str!("../templates/init/view.yaml.j2");

/// What `.gitignore` must hold: the local cluster (`schema local`) lives there.
const IGNORED: &str = ".schema/";

pub struct Options {
    pub dialects: Vec<Dialect>,
    /// Default: the project's name.
    pub namespace: Option<String>,
}

/// What `init` wrote.
pub struct Created {
    pub name: String,
    pub files: Vec<PathBuf>,
}

/// Writes the project into `dir` (created if missing); refuses a folder that already holds a
/// project. The project's name is the folder's, as an identifier.
pub fn init(dir: &Path, options: &Options) -> Result<Created> {
    let layout = Layout::find(dir);
    if layout.schema.join("schema.yaml").exists() {
        return Err(Error::new(format!(
            "{} already holds a project: nothing was written",
            layout.schema.join("schema.yaml").display()
        )));
    }
    let folder = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let name = crate::local::database_name(&folder.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
    let name = if name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') { name } else { format!("p_{name}") };
    let namespace = options.namespace.clone().unwrap_or_else(|| name.clone());
    crate::load::check_ident(&namespace).map_err(|e| Error::new(format!("--namespace: {e}")))?;
    if options.dialects.is_empty() {
        return Err(Error::new("--dialects: name at least one of postgres, redshift"));
    }
    let context = minijinja::context! {
        name => name,
        namespace => namespace,
        dialects => options.dialects.iter().map(|d| d.name()).collect::<Vec<_>>(),
        table_options => options.dialects.iter().map(|d| crate::dialect::driver(*d).starter_table_options()).collect::<String>(),
    };
    let mut env = minijinja::Environment::new();
    env.set_trim_blocks(true);
    env.set_keep_trailing_newline(true);
    let render = |template: &str| env.render_str(template, &context).map_err(|e| Error::new(format!("{e:#}")));
    let files = [
        (Kind::Project, "schema.yaml", render(PROJECT)?),
        (Kind::Table, "tables/events.yaml", render(TABLE)?),
        (Kind::View, "views/daily_events.yaml", render(VIEW)?),
    ];
    let mut written = Vec::new();
    for (kind, relative, text) in files {
        // Editors with a YAML language server check each file against the schemas beside it.
        let text = modeline(kind, Path::new(relative)) + &text;
        let path = layout.schema.join(relative);
        std::fs::create_dir_all(path.parent().unwrap_or(dir)).context(|| format!("creating {}", path.display()))?;
        std::fs::write(&path, text).context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    let schemas = json_schema::write(&layout.schema.join(json_schema::FOLDER));
    written.extend(schemas.context(|| format!("writing the JSON schemas into {}", layout.schema.display()))?);
    if let Some(gitignore) = ignore_local(&layout.root)? {
        written.push(gitignore);
    }
    Ok(Created { name, files: written })
}

/// Adds `.schema/` to the root's `.gitignore` (created if missing) unless it is there already:
/// the local cluster is tens of megabytes a `git add -A` would commit. The path, if written.
fn ignore_local(root: &Path) -> Result<Option<PathBuf>> {
    let path = root.join(".gitignore");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::new(format!("reading {}: {e}", path.display()))),
    };
    let covered = text.lines().map(str::trim).any(|l| matches!(l, ".schema" | ".schema/" | "/.schema" | "/.schema/"));
    if covered {
        return Ok(None);
    }
    let separator = if text.is_empty() || text.ends_with('\n') { "" } else { "\n" };
    let line = format!("{separator}# the local development PostgreSQL of `schema local`\n{IGNORED}\n");
    std::fs::write(&path, text + &line).context(|| format!("writing {}", path.display()))?;
    Ok(Some(path))
}
