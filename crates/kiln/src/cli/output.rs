//! `--output json|table|text`, as the aws cli: json is the API's JSON, table is aligned
//! columns under a header, text is tab-separated values (one record a line, no header) for
//! scripts.

use kiln_wire::civil_from_days;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Table,
    Text,
}

/// One column: its header and where its value is in each record (a JSON pointer).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub pointer: &'static str,
    /// Epoch seconds, shown as a UTC time in tables.
    pub time: bool,
}

pub const fn col(header: &'static str, pointer: &'static str) -> Column {
    Column { header, pointer, time: false }
}

pub const fn time_col(header: &'static str, pointer: &'static str) -> Column {
    Column { header, pointer, time: true }
}

/// Prints `records` (an array of `answer`) in `format` under `columns` to stdout.
pub fn print(format: Format, answer: &Value, records: &Value, columns: &[Column]) -> anyhow::Result<u8> {
    use std::io::Write as _;
    let records = records.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    out.write_all(render(format, answer, records, columns).as_bytes())?;
    out.flush()?;
    Ok(super::exit::SUCCEEDED)
}

/// Fails naming what a Batch* answer's `field` (`buildsNotFound`, ...) lists, if anything.
pub fn fail_on_not_found(answer: &Value, field: &str, what: &str) -> anyhow::Result<()> {
    let missing: Vec<&str> = answer[field].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if missing.is_empty() { Ok(()) } else { anyhow::bail!("{what} not found: {}", missing.join(", ")) }
}

/// Renders `raw` (the API's answer) as JSON, or `records` under `columns`.
pub fn render(format: Format, raw: &Value, records: &[Value], columns: &[Column]) -> String {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(raw).unwrap_or_else(|_| raw.to_string());
            s.push('\n');
            s
        }
        Format::Text => records
            .iter()
            .map(|r| {
                let cells: Vec<String> = columns.iter().map(|c| cell(r, c, false)).collect();
                format!("{}\n", cells.join("\t"))
            })
            .collect(),
        Format::Table => table(records, columns),
    }
}

fn table(records: &[Value], columns: &[Column]) -> String {
    let mut rows: Vec<Vec<String>> = vec![columns.iter().map(|c| c.header.to_string()).collect()];
    rows.extend(records.iter().map(|r| columns.iter().map(|c| cell(r, c, true)).collect()));
    let widths: Vec<usize> =
        (0..columns.len()).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn cell(record: &Value, column: &Column, pretty: bool) -> String {
    match record.pointer(column.pointer) {
        None | Some(Value::Null) => if pretty { "-" } else { "" }.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if pretty && column.time => n.as_f64().map(utc_time).unwrap_or_else(|| n.to_string()),
        Some(Value::Array(items)) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
        Some(other) => scalar(other),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Epoch seconds as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn utc_time(epoch: f64) -> String {
    let secs = epoch.floor() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COLUMNS: [Column; 3] = [col("ID", "/id"), col("STATUS", "/buildStatus"), time_col("STARTED", "/startTime")];

    #[test]
    fn tables_align_columns_and_text_is_tab_separated() {
        let records = [
            json!({"id": "p:1", "buildStatus": "SUCCEEDED", "startTime": 1_764_075_600.5}),
            json!({"id": "project:22", "buildStatus": "FAILED"}),
        ];
        let raw = json!({"builds": records});
        let table = render(Format::Table, &raw, &records, &COLUMNS);
        assert_eq!(
            table,
            "ID          STATUS     STARTED\n\
             p:1         SUCCEEDED  2025-11-25 13:00:00\n\
             project:22  FAILED     -\n"
        );
        let text = render(Format::Text, &raw, &records, &COLUMNS);
        assert_eq!(text, "p:1\tSUCCEEDED\t1764075600.5\nproject:22\tFAILED\t\n");
        let json: Value = serde_json::from_str(&render(Format::Json, &raw, &records, &COLUMNS)).unwrap();
        assert_eq!(json, raw);
    }

    #[test]
    fn utc_times_cross_leap_days_and_the_epoch() {
        assert_eq!(utc_time(0.0), "1970-01-01 00:00:00");
        assert_eq!(utc_time(951_782_400.0), "2000-02-29 00:00:00");
        assert_eq!(utc_time(-1.0), "1969-12-31 23:59:59");
    }
}
