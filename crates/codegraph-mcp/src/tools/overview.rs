use super::*;

pub(crate) fn repo_map(
    reader: &Reader,
    index: &Completeness,
    a: RepoMapArgs,
) -> Result<CallToolResult, String> {
    let budget = budget(a.budget_tokens, 1024)?;
    let files = a.focus_files.unwrap_or_default();
    let symbols = a.focus_symbols.unwrap_or_default();
    if files.len() > 50 || symbols.len() > 50 {
        return Err("focus_files and focus_symbols take at most 50 entries each".into());
    }
    let mut focus = Vec::new();
    for f in &files {
        focus.push(
            reader
                .relative_path(text_arg("focus_files entry", f, MAX_NAME_BYTES)?)
                .map_err(lib_err)?,
        );
    }
    let mut unknown = Vec::new();
    for s in &symbols {
        let found = reader
            .lookup_symbols(text_arg("focus_symbols entry", s, MAX_NAME_BYTES)?)
            .map_err(lib_err)?;
        if found.is_empty() {
            unknown.push(s.clone());
        }
        focus.extend(found.into_iter().take(8).map(|s| s.path));
    }
    focus.sort();
    focus.dedup();
    let mut ans = Answer::new(budget);
    ans.stage("focus");
    let map = reader
        .map(&codegraph::MapOptions {
            budget_tokens: budget.saturating_sub(answer::FOOTER_TOKENS + 40),
            focus: focus.clone(),
            ..codegraph::MapOptions::default()
        })
        .map_err(lib_err)?;
    ans.stage("map");
    ans.set("focus", json!(focus));
    if !unknown.is_empty() {
        ans.line(&format!("note: no definition named {}", unknown.join(", ")));
    }
    ans.set("omitted_files", json!(map.omitted_files));
    ans.line(map.text.trim_end());
    for (i, e) in map.files.iter().enumerate() {
        ans.item_data(i, serde_json::to_value(e).unwrap_or_default());
    }
    if map.omitted_files > 0 {
        ans.cut_hint(format!(
            "{} more files left out; raise budget_tokens or focus on files or symbols",
            map.omitted_files
        ));
    }
    Ok(ans.finish(index))
}

pub(crate) fn index_status(
    reader: &Reader,
    index: &Completeness,
    _a: IndexStatusArgs,
) -> Result<CallToolResult, String> {
    let status = reader.status().map_err(lib_err)?;
    let mut ans = Answer::new(4000);
    ans.stage("status");
    let s = &status.stats;
    ans.line(&format!("repository {}", status.repository.root));
    ans.line(&format!("index: {}", index.summary()));
    ans.line(&format!(
        "{} files, {} definitions, {} chunks; graph current: {}; lexical documents: {}",
        s.files,
        s.definitions.values().sum::<u64>(),
        s.chunks,
        status.graph_current,
        status
            .lexical_documents
            .map_or("none".into(), |d| d.to_string())
    ));
    ans.line(&format!(
        "embeddings: {} ({}installed), {:.0}% of chunks",
        status.embeddings.model,
        if status.embeddings.installed {
            ""
        } else {
            "not "
        },
        status.embeddings.coverage * 100.0
    ));
    if let (Some(i), Some(c)) = (&status.indexed_head, &status.current_head)
        && i != c
    {
        ans.line(&format!("indexed at commit {i}, HEAD is now {c}"));
    }
    for p in &status.problems {
        ans.line(&format!("problem: {p}"));
    }
    ans.set("status", serde_json::to_value(&status).unwrap_or_default());
    Ok(ans.finish(index))
}
