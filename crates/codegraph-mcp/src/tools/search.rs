use super::*;

pub(crate) fn search_code(
    reader: &Reader,
    index: &Completeness,
    a: SearchCodeArgs,
) -> Result<CallToolResult, String> {
    let query = text_arg("query", &a.query, MAX_QUERY_BYTES)?.to_owned();
    let limit = limit_arg("limit", a.limit, 10, 50)?;
    let budget = budget(a.budget_tokens, 2000)?;
    let offset = cursor(a.cursor.as_deref())?;
    // Search ranks at most 1,000 results.
    check_offset(offset, 1000 - limit)?;
    let kind = a
        .kind
        .as_deref()
        .map(|k| {
            k.parse::<DocKind>().map_err(|_| {
                format!(
                    "kind `{k}` is unknown; use one of: {}",
                    DocKind::names().join(", ")
                )
            })
        })
        .transpose()?;
    if let Some(g) = &a.path_glob {
        text_arg("path_glob", g, MAX_NAME_BYTES)?;
    }
    if let Some(l) = &a.language {
        text_arg("language", l, 64)?;
    }
    let mut ans = Answer::new(budget);
    ans.set("query", json!(query));
    if !index.has_index() {
        // Never indexed: scan the files while the first build runs.
        let scan = reader
            .scan(&query, offset + limit, Some(Instant::now() + CALL_DEADLINE))
            .map_err(lib_err)?;
        ans.stage("scan");
        ans.set("mode", json!("scan"));
        let shown = page(&scan.hits, offset)?;
        ans.line(&format!(
            "{} line(s) from a scan of {} files (no index yet{})",
            scan.hits.len(),
            scan.files_scanned,
            if scan.partial {
                "; scan stopped early"
            } else {
                ""
            }
        ));
        for (i, h) in shown.iter().enumerate() {
            let text = format!("{}:{}: {}", h.path, h.line, h.text);
            if !ans.item(
                offset + i,
                &text,
                serde_json::to_value(h).unwrap_or_default(),
            ) {
                break;
            }
        }
        return Ok(ans.finish(index));
    }
    let mode = match a.mode.unwrap_or_default() {
        Mode::Hybrid => codegraph::SearchMode::Hybrid,
        Mode::Lexical => codegraph::SearchMode::Lexical,
        Mode::Vector => codegraph::SearchMode::Vector,
    };
    let response = reader
        .search(&codegraph::SearchOptions {
            query,
            k: offset + limit,
            mode,
            language: a.language.clone(),
            kind,
            path_glob: a.path_glob.clone(),
            group_by_file: a.group_by_file.unwrap_or(false),
            deadline: Some(Instant::now() + CALL_DEADLINE),
            ..codegraph::SearchOptions::default()
        })
        .map_err(lib_err)?;
    ans.stages_from("search_", &response.stages);
    ans.stage("search");
    ans.set("mode", json!(response.mode));
    ans.set("vector_coverage", json!(response.vector_coverage));
    if let Some(n) = &response.notice {
        ans.line(&format!("note: {n}"));
        ans.set("notice", json!(n));
    }
    let shown = page(&response.results, offset)?;
    if response.results.is_empty() {
        ans.line("no results; try other words, fewer filters, or find_symbol for a name");
    }
    for (i, r) in shown.iter().enumerate() {
        let mut text = format!(
            "{}:{}-{} {}{}",
            r.path,
            r.start_line,
            r.end_line,
            r.kind,
            r.symbol
                .as_deref()
                .map(|s| format!(" {s}"))
                .unwrap_or_default()
        );
        if let Some(m) = r.matches {
            text.push_str(&format!(" ({m} matching chunks)"));
        }
        for l in r.snippet.lines().take(8) {
            text.push_str("\n    ");
            text.push_str(l);
        }
        if !ans.item(
            offset + i,
            &text,
            serde_json::to_value(r).unwrap_or_default(),
        ) {
            break;
        }
    }
    if response.results.len() == offset + limit {
        ans.more_from(offset + limit);
    }
    Ok(ans.finish(index))
}

