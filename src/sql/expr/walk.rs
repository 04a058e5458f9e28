//! One walk over a parsed tree gathers what the loader needs to know about the text.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    self, DataType, Distinct, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, SetExpr,
    Statement, TableFactor, Visit, Visitor,
};
use sqlparser::tokenizer::Span;

use super::{listed, offset};

/// Aggregates: not allowed where a value per row is needed (and a check condition is itself
/// pasted inside one).
const AGGREGATES: &str = "\
    count sum avg min max listagg median stddev stddev_samp stddev_pop variance var_samp var_pop \
    bool_and bool_or bit_and bit_or percentile_cont percentile_disc string_agg array_agg";

/// Functions whose first argument may be a bare date part (`DATEDIFF(millisecond, a, b)`): that
/// word is not a column.
const DATE_PART_FIRST: &str = "datediff dateadd date_part datepart date_trunc timestampdiff";

/// Words that call a function without parentheses yet parse as identifiers.
const NILADIC: &str = "sysdate current_user session_user user current_role current_schema current_catalog";

/// PostgreSQL's reserved words, less those that parse as values or niladic functions: sqlparser
/// takes them as column names (`SELECT SELECT a`), PostgreSQL refuses them unquoted.
const RESERVED: &str = "\
    all analyse analyze and any array as asc asymmetric both case cast check collate column constraint \
    create deferrable desc distinct do else end except fetch for foreign from grant group having in \
    initially intersect into lateral leading limit not offset on only or order placing primary \
    references returning select some symmetric table then to trailing union unique using variadic when \
    where window with";

/// Type names PostgreSQL's grammar never reads as a function name: `decimal(38,0)` and
/// `char(3)` are types there, and a syntax error as expressions.
const TYPE_WORDS: &str = "\
    between bigint bit boolean char character dec decimal float inout int integer interval national \
    nchar none numeric out precision real setof smallint time timestamp values varchar";

/// PostgreSQL's JSON and jsonb operators; Redshift has no jsonb.
const JSON_OPERATORS: &str = "-> ->> #> #>> @> <@ ? ?| ?&";

/// What the loader needs from a tree, gathered in one walk; offsets are of first occurrences.
#[derive(Debug, Clone, Default)]
pub(super) struct Facts {
    /// Columns read outside subqueries, one entry per name.
    pub(super) columns: BTreeSet<(String, usize)>,
    pub(super) functions: BTreeSet<String>,
    pub(super) postgres_only: BTreeSet<String>,
    /// Tables and views read, lower case, dotted.
    pub(super) relations: BTreeSet<String>,
    /// Names the query's WITH clauses define, lower case.
    pub(super) ctes: BTreeSet<String>,
    pub(super) subquery: Option<usize>,
    /// An aggregate or window function outside subqueries.
    pub(super) aggregate: Option<(String, usize)>,
    pub(super) select_into: Option<usize>,
    /// A data-modifying statement inside (`WITH d AS (DELETE …)`), as "a DELETE statement".
    pub(super) statement: Option<(String, usize)>,
    /// A reserved word written as a column name.
    pub(super) reserved: Option<(String, usize)>,
}

pub(super) fn facts_of(tree: &impl Visit, text: &str) -> Facts {
    let mut walk = Walk { text, facts: Facts::default(), queries: 0, date_parts: Vec::new() };
    let _ = tree.visit(&mut walk);
    let mut seen = BTreeSet::new();
    walk.facts.columns.retain(|(name, _)| seen.insert(name.clone()));
    walk.facts
}

struct Walk<'a> {
    text: &'a str,
    facts: Facts,
    /// How many queries enclose the node being visited.
    queries: usize,
    /// Bare date-part words (`millisecond` in `DATEDIFF(millisecond, …)`), by position.
    date_parts: Vec<Span>,
}

impl Walk<'_> {
    fn at(&self, span: Span) -> usize {
        offset(self.text, span.start)
    }

    fn column(&mut self, ident: &Ident) {
        if self.queries == 0 && !self.date_parts.contains(&ident.span) {
            let name = if ident.quote_style.is_some() { ident.value.clone() } else { ident.value.to_lowercase() };
            self.facts.columns.insert((name, self.at(ident.span)));
        }
    }

    fn function(&mut self, name: &str, at: Span) {
        let name = name.to_lowercase();
        if self.queries == 0 && self.facts.aggregate.is_none() && listed(AGGREGATES, &name) {
            self.facts.aggregate = Some((name.clone(), self.at(at)));
        }
        self.facts.functions.insert(name);
    }

    fn reserved(&mut self, id: &Ident) {
        if id.quote_style.is_none() && self.facts.reserved.is_none() && listed(RESERVED, &id.value.to_lowercase()) {
            self.facts.reserved = Some((id.value.clone(), self.at(id.span)));
        }
    }

    fn pg_only(&mut self, what: impl Into<String>) {
        self.facts.postgres_only.insert(what.into());
    }
}

fn last_part(name: &ObjectName) -> Option<&Ident> {
    name.0.last()?.as_ident()
}

