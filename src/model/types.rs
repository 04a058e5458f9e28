//! Portable column types: parsed once from the YAML or the catalog, spelt per dialect by the
//! drivers; and the PostgreSQL types a PostgreSQL-only project carries as written.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Portable column types, parsed once from the YAML (or the catalog) and rendered per dialect.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ColumnType {
    SmallInt,
    Integer,
    BigInt,
    Decimal(u8, u8),
    Real,
    Double,
    Boolean,
    Char(u32),
    Varchar(u32),
    Text,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Json,
    Uuid,
    /// A PostgreSQL enum type declared under `enums:` in schema.yaml, by name (PostgreSQL
    /// projects only; the loader refuses a name no enum declares).
    Enum(String),
    /// A PostgreSQL array of the element type (PostgreSQL projects only). PostgreSQL ignores
    /// declared dimensions, so `integer[][]` is this type too.
    Array(Box<ColumnType>),
    /// Any other PostgreSQL type (PostgreSQL-only projects), in its canonical spelling:
    /// `tsvector`, `character varying`, `bit varying(8)`, `public.my_domain`. Never a text the
    /// portable reading accepts, so each type has one form.
    Native(String),
}

pub const MAX_VARCHAR: u32 = 65535;
/// The portable type names, for "did you mean" suggestions.
pub const TYPE_NAMES: [&str; 16] = [
    "smallint",
    "integer",
    "bigint",
    "decimal",
    "real",
    "double",
    "boolean",
    "char",
    "varchar",
    "text",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "json",
    "uuid",
];
pub const MAX_CHAR: u32 = 4096;

impl ColumnType {
    /// Parses a type name as written in YAML or returned by `format_type`, in a project that
    /// deploys to a dialect without native types: `numeric` is `decimal(18,0)`, `varchar` needs a
    /// length, a bare name is an enum. The error says what was expected and, for types a dialect
    /// lacks, what to use instead.
    pub fn parse(text: &str) -> Result<ColumnType, String> {
        ColumnType::read(text, false)
    }

    /// Parses a type name in a PostgreSQL-only project: `numeric` and `varchar` are unconstrained
    /// and any other PostgreSQL type is `Native` (a bare name is still read as an enum, which
    /// `undeclared` turns into a native type when no `enums:` entry declares it).
    pub fn parse_postgres(text: &str) -> Result<ColumnType, String> {
        ColumnType::read(text, true)
    }

    fn read(text: &str, postgres: bool) -> Result<ColumnType, String> {
        let text = text.trim();
        if let Some(element) = text.strip_suffix("[]") {
            return match ColumnType::read(element, postgres)? {
                ColumnType::Array(inner) => Ok(ColumnType::Array(inner)),
                element => Ok(ColumnType::Array(Box::new(element))),
            };
        }
        match ColumnType::portable(text, postgres) {
            Err((message, native)) if native || postgres && !message.contains("identity: true") => {
                let canonical = super::native::canonical(text).map_err(|e| if native { e } else { message })?;
                // A spelling folded into a portable one (`char varying(5)`) is that type.
                Ok(ColumnType::portable(&canonical, postgres).unwrap_or(ColumnType::Native(canonical)))
            }
            read => read.map_err(|(message, _)| message),
        }
    }

