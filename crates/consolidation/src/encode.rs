//! The normalised Parquet file, its columns encoded on two threads.
//!
//! Encoding (and compressing) the columns is the larger half of consolidation.
//! Each row group's column writers are split in two: a helper thread encodes
//! the columns in `options::HELPER_COLUMNS` and this thread the others, both from the same batch; the finished column chunks are then
//! appended to the file in schema order. On a two-core Lambda function the two
//! halves overlap with each other and with the reader's threads; on one core
//! the helper costs a few context switches per batch.
//!
//! The threads meet once per batch (the helper answers with its estimated
//! bytes, so the row-group byte cap is exact and deterministic) and once per
//! row group (the helper hands back its column chunks). Memory is the same as
//! one writer's: the row group being encoded, plus the one batch both threads
//! read.

use std::io::Write;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::{self, Scope};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory,
};
use parquet::arrow::ArrowWriter;
use parquet::errors::{ParquetError, Result};
use parquet::file::writer::SerializedFileWriter;

use crate::options::{ConsolidateOptions, HELPER_COLUMNS};

/// One column's writer for the row group being encoded, with its index in the schema.
type ColumnWriter = (usize, ArrowColumnWriter);
/// One column's finished chunk, with its index in the schema.
type ColumnChunk = (usize, ArrowColumnChunk);

/// What this thread asks of the helper.
enum Job {
    /// The helper's column writers for a new row group.
    Begin(Vec<ColumnWriter>),
    /// Encode the helper's columns of this batch; answered on `Helper::written`.
    Write(RecordBatch),
    /// Close the row group's writers; answered on `Helper::closed`.
    Close,
}

/// The helper thread, as seen from this one.
struct Helper {
    jobs: SyncSender<Job>,
    /// Per batch: the estimated encoded bytes of the helper's columns so far.
    written: Receiver<Result<usize>>,
    /// Per row group: the helper's chunks.
    closed: Receiver<Result<Vec<ColumnChunk>>>,
}

/// Writes batches of the normalised schema into a Parquet file, row group by
/// row group, the columns split between this thread and a helper.
pub(crate) struct ParquetEncoder<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// Per column: encoded on the helper thread (when there is one).
    on_helper: Vec<bool>,
    /// `None` if no thread could be started: then every column is encoded here.
    helper: Option<Helper>,
    /// This thread's writers of the open row group.
    here: Vec<ColumnWriter>,
    /// Rows in the open row group (0: none is open).
    rows: usize,
    max_rows: usize,
    max_bytes: usize,
}

impl<W: Write + Send> ParquetEncoder<W> {
    /// A file of `schema` written to `sink`, its helper thread started in `scope`.
    pub(crate) fn new<'scope>(
        scope: &'scope Scope<'scope, '_>,
        schema: SchemaRef,
        options: &ConsolidateOptions,
        sink: W,
    ) -> Result<Self> {
        let writer = ArrowWriter::try_new(sink, schema.clone(), Some(options.writer_properties()))?;
        let (file, factory) = writer.into_serialized_writer()?;
        let on_helper = schema
            .fields()
            .iter()
            .map(|field| HELPER_COLUMNS.contains(&field.name().as_str()))
            .collect();
        Ok(ParquetEncoder {
            file,
            factory,
            helper: start_helper(scope, schema.clone()),
            schema,
            on_helper,
            here: Vec::new(),
            rows: 0,
            max_rows: options.max_row_group_rows.max(1),
            max_bytes: options.max_row_group_bytes.max(1),
        })
    }

    /// Encodes `batch`, closing a row group whenever it reaches the row cap
    /// (splitting the batch there) or, after a batch, the byte cap.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut offset = 0;
        while offset < batch.num_rows() {
            let take = (self.max_rows - self.rows).min(batch.num_rows() - offset);
            let bytes = self.write_rows(&batch.slice(offset, take))?;
            self.rows += take;
            offset += take;
            if self.rows >= self.max_rows || bytes >= self.max_bytes {
                self.close_row_group()?;
            }
        }
        Ok(())
    }

    /// Closes the open row group, if any, and writes the file's footer.
    pub(crate) fn finish(mut self) -> Result<()> {
        if self.rows > 0 {
            self.close_row_group()?;
        }
        // Dropping the job channel ends the helper thread.
        self.helper = None;
        self.file.close()?;
        Ok(())
    }

    /// Encodes `rows` (within one row group) on both threads: the estimated
    /// encoded bytes of the row group so far.
    fn write_rows(&mut self, rows: &RecordBatch) -> Result<usize> {
        if self.rows == 0 {
            self.open_row_group()?;
        }
        if let Some(helper) = &self.helper {
            helper.send(Job::Write(rows.clone()))?;
        }
        let here = write_columns(&self.schema, &mut self.here, rows)?;
        let there = match &self.helper {
            Some(helper) => helper.written.recv().map_err(|_| helper_stopped())??,
            None => 0,
        };
        Ok(here + there)
    }

    fn open_row_group(&mut self) -> Result<()> {
        let index = self.file.flushed_row_groups().len();
        let writers = self.factory.create_column_writers(index)?;
        if writers.len() != self.on_helper.len() {
            return Err(ParquetError::General(format!(
                "{} column writers for {} columns: the normalised schema is flat",
                writers.len(),
                self.on_helper.len()
            )));
        }
        let (there, here): (Vec<_>, Vec<_>) = writers
            .into_iter()
            .enumerate()
            .partition(|(i, _)| self.helper.is_some() && self.on_helper[*i]);
        self.here = here;
        if let Some(helper) = &self.helper {
            helper.send(Job::Begin(there))?;
        }
        Ok(())
    }

    fn close_row_group(&mut self) -> Result<()> {
        if let Some(helper) = &self.helper {
            helper.send(Job::Close)?;
        }
        let mut chunks = close_columns(std::mem::take(&mut self.here))?;
        if let Some(helper) = &self.helper {
            chunks.extend(helper.closed.recv().map_err(|_| helper_stopped())??);
        }
        chunks.sort_unstable_by_key(|(i, _)| *i);
        let mut row_group = self.file.next_row_group()?;
        for (_, chunk) in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        self.rows = 0;
        Ok(())
    }
}

