//! `schema diff` runs against production: it must take no lock a writer waits for. While diff
//! runs again and again on the shipped project, writers take, on every live table, the lock an
//! INSERT takes and the lock an ALTER TABLE takes, each with a short lock_timeout: none may time
//! out. The desired views are created over scratch copies of the tables, never over the live
//! ones; the server locks what a live view reads only while it prints that view's body, in a
//! transaction of that one query.

mod common;

use schema::db::Target;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[test]
fn a_writer_on_every_live_table_is_never_blocked_while_diff_runs() {
    let url = common::shipped_database();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let relations = common::psql(
        &url,
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'analytics' AND c.relkind = 'r' ORDER BY 1",
    );
    let relations: Vec<&str> = relations.lines().collect();
    assert!(relations.len() > 15, "{relations:?}");
    let done = AtomicBool::new(false);
    let (mut locked, mut blocked) = (0, Vec::new());
    std::thread::scope(|s| {
        let diffs = s.spawn(|| {
            let codes: Vec<Option<i32>> =
                (0..12).map(|_| common::schema(root, &url, &["-q", "diff"]).status.code()).collect();
            done.store(true, Ordering::Relaxed);
            codes
        });
        let mut client = Target::parse(&url, None, Duration::from_secs(10)).unwrap().connect().unwrap();
        while !done.load(Ordering::Relaxed) {
            for relation in &relations {
                for mode in ["ROW EXCLUSIVE", "ACCESS EXCLUSIVE"] {
                    let sql = format!(
                        "BEGIN; SET LOCAL lock_timeout = '20ms'; LOCK TABLE analytics.\"{relation}\" IN {mode} MODE; ROLLBACK"
                    );
                    match client.batch_execute(&sql) {
                        Ok(()) => locked += 1,
                        Err(e) => {
                            let code = e.code().map(|c| c.code().to_string());
                            assert_eq!(code.as_deref(), Some("55P03"), "{relation} in {mode} mode: {e:?}");
                            blocked.push(format!("{relation} in {mode} mode"));
                            client.batch_execute("ROLLBACK").unwrap();
                        }
                    }
                }
            }
        }
        assert!(diffs.join().unwrap().iter().all(|c| *c == Some(0)), "diff found drift or failed");
    });
    assert!(locked > 2 * relations.len(), "the writers ran while diff did ({locked} locks)");
    assert!(blocked.is_empty(), "{} writers waited on diff: {blocked:?}", blocked.len());
}
