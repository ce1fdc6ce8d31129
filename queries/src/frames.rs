//! The analytical store: one Polars [`DataFrame`] per canonical table.
//!
//! The `server` crate reads each table from the system of record (sqlx) into a driver-neutral
//! column representation ([`ColumnData`], one per schema column in DDL order) and hands it to
//! [`Frames::set_table`] at startup. Committed changes arrive in micro-batches through
//! [`Frames::upsert`] (new or changed rows, keyed by the table's primary key, see
//! [`primary_key`]) and [`Frames::delete`]. The KPI engine ([`crate::kpi`]) reads the tables
//! through [`Frames::lazy`].
//!
//! Dtypes follow [`ColType`]: `Int`/`BigInt` → `Int64`, `Text` → `String`, `Date` → `Date`,
//! `Rate` → `Float64`. Every batch is checked against the schema (column count, types, nulls
//! in `NOT NULL` columns, equal lengths) before it touches a frame.
//!
//! Row order is not part of the contract: an upsert overwrites the changed rows in place and
//! appends the new ones, so a frame kept current by batches holds the same *rows* as one
//! rebuilt from scratch, possibly in another order. [`Frames::same_rows`] compares two stores
//! that way.
//!
//! Row positions: for tables keyed by `id`, an upsert finds the rows it replaces through an
//! index (`id` → row) and writes the new values into them (a scatter into the column buffers,
//! in place when nothing else shares them) instead of rewriting the table; only the chunks
//! that hold a changed row are touched. [`Frames::rows_where`] looks rows up by any integer
//! column the same way (the KPI engine finds the decisions, measures and receipts of a case by
//! `viec_id`). An index is built on first use, kept current by upserts, dropped when its table
//! is replaced or rows are deleted, and never cloned with the store.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use polars::prelude::*;

use crate::error::{Error, Result};
use crate::schema::{ColType, Table};

/// A chunk count past which an upserted frame is rechunked (appends add one chunk each).
const MAX_CHUNKS: usize = 32;

/// Rows given another value since an index was built past which it is rebuilt (or a quarter
/// of the table, whichever is larger).
const INDEX_RECENT_MAX: usize = 65_536;

/// One column of a batch, as the store driver read it. `None` is SQL `NULL`.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// `INTEGER` and `BIGINT` columns.
    Int(Vec<Option<i64>>),
    /// `TEXT` columns.
    Text(Vec<Option<String>>),
    /// `DATE` columns.
    Date(Vec<Option<NaiveDate>>),
    /// `NUMERIC(5,2)` rate columns.
    Float(Vec<Option<f64>>),
}

impl ColumnData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Int(v) => v.len(),
            ColumnData::Text(v) => v.len(),
            ColumnData::Date(v) => v.len(),
            ColumnData::Float(v) => v.len(),
        }
    }

    /// `true` when the column holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn has_null(&self) -> bool {
        match self {
            ColumnData::Int(v) => v.iter().any(Option::is_none),
            ColumnData::Text(v) => v.iter().any(Option::is_none),
            ColumnData::Date(v) => v.iter().any(Option::is_none),
            ColumnData::Float(v) => v.iter().any(Option::is_none),
        }
    }

    const fn kind(&self) -> &'static str {
        match self {
            ColumnData::Int(_) => "Int",
            ColumnData::Text(_) => "Text",
            ColumnData::Date(_) => "Date",
            ColumnData::Float(_) => "Float",
        }
    }

    const fn fits(&self, ty: ColType) -> bool {
        matches!(
            (self, ty),
            (ColumnData::Int(_), ColType::Int | ColType::BigInt)
                | (ColumnData::Text(_), ColType::Text)
                | (ColumnData::Date(_), ColType::Date)
                | (ColumnData::Float(_), ColType::Rate)
        )
    }

    fn into_column(self, name: &str) -> Result<Column> {
        let name = PlSmallStr::from(name);
        Ok(match self {
            ColumnData::Int(v) => Column::new(name, v),
            ColumnData::Text(v) => Column::new(name, v),
            ColumnData::Float(v) => Column::new(name, v),
            ColumnData::Date(v) => {
                let days: Vec<Option<i32>> = v.into_iter().map(|d| d.map(epoch_days)).collect();
                Column::new(name, days).cast(&DataType::Date)?
            }
        })
    }
}

/// Days since 1970-01-01, the physical value of a Polars `Date`.
pub fn epoch_days(date: NaiveDate) -> i32 {
    // Every `NaiveDate` (±262,143 years) is within ±96 M days, far inside `i32`.
    i32::try_from(date.signed_duration_since(NaiveDate::default()).num_days()).unwrap_or(i32::MAX)
}

/// The date of a Polars `Date` value (days since 1970-01-01).
pub fn date_from_epoch_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::default().checked_add_signed(chrono::TimeDelta::try_days(i64::from(days))?)
}

/// The Polars dtype of a schema column type.
pub fn polars_dtype(ty: ColType) -> DataType {
    match ty {
        ColType::Int | ColType::BigInt => DataType::Int64,
        ColType::Text => DataType::String,
        ColType::Date => DataType::Date,
        ColType::Rate => DataType::Float64,
    }
}