impl Helper {
    fn send(&self, job: Job) -> Result<()> {
        self.jobs.send(job).map_err(|_| helper_stopped())
    }
}

/// Starts the helper thread, or returns `None` if no thread can be started.
fn start_helper<'scope>(scope: &'scope Scope<'scope, '_>, schema: SchemaRef) -> Option<Helper> {
    // One job in flight at a time: this thread waits for each answer.
    let (jobs, job_receiver) = sync_channel(1);
    let (written_sender, written) = sync_channel(1);
    let (closed_sender, closed) = sync_channel(1);
    thread::Builder::new()
        .name("parquet-columns".to_owned())
        .spawn_scoped(scope, move || {
            serve_jobs(&schema, job_receiver, &written_sender, &closed_sender)
        })
        .ok()
        .map(|_| Helper {
            jobs,
            written,
            closed,
        })
}

/// The helper thread's loop: until this thread drops its job sender.
fn serve_jobs(
    schema: &SchemaRef,
    jobs: Receiver<Job>,
    written: &SyncSender<Result<usize>>,
    closed: &SyncSender<Result<Vec<ColumnChunk>>>,
) {
    let mut writers = Vec::new();
    for job in jobs {
        // A failed send means this thread's side is gone: stop.
        let answered = match job {
            Job::Begin(row_group) => {
                writers = row_group;
                true
            }
            Job::Write(rows) => written
                .send(write_columns(schema, &mut writers, &rows))
                .is_ok(),
            Job::Close => closed
                .send(close_columns(std::mem::take(&mut writers)))
                .is_ok(),
        };
        if !answered {
            return;
        }
    }
}

/// Encodes the columns of `rows` that `writers` are for: their estimated
/// encoded bytes so far in the row group.
fn write_columns(
    schema: &SchemaRef,
    writers: &mut [ColumnWriter],
    rows: &RecordBatch,
) -> Result<usize> {
    for (index, writer) in writers.iter_mut() {
        for leaf in compute_leaves(schema.field(*index), rows.column(*index))? {
            writer.write(&leaf)?;
        }
    }
    Ok(writers
        .iter()
        .map(|(_, writer)| writer.get_estimated_total_bytes())
        .sum())
}

fn close_columns(writers: Vec<ColumnWriter>) -> Result<Vec<ColumnChunk>> {
    writers
        .into_iter()
        .map(|(index, writer)| Ok((index, writer.close()?)))
        .collect()
}

fn helper_stopped() -> ParquetError {
    ParquetError::General("the column encoding thread stopped".to_owned())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use bytes::Bytes;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;

    fn batches() -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("version_id", DataType::Utf8, true),
            Field::new("size", DataType::Int64, true),
        ]));
        let batches = (0..7)
            .map(|b| {
                let rows = 0..1000 + b * 37;
                let key: ArrayRef = Arc::new(StringArray::from_iter_values(
                    rows.clone().map(|i| format!("prefix/{b}/{i:05}")),
                ));
                let version: ArrayRef = Arc::new(StringArray::from_iter(
                    rows.clone()
                        .map(|i| (i % 5 != 0).then(|| format!("v{:x}", i * 7919))),
                ));
                let size: ArrayRef = Arc::new(Int64Array::from_iter(
                    rows.map(|i| (i % 3 != 0).then_some(i as i64)),
                ));
                RecordBatch::try_new(schema.clone(), vec![key, version, size]).expect("batch")
            })
            .collect();
        (schema, batches)
    }

    fn encode(with_helper: bool, options: &ConsolidateOptions) -> Vec<u8> {
        let (schema, batches) = batches();
        let mut out = Vec::new();
        thread::scope(|scope| {
            let mut encoder = ParquetEncoder::new(scope, schema, options, &mut out).expect("new");
            if !with_helper {
                encoder.helper = None;
            }
            for batch in &batches {
                encoder.write(batch).expect("write");
            }
            encoder.finish().expect("finish");
        });
        out
    }

    #[test]
    fn the_helper_changes_nothing_in_the_file() {
        let options = ConsolidateOptions {
            max_row_group_rows: 2048,
            ..ConsolidateOptions::default()
        };
        let split = encode(true, &options);
        assert_eq!(split, encode(false, &options));

        let reader = SerializedFileReader::new(Bytes::from(split)).expect("open");
        let groups = reader.metadata().row_groups();
        let rows: i64 = groups.iter().map(|g| g.num_rows()).sum();
        assert_eq!(rows, (0..7).map(|b| 1000 + b * 37).sum::<i64>());
        assert!(groups.iter().all(|g| g.num_rows() <= 2048));
        assert!(groups.len() >= 4);
    }

    #[test]
    fn the_byte_cap_closes_row_groups_after_a_batch() {
        let options = ConsolidateOptions {
            max_row_group_bytes: 1,
            ..ConsolidateOptions::default()
        };
        let file = encode(true, &options);
        let reader = SerializedFileReader::new(Bytes::from(file)).expect("open");
        // Every batch is a row group of its own.
        assert_eq!(reader.metadata().num_row_groups(), 7);
    }
}
