//! What an AWS SDK error says, in one line.
//!
//! An SDK error's full rendering (`DisplayErrorContext`) carries the raw HTTP response: headers,
//! request ids, the whole XML or JSON body. That belongs in the logs, not in what people read: run
//! records, report notes, Step Functions causes, DLQ reasons. [`summary`] keeps AWS's error code and
//! message and logs the rest once.

use std::error::Error as _;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// `Code: message` of a service error (the HTTP status when AWS sent no code), or what kept the
/// request from being answered (a timeout, no connection, an unreadable response). The full error,
/// raw response included, is logged at `warn` with `operation`.
pub fn summary<E, R>(operation: &str, err: &SdkError<E, R>) -> String
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    tracing::warn!(operation, error = %DisplayErrorContext(err), "AWS call failed");
    short(err)
}

/// [`summary`] without the log line.
pub fn short<E, R>(err: &SdkError<E, R>) -> String
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            match (inner.code(), inner.message()) {
                (Some(code), Some(message)) if !message.is_empty() => format!("{code}: {message}"),
                (Some(code), _) => code.to_string(),
                (None, Some(message)) if !message.is_empty() => message.to_string(),
                (None, _) => format!("{:?}", service.raw())
                    .split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        }
        SdkError::TimeoutError(_) => "the request timed out".into(),
        SdkError::DispatchFailure(failure) => {
            let why = if failure.is_timeout() {
                "timed out"
            } else if failure.is_io() {
                "a connection error"
            } else {
                "a client error"
            };
            format!("the request could not be sent ({why})")
        }
        SdkError::ResponseError(_) => "the response could not be read".into(),
        SdkError::ConstructionFailure(_) => match err.source() {
            Some(source) => format!("the request could not be built: {source}"),
            None => "the request could not be built".into(),
        },
        _ => "the request failed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::operation::list_buckets::ListBucketsError;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn service_error(code: Option<&str>, message: &str) -> SdkError<ListBucketsError, Response> {
        let mut meta = ErrorMetadata::builder().message(message);
        if let Some(code) = code {
            meta = meta.code(code);
        }
        let body = "<Error><Code>AccessDenied</Code><RequestId>4442587FB7D0A2F9</RequestId>\
                    <HostId>huge/base64==</HostId></Error>";
        let raw = Response::new(StatusCode::try_from(403).unwrap(), SdkBody::from(body));
        SdkError::service_error(ListBucketsError::generic(meta.build()), raw)
    }

    #[test]
    fn a_service_error_is_its_code_and_message_without_the_response() {
        let err = service_error(Some("AccessDenied"), "User is not authorized");
        assert_eq!(short(&err), "AccessDenied: User is not authorized");
        let full = DisplayErrorContext(&err).to_string();
        assert!(
            full.contains("HostId"),
            "the full rendering has the body: {full}"
        );
        assert!(!summary("ListBuckets", &err).contains("HostId"));
    }

    #[test]
    fn a_code_alone_and_a_timeout_are_short_too() {
        assert_eq!(
            short(&service_error(Some("NoSuchBucket"), "")),
            "NoSuchBucket"
        );
        let timeout: SdkError<ListBucketsError, Response> =
            SdkError::timeout_error("deadline".to_string());
        assert_eq!(short(&timeout), "the request timed out");
    }
}
