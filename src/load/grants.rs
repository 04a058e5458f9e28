//! The semantic pass over grants: the project default in `schema.yaml` and each object's own
//! `grants:`, merged into the object's effective grants.

use super::docs::{GrantDoc, TableDoc, ViewDoc};
use super::project::Loader;
use super::Source;
use crate::model::grants::merge;
use crate::model::{Grant, Grantee, Privilege};
use crate::suggest::nearest;
use std::collections::BTreeMap;

impl Loader<'_> {
    /// The grants of one `grants:` list; `view`: only `select` is allowed.
    pub(super) fn grants(&mut self, src: &Source, docs: &[GrantDoc], view: bool) -> Vec<Grant> {
        let mut out: Vec<Grant> = Vec::new();
        for (i, doc) in docs.iter().enumerate() {
            let at = |field: &str| format!("grants.{i}.{field}");
            let to = match doc.to.parse::<Grantee>() {
                Ok(to) => to,
                Err(message) => {
                    let kind = doc.to.split_whitespace().next().unwrap_or_default();
                    self.at_help(src, &at("to"), message, nearest(kind, Grantee::KINDS));
                    continue;
                }
            };
            if let Some(name) = to.name() {
                self.ident(src, &at("to"), name);
            }
            if out.iter().any(|g| g.to == to) {
                let message = format!("`{to}` is granted twice in this list: list all its privileges in one entry");
                self.at(src, &at("to"), message);
            }
            if doc.privileges.is_empty() {
                self.at(src, &at("privileges"), "a grant needs at least one privilege");
            }
            let mut privileges = Vec::new();
            for (j, word) in doc.privileges.iter().enumerate() {
                let path = format!("grants.{i}.privileges.{j}");
                let Some(p) = self.privilege(src, &path, word) else { continue };
                if privileges.contains(&p) {
                    self.at(src, &path, format!("`{word}` is listed twice"));
                } else if view && p != Privilege::Select {
                    let help = Some("a view is only read: grant `select`".to_string());
                    self.at_help(src, &path, format!("`{word}` cannot be granted on a view"), help);
                } else {
                    privileges.push(p);
                }
            }
            out.push(Grant { to, privileges });
        }
        out
    }

    fn privilege(&mut self, src: &Source, path: &str, word: &str) -> Option<Privilege> {
        if let Some(p) = Privilege::parse(word) {
            return Some(p);
        }
        let names = Privilege::ALL.map(Privilege::name);
        let lower = word.to_ascii_lowercase();
        let help = match Privilege::parse(&lower) {
            Some(p) => Some(format!("did you mean `{}`?", p.name())),
            None => nearest(&lower, names),
        };
        self.at_help(src, path, format!("unknown privilege `{word}`: expected one of {}", names.join(", ")), help);
        None
    }

    /// An object's effective grants: the project default (its `select` only on a view) plus its
    /// own. None when neither is declared: the object's grants are not managed.
    pub(super) fn object_grants(
        &mut self,
        src: &Source,
        own: Option<&Vec<GrantDoc>>,
        default: &[Grant],
        view: bool,
    ) -> Option<Vec<Grant>> {
        let own = own.map(|docs| self.grants(src, docs, view));
        if own.is_none() && default.is_empty() {
            return None;
        }
        let inherited = default.iter().map(|g| Grant {
            to: g.to.clone(),
            privileges: g.privileges.iter().copied().filter(|p| !view || *p == Privilege::Select).collect(),
        });
        Some(merge(inherited.chain(own.into_iter().flatten())))
    }

    /// On PostgreSQL a user, a group and a role are all one role: a name may be used with one
    /// kind only, across the whole project.
    pub(super) fn grantee_kinds(
        &mut self,
        project: (&Source, &[GrantDoc]),
        tables: &[(Source, TableDoc)],
        views: &[(Source, ViewDoc)],
    ) {
        if !self.dialects.iter().any(|d| crate::dialect::driver(*d).grantee_kinds_share_names()) {
            return;
        }
        let lists = std::iter::once((project.0, Some(project.1)))
            .chain(tables.iter().map(|(s, t)| (s, t.grants.as_deref())))
            .chain(views.iter().map(|(s, v)| (s, v.grants.as_deref())));
        let mut first: BTreeMap<String, (Grantee, &Source)> = BTreeMap::new();
        for (src, list) in lists {
            for (i, doc) in list.unwrap_or_default().iter().enumerate() {
                let Ok(to) = doc.to.parse::<Grantee>() else { continue };
                let Some(name) = to.name() else { continue };
                match first.get(name) {
                    Some((seen, file)) if seen.kind() != to.kind() => {
                        let message = format!(
                            "`{to}` and `{seen}` (in {}) are the same role `{name}` on PostgreSQL: use one kind",
                            self.show(&file.path)
                        );
                        self.at(src, &format!("grants.{i}.to"), message);
                    }
                    Some(_) => {}
                    None => {
                        first.insert(name.to_string(), (to.clone(), src));
                    }
                }
            }
        }
    }
}
