//! Lexical search through the library: ranking, filters, updates, bad input.

use super::*;
use codegraph::{Error, SearchMode, SearchOptions};

fn lexical(query: &str) -> SearchOptions {
    SearchOptions {
        query: query.into(),
        mode: SearchMode::Lexical,
        ..SearchOptions::default()
    }
}

fn symbols(cg: &Codegraph, options: &SearchOptions) -> Vec<String> {
    cg.search(options)
        .unwrap()
        .results
        .into_iter()
        .map(|r| r.symbol.unwrap_or(r.path))
        .collect()
}

#[test]
fn finds_definitions_by_words_identifiers_and_sentences() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "dates.py",
        "def parse_date(text):\n    \"\"\"Turn an ISO string into a date.\"\"\"\n    return datetime.fromisoformat(text)\n",
    );
    write(
        repo.path(),
        "net.py",
        "def open_socket(host, port):\n    return socket.create_connection((host, port))\n",
    );
    write(
        repo.path(),
        "src/Render.java",
        "class Render {\n  String renderDate(Date d) { return fmt.format(d); }\n}\n",
    );
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    assert_eq!(symbols(&cg, &lexical("parse_date"))[0], "dates.parse_date");
    assert_eq!(
        symbols(&cg, &lexical("parseDate"))[0],
        "dates.parse_date",
        "camelCase finds snake_case"
    );
    assert_eq!(
        symbols(&cg, &lexical("how do I open a socket to a host"))[0],
        "net.open_socket"
    );
    assert_eq!(symbols(&cg, &lexical("renderDate"))[0], "Render.renderDate");
    let java_only = SearchOptions {
        language: Some("java".into()),
        ..lexical("date")
    };
    // The method, then its class's outline; nothing from Python.
    assert_eq!(symbols(&cg, &java_only), ["Render.renderDate", "Render"]);
    let by_path = SearchOptions {
        path_glob: Some("net*".into()),
        ..lexical("socket date")
    };
    assert_eq!(symbols(&cg, &by_path), ["net.open_socket"]);
    let response = cg.search(&lexical("date")).unwrap();
    let first = &response.results[0];
    assert!(first.ranks.lexical.is_some_and(|r| r.rank == 1));
    assert!(first.snippet.contains("date"), "{}", first.snippet);
    assert!(response.stages.contains_key("lexical_ms"));
}

#[test]
fn a_changed_file_is_searchable_after_reindexing() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", "def alpha():\n    return 1\n");
    write(repo.path(), "b.py", "def beta():\n    return 2\n");
    index(repo.path(), idx.path());
    write(repo.path(), "a.py", "def gamma_ray():\n    return 3\n");
    std::fs::remove_file(repo.path().join("b.py")).unwrap();
    let report = index(repo.path(), idx.path());
    assert_eq!(report.search_docs, 1, "only the changed file is re-sent");
    let cg = open(repo.path(), idx.path());
    assert_eq!(symbols(&cg, &lexical("gamma ray")), ["a.gamma_ray"]);
    assert!(symbols(&cg, &lexical("alpha")).is_empty());
    assert!(symbols(&cg, &lexical("beta")).is_empty());
}

#[test]
fn long_queries_work_and_bad_requests_are_refused() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "a.py",
        "def checkout_cart(cart):\n    return cart.total()\n",
    );
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    let issue = format!(
        "{} the checkout of the cart crashes {}",
        "lorem ipsum ".repeat(400),
        "dolor ".repeat(300)
    );
    assert!(issue.len() > 5000);
    assert_eq!(symbols(&cg, &lexical(&issue))[0], "a.checkout_cart");
    assert!(matches!(
        cg.search(&lexical("   ")),
        Err(Error::InvalidRequest(_))
    ));
    let zero = SearchOptions {
        k: 0,
        ..lexical("cart")
    };
    assert!(matches!(cg.search(&zero), Err(Error::InvalidRequest(_))));
    let huge = SearchOptions {
        k: 1_000_000_000,
        ..lexical("cart")
    };
    assert!(matches!(cg.search(&huge), Err(Error::InvalidRequest(_))));
    let bad_glob = SearchOptions {
        path_glob: Some("[".into()),
        ..lexical("cart")
    };
    assert!(matches!(
        cg.search(&bad_glob),
        Err(Error::InvalidRequest(_))
    ));
}

#[test]
fn the_pagerank_prior_lifts_results_from_central_files() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    let body = "def checksum_block(data):\n    return sum(data) % 255\n";
    write(repo.path(), "core.py", body);
    write(repo.path(), "leaf.py", body);
    for name in ["a", "b", "c", "d"] {
        write(
            repo.path(),
            &format!("{name}.py"),
            "from core import checksum_block\n\n\ndef run(x):\n    return checksum_block(x)\n",
        );
    }
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    let query = |weight: f64| {
        cg.search(&SearchOptions {
            pagerank_weight: weight,
            kind: Some("function".parse().unwrap()),
            ..lexical("checksum block")
        })
        .unwrap()
        .results
    };
    let flat = query(0.0);
    let core =
        |rs: &[codegraph::SearchResult]| rs.iter().find(|r| r.path == "core.py").unwrap().score;
    let leaf =
        |rs: &[codegraph::SearchResult]| rs.iter().find(|r| r.path == "leaf.py").unwrap().score;
    let lifted = query(1.0);
    assert_eq!(lifted[0].path, "core.py", "{lifted:?}");
    assert!(core(&lifted) > core(&flat));
    assert_eq!(
        leaf(&lifted),
        leaf(&flat),
        "a file nothing imports gets no lift"
    );
    let bad = cg.search(&SearchOptions {
        pagerank_weight: -1.0,
        ..lexical("checksum")
    });
    assert!(matches!(bad, Err(Error::InvalidRequest(_))));
}

#[test]
fn a_word_added_to_a_body_is_found_after_the_update() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    let java = "class Validator {\n    private Validator(int out) {\n        this.count = out;\n    }\n    void scan() { count++; }\n}\n";
    write(repo.path(), "Validator.java", java);
    let mut cg = open(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    let edited = java.replace(
        "    private Validator(int out) {\n",
        "    private Validator(int out) {\n// zebraMarker\n",
    );
    write(repo.path(), "Validator.java", edited);
    cg.index(&NoProgress).unwrap();
    let found = symbols(&cg, &lexical("zebraMarker"));
    assert_eq!(
        found.first().map(String::as_str),
        Some("Validator.Validator"),
        "{found:?}"
    );
}