pub(crate) fn completion_context(
    reader: &Reader,
    index: &Completeness,
    a: CompletionContextArgs,
) -> Result<CallToolResult, String> {
    let path = text_arg("path", &a.path, MAX_NAME_BYTES)?;
    let budget = budget(a.budget_tokens, 2048)?;
    if a.line == 0 || a.column == 0 {
        return Err("line and column are 1-based; pass 1 or more".into());
    }
    if let Some(t) = &a.text
        && t.len() > MAX_BUFFER_BYTES
    {
        return Err(format!(
            "text is {} bytes; the limit is {MAX_BUFFER_BYTES}",
            t.len()
        ));
    }
    let k = match a.k {
        None => 8,
        Some(k) if k <= 32 => k as usize,
        Some(k) => return Err(format!("k is {k}; pass 0 to 32 (default 8)")),
    };
    let rel = reader.relative_path(path).map_err(lib_err)?;
    let mut ans = Answer::new(budget);
    let response = reader
        .context(&codegraph::ContextRequest {
            path: rel.clone(),
            line: a.line - 1,
            column: a.column - 1,
            buffer: a.text,
            budget_tokens: budget.saturating_sub(answer::FOOTER_TOKENS + 20),
            k,
            deadline: Some(Instant::now() + CALL_DEADLINE),
            ..codegraph::ContextRequest::default()
        })
        .map_err(lib_err)?;
    ans.stages_from("context_", &response.stats.stages);
    ans.stage("context");
    ans.set("path", json!(rel));
    ans.set(
        "candidates_scanned",
        json!(response.stats.candidates_scanned),
    );
    ans.line(&format!(
        "context at {rel}:{}:{} ({} definitions, {} snippets, {} candidates scanned)",
        a.line,
        a.column,
        response.structures.len(),
        response.snippets.len(),
        response.stats.candidates_scanned
    ));
    let mut i = 0;
    for s in &response.structures {
        let text = format!(
            "{}:{} {} {} ({})\n{}",
            s.path,
            s.start_line,
            s.kind,
            s.symbol,
            s.reason,
            s.text.trim_end()
        );
        if !ans.item(i, &text, json!({"type": "definition", "path": s.path, "start_line": s.start_line, "end_line": s.end_line, "symbol": s.symbol, "kind": s.kind, "reason": s.reason, "text": s.text})) {
            break;
        }
        i += 1;
    }
    for s in &response.snippets {
        let text = format!(
            "{}:{}-{} similar ({:.2})\n{}",
            s.path,
            s.start_line,
            s.end_line,
            s.score,
            s.text.trim_end()
        );
        if !ans.item(i, &text, json!({"type": "snippet", "path": s.path, "start_line": s.start_line, "end_line": s.end_line, "score": s.score, "text": s.text})) {
            break;
        }
        i += 1;
    }
    Ok(ans.finish(index))
}

pub(crate) fn locate(
    reader: &Reader,
    index: &Completeness,
    a: LocateArgs,
) -> Result<CallToolResult, String> {
    let text = text_arg("text", &a.text, MAX_TASK_BYTES)?.to_owned();
    let limit = limit_arg("limit", a.limit, 10, 30)?;
    let budget = budget(a.budget_tokens, 2000)?;
    let mut ans = Answer::new(budget);
    if !index.has_index() {
        let scan = reader
            .scan(&text, limit * 4, Some(Instant::now() + CALL_DEADLINE))
            .map_err(lib_err)?;
        ans.stage("scan");
        ans.line("no index yet: lines from a scan of the files");
        for (i, h) in scan.hits.iter().enumerate() {
            let t = format!("{}:{}: {}", h.path, h.line, h.text);
            if !ans.item(i, &t, serde_json::to_value(h).unwrap_or_default()) {
                break;
            }
        }
        return Ok(ans.finish(index));
    }
    let located = reader
        .locate(&codegraph::LocateOptions {
            text,
            k: limit,
            deadline: Some(Instant::now() + CALL_DEADLINE),
        })
        .map_err(lib_err)?;
    ans.stages_from("locate_", &located.stages);
    ans.stage("locate");
    ans.set("identifiers", json!(located.identifiers));
    ans.set("paths", json!(located.paths));
    ans.set("stack_frames", json!(located.stack_frames));
    ans.set("candidates", json!(located.candidates));
    if let Some(n) = &located.notice {
        ans.line(&format!("note: {n}"));
    }
    if located.files.is_empty() {
        ans.line("nothing found; try search_code with a few distinctive words");
    }
    for (i, f) in located.files.iter().enumerate() {
        let mut t = format!(
            "{} (score {:.2}): {}",
            f.path,
            f.score,
            f.reasons.join("; ")
        );
        for d in &f.definitions {
            t.push_str(&format!(
                "\n  {}:{} {} {} — {}\n      {}",
                f.path,
                d.line,
                d.kind,
                d.qualified_name,
                d.reasons.join("; "),
                first_line(&d.signature)
            ));
        }
        if !ans.item(i, &t, serde_json::to_value(f).unwrap_or_default()) {
            ans.cut_hint("raise budget_tokens or lower limit to see the other files");
            break;
        }
    }
    Ok(ans.finish(index))
}
