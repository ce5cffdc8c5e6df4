//! The indexes SQLite chooses for the queries on a request's hot path: a
//! new index can silently turn a range lookup into a scan of a whole table
//! (the kind index once made every completion request 30 times slower).

use crate::Store;

/// The query plan's lines for `sql`.
fn plan(store: &Store, sql: &str) -> Vec<String> {
    store
        .read()
        .rows(&format!("EXPLAIN QUERY PLAN {sql}"), ["a", "b"], |r| {
            r.get::<_, String>(3)
        })
        .unwrap()
}

#[test]
fn members_outside_searches_the_qualified_name_range() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("index.sqlite")).unwrap();
    let plan = plan(&store, &crate::files::members_outside_sql());
    let definitions: Vec<&String> = plan.iter().filter(|l| l.contains(" d ")).collect();
    assert!(
        definitions
            .iter()
            .any(|l| l.starts_with("SEARCH") && l.contains("definitions_qualified")),
        "definitions read by another path: {plan:?}"
    );
}
