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

/// A retriever of the caller's own: pins chunks it was given.
struct Pinned(Vec<codegraph::core::ChunkId>);

impl codegraph::Retriever for Pinned {
    fn name(&self) -> &str {
        "pinned"
    }
    fn retrieve(&self, _query: &codegraph::Query<'_>) -> codegraph::Result<codegraph::Hits> {
        Ok(codegraph::Hits::new(
            self.0.iter().map(|&id| (id, 1.0)).collect(),
        ))
    }
}

/// Ranks by the last retriever's list alone.
struct LastListOnly;

impl codegraph::Ranker for LastListOnly {
    fn rank(&self, lists: &[(&codegraph::Hits, f64)]) -> Vec<codegraph::Fused> {
        let Some((last, _)) = lists.last() else {
            return Vec::new();
        };
        last.hits
            .iter()
            .enumerate()
            .map(|(i, &(id, score))| codegraph::Fused {
                id,
                score: 1.0 / (i + 1) as f64,
                ranks: lists
                    .iter()
                    .map(|(l, _)| {
                        l.hits
                            .iter()
                            .position(|h| h.0 == id)
                            .map(|p| codegraph::RankScore { rank: p + 1, score })
                    })
                    .collect(),
            })
            .collect()
    }
}

#[test]
fn a_retriever_and_a_ranker_of_the_callers_own_plug_into_search() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "dates.py",
        "def parse_date(text):\n    return text\n",
    );
    write(
        repo.path(),
        "net.py",
        "def open_socket(host):\n    return host\n",
    );
    let mut cg = open(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    let net = cg.chunks_in_file("net.py").unwrap()[0].id;
    let options = lexical("parse date");
    // The default pipeline does not find net.py for this query.
    assert!(symbols(&cg, &options).iter().all(|s| !s.contains("socket")));
    let mut pipeline = cg.pipeline(&options).unwrap();
    pipeline.add(Box::new(Pinned(vec![net])), 1.0);
    let fused = cg.search_with(&options, &pipeline).unwrap();
    let pinned = fused
        .results
        .iter()
        .find(|r| r.path == "net.py")
        .expect("the pinned chunk is fused in");
    assert_eq!(pinned.ranks.other["pinned"].rank, 1);
    assert!(pinned.ranks.lexical.is_none());
    assert!(fused.results.iter().any(|r| r.path == "dates.py"));
    // A ranker that keeps only the pinned list.
    pipeline.set_ranker(Box::new(LastListOnly));
    let ranked = cg.search_with(&options, &pipeline).unwrap();
    let paths: Vec<&str> = ranked.results.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["net.py"]);
}

#[test]
fn pasted_code_quoted_messages_frames_and_names_find_their_definitions() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "src/shop/ctx.py",
        "def current_context():\n    \"\"\"The context of this request.\"\"\"\n    if _stack is None:\n        raise RuntimeError(\"Working outside of application context.\")\n    return _stack[-1]\n\n\ndef push_context(ctx):\n    _stack.append(ctx)\n",
    );
    write(
        repo.path(),
        "src/shop/app.py",
        "class App:\n    def dispatch_request(self, request):\n        rule = request.url_rule\n        return self.ensure_sync(self.view_functions[rule.endpoint])(**request.view_args)\n\n    def context(self):\n        return current_context()\n",
    );
    // Tests mention everything many times over.
    write(
        repo.path(),
        "tests/test_app.py",
        "def test_dispatch_request():\n    app = App()\n    app.dispatch_request(request)\n    app.dispatch_request(request)\n    assert app.view_functions\n\n\ndef test_context():\n    with pytest.raises(RuntimeError, match=\"Working outside of application context.\"):\n        current_context()\n",
    );
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    let first = |q: &str| {
        symbols(&cg, &lexical(q))
            .into_iter()
            .next()
            .unwrap_or_default()
    };

    // A line pasted from a body.
    assert_eq!(
        first("return self.ensure_sync(self.view_functions[rule.endpoint])(**request.view_args)"),
        "shop.app.App.dispatch_request"
    );
    // A message quoted in an issue.
    assert_eq!(
        first("I get \"Working outside of application context.\" when I call it from a thread"),
        "shop.ctx.current_context"
    );
    // A traceback frame names the file and the function.
    assert_eq!(
        first(
            "Traceback (most recent call last):\n  File \"/home/u/venv/src/shop/ctx.py\", line 9, in push_context\nAttributeError: 'NoneType' object has no attribute 'append'"
        ),
        "shop.ctx.push_context"
    );
    // A named function, in prose that the tests mention more often.
    let response = cg
        .search(&lexical(
            "dispatch_request returns the wrong view for a request",
        ))
        .unwrap();
    assert_eq!(
        response.results[0].symbol.as_deref(),
        Some("shop.app.App.dispatch_request")
    );
    assert!(
        response
            .understood
            .identifiers
            .contains(&"dispatch_request".to_owned())
    );
    assert!(response.results[0].ranks.other.contains_key("symbols"));
    // Asking for tests turns the source-over-tests prior off.
    let tests = symbols(&cg, &lexical("tests of dispatch_request"));
    assert!(
        tests
            .iter()
            .take(2)
            .any(|s| s.contains("test_dispatch_request")),
        "{tests:?}"
    );
}