/// The Polars schema of a canonical table, columns in DDL order.
pub fn table_schema(table: Table) -> Schema {
    table
        .columns()
        .iter()
        .map(|c| Field::new(c.name.into(), polars_dtype(c.ty)))
        .collect()
}

/// The primary-key columns of a table: `id` for most, the composite keys of `chi_tieu` and
/// `nhiem_vu_viec`, `ma_tinh` for `tinh` and `ngay` for `lich`.
pub const fn primary_key(table: Table) -> &'static [&'static str] {
    match table {
        Table::Tinh => &["ma_tinh"],
        Table::ChiTieu => &["nam_thong_ke", "don_vi_id"],
        Table::NhiemVuViec => &["nhiem_vu_id", "viec_id"],
        Table::Lich => &["ngay"],
        Table::DonVi
        | Table::CanBo
        | Table::ViecThiHanh
        | Table::DuongSu
        | Table::QuyetDinh
        | Table::BienPhapCuongChe
        | Table::BienLai
        | Table::DonThu
        | Table::NhiemVu => &["id"],
    }
}

fn schema_error(table: Table, message: String) -> Error {
    Error::Schema {
        table: table.name(),
        message,
    }
}

/// Builds a frame of `table` from one [`ColumnData`] per schema column, in DDL order.
///
/// # Errors
/// [`Error::Schema`] when the number of columns, a column's type, a length or a `NULL` in a
/// `NOT NULL` column does not match the canonical schema; [`Error::Polars`] if Polars refuses
/// the columns.
pub fn build_frame(table: Table, columns: Vec<ColumnData>) -> Result<DataFrame> {
    let spec = table.columns();
    if columns.len() != spec.len() {
        return Err(schema_error(
            table,
            format!("expected {} columns, got {}", spec.len(), columns.len()),
        ));
    }
    let height = columns.first().map_or(0, ColumnData::len);
    let mut out = Vec::with_capacity(spec.len());
    for (data, col) in columns.into_iter().zip(spec) {
        if !data.fits(col.ty) {
            return Err(schema_error(
                table,
                format!(
                    "column {} is {:?}, got {} values",
                    col.name,
                    col.ty,
                    data.kind()
                ),
            ));
        }
        if data.len() != height {
            return Err(schema_error(
                table,
                format!(
                    "column {} has {} values, expected {height}",
                    col.name,
                    data.len()
                ),
            ));
        }
        if !col.nullable && data.has_null() {
            return Err(schema_error(
                table,
                format!("column {} is NOT NULL but the batch has a NULL", col.name),
            ));
        }
        out.push(data.into_column(col.name)?);
    }
    Ok(DataFrame::new(height, out)?)
}

/// An empty frame with the schema of `table`.
pub fn empty_frame(table: Table) -> DataFrame {
    DataFrame::empty_with_schema(&table_schema(table))
}

/// No next row in a chain of [`KeyIndex`].
const END: IdxSize = IdxSize::MAX;

/// Row positions of a table by an integer column, as a hash multimap: the first row of each
/// value, and per row the next row with the same value (one hash probe and a short chain per
/// lookup, where a binary search over millions of rows would miss the cache at every step).
/// Rows appended later join their value's chain; rows whose value changed are listed under the
/// new value in `moved`. A lookup checks every candidate against the frame, so a stale entry
/// costs nothing but a comparison.
#[derive(Debug, Default)]
struct KeyIndex {
    head: PlHashMap<i64, IdxSize>,
    next: Vec<IdxSize>,
    moved: PlHashMap<i64, Vec<IdxSize>>,
    moved_len: usize,
}

impl KeyIndex {
    fn build(column: &Column) -> Result<Self> {
        let values = column.cast(&DataType::Int64)?;
        let mut index = Self {
            head: PlHashMap::default(),
            next: Vec::with_capacity(values.len()),
            moved: PlHashMap::default(),
            moved_len: 0,
        };
        for (key, row) in values.i64()?.iter().zip(0..) {
            index.append(key, row);
        }
        Ok(index)
    }

    /// Row `row` (= the number of rows indexed so far) was appended with `key`.
    fn append(&mut self, key: Option<i64>, row: IdxSize) {
        let next = match key {
            Some(key) => self.head.insert(key, row).unwrap_or(END),
            None => END,
        };
        self.next.push(next);
    }

    fn candidates(&self, key: i64, out: &mut Vec<IdxSize>) {
        let mut row = self.head.get(&key).copied().unwrap_or(END);
        while row != END {
            out.push(row);
            row = self.next.get(row as usize).copied().unwrap_or(END);
        }
        if let Some(rows) = self.moved.get(&key) {
            out.extend_from_slice(rows);
        }
    }

    /// Row `row` now holds `key`.
    fn moved_to(&mut self, key: i64, row: IdxSize) {
        self.moved.entry(key).or_default().push(row);
        self.moved_len += 1;
    }

    fn is_stale(&self) -> bool {
        self.moved_len > INDEX_RECENT_MAX.max(self.next.len() / 4)
    }
}

