//! Project rows.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Db, direction, page, sql_limit};
use crate::token::{self, Cursor, Listing};
use crate::{Order, Page, ProjectRecord, ProjectSort, Result, StoreError};

pub(super) const CREATE: &str = "INSERT INTO projects (name, created_ms, modified_ms, doc) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (name) DO NOTHING";
pub(super) const UPDATE: &str = "UPDATE projects SET modified_ms = ?2, doc = ?3 WHERE name = ?1";
pub(super) const DELETE: &str = "DELETE FROM projects WHERE name = ?1";
pub(super) const GET: &str = "SELECT name, created_ms, modified_ms, doc FROM projects WHERE name = ?1";

/// Keyset paging on (key, name): each page is an index range, however deep it goes. Selects
/// the name and the key (0 when sorting by name alone).
pub(super) fn list_sql(sort: ProjectSort, order: Order, after_key: bool) -> String {
    let (dir, cmp) = direction(order);
    let (select, filter, ordering) = match sort {
        ProjectSort::Name => ("name, 0", format!("name {cmp} ?3"), format!("name {dir}")),
        ProjectSort::Created => {
            ("name, created_ms", format!("(created_ms, name) {cmp} (?2, ?3)"), format!("created_ms {dir}, name {dir}"))
        }
        ProjectSort::Modified => (
            "name, modified_ms",
            format!("(modified_ms, name) {cmp} (?2, ?3)"),
            format!("modified_ms {dir}, name {dir}"),
        ),
    };
    let filter = if after_key { format!("WHERE {filter}") } else { String::new() };
    format!("SELECT {select} FROM projects {filter} ORDER BY {ordering} LIMIT ?1")
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ProjectRecord> {
    Ok(ProjectRecord { name: row.get(0)?, created_ms: row.get(1)?, modified_ms: row.get(2)?, doc: row.get(3)? })
}

pub(super) fn create(conn: &Connection, p: &ProjectRecord) -> Result<()> {
    let inserted = conn
        .prepare_cached(CREATE)
        .and_then(|mut s| s.execute(params![p.name, p.created_ms, p.modified_ms, p.doc]))
        .db()?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists(format!("project {}", p.name)));
    }
    Ok(())
}

pub(super) fn update(conn: &Connection, p: &ProjectRecord) -> Result<()> {
    let updated =
        conn.prepare_cached(UPDATE).and_then(|mut s| s.execute(params![p.name, p.modified_ms, p.doc])).db()?;
    if updated == 0 {
        return Err(StoreError::NotFound(format!("project {}", p.name)));
    }
    Ok(())
}

pub(super) fn delete(conn: &Connection, name: &str) -> Result<bool> {
    let deleted = conn.prepare_cached(DELETE).and_then(|mut s| s.execute([name])).db()?;
    Ok(deleted > 0)
}

pub(super) fn get(conn: &Connection, name: &str) -> Result<Option<ProjectRecord>> {
    conn.prepare_cached(GET).and_then(|mut s| s.query_row([name], from_row).optional()).db()
}

pub(super) fn get_many(conn: &Connection, names: &[String]) -> Result<Vec<ProjectRecord>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for name in names {
        if seen.insert(name.as_str())
            && let Some(p) = get(conn, name)?
        {
            out.push(p);
        }
    }
    Ok(out)
}

pub(super) fn list(
    conn: &Connection,
    sort: ProjectSort,
    order: Order,
    token: Option<&str>,
    limit: usize,
) -> Result<Page<String>> {
    let listing = match sort {
        ProjectSort::Name => Listing::ProjectsByName,
        ProjectSort::Created => Listing::ProjectsByCreated,
        ProjectSort::Modified => Listing::ProjectsByModified,
    };
    let after = token.map(|t| token::decode(t, listing, order)).transpose()?;
    let sql = list_sql(sort, order, after.is_some());
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let fetch = sql_limit(limit).saturating_add(1);
    let to_row = |row: &Row<'_>| {
        let name: String = row.get(0)?;
        let num: i64 = row.get(1)?;
        Ok((name.clone(), Cursor { num, text: name }))
    };
    let rows = match &after {
        Some(c) => stmt.query_map(params![fetch, c.num, c.text], to_row),
        None => stmt.query_map(params![fetch], to_row),
    }
    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
    .db()?;
    Ok(page(rows, limit, listing, order))
}