    /// The portable reading; Err((why, whether the text names no portable type at all)).
    fn portable(text: &str, postgres: bool) -> Result<ColumnType, (String, bool)> {
        let norm = text.to_ascii_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
        let (base, args) = match norm.find('(') {
            Some(i) if norm.ends_with(')') => {
                let args: Vec<&str> = norm[i + 1..norm.len() - 1].split(',').map(str::trim).collect();
                (norm[..i].trim_end(), Some(args))
            }
            // Text after the closing parenthesis is more than a type: the native reading says what.
            Some(_) => return Err((format!("unbalanced parenthesis in type `{text}`"), norm.contains(')'))),
            None => (norm.as_str(), None),
        };
        let num = |s: &str| s.parse::<u32>().map_err(|_| format!("`{s}` is not a length in type `{text}`"));
        let no_args = |t: ColumnType| match &args {
            None => Ok(t),
            Some(_) => Err(format!("type `{base}` takes no arguments")),
        };
        // An empty message: no portable type has this name.
        let read = (|| match base {
            "smallint" | "int2" => no_args(ColumnType::SmallInt),
            "integer" | "int" | "int4" => no_args(ColumnType::Integer),
            "bigint" | "int8" => no_args(ColumnType::BigInt),
            "real" | "float4" => no_args(ColumnType::Real),
            "double" | "double precision" | "float8" | "float" => no_args(ColumnType::Double),
            "boolean" | "bool" => no_args(ColumnType::Boolean),
            "text" => no_args(ColumnType::Text),
            "date" => no_args(ColumnType::Date),
            "time" | "time without time zone" => no_args(ColumnType::Time),
            "timestamp" | "timestamp without time zone" => no_args(ColumnType::Timestamp),
            "timestamptz" | "timestamp with time zone" => no_args(ColumnType::TimestampTz),
            "json" | "jsonb" | "super" => no_args(ColumnType::Json),
            "uuid" => no_args(ColumnType::Uuid),
            "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" => Err(format!(
                "`{base}` is not portable (Redshift has no sequences); use an integer type with `identity: true`"
            )),
            "decimal" | "numeric" => match args.as_deref() {
                None if postgres => Ok(ColumnType::Native("numeric".into())),
                None => Ok(ColumnType::Decimal(18, 0)),
                Some([p]) => decimal(num(p)?, 0),
                Some([p, s]) => decimal(num(p)?, num(s)?),
                Some(_) => Err("decimal takes (precision, scale)".into()),
            },
            "varchar" | "character varying" | "nvarchar" => match args.as_deref() {
                Some(["max"]) => Ok(ColumnType::Varchar(MAX_VARCHAR)),
                Some([n]) => match num(n)? {
                    n @ 1..=MAX_VARCHAR => Ok(ColumnType::Varchar(n)),
                    n => Err(format!("varchar({n}) is out of range: the length must be 1..={MAX_VARCHAR}")),
                },
                None if postgres => Ok(ColumnType::Native("character varying".into())),
                _ => Err("varchar needs a length, e.g. varchar(64) (Redshift would silently use 256)".into()),
            },
            "char" | "character" | "bpchar" => match args.as_deref() {
                None => Ok(ColumnType::Char(1)),
                Some([n]) => match num(n)? {
                    n @ 1..=MAX_CHAR => Ok(ColumnType::Char(n)),
                    n => Err(format!("char({n}) is out of range: the length must be 1..={MAX_CHAR}")),
                },
                Some(_) => Err("char takes one length".into()),
            },
            name if args.is_none() && is_type_name(name) => Ok(ColumnType::Enum(name.to_string())),
            _ => Err(String::new()),
        })();
        read.map_err(|message| match message.is_empty() {
            true => (format!("unknown type `{text}`"), true),
            false => (message, false),
        })
    }

    /// `name`, `name[]`, ... where `name` is a declared enum written as declared (its case kept,
    /// as for `"UserRole"`): that enum, before any reading that folds case.
    pub fn declared_enum(text: &str, declared: impl Fn(&str) -> bool) -> Option<ColumnType> {
        let base = text.trim().trim_end_matches("[]");
        let enum_type = ColumnType::Enum(base.to_string());
        match text.trim().len() > base.len() {
            true => declared(base).then(|| ColumnType::Array(Box::new(enum_type))),
            false => declared(base).then_some(enum_type),
        }
    }

    /// The type with each enum name no `enums:` entry declares read as a native type
    /// (PostgreSQL-only projects; the server proves it exists).
    pub fn undeclared(self, declared: impl Fn(&str) -> bool + Copy) -> Result<ColumnType, String> {
        match self {
            ColumnType::Enum(name) if !declared(&name) => super::native::canonical(&name).map(ColumnType::Native),
            ColumnType::Array(element) => Ok(ColumnType::Array(Box::new(element.undeclared(declared)?))),
            other => Ok(other),
        }
    }

