//! Report rows and their test cases.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};

use super::{Db, direction, page, report_groups, sql_limit};
use crate::token::{self, Cursor, Listing};
use crate::{Order, Page, ReportQuery, ReportRecord, Result, StoreError, TestCaseQuery, TestCaseRecord};

pub(super) const EXISTS: &str = "SELECT 1 FROM reports WHERE arn = ?1";
pub(super) const INSERT: &str = "INSERT INTO reports (arn, group_arn, execution_id, status, created_ms, doc)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub(super) const INSERT_CASE: &str =
    "INSERT INTO test_cases (report_arn, seq, prefix, name, status, duration_ns, message, suite, raw_path)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
pub(super) const GET: &str = "SELECT arn, group_arn, execution_id, status, created_ms, doc FROM reports WHERE arn = ?1";
pub(super) const DELETE: &str = "DELETE FROM reports WHERE arn = ?1";
pub(super) const PURGE: &str = "DELETE FROM reports WHERE created_ms < ?1";

/// Reports by (created_ms, arn), narrowed by the filters present; each combination has an
/// index whose tail is (created_ms, arn), so a page is one range. Named parameters: `:limit`,
/// and `:group`, `:status`, `:after_ms` with `:after_arn` when used.
pub(super) fn list_sql(group: bool, status: bool, order: Order, after_key: bool) -> String {
    let (dir, cmp) = direction(order);
    let mut filters = Vec::new();
    if group {
        filters.push("group_arn = :group".to_string());
    }
    if status {
        filters.push("status = :status".to_string());
    }
    if after_key {
        filters.push(format!("(created_ms, arn) {cmp} (:after_ms, :after_arn)"));
    }
    let filter = if filters.is_empty() { String::new() } else { format!("WHERE {}", filters.join(" AND ")) };
    format!("SELECT arn, created_ms FROM reports {filter} ORDER BY created_ms {dir}, arn {dir} LIMIT :limit")
}

/// One report's cases after `:after` (-1 for the first page), in a range of the primary key;
/// the filters only drop rows from it.
pub(super) fn cases_sql(status: bool, keyword: bool) -> String {
    let status = if status { "AND status = :status" } else { "" };
    let keyword = if keyword { "AND (instr(name, :keyword) > 0 OR instr(prefix, :keyword) > 0)" } else { "" };
    format!(
        "SELECT report_arn, seq, prefix, name, status, duration_ns, message, suite, raw_path FROM test_cases
        WHERE report_arn = :report AND seq > :after {status} {keyword}
        ORDER BY seq LIMIT :limit"
    )
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ReportRecord> {
    Ok(ReportRecord {
        arn: row.get(0)?,
        group_arn: row.get(1)?,
        execution_id: row.get(2)?,
        status: row.get(3)?,
        created_ms: row.get(4)?,
        doc: row.get(5)?,
    })
}

fn case_from_row(row: &Row<'_>) -> rusqlite::Result<TestCaseRecord> {
    Ok(TestCaseRecord {
        report_arn: row.get(0)?,
        seq: row.get(1)?,
        prefix: row.get(2)?,
        name: row.get(3)?,
        status: row.get(4)?,
        duration_ns: row.get(5)?,
        message: row.get(6)?,
        suite: row.get(7)?,
        raw_path: row.get(8)?,
    })
}

pub(super) fn insert(conn: &Connection, r: &ReportRecord, cases: &[TestCaseRecord]) -> Result<()> {
    let group_exists = conn.prepare_cached(report_groups::EXISTS).and_then(|mut s| s.exists([&r.group_arn])).db()?;
    if !group_exists {
        return Err(StoreError::NotFound(format!("report group {}", r.group_arn)));
    }
    if conn.prepare_cached(EXISTS).and_then(|mut s| s.exists([&r.arn])).db()? {
        return Err(StoreError::AlreadyExists(format!("report {}", r.arn)));
    }
    conn.prepare_cached(INSERT)
        .and_then(|mut s| s.execute(params![r.arn, r.group_arn, r.execution_id, r.status, r.created_ms, r.doc]))
        .db()?;
    let mut stmt = conn.prepare_cached(INSERT_CASE).db()?;
    for (seq, c) in (0_i64..).zip(cases) {
        stmt.execute(params![r.arn, seq, c.prefix, c.name, c.status, c.duration_ns, c.message, c.suite, c.raw_path])
            .db()?;
    }
    Ok(())
}

pub(super) fn get(conn: &Connection, arn: &str) -> Result<Option<ReportRecord>> {
    conn.prepare_cached(GET).and_then(|mut s| s.query_row([arn], from_row).optional()).db()
}

pub(super) fn get_many(conn: &Connection, arns: &[String]) -> Result<Vec<ReportRecord>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for arn in arns {
        if seen.insert(arn.as_str())
            && let Some(r) = get(conn, arn)?
        {
            out.push(r);
        }
    }
    Ok(out)
}