/// The analytical store: one frame per canonical table, every table present (empty until set).
#[derive(Debug)]
pub struct Frames {
    /// Indexed by `Table as usize` (the declaration order, which is also `Table::ALL`).
    tables: [DataFrame; Table::ALL.len()],
    version: u64,
    /// Row indexes by (table, integer column), built on first use.
    indexes: HashMap<(Table, &'static str), KeyIndex>,
}

impl Clone for Frames {
    /// Copies the frames (their columns are shared until one side changes); the copy builds
    /// its own indexes when it needs them.
    fn clone(&self) -> Self {
        Self {
            tables: self.tables.clone(),
            version: self.version,
            indexes: HashMap::new(),
        }
    }
}

impl Default for Frames {
    fn default() -> Self {
        Self::new()
    }
}

impl Frames {
    /// A store with every table empty.
    pub fn new() -> Self {
        Self {
            tables: Table::ALL.map(empty_frame),
            version: 0,
            indexes: HashMap::new(),
        }
    }

    /// Replaces the whole content of `table` (startup load or a full rebuild).
    ///
    /// # Errors
    /// See [`build_frame`]; the store is unchanged on error.
    pub fn set_table(&mut self, table: Table, columns: Vec<ColumnData>) -> Result<()> {
        let df = build_frame(table, columns)?;
        self.replace(table, df);
        Ok(())
    }

    fn replace(&mut self, table: Table, df: DataFrame) {
        self.tables[table as usize] = df;
        self.indexes.retain(|(t, _), _| *t != table);
        self.version += 1;
    }

    /// Applies a micro-batch of new or changed rows of `table`, keyed by [`primary_key`]:
    /// existing rows with a key of the batch are replaced, other batch rows are appended. When
    /// the batch repeats a key, its last row wins. Returns the number of rows that replaced an
    /// existing row.
    ///
    /// Cost, for tables keyed by `id`: an index lookup per batch row, a scatter of the changed
    /// rows into the chunks that hold them and an appended chunk for the new rows — in
    /// proportion to the batch, not to the table. Other tables (small) are filtered and
    /// appended to.
    ///
    /// # Errors
    /// See [`build_frame`]; [`Error::Polars`] if a plan fails. On a schema error the store is
    /// unchanged; a Polars failure while writing may leave the table incomplete (reload it).
    pub fn upsert(&mut self, table: Table, rows: Vec<ColumnData>) -> Result<usize> {
        self.upsert_frame(table, build_frame(table, rows)?)
    }

    /// [`Frames::upsert`] of a batch already built with [`build_frame`].
    ///
    /// # Errors
    /// As [`Frames::upsert`].
    pub fn upsert_frame(&mut self, table: Table, batch: DataFrame) -> Result<usize> {
        check_schema(table, &batch)?;
        if batch.height() == 0 {
            return Ok(0);
        }
        let keys = key_exprs(table);
        let batch = batch
            .lazy()
            .unique_stable_generic(Some(keys), UniqueKeepStrategy::Last)
            .collect()?;
        if primary_key(table) == ["id"] {
            return self.upsert_by_id(table, batch);
        }
        let current = self.frame(table).clone();
        let (kept, replaced) = remove_keys(table, current, &batch)?;
        let mut out = kept;
        out.vstack_mut_owned(batch)?;
        if out.max_n_chunks() > MAX_CHUNKS {
            out.rechunk_mut_par();
        }
        self.replace(table, out);
        Ok(replaced)
    }

