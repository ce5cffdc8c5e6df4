use super::*;

pub(crate) fn graph_walk(
    reader: &Reader,
    index: &Completeness,
    a: GraphArgs,
    callers: bool,
) -> Result<CallToolResult, String> {
    let symbol = text_arg("symbol", &a.symbol, MAX_NAME_BYTES)?.to_owned();
    let depth = depth_arg(a.depth, 1)?;
    let budget = budget(a.budget_tokens, 2000)?;
    let offset = cursor(a.cursor.as_deref())?;
    let p = a.provenance.unwrap_or_default();
    let resolved_only = p == ProvenanceFilter::Resolved;
    let target = reader.resolve_symbol(&symbol).map_err(lib_err)?;
    let found = if callers {
        reader.callers(&symbol, depth, resolved_only)
    } else {
        reader.callees(&symbol, depth, resolved_only)
    }
    .map_err(lib_err)?;
    let found = filter_provenance(found, p);
    let mut ans = Answer::new(budget);
    ans.stage("graph");
    ans.set("symbol", json!(target.qualified_name));
    ans.total(found.len());
    ans.line(&format!(
        "{} {} {} ({}:{}), depth {depth}: {}",
        if callers { "callers of" } else { "callees of" },
        target.kind,
        target.qualified_name,
        target.path,
        target.line,
        found.len()
    ));
    for (i, r) in page(&found, offset)?.iter().enumerate() {
        let text = related_text(r, if callers { "call at" } else { "called at" });
        if !ans.item(offset + i, &text, related_json(r)) {
            break;
        }
    }
    Ok(ans.finish(index))
}

pub(crate) fn references(
    reader: &Reader,
    index: &Completeness,
    a: ReferencesArgs,
) -> Result<CallToolResult, String> {
    let symbol = text_arg("symbol", &a.symbol, MAX_NAME_BYTES)?.to_owned();
    let budget = budget(a.budget_tokens, 2000)?;
    let offset = cursor(a.cursor.as_deref())?;
    let p = match a.provenance.unwrap_or_default() {
        ProvenanceFilter::Any => None,
        ProvenanceFilter::Resolved => Some(Provenance::Resolved),
        ProvenanceFilter::Inferred => Some(Provenance::Inferred),
    };
    let target = reader.resolve_symbol(&symbol).map_err(lib_err)?;
    let refs = reader.references(&symbol, p).map_err(lib_err)?;
    let mut ans = Answer::new(budget);
    ans.stage("graph");
    ans.set("symbol", json!(target.qualified_name));
    ans.total(refs.len());
    ans.line(&format!(
        "references to {} ({}:{}): {}",
        target.qualified_name,
        target.path,
        target.line,
        refs.len()
    ));
    for (i, r) in page(&refs, offset)?.iter().enumerate() {
        let text = format!(
            "{}:{} {} from {} [{}]",
            r.from.path,
            r.from.call_line,
            r.edge,
            r.from.symbol,
            provenance_name(r.from.provenance)
        );
        let mut data = related_json(&r.from);
        data["edge"] = json!(r.edge);
        if !ans.item(offset + i, &text, data) {
            break;
        }
    }
    Ok(ans.finish(index))
}

pub(crate) fn file_edges(
    reader: &Reader,
    index: &Completeness,
    a: FileGraphArgs,
    importers: bool,
) -> Result<CallToolResult, String> {
    let path = text_arg("path", &a.path, MAX_NAME_BYTES)?;
    let budget = budget(a.budget_tokens, 2000)?;
    let offset = cursor(a.cursor.as_deref())?;
    let rel = reader.relative_path(path).map_err(lib_err)?;
    let found = if importers {
        reader.importers(&rel)
    } else {
        reader.imports(&rel)
    }
    .map_err(lib_err)?;
    let mut ans = Answer::new(budget);
    ans.stage("graph");
    ans.set("path", json!(rel));
    ans.total(found.len());
    ans.line(&format!(
        "{} {rel}: {}",
        if importers {
            "files importing"
        } else {
            "imported by"
        },
        found.len()
    ));
    for (i, (p, line)) in page(&found, offset)?.iter().enumerate() {
        let text = if importers {
            format!("{p}:{line}")
        } else {
            format!("{p} (line {line})")
        };
        if !ans.item(offset + i, &text, json!({"path": p, "line": line})) {
            break;
        }
    }
    Ok(ans.finish(index))
}

pub(crate) fn impact(
    reader: &Reader,
    index: &Completeness,
    a: ImpactArgs,
) -> Result<CallToolResult, String> {
    let target = text_arg("target", &a.target, MAX_NAME_BYTES)?.to_owned();
    let depth = depth_arg(a.depth, 3)?;
    let budget = budget(a.budget_tokens, 2000)?;
    let offset = cursor(a.cursor.as_deref())?;
    let p = a.provenance.unwrap_or_default();
    if p == ProvenanceFilter::Inferred {
        return Err("impact takes provenance any or resolved".into());
    }
    let impact = reader
        .impact(&target, depth, p == ProvenanceFilter::Resolved)
        .map_err(lib_err)?;
    let mut ans = Answer::new(budget);
    ans.stage("graph");
    ans.set("target", json!(impact.target));
    ans.set("files", json!(impact.files));
    ans.total(impact.items.len());
    let mut files = impact
        .files
        .iter()
        .take(12)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if impact.files.len() > 12 {
        files.push_str(&format!(", … ({} files)", impact.files.len()));
    }
    ans.line(&format!(
        "impact of {} (depth {depth}): {} place(s) in {} file(s): {files}",
        impact.target,
        impact.items.len(),
        impact.files.len()
    ));
    for (i, it) in page(&impact.items, offset)?.iter().enumerate() {
        let via = serde_json::to_value(it.via)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let text = format!(
            "{:.2} {}:{} {} {} [{via}, depth {}, {}]",
            it.score,
            it.path,
            it.line,
            it.kind.map_or("file", DefKind::as_str),
            it.symbol,
            it.depth,
            provenance_name(it.provenance)
        );
        if !ans.item(
            offset + i,
            &text,
            serde_json::to_value(it).unwrap_or_default(),
        ) {
            break;
        }
    }
    Ok(ans.finish(index))
}