impl Visitor for Walk<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &ast::Query) -> ControlFlow<()> {
        for cte in query.with.iter().flat_map(|w| &w.cte_tables) {
            self.facts.ctes.insert(cte.alias.name.value.to_lowercase());
        }
        if self.facts.subquery.is_none() {
            self.facts.subquery = Some(self.at(query_start(query)));
        }
        self.queries += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &ast::Query) -> ControlFlow<()> {
        self.queries -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &ast::Select) -> ControlFlow<()> {
        if let Some(Distinct::On(_)) = select.distinct {
            self.pg_only("DISTINCT ON");
        }
        if select.into.is_some() && self.facts.select_into.is_none() {
            self.facts.select_into = Some(self.at(select.select_token.0.span));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        match factor {
            TableFactor::Derived { lateral: true, .. } | TableFactor::Function { lateral: true, .. } => {
                self.pg_only("LATERAL");
            }
            TableFactor::Table { name, args, alias, .. } => {
                name.0
                    .iter()
                    .filter_map(|p| p.as_ident())
                    .chain(alias.as_ref().map(|a| &a.name))
                    .for_each(|i| self.reserved(i));
                let dotted = name.0.iter().filter_map(|p| p.as_ident()).map(|i| i.value.to_lowercase());
                self.facts.relations.insert(dotted.collect::<Vec<_>>().join("."));
                if let (Some(_), Some(f)) = (args, last_part(name)) {
                    self.function(&f.value, f.span);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    /// A statement inside a query or an expression can only be a data-modifying one.
    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        if self.facts.statement.is_none() {
            let (kind, token) = match statement {
                Statement::Insert(s) => ("INSERT", &s.insert_token),
                Statement::Update(s) => ("UPDATE", &s.update_token),
                Statement::Delete(s) => ("DELETE", &s.delete_token),
                Statement::Merge(s) => ("MERGE", &s.merge_token),
                _ => return ControlFlow::Continue(()),
            };
            self.facts.statement = Some((format!("a {kind} statement"), self.at(token.0.span)));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Identifier(id) if id.quote_style.is_none() && listed(NILADIC, &id.value.to_lowercase()) => {
                self.function(&id.value, id.span);
            }
            Expr::Identifier(id) => {
                if id.quote_style.is_none()
                    && self.facts.reserved.is_none()
                    && listed(RESERVED, &id.value.to_lowercase())
                {
                    self.facts.reserved = Some((id.value.clone(), self.at(id.span)));
                }
                self.column(id)
            }
            Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last() {
                    self.column(last);
                }
            }
            Expr::Function(f) => {
                let Some(name) = last_part(&f.name) else { return ControlFlow::Continue(()) };
                let lower = name.value.to_lowercase();
                if name.quote_style.is_none() && f.name.0.len() == 1 && listed(TYPE_WORDS, &lower) {
                    self.facts.reserved.get_or_insert((name.value.clone(), self.at(name.span)));
                }
                if f.filter.is_some() {
                    self.pg_only("aggregate FILTER (WHERE ...)");
                }
                if lower == "row" {
                    self.pg_only("row constructor ROW(...)");
                }
                if (f.over.is_some() || !f.within_group.is_empty())
                    && self.queries == 0
                    && self.facts.aggregate.is_none()
                {
                    self.facts.aggregate = Some((lower.clone(), self.at(name.span)));
                }
                if listed(DATE_PART_FIRST, &lower) {
                    if let FunctionArguments::List(list) = &f.args {
                        if let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(part)))) =
                            list.args.first()
                        {
                            self.date_parts.push(part.span);
                        }
                    }
                }
                self.function(&name.value, name.span);
            }
            Expr::Substring { shorthand, .. } => {
                self.function(if *shorthand { "substr" } else { "substring" }, Span::empty())
            }
            Expr::Extract { .. } => self.function("extract", Span::empty()),
            Expr::Position { .. } => self.function("position", Span::empty()),
            Expr::Trim { .. } => self.function("trim", Span::empty()),
            Expr::Overlay { .. } => self.function("overlay", Span::empty()),
            Expr::Convert { .. } => self.function("convert", Span::empty()),
            Expr::BinaryOp { op, .. } if listed(JSON_OPERATORS, &op.to_string()) => {
                self.pg_only(format!("jsonb operator {op}"))
            }
            Expr::IsDistinctFrom(..) | Expr::IsNotDistinctFrom(..) => self.pg_only("IS DISTINCT FROM"),
            Expr::Array(ast::Array { named: true, .. }) => self.pg_only("ARRAY[...] constructor"),
            Expr::Cast { data_type: DataType::JSONB, .. } => self.pg_only("jsonb type"),
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// Where a query's first SELECT is (`Spanned` would walk, recursively, the whole tree).
fn query_start(query: &ast::Query) -> Span {
    let mut body = &*query.body;
    loop {
        match body {
            SetExpr::Select(select) => return select.select_token.0.span,
            SetExpr::SetOperation { left, .. } => body = left,
            SetExpr::Query(inner) => body = &inner.body,
            _ => return Span::empty(),
        }
    }
}