    /// Whether the type is or holds a native type.
    pub fn is_native(&self) -> bool {
        match self {
            ColumnType::Native(_) => true,
            ColumnType::Array(element) => element.is_native(),
            _ => false,
        }
    }

    /// The enum type this column type names, directly or as an array's element.
    pub fn enum_name(&self) -> Option<&str> {
        match self {
            ColumnType::Enum(name) => Some(name),
            ColumnType::Array(element) => element.enum_name(),
            _ => None,
        }
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt)
    }
}

/// A name an `enums:` entry could declare (the loader checks that one does).
fn is_type_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn decimal(p: u32, s: u32) -> Result<ColumnType, String> {
    if !(1..=38).contains(&p) || s > p {
        return Err(format!("decimal({p},{s}) is out of range: precision 1..=38 and scale <= precision"));
    }
    Ok(ColumnType::Decimal(p as u8, s as u8))
}

/// The portable spelling, as written in YAML.
impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::SmallInt => f.write_str("smallint"),
            ColumnType::Integer => f.write_str("integer"),
            ColumnType::BigInt => f.write_str("bigint"),
            ColumnType::Decimal(p, s) => write!(f, "decimal({p},{s})"),
            ColumnType::Real => f.write_str("real"),
            ColumnType::Double => f.write_str("double"),
            ColumnType::Boolean => f.write_str("boolean"),
            ColumnType::Char(n) => write!(f, "char({n})"),
            ColumnType::Varchar(n) => write!(f, "varchar({n})"),
            ColumnType::Text => f.write_str("text"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Time => f.write_str("time"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::TimestampTz => f.write_str("timestamptz"),
            ColumnType::Json => f.write_str("json"),
            ColumnType::Uuid => f.write_str("uuid"),
            ColumnType::Enum(name) | ColumnType::Native(name) => f.write_str(name),
            ColumnType::Array(element) => write!(f, "{element}[]"),
        }
    }
}

/// A portable type as its YAML spelling; a native one (or an array of one) as `{native: text}`,
/// since its text alone could read as another type (`numeric` is decimal(18,0) where Redshift is
/// a dialect, `tsvector` an enum's name); an enum whose name is no type name's spelling (`Role`,
/// which would read as `role`) as `{enum: text}`. Templates and the state document read it back.
impl Serialize for ColumnType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_native() {
            return Tagged::Native { native: self.to_string() }.serialize(s);
        }
        if self.enum_name().is_some_and(|name| !is_type_name(name)) {
            return Tagged::Enum { name: self.to_string() }.serialize(s);
        }
        s.collect_str(self)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Tagged {
    Text(String),
    Native {
        native: String,
    },
    Enum {
        #[serde(rename = "enum")]
        name: String,
    },
}

