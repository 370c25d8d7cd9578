//! S3 objects as the consolidation's synchronous reader and writer, with bounded memory and no
//! local copy: a data file read once from its `GetObject` body ([`inventory_format::ForwardFile`]),
//! and the normalised Parquet uploaded as it is encoded ([`Upload`]), published only when
//! [`Upload::publish`] is called (after the data file's MD5 was checked).
//!
//! The consolidation runs on blocking threads; these types wait on the Tokio runtime's `Handle`
//! for each S3 call, which is allowed off the runtime's own threads.

use std::io::{self, Read, Write};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use inventory_format::read::RangeRead;
use tokio::runtime::Handle;

/// A `GetObject` body as a blocking reader.
pub(super) struct BlockingBody {
    handle: Handle,
    body: ByteStream,
    chunk: Bytes,
}

impl BlockingBody {
    pub(super) fn new(handle: Handle, body: ByteStream) -> Self {
        Self {
            handle,
            body,
            chunk: Bytes::new(),
        }
    }
}

impl Read for BlockingBody {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.handle.block_on(self.body.try_next()) {
                Ok(Some(chunk)) => self.chunk = chunk,
                Ok(None) => return Ok(0),
                Err(e) => return Err(io::Error::other(e)),
            }
        }
        let n = out.len().min(self.chunk.len());
        out[..n].copy_from_slice(&self.chunk[..n]);
        let _ = self.chunk.split_to(n);
        Ok(n)
    }
}

/// Ranged reads of one version of an object (`If-Match` its `ETag`), for what a columnar reader
/// needs behind the stream's window.
pub(super) struct ObjectRanges {
    pub(super) handle: Handle,
    pub(super) s3: aws_sdk_s3::Client,
    pub(super) bucket: String,
    pub(super) key: String,
    pub(super) etag: String,
}

impl RangeRead for ObjectRanges {
    fn read_range(&self, start: u64, length: u64) -> io::Result<Bytes> {
        if length == 0 {
            return Ok(Bytes::new());
        }
        let range = format!("bytes={start}-{}", start + length - 1);
        self.handle.block_on(async {
            let object = self
                .s3
                .get_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .range(range)
                .if_match(&self.etag)
                .send()
                .await
                .map_err(|e| io::Error::other(platform::sdk_error::summary("GetObject", &e)))?;
            let body = object.body.collect().await.map_err(io::Error::other)?;
            Ok(body.into_bytes())
        })
    }
}

/// Parts are uploaded at this size (S3's minimum part is 5 MiB; at 10,000 parts this allows 80 GiB
/// of Parquet per data file).
pub(super) const PART_BYTES: usize = 8 * 1024 * 1024;

/// The normalised Parquet of one data file, uploaded as it is written: kept in memory up to one
/// part, sent as a multipart upload's parts beyond that, and visible at its key only once
/// [`Upload::publish`] completes it (a single `PutObject` when it is smaller than a part). Dropped
/// unpublished, it aborts the multipart upload, so a failed file leaves nothing readable (and a
/// lifecycle rule on the bucket removes parts an aborted call missed).
pub(super) struct Upload {
    handle: Handle,
    s3: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    buffer: Vec<u8>,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
    published: bool,
}

const CONTENT_TYPE: &str = "application/vnd.apache.parquet";

impl Upload {
    pub(super) fn new(handle: Handle, s3: aws_sdk_s3::Client, bucket: &str, key: &str) -> Self {
        Self {
            handle,
            s3,
            bucket: bucket.to_string(),
            key: key.to_string(),
            buffer: Vec::with_capacity(PART_BYTES),
            upload_id: None,
            parts: Vec::new(),
            published: false,
        }
    }

    /// Sends the buffer as the next part, starting the multipart upload first.
    fn send_part(&mut self) -> io::Result<()> {
        let (s3, bucket, key) = (&self.s3, &self.bucket, &self.key);
        let body = std::mem::replace(&mut self.buffer, Vec::with_capacity(PART_BYTES));
        let part_number = self.parts.len() as i32 + 1;
        let upload_id = self.upload_id.clone();
        let sent = self.handle.block_on(async {
            let upload_id = match upload_id {
                Some(id) => id,
                None => s3
                    .create_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .content_type(CONTENT_TYPE)
                    .send()
                    .await
                    .map_err(|e| io_error("CreateMultipartUpload", &e))?
                    .upload_id
                    .unwrap_or_default(),
            };
            let sent = s3
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .part_number(part_number)
                .body(ByteStream::from(body))
                .send()
                .await;
            let part = CompletedPart::builder().part_number(part_number);
            Ok::<_, io::Error>((
                upload_id,
                sent.map(|out| part.set_e_tag(out.e_tag).build())
                    .map_err(|e| io_error("UploadPart", &e)),
            ))
        });
        // The id is kept even when the part failed, so the upload is aborted when this is dropped.
        let (upload_id, part) = sent?;
        self.upload_id = Some(upload_id);
        self.parts.push(part?);
        Ok(())
    }

    /// Makes the object visible at its key: the last part and `CompleteMultipartUpload`, or one
    /// `PutObject` when everything fits in one part.
    pub(super) fn publish(mut self) -> io::Result<()> {
        let Some(upload_id) = self.upload_id.clone() else {
            let body = std::mem::take(&mut self.buffer);
            let (s3, bucket, key) = (&self.s3, &self.bucket, &self.key);
            self.handle.block_on(async {
                s3.put_object()
                    .bucket(bucket)
                    .key(key)
                    .content_type(CONTENT_TYPE)
                    .body(ByteStream::from(body))
                    .send()
                    .await
                    .map_err(|e| io_error("PutObject", &e))
            })?;
            self.published = true;
            return Ok(());
        };
        if !self.buffer.is_empty() {
            self.send_part()?;
        }
        let parts = CompletedMultipartUpload::builder()
            .set_parts(Some(std::mem::take(&mut self.parts)))
            .build();
        let (s3, bucket, key) = (&self.s3, &self.bucket, &self.key);
        self.handle.block_on(async {
            s3.complete_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .multipart_upload(parts)
                .send()
                .await
                .map_err(|e| io_error("CompleteMultipartUpload", &e))
        })?;
        self.published = true;
        Ok(())
    }
}

fn io_error<E, R>(operation: &str, err: &aws_sdk_s3::error::SdkError<E, R>) -> io::Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    io::Error::other(platform::sdk_error::summary(operation, err))
}

impl Write for Upload {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let room = PART_BYTES - self.buffer.len();
        let n = room.min(bytes.len());
        self.buffer.extend_from_slice(&bytes[..n]);
        if self.buffer.len() == PART_BYTES {
            self.send_part()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if self.published {
            return;
        }
        if let Some(upload_id) = self.upload_id.take() {
            let (s3, bucket, key) = (&self.s3, &self.bucket, &self.key);
            let aborted = self.handle.block_on(async {
                s3.abort_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .send()
                    .await
            });
            if let Err(e) = aborted {
                let error = platform::sdk_error::summary("AbortMultipartUpload", &e);
                tracing::warn!(%bucket, %key, %error, "multipart upload left for the lifecycle rule");
            }
        }
    }
}