#[test]
fn a_file_whose_functions_share_an_issues_words_outranks_one_dense_chunk() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    // The issue's words are spread over the functions of one file...
    write(
        repo.path(),
        "billing/invoice.py",
        "def total(lines):\n    return sum(l.amount for l in lines)\n\n\ndef apply_discount(invoice, coupon):\n    invoice.amount -= coupon.value\n\n\ndef round_currency(amount):\n    return round(amount, 2)\n\n\ndef render_pdf(invoice):\n    return pdf(invoice)\n",
    );
    // ...while another file has one function that repeats one of them.
    write(
        repo.path(),
        "util/coupons.py",
        "def coupon_codes(coupon):\n    coupon = coupon.strip()\n    coupon = coupon.upper()\n    return [coupon, coupon.lower(), coupon.title()]\n",
    );
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    assert!(
        idx.path().join("bm25-files").is_dir(),
        "the file-level index is built"
    );
    let query = "the invoice total is wrong after a coupon discount: amount not rounded to currency when the pdf is rendered";
    let response = cg.search(&lexical(query)).unwrap();
    assert_eq!(
        response.results[0].path, "billing/invoice.py",
        "{response:#?}"
    );
    let files_rank = &response.results[0].ranks.other;
    assert!(files_rank.contains_key("files"), "{files_rank:?}");
    // A kind filter leaves whole files out.
    let response = cg
        .search(&SearchOptions {
            kind: Some("function".parse().unwrap()),
            ..lexical(query)
        })
        .unwrap();
    assert!(
        response
            .results
            .iter()
            .all(|r| !r.ranks.other.contains_key("files"))
    );
}

#[test]
fn a_pasted_message_without_quotes_is_found_verbatim_even_in_a_test() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "net/server.py",
        "def serve(listener):\n    \"\"\"Serve until the listener is shut down.\"\"\"\n    while listener.open:\n        listener.accept()\n\n\ndef shutdown(listener):\n    listener.open = False\n    log(\"listener shut down\")\n",
    );
    write(
        repo.path(),
        "tests/test_server.py",
        "def test_shutdown_message():\n    err = run_closed()\n    assert str(err) == \"the listener was shut down before serving\"\n",
    );
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    let response = cg
        .search(&lexical("the listener was shut down before serving"))
        .unwrap();
    assert_eq!(
        response.results[0].path, "tests/test_server.py",
        "{response:#?}"
    );
    assert!(response.results[0].ranks.other.contains_key("exact"));
}

/// A first index of more than 5,000 chunks streams its documents from the
/// store into both lexical indexes, beside the graph's resolution; what it
/// writes answers as an update of the same files answers, which writes
/// from documents held in memory.
#[test]
fn a_big_first_index_streams_into_the_lexical_indexes_an_update_would_write() {
    let module = |f: usize| -> String {
        (0..120)
            .map(|i| {
                format!(
                    "def fn_{f}_{i}(x):\n    \"\"\"Handles case {i} of module {f}: {}.\"\"\"\n    return x + {i}\n\n",
                    ["parse", "render", "store", "fetch"][(f + i) % 4]
                )
            })
            .collect()
    };
    let streamed = tempfile::tempdir().unwrap();
    let updated = tempfile::tempdir().unwrap();
    for f in 0..44 {
        write(streamed.path(), &format!("mod_{f}.py"), module(f));
    }
    write(updated.path(), "mod_0.py", module(0));
    let (idx_s, idx_u) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let report = index(streamed.path(), idx_s.path());
    assert!(report.search_docs > 5_000, "{}", report.search_docs);
    index(updated.path(), idx_u.path());
    for f in 1..44 {
        write(updated.path(), &format!("mod_{f}.py"), module(f));
    }
    let update = index(updated.path(), idx_u.path());
    assert!(update.search_docs > 5_000, "{}", update.search_docs);

    let (s, u) = (
        open(streamed.path(), idx_s.path()),
        open(updated.path(), idx_u.path()),
    );
    for cg in [&s, &u] {
        let status = cg.status().unwrap();
        assert_eq!(status.lexical_documents, Some(status.stats.chunks));
        assert!(status.problems.is_empty(), "{:?}", status.problems);
    }
    let top = |cg: &Codegraph, query: &str| {
        let results = cg.search(&lexical(query)).unwrap().results;
        (results[0].symbol.clone(), results.len())
    };
    for (query, wanted) in [
        ("fn_17_5", "mod_17.fn_17_5"),
        ("fn_40_113", "mod_40.fn_40_113"),
        ("fn_0_0", "mod_0.fn_0_0"),
    ] {
        assert_eq!(top(&s, query).0.as_deref(), Some(wanted));
        assert_eq!(top(&s, query), top(&u, query), "{query}");
    }
    let again = index(streamed.path(), idx_s.path());
    assert_eq!(again.search_docs, 0, "the streamed index matches the store");
    let top_file = |cg: &Codegraph| {
        cg.reader()
            .locate(&codegraph::LocateOptions {
                text: "module 29 handles case 7 in fn_29_7".into(),
                k: 3,
                deadline: None,
            })
            .unwrap()
            .files
            .into_iter()
            .map(|f| f.path)
            .collect::<Vec<_>>()
    };
    // (Past the first two, files tie on these generated words.)
    assert_eq!(top_file(&s)[..2], ["mod_29.py", "mod_7.py"]);
    assert_eq!(top_file(&s)[..2], top_file(&u)[..2]);
}