impl<'de> Deserialize<'de> for ColumnType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let read = match Tagged::deserialize(d)? {
            Tagged::Text(text) => ColumnType::parse(&text),
            Tagged::Native { native } => ColumnType::parse_postgres(&native).and_then(|t| t.undeclared(|_| false)),
            Tagged::Enum { name } => {
                ColumnType::declared_enum(&name, |_| true).ok_or_else(|| format!("`{name}` is no enum"))
            }
        };
        read.map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_aliases_to_one_type() {
        for (text, ty) in [
            ("character varying(64)", ColumnType::Varchar(64)),
            ("VARCHAR( 64 )", ColumnType::Varchar(64)),
            ("int4", ColumnType::Integer),
            ("timestamp without time zone", ColumnType::Timestamp),
            ("numeric(10,2)", ColumnType::Decimal(10, 2)),
            ("varchar(max)", ColumnType::Varchar(65535)),
            ("jsonb", ColumnType::Json),
        ] {
            assert_eq!(ColumnType::parse(text), Ok(ty.clone()), "{text}");
            assert_eq!(ColumnType::parse(&ty.to_string()), Ok(ty.clone()), "round trip of {ty}");
        }
    }

    #[test]
    fn rejects_what_is_not_portable() {
        assert!(ColumnType::parse("serial").unwrap_err().contains("identity: true"));
        // Arrays of anything the model has; `int[][]` is the same type (dimensions are not kept).
        assert_eq!(ColumnType::parse("int[][]"), Ok(ColumnType::Array(Box::new(ColumnType::Integer))));
        assert!(ColumnType::parse("money; drop table x").unwrap_err().contains("not one PostgreSQL type"));
        assert!(ColumnType::parse("varchar(70000)").unwrap_err().contains("65535"));
        assert!(ColumnType::parse("varchar").unwrap_err().contains("length"));
        assert!(ColumnType::parse("decimal(40,2)").unwrap_err().contains("38"));
        // A plain name may be an enum type; the loader checks that `enums:` declares it.
        assert_eq!(ColumnType::parse("mood"), Ok(ColumnType::Enum("mood".into())));
        assert_eq!(ColumnType::parse("MOOD"), Ok(ColumnType::Enum("mood".into())), "folded like SQL");
        // Any other type is native: the Redshift lint refuses it where Redshift is a dialect.
        assert_eq!(ColumnType::parse("\"Mood\""), Ok(ColumnType::Native("\"Mood\"".into())));
        assert_eq!(ColumnType::parse("Public.Mood"), Ok(ColumnType::Native("public.mood".into())));
        assert_eq!(ColumnType::parse("char varying(5)"), Ok(ColumnType::Varchar(5)), "one form per type");
    }

    #[test]
    fn a_postgresql_only_project_reads_any_type() {
        let native = |text: &str| ColumnType::Native(text.into());
        let array = |t: ColumnType| ColumnType::Array(Box::new(t));
        for (text, ty) in [
            ("numeric", native("numeric")),
            ("decimal", native("numeric")),
            ("varchar", native("character varying")),
            ("character varying[]", array(native("character varying"))),
            ("decimal(40,2)", native("numeric(40,2)")),
            ("inet[]", array(ColumnType::Enum("inet".into()))),
            ("bit varying(8)", native("bit varying(8)")),
            ("interval day to second", native("interval day to second")),
            ("numeric(10,2)", ColumnType::Decimal(10, 2)),
        ] {
            assert_eq!(ColumnType::parse_postgres(text), Ok(ty.clone()), "{text}");
            let undeclared = ty.clone().undeclared(|_| false).unwrap();
            assert_eq!(
                ColumnType::parse_postgres(&undeclared.to_string()).and_then(|t| t.undeclared(|_| false)),
                Ok(undeclared.clone()),
                "round trip of {ty}"
            );
            // The serialised form reads back without the project's context.
            let json = serde_json::to_string(&undeclared).unwrap();
            assert_eq!(serde_json::from_str::<ColumnType>(&json).unwrap(), undeclared, "{json}");
        }
        assert_eq!(ColumnType::parse("numeric"), Ok(ColumnType::Decimal(18, 0)), "where Redshift is a dialect");
        assert!(ColumnType::parse("varchar").is_err());
        assert!(ColumnType::parse_postgres("serial").unwrap_err().contains("identity: true"));
        assert!(ColumnType::parse_postgres("int default 1").unwrap_err().contains("`default` follows the type"));
        assert_eq!(serde_json::to_string(&ColumnType::Integer).unwrap(), "\"integer\"");
        // An enum named in mixed case keeps its case through the state document and templates.
        let role = ColumnType::Array(Box::new(ColumnType::Enum("User Role".into())));
        let json = serde_json::to_string(&role).unwrap();
        assert_eq!(json, r#"{"enum":"User Role[]"}"#);
        assert_eq!(serde_json::from_str::<ColumnType>(&json).unwrap(), role);
    }
}
