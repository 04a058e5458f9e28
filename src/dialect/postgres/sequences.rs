//! PostgreSQL sequences as the catalog rows give them: a sequence no column owns, and the
//! options of any (an identity's or a serial's are its column's, `attrs::read`).

use crate::dialect::catalog::{Builder, Row};
use crate::model::{Sequence, SequenceType};

/// A sequence's options as a row of `pg_sequence` spells them (`seqtype` as `format_type`).
pub(super) fn sequence_of(r: &Row) -> Sequence {
    Sequence {
        ty: SequenceType::parse(r.text("seqtype")),
        start: r.int("seqstart"),
        increment: r.int("seqincrement"),
        min: r.int("seqmin"),
        max: r.int("seqmax"),
        cache: r.int("seqcache"),
        cycle: r.flag("seqcycle"),
    }
}

/// A sequence read with the relations: its options into the model, what the model does not
/// hold of it reported.
pub(super) fn read(b: &mut Builder, r: &Row) {
    let name = r.text("relname");
    let sequence = sequence_of(r);
    b.live.project.sequences.insert(name.to_string(), sequence);
    // Reported wherever they are: the YAML grants nothing on a sequence.
    if let Some(acl) = r.get("relacl") {
        b.unmodelled(name, None, "privileges", None, acl);
    }
    if let Some(comment) = r.get("description") {
        b.unmodelled(name, None, "sequence comment", None, comment);
    }
}
