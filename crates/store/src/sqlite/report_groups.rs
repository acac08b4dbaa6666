//! Report group rows.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Db, direction, page, sql_limit};
use crate::token::{self, Cursor, Listing};
use crate::{GroupDeletion, Order, Page, ReportGroupRecord, ReportGroupSort, Result, StoreError};

pub(super) const NAME_OR_ARN_TAKEN: &str =
    "SELECT 1 FROM report_groups WHERE arn = ?1 UNION ALL SELECT 1 FROM report_groups WHERE name = ?2";
pub(super) const COUNT_OF_PROJECT: &str = "SELECT COUNT(*) FROM report_groups WHERE project = ?1";
pub(super) const INSERT: &str =
    "INSERT INTO report_groups (arn, name, project, created_ms, modified_ms, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub(super) const UPDATE: &str = "UPDATE report_groups SET modified_ms = ?2, doc = ?3 WHERE arn = ?1";
pub(super) const GET: &str =
    "SELECT arn, name, project, created_ms, modified_ms, doc FROM report_groups WHERE arn = ?1";
pub(super) const EXISTS: &str = "SELECT 1 FROM report_groups WHERE arn = ?1";
pub(super) const HAS_REPORTS: &str = "SELECT 1 FROM reports WHERE group_arn = ?1 LIMIT 1";
pub(super) const DELETE: &str = "DELETE FROM report_groups WHERE arn = ?1";

/// Keyset paging on (key, name), as for projects. Selects the ARN, the name and the key (0
/// when sorting by name alone).
pub(super) fn list_sql(sort: ReportGroupSort, order: Order, after_key: bool) -> String {
    let (dir, cmp) = direction(order);
    let (key, filter, ordering) = match sort {
        ReportGroupSort::Name => ("0", format!("name {cmp} ?3"), format!("name {dir}")),
        ReportGroupSort::Created => {
            ("created_ms", format!("(created_ms, name) {cmp} (?2, ?3)"), format!("created_ms {dir}, name {dir}"))
        }
        ReportGroupSort::Modified => {
            ("modified_ms", format!("(modified_ms, name) {cmp} (?2, ?3)"), format!("modified_ms {dir}, name {dir}"))
        }
    };
    let filter = if after_key { format!("WHERE {filter}") } else { String::new() };
    format!("SELECT arn, name, {key} FROM report_groups {filter} ORDER BY {ordering} LIMIT ?1")
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ReportGroupRecord> {
    Ok(ReportGroupRecord {
        arn: row.get(0)?,
        name: row.get(1)?,
        project: row.get(2)?,
        created_ms: row.get(3)?,
        modified_ms: row.get(4)?,
        doc: row.get(5)?,
    })
}

pub(super) fn create(conn: &Connection, g: &ReportGroupRecord, max_per_project: usize) -> Result<()> {
    let taken = conn.prepare_cached(NAME_OR_ARN_TAKEN).and_then(|mut s| s.exists(params![g.arn, g.name])).db()?;
    if taken {
        return Err(StoreError::AlreadyExists(format!("report group {}", g.arn)));
    }
    if let Some(project) = &g.project {
        let count: i64 =
            conn.prepare_cached(COUNT_OF_PROJECT).and_then(|mut s| s.query_row([project], |row| row.get(0))).db()?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= max_per_project {
            return Err(StoreError::LimitExceeded(format!(
                "project {project} already has {count} report groups (at most {max_per_project})"
            )));
        }
    }
    conn.prepare_cached(INSERT)
        .and_then(|mut s| s.execute(params![g.arn, g.name, g.project, g.created_ms, g.modified_ms, g.doc]))
        .db()?;
    Ok(())
}

pub(super) fn update(conn: &Connection, g: &ReportGroupRecord) -> Result<()> {
    let updated = conn.prepare_cached(UPDATE).and_then(|mut s| s.execute(params![g.arn, g.modified_ms, g.doc])).db()?;
    if updated == 0 {
        return Err(StoreError::NotFound(format!("report group {}", g.arn)));
    }
    Ok(())
}

pub(super) fn get(conn: &Connection, arn: &str) -> Result<Option<ReportGroupRecord>> {
    conn.prepare_cached(GET).and_then(|mut s| s.query_row([arn], from_row).optional()).db()
}

pub(super) fn get_many(conn: &Connection, arns: &[String]) -> Result<Vec<ReportGroupRecord>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for arn in arns {
        if seen.insert(arn.as_str())
            && let Some(g) = get(conn, arn)?
        {
            out.push(g);
        }
    }
    Ok(out)
}

/// Reports and their test cases go with the group (`ON DELETE CASCADE`).
pub(super) fn delete(conn: &Connection, arn: &str, with_reports: bool) -> Result<GroupDeletion> {
    let exists = conn.prepare_cached(EXISTS).and_then(|mut s| s.exists([arn])).db()?;
    if !exists {
        return Ok(GroupDeletion::Absent);
    }
    if !with_reports && conn.prepare_cached(HAS_REPORTS).and_then(|mut s| s.exists([arn])).db()? {
        return Ok(GroupDeletion::HasReports);
    }
    conn.prepare_cached(DELETE).and_then(|mut s| s.execute([arn])).db()?;
    Ok(GroupDeletion::Deleted)
}

pub(super) fn list(
    conn: &Connection,
    sort: ReportGroupSort,
    order: Order,
    token: Option<&str>,
    limit: usize,
) -> Result<Page<String>> {
    let listing = match sort {
        ReportGroupSort::Name => Listing::ReportGroupsByName,
        ReportGroupSort::Created => Listing::ReportGroupsByCreated,
        ReportGroupSort::Modified => Listing::ReportGroupsByModified,
    };
    let after = token.map(|t| token::decode(t, listing, order)).transpose()?;
    let sql = list_sql(sort, order, after.is_some());
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let fetch = sql_limit(limit).saturating_add(1);
    let to_row = |row: &Row<'_>| {
        let arn: String = row.get(0)?;
        let name: String = row.get(1)?;
        let num: i64 = row.get(2)?;
        Ok((arn, Cursor { num, text: name }))
    };
    let rows = match &after {
        Some(c) => stmt.query_map(params![fetch, c.num, c.text], to_row),
        None => stmt.query_map(params![fetch], to_row),
    }
    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
    .db()?;
    Ok(page(rows, limit, listing, order))
}