    /// The upsert of a table keyed by `id` (batch keys unique): scatter + append.
    fn upsert_by_id(&mut self, table: Table, batch: DataFrame) -> Result<usize> {
        let ids: Vec<i64> = batch.column("id")?.i64()?.iter().flatten().collect();
        let found = self.locate(table, "id", &ids.iter().copied().collect())?;
        let at: HashMap<i64, IdxSize> = found.into_iter().collect();
        // (row, batch position) of the replaced rows, by row; batch positions of new rows.
        let mut targets: Vec<(IdxSize, usize)> = Vec::new();
        let mut fresh: Vec<IdxSize> = Vec::new();
        for (pos, id) in ids.iter().enumerate() {
            match at.get(id) {
                Some(row) => targets.push((*row, pos)),
                None => fresh.push(IdxSize::try_from(pos).map_err(overflow)?),
            }
        }
        targets.sort_unstable();
        let height = self.frame(table).height();
        // Index values before the write, to record the rows whose value changes.
        let indexed: Vec<&'static str> = self
            .indexes
            .keys()
            .filter(|(t, _)| *t == table)
            .map(|(_, c)| *c)
            .collect();
        let rows_ca = IdxCa::from_vec(
            "rows".into(),
            targets.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        );
        let pos_ca = IdxCa::from_vec(
            "pos".into(),
            targets
                .iter()
                .map(|(_, p)| IdxSize::try_from(*p).map_err(overflow))
                .collect::<Result<Vec<_>>>()?,
        );
        let mut moved: Vec<(&'static str, Vec<(i64, IdxSize)>)> = Vec::new();
        for column in &indexed {
            let old = int_values(&self.frame(table).column(column)?.take(&rows_ca)?)?;
            let new = int_values(&batch.column(column)?.take(&pos_ca)?)?;
            let changed = old
                .iter()
                .zip(&new)
                .zip(&targets)
                .filter_map(|((o, n), (row, _))| (o != n).then_some((*n, *row)))
                .filter_map(|(n, row)| Some((n?, row)))
                .collect();
            moved.push((*column, changed));
        }
        let mut out = if targets.is_empty() {
            self.frame(table).clone()
        } else {
            let df = std::mem::replace(&mut self.tables[table as usize], DataFrame::empty());
            let columns = df
                .into_columns()
                .into_iter()
                .map(|c| {
                    let values = batch.column(c.name())?.clone();
                    scatter_column(c, &targets, &values)
                })
                .collect::<Result<Vec<Column>>>()?;
            DataFrame::new(height, columns)?
        };
        let appended = if fresh.is_empty() {
            None
        } else {
            let rows = batch.take(&IdxCa::from_vec("fresh".into(), fresh))?;
            out.vstack_mut_owned(rows.clone())?;
            Some(rows)
        };
        if out.max_n_chunks() > MAX_CHUNKS {
            out.rechunk_mut_par();
        }
        self.tables[table as usize] = out;
        self.version += 1;
        for (column, changed) in moved {
            if let Some(index) = self.indexes.get_mut(&(table, column)) {
                for (key, row) in changed {
                    index.moved_to(key, row);
                }
            }
        }
        if let Some(rows) = appended {
            let first = IdxSize::try_from(height).map_err(overflow)?;
            for column in &indexed {
                let values = int_values(rows.column(column)?)?;
                if let Some(index) = self.indexes.get_mut(&(table, *column)) {
                    for (key, row) in values.into_iter().zip(first..) {
                        index.append(key, row);
                    }
                }
            }
        }
        self.indexes
            .retain(|(t, _), index| *t != table || !index.is_stale());
        Ok(targets.len())
    }

    /// The rows of `table` whose integer `column` holds one of `keys`, as (value, row) pairs
    /// in row order (an index is built on first use).
    fn locate(
        &mut self,
        table: Table,
        column: &str,
        keys: &BTreeSet<i64>,
    ) -> Result<Vec<(i64, IdxSize)>> {
        let name = table
            .column(column)
            .ok_or_else(|| schema_error(table, format!("no column {column}")))?
            .name;
        if !self.indexes.contains_key(&(table, name)) {
            let index = KeyIndex::build(self.frame(table).column(name)?)?;
            self.indexes.insert((table, name), index);
        }
        let mut rows = Vec::new();
        if let Some(index) = self.indexes.get(&(table, name)) {
            for key in keys {
                index.candidates(*key, &mut rows);
            }
        }
        rows.sort_unstable();
        rows.dedup();
        let values = int_values(
            &self
                .frame(table)
                .column(name)?
                .take(&IdxCa::from_vec("rows".into(), rows.clone()))?,
        )?;
        Ok(values
            .into_iter()
            .zip(rows)
            .filter_map(|(v, row)| v.filter(|v| keys.contains(v)).map(|v| (v, row)))
            .collect())
    }

    /// The positions of the rows of `table` whose integer `column` holds one of `keys`, in row
    /// order: an index lookup (the index is built on the first call for that column and kept
    /// current by upserts).
    ///
    /// # Errors
    /// [`Error::Schema`] for an unknown column; [`Error::Polars`] if it is not an integer
    /// column.
    pub fn positions(
        &mut self,
        table: Table,
        column: &str,
        keys: &BTreeSet<i64>,
    ) -> Result<Vec<IdxSize>> {
        Ok(self
            .locate(table, column, keys)?
            .into_iter()
            .map(|(_, row)| row)
            .collect())
    }

    /// The rows of `table` at `positions` (from [`Frames::positions`]).
    ///
    /// # Errors
    /// [`Error::Polars`] for a position out of bounds.
    pub fn take_rows(&self, table: Table, positions: Vec<IdxSize>) -> Result<DataFrame> {
        Ok(self
            .frame(table)
            .take(&IdxCa::from_vec("rows".into(), positions))?)
    }

    /// Removes the rows of `table` whose primary key is in `keys` (one [`ColumnData`] per
    /// [`primary_key`] column, in that order). Returns the number of rows removed.
    ///
    /// # Errors
    /// [`Error::Schema`] when `keys` does not match the key columns; [`Error::Polars`] if a
    /// plan fails.
    pub fn delete(&mut self, table: Table, keys: Vec<ColumnData>) -> Result<usize> {
        let names = primary_key(table);
        if keys.len() != names.len() {
            return Err(schema_error(
                table,
                format!("expected {} key columns, got {}", names.len(), keys.len()),
            ));
        }
        let height = keys.first().map_or(0, ColumnData::len);
        let mut cols = Vec::with_capacity(keys.len());
        for (data, name) in keys.into_iter().zip(names) {
            let spec = table
                .column(name)
                .ok_or_else(|| schema_error(table, format!("no key column {name}")))?;
            if !data.fits(spec.ty) || data.len() != height || data.has_null() {
                return Err(schema_error(table, format!("bad key column {name}")));
            }
            cols.push(data.into_column(name)?);
        }
        let key_df = DataFrame::new(height, cols)?;
        let current = self.frame(table).clone();
        let (kept, removed) = remove_keys(table, current, &key_df)?;
        self.replace(table, kept);
        Ok(removed)
    }

    /// Replaces the frame of `table` with `df`, which must have the table's schema (e.g. a
    /// filtered copy of another store's frame).
    ///
    /// # Errors
    /// [`Error::Schema`] when the schema differs.
    pub fn set_frame(&mut self, table: Table, df: DataFrame) -> Result<()> {
        check_schema(table, &df)?;
        self.replace(table, df);
        Ok(())
    }

    /// The current frame of `table`.
    pub fn frame(&self, table: Table) -> &DataFrame {
        &self.tables[table as usize]
    }

    /// A lazy scan of `table` (cheap: the columns are shared, not copied).
    pub fn lazy(&self, table: Table) -> LazyFrame {
        self.frame(table).clone().lazy()
    }

    /// The largest value of the integer `column` of `table` (`None` when it has none).
    ///
    /// # Errors
    /// [`Error::Polars`] when the column is missing or not an integer column.
    pub fn max_int(&self, table: Table, column: &str) -> Result<Option<i64>> {
        let values = self.frame(table).column(column)?.cast(&DataType::Int64)?;
        Ok(values.i64()?.max())
    }

    /// Number of rows of `table`.
    pub fn height(&self, table: Table) -> usize {
        self.frame(table).height()
    }

    /// Bytes the frames' buffers take (Polars' estimate, string buffers included).
    pub fn estimated_bytes(&self) -> usize {
        self.tables.iter().map(DataFrame::estimated_size).sum()
    }

    /// A counter increased by every change; snapshots carry it to say what they were built
    /// from.
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// The frame of `table` sorted by its primary key (a canonical form for comparisons).
    ///
    /// # Errors
    /// [`Error::Polars`] if sorting fails.
    pub fn sorted(&self, table: Table) -> Result<DataFrame> {
        Ok(self
            .frame(table)
            .sort(primary_key(table).to_vec(), SortMultipleOptions::default())?)
    }

    /// `true` when every table of both stores holds the same rows (in any order), nulls
    /// included.
    ///
    /// # Errors
    /// [`Error::Polars`] if sorting fails.
    pub fn same_rows(&self, other: &Frames) -> Result<bool> {
        for table in Table::ALL {
            let (a, b) = (self.sorted(table)?, other.sorted(table)?);
            if a.height() != b.height() || a.width() != b.width() {
                return Ok(false);
            }
            let equal = a
                .columns()
                .iter()
                .zip(b.columns())
                .all(|(x, y)| x.name() == y.name() && x.equals_missing(y));
            if !equal {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

fn check_schema(table: Table, df: &DataFrame) -> Result<()> {
    let expected = table_schema(table);
    let same = df.width() == expected.len()
        && df
            .columns()
            .iter()
            .zip(expected.iter())
            .all(|(c, (name, dtype))| c.name() == name && c.dtype() == dtype);
    if same {
        Ok(())
    } else {
        Err(schema_error(
            table,
            format!(
                "frame columns {:?} differ from the table's",
                df.get_column_names()
            ),
        ))
    }
}

fn overflow<E>(_: E) -> Error {
    Error::DateRange("row index out of range".into())
}

/// The values of an integer column.
fn int_values(column: &Column) -> Result<Vec<Option<i64>>> {
    Ok(column.cast(&DataType::Int64)?.i64()?.iter().collect())
}

/// Writes `values[pos]` into row `row` of `column` for every (row, pos) of `targets` (sorted by
/// row), chunk by chunk: a chunk without a target is kept as it is, the others are written in
/// place when their buffers are not shared (copied otherwise).
fn scatter_column(column: Column, targets: &[(IdxSize, usize)], values: &Column) -> Result<Column> {
    let dtype = column.dtype().clone();
    let name = column.name().clone();
    let series = column.take_materialized_series();
    let physical = series.to_physical_repr().into_owned();
    drop(series);
    let source = values
        .as_materialized_series()
        .to_physical_repr()
        .into_owned();
    let mut chunks: Vec<ArrayRef> = Vec::new();
    let mut start: usize = 0;
    let mut next = 0;
    for chunk in physical.into_chunks() {
        let single = Series::try_from((name.clone(), chunk))?;
        let end = start + single.len();
        let from = next;
        while next < targets.len() && (targets[next].0 as usize) < end {
            next += 1;
        }
        let here = &targets[from..next];
        if here.is_empty() {
            chunks.extend(single.into_chunks());
        } else {
            let offset = IdxSize::try_from(start).map_err(overflow)?;
            let idx: Vec<IdxSize> = here.iter().map(|(row, _)| row - offset).collect();
            chunks.extend(scatter_chunk(single, &idx, here, &source)?.into_chunks());
        }
        start = end;
    }
    let out = Series::try_from((name, chunks))?;
    Ok(out.cast(&dtype)?.into_column())
}

/// [`ChunkedSet::scatter`] of one single-chunk physical series.
fn scatter_chunk(
    single: Series,
    idx: &[IdxSize],
    targets: &[(IdxSize, usize)],
    source: &Series,
) -> Result<Series> {
    macro_rules! scatter_as {
        ($get:ident) => {{
            let mut ca = single.$get()?.clone();
            drop(single);
            let src = source.$get()?;
            (&mut ca).scatter(idx, targets.iter().map(|(_, pos)| src.get(*pos)))?
        }};
    }
    let dtype = single.dtype().clone();
    Ok(match dtype {
        DataType::Int64 => scatter_as!(i64),
        DataType::Int32 => scatter_as!(i32),
        DataType::Float64 => scatter_as!(f64),
        DataType::String => scatter_as!(str),
        other => {
            return Err(Error::Polars(PolarsError::ComputeError(
                format!("no scatter for {other}").into(),
            )))
        }
    })
}

fn key_exprs(table: Table) -> Vec<Expr> {
    primary_key(table).iter().map(|k| col(*k)).collect()
}

/// Drops from `current` the rows whose key occurs in `keys`; returns the kept rows and how
/// many were dropped. `keys` holds at least the key columns of `table`.
fn remove_keys(table: Table, current: DataFrame, keys: &DataFrame) -> Result<(DataFrame, usize)> {
    if current.height() == 0 {
        return Ok((current, 0));
    }
    let names = primary_key(table);
    let before = current.height();
    let kept = if let [single] = names {
        let probe = keys.column(single)?.as_materialized_series().clone();
        let hit = col(*single).is_in(lit(probe).implode(false), false);
        let hits = current
            .clone()
            .lazy()
            .select([hit.clone().sum().cast(DataType::Int64).alias("hits")])
            .collect()?;
        let n = if hits.height() == 0 {
            0
        } else {
            hits.column("hits")?.i64()?.get(0).unwrap_or(0)
        };
        if n == 0 {
            return Ok((current, 0));
        }
        current.lazy().filter(hit.not()).collect()?
    } else {
        let exprs = key_exprs(table);
        let right = keys.clone().lazy().select(exprs.clone());
        current
            .lazy()
            .join(right, exprs.clone(), exprs, JoinArgs::new(JoinType::Anti))
            .collect()?
    };
    let removed = before.saturating_sub(kept.height());
    Ok((kept, removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn ints(v: &[i64]) -> ColumnData {
        ColumnData::Int(v.iter().map(|x| Some(*x)).collect())
    }

    fn texts(v: &[&str]) -> ColumnData {
        ColumnData::Text(v.iter().map(|x| Some((*x).to_owned())).collect())
    }

    /// `quyet_dinh` rows: (id, viec_id, loai, ngay_ky, ky_so).
    fn decisions(rows: &[(i64, i64, &str, &str, i64)]) -> Vec<ColumnData> {
        vec![
            ints(&rows.iter().map(|r| r.0).collect::<Vec<_>>()),
            ints(&rows.iter().map(|r| r.1).collect::<Vec<_>>()),
            texts(&rows.iter().map(|r| r.2).collect::<Vec<_>>()),
            ColumnData::Text(
                rows.iter()
                    .map(|r| Some(format!("{}/QĐ-THADS", r.0)))
                    .collect(),
            ),
            ColumnData::Date(rows.iter().map(|r| Some(d(r.3))).collect()),
            ints(&rows.iter().map(|r| r.4).collect::<Vec<_>>()),
        ]
    }

    #[test]
    fn table_index_is_declaration_order() {
        for (i, t) in Table::ALL.into_iter().enumerate() {
            assert_eq!(t as usize, i);
        }
    }

    #[test]
    fn dtypes_follow_the_schema() {
        let df = empty_frame(Table::ViecThiHanh);
        assert_eq!(df.width(), 16);
        let s = df.schema();
        assert_eq!(s.get("id"), Some(&DataType::Int64));
        assert_eq!(s.get("ngay_thu_ly"), Some(&DataType::Date));
        assert_eq!(s.get("so_tien_phai_thi_hanh"), Some(&DataType::Int64));
        assert_eq!(s.get("trang_thai"), Some(&DataType::String));
        let ct = empty_frame(Table::ChiTieu);
        assert_eq!(ct.schema().get("ty_le_viec"), Some(&DataType::Float64));
    }

    #[test]
    fn set_table_validates_count_types_lengths_and_nulls() {
        let mut f = Frames::new();
        // 5 columns instead of 6.
        let mut cols = decisions(&[(1, 10, "thi_hanh_an", "2026-01-05", 1)]);
        cols.pop();
        assert!(matches!(
            f.set_table(Table::QuyetDinh, cols),
            Err(Error::Schema { .. })
        ));
        // ngay_ky given as text.
        let mut cols = decisions(&[(1, 10, "thi_hanh_an", "2026-01-05", 1)]);
        cols[4] = texts(&["2026-01-05"]);
        assert!(f.set_table(Table::QuyetDinh, cols).is_err());
        // Ragged lengths.
        let mut cols = decisions(&[(1, 10, "thi_hanh_an", "2026-01-05", 1)]);
        cols[0] = ints(&[1, 2]);
        assert!(f.set_table(Table::QuyetDinh, cols).is_err());
        // NULL in NOT NULL `loai`.
        let mut cols = decisions(&[(1, 10, "thi_hanh_an", "2026-01-05", 1)]);
        cols[2] = ColumnData::Text(vec![None]);
        assert!(f.set_table(Table::QuyetDinh, cols).is_err());
        assert_eq!(f.version(), 0);
        // A good batch, and the date survives the round trip.
        let cols = decisions(&[(1, 10, "thi_hanh_an", "2026-01-05", 1)]);
        f.set_table(Table::QuyetDinh, cols).expect("set");
        let days = f.frame(Table::QuyetDinh).column("ngay_ky").expect("col");
        let days = days.cast(&DataType::Int32).expect("cast");
        let v = days.i32().expect("i32").get(0).expect("value");
        assert_eq!(date_from_epoch_days(v), Some(d("2026-01-05")));
        assert_eq!(f.version(), 1);
    }

    #[test]
    fn upsert_replaces_by_id_and_appends_new_rows() {
        let mut f = Frames::new();
        f.set_table(
            Table::QuyetDinh,
            decisions(&[
                (1, 10, "thi_hanh_an", "2026-01-05", 0),
                (2, 11, "thi_hanh_an", "2026-01-06", 0),
                (3, 12, "hoan", "2026-01-07", 1),
            ]),
        )
        .expect("set");
        // Pure insert: nothing replaced.
        let n = f
            .upsert(
                Table::QuyetDinh,
                decisions(&[(4, 13, "khac", "2026-01-08", 1)]),
            )
            .expect("insert");
        assert_eq!(n, 0);
        // Row 2 changes twice in one batch (last wins), row 5 is new.
        let n = f
            .upsert(
                Table::QuyetDinh,
                decisions(&[
                    (2, 11, "thi_hanh_an", "2026-01-06", 0),
                    (5, 14, "khac", "2026-01-09", 1),
                    (2, 11, "thi_hanh_an", "2026-01-06", 1),
                ]),
            )
            .expect("upsert");
        assert_eq!(n, 1);
        assert_eq!(f.height(Table::QuyetDinh), 5);
        let sorted = f.sorted(Table::QuyetDinh).expect("sort");
        let ky_so: Vec<_> = sorted
            .column("ky_so")
            .expect("c")
            .i64()
            .expect("i")
            .iter()
            .collect();
        assert_eq!(ky_so, vec![Some(0), Some(1), Some(1), Some(1), Some(1)]);
    }

    #[test]
    fn composite_keys_and_delete() {
        let mut f = Frames::new();
        let nvv = |rows: &[(i64, i64)]| {
            vec![
                ints(&rows.iter().map(|r| r.0).collect::<Vec<_>>()),
                ints(&rows.iter().map(|r| r.1).collect::<Vec<_>>()),
            ]
        };
        f.set_table(Table::NhiemVuViec, nvv(&[(1, 10), (1, 11), (2, 10)]))
            .expect("set");
        // (1, 11) already exists: replaced, not duplicated; (2, 11) is new.
        let n = f
            .upsert(Table::NhiemVuViec, nvv(&[(1, 11), (2, 11)]))
            .expect("upsert");
        assert_eq!(n, 1);
        assert_eq!(f.height(Table::NhiemVuViec), 4);
        let n = f
            .delete(Table::NhiemVuViec, nvv(&[(1, 10), (9, 9)]))
            .expect("delete");
        assert_eq!(n, 1);
        assert_eq!(f.height(Table::NhiemVuViec), 3);
        // chi_tieu: key (nam_thong_ke, don_vi_id); a rate update replaces the row.
        let ct = |rows: &[(i64, i64, f64)]| {
            vec![
                ints(&rows.iter().map(|r| r.0).collect::<Vec<_>>()),
                ints(&rows.iter().map(|r| r.1).collect::<Vec<_>>()),
                ColumnData::Float(rows.iter().map(|r| Some(r.2)).collect()),
                ColumnData::Float(rows.iter().map(|r| Some(r.2 - 30.0)).collect()),
            ]
        };
        f.set_table(Table::ChiTieu, ct(&[(2026, 1, 84.0), (2027, 1, 84.0)]))
            .expect("set");
        f.upsert(Table::ChiTieu, ct(&[(2026, 1, 83.5)]))
            .expect("upsert");
        assert_eq!(f.height(Table::ChiTieu), 2);
        let ids = f
            .delete(Table::DonVi, vec![ints(&[1])])
            .expect("delete on empty");
        assert_eq!(ids, 0);
        assert!(f.delete(Table::ChiTieu, vec![ints(&[2026])]).is_err());
    }

    /// `quyet_dinh` ids with `viec_id` `case` in `f`, via the index.
    fn decisions_of(f: &mut Frames, case: i64) -> Vec<i64> {
        let df = f
            .rows_where_test(Table::QuyetDinh, "viec_id", &BTreeSet::from([case]))
            .expect("lookup");
        let mut ids: Vec<i64> = df
            .column("id")
            .expect("id")
            .i64()
            .expect("i64")
            .iter()
            .flatten()
            .collect();
        ids.sort_unstable();
        ids
    }

    impl Frames {
        fn rows_where_test(
            &mut self,
            table: Table,
            column: &str,
            keys: &BTreeSet<i64>,
        ) -> Result<DataFrame> {
            let rows = self.positions(table, column, keys)?;
            self.take_rows(table, rows)
        }
    }

    #[test]
    fn upserts_scatter_across_chunks_and_lookups_follow_moves() {
        let mut f = Frames::new();
        f.set_table(
            Table::QuyetDinh,
            decisions(&[
                (1, 10, "thi_hanh_an", "2026-01-05", 0),
                (2, 11, "thi_hanh_an", "2026-01-06", 0),
                (3, 10, "hoan", "2026-01-07", 1),
            ]),
        )
        .expect("set");
        assert_eq!(decisions_of(&mut f, 10), vec![1, 3]);
        // A pure insert appends a second chunk.
        f.upsert(
            Table::QuyetDinh,
            decisions(&[
                (4, 10, "khac", "2026-01-08", 1),
                (5, 12, "khac", "2026-01-09", 0),
            ]),
        )
        .expect("insert");
        assert_eq!(f.frame(Table::QuyetDinh).max_n_chunks(), 2);
        assert_eq!(decisions_of(&mut f, 10), vec![1, 3, 4]);
        // Updates in both chunks: decision 3 moves to case 12, decision 4 to case 11, 2 gets
        // signed, and 6 is new.
        let n = f
            .upsert(
                Table::QuyetDinh,
                decisions(&[
                    (3, 12, "hoan", "2026-01-07", 1),
                    (4, 11, "khac", "2026-02-08", 1),
                    (2, 11, "thi_hanh_an", "2026-01-06", 1),
                    (6, 10, "khac", "2026-03-01", 0),
                ]),
            )
            .expect("upsert");
        assert_eq!(n, 3);
        assert_eq!(f.height(Table::QuyetDinh), 6);
        assert_eq!(decisions_of(&mut f, 10), vec![1, 6]);
        assert_eq!(decisions_of(&mut f, 11), vec![2, 4]);
        assert_eq!(decisions_of(&mut f, 12), vec![3, 5]);
        // Back to case 10: found once.
        f.upsert(
            Table::QuyetDinh,
            decisions(&[(3, 10, "hoan", "2026-01-07", 1)]),
        )
        .expect("move back");
        assert_eq!(decisions_of(&mut f, 10), vec![1, 3, 6]);
        assert_eq!(decisions_of(&mut f, 12), vec![5]);
        let mut rebuilt = Frames::new();
        rebuilt
            .set_table(
                Table::QuyetDinh,
                decisions(&[
                    (1, 10, "thi_hanh_an", "2026-01-05", 0),
                    (2, 11, "thi_hanh_an", "2026-01-06", 1),
                    (3, 10, "hoan", "2026-01-07", 1),
                    (4, 11, "khac", "2026-02-08", 1),
                    (5, 12, "khac", "2026-01-09", 0),
                    (6, 10, "khac", "2026-03-01", 0),
                ]),
            )
            .expect("set");
        assert!(f.same_rows(&rebuilt).expect("compare"));
        // A copy shares the columns: writing to one leaves the other as it was.
        let copy = f.clone();
        f.upsert(
            Table::QuyetDinh,
            decisions(&[(1, 10, "tiep_tuc", "2026-04-01", 1)]),
        )
        .expect("upsert after copy");
        assert!(copy.same_rows(&rebuilt).expect("compare copy"));
        assert!(!f.same_rows(&rebuilt).expect("compare live"));
    }

    #[test]
    fn rebuilt_from_scratch_equals_upserted() {
        // Live store: 4 rows, then three batches (update, insert, update+insert, delete).
        let mut live = Frames::new();
        live.set_table(
            Table::QuyetDinh,
            decisions(&[
                (1, 10, "thi_hanh_an", "2026-01-05", 0),
                (2, 11, "thi_hanh_an", "2026-01-06", 0),
                (3, 12, "hoan", "2026-01-07", 1),
                (4, 13, "khac", "2026-01-08", 1),
            ]),
        )
        .expect("set");
        live.upsert(
            Table::QuyetDinh,
            decisions(&[(1, 10, "thi_hanh_an", "2026-01-05", 1)]),
        )
        .expect("b1");
        live.upsert(
            Table::QuyetDinh,
            decisions(&[(6, 15, "dinh_chi", "2026-02-01", 1)]),
        )
        .expect("b2");
        live.upsert(
            Table::QuyetDinh,
            decisions(&[
                (3, 12, "tiep_tuc", "2026-02-02", 1),
                (7, 16, "khac", "2026-02-03", 0),
            ]),
        )
        .expect("b3");
        live.delete(Table::QuyetDinh, vec![ints(&[4])]).expect("b4");
        // Rebuilt: the final state read from the store in one go, in id order.
        let mut rebuilt = Frames::new();
        rebuilt
            .set_table(
                Table::QuyetDinh,
                decisions(&[
                    (1, 10, "thi_hanh_an", "2026-01-05", 1),
                    (2, 11, "thi_hanh_an", "2026-01-06", 0),
                    (3, 12, "tiep_tuc", "2026-02-02", 1),
                    (6, 15, "dinh_chi", "2026-02-01", 1),
                    (7, 16, "khac", "2026-02-03", 0),
                ]),
            )
            .expect("set");
        assert!(live.same_rows(&rebuilt).expect("compare"));
        // And a difference is seen.
        rebuilt
            .upsert(
                Table::QuyetDinh,
                decisions(&[(7, 16, "khac", "2026-02-03", 1)]),
            )
            .expect("b5");
        assert!(!live.same_rows(&rebuilt).expect("compare"));
    }
}