/// Test cases go with their report (`ON DELETE CASCADE`).
pub(super) fn delete(conn: &Connection, arn: &str) -> Result<bool> {
    Ok(conn.prepare_cached(DELETE).and_then(|mut s| s.execute([arn])).db()? > 0)
}

pub(super) fn purge(conn: &Connection, before_ms: i64) -> Result<usize> {
    conn.prepare_cached(PURGE).and_then(|mut s| s.execute([before_ms])).db()
}

/// Splits a reports token's text into the filters' fingerprint and the last ARN of its page.
fn split_cursor(text: &str) -> Option<(&str, &str)> {
    text.split_once('|')
}

pub(super) fn list(
    conn: &Connection,
    query: &ReportQuery,
    order: Order,
    token: Option<&str>,
    limit: usize,
) -> Result<Page<String>> {
    let scope = token::fingerprint(&[query.group_arn.as_deref(), query.status.as_deref()]);
    let after = token.map(|t| token::decode(t, Listing::Reports, order)).transpose()?;
    let after = match &after {
        None => None,
        Some(cursor) => match split_cursor(&cursor.text) {
            Some((fingerprint, arn)) if fingerprint == scope => Some((cursor.num, arn.to_string())),
            Some(_) => return Err(StoreError::InvalidToken("issued for other filters".to_string())),
            None => return Err(StoreError::InvalidToken("not a token".to_string())),
        },
    };
    let sql = list_sql(query.group_arn.is_some(), query.status.is_some(), order, after.is_some());
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let fetch = sql_limit(limit).saturating_add(1);
    let mut args: Vec<(&str, &dyn ToSql)> = vec![(":limit", &fetch)];
    if let Some(group) = &query.group_arn {
        args.push((":group", group));
    }
    if let Some(status) = &query.status {
        args.push((":status", status));
    }
    if let Some((after_ms, after_arn)) = &after {
        args.push((":after_ms", after_ms));
        args.push((":after_arn", after_arn));
    }
    let to_row = |row: &Row<'_>| {
        let arn: String = row.get(0)?;
        let num: i64 = row.get(1)?;
        let text = format!("{scope}|{arn}");
        Ok((arn, Cursor { num, text }))
    };
    let rows =
        stmt.query_map(args.as_slice(), to_row).and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>()).db()?;
    Ok(page(rows, limit, Listing::Reports, order))
}

pub(super) fn list_cases(
    conn: &Connection,
    report_arn: &str,
    query: &TestCaseQuery,
    token: Option<&str>,
    limit: usize,
) -> Result<Page<TestCaseRecord>> {
    let scope = token::fingerprint(&[Some(report_arn), query.status.as_deref(), query.keyword.as_deref()]);
    let after = match token.map(|t| token::decode(t, Listing::TestCases, Order::Ascending)).transpose()? {
        None => -1,
        Some(cursor) if cursor.text == scope => cursor.num,
        Some(_) => return Err(StoreError::InvalidToken("issued for another report or other filters".to_string())),
    };
    let sql = cases_sql(query.status.is_some(), query.keyword.is_some());
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let fetch = sql_limit(limit).saturating_add(1);
    let mut args: Vec<(&str, &dyn ToSql)> = vec![(":limit", &fetch), (":report", &report_arn), (":after", &after)];
    if let Some(status) = &query.status {
        args.push((":status", status));
    }
    if let Some(keyword) = &query.keyword {
        args.push((":keyword", keyword));
    }
    let to_row = |row: &Row<'_>| {
        let case = case_from_row(row)?;
        let cursor = Cursor { num: case.seq, text: scope.clone() };
        Ok((case, cursor))
    };
    let rows =
        stmt.query_map(args.as_slice(), to_row).and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>()).db()?;
    Ok(page(rows, limit, Listing::TestCases, Order::Ascending))
}
