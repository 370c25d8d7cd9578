//! What an AWS SDK error means: whether retrying may help, and what it says in one line.
//!
//! [`is_transient`] is the one rule of both tools for "try again" ([`TRANSIENT_CODES`], HTTP 429 and
//! 5xx, and failures to reach the service or read its answer): every function's `Transient` error
//! comes from it, and every Task and queue retries that.
//!
//! An SDK error's full rendering (`DisplayErrorContext`) carries the raw HTTP response: headers,
//! request ids, the whole XML or JSON body. That belongs in the logs, not in what people read: run
//! records, report notes, Step Functions causes, DLQ reasons. [`summary`] keeps AWS's error code and
//! message and logs the rest once.

use std::error::Error as _;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// The error codes that mean "slow down" or "try again", whatever the HTTP status, each with the
/// services that answer it and why retrying helps.
pub const TRANSIENT_CODES: [(&str, &str); 17] = [
    ("Throttling", "query-protocol services (STS, CloudFormation, IAM, SES v1): request rate exceeded"),
    ("ThrottlingException", "JSON-protocol services (Step Functions, Athena, Organizations, Glue): request rate exceeded"),
    ("Throttled", "SNS Publish: the account's publish rate exceeded"),
    ("RequestThrottled", "SQS and KMS-backed SQS calls: request rate exceeded"),
    ("RequestLimitExceeded", "EC2: the account's API request rate exceeded"),
    ("SlowDown", "S3 (503): reduce the request rate on a prefix"),
    ("TooManyRequestsException", "Lambda, SES v2, Organizations, Athena: request rate exceeded"),
    ("ProvisionedThroughputExceededException", "DynamoDB: a partition's throughput exceeded (the SDK's own retries ran out)"),
    ("TransactionConflictException", "DynamoDB: a write met a transaction in progress on the same item"),
    ("RequestTimeout", "S3: the connection was idle too long while the request was sent"),
    ("RequestTimeoutException", "JSON-protocol services: the request took too long"),
    ("InternalError", "S3 and EC2 (500): an internal error, which AWS documents as retryable"),
    ("InternalFailure", "query- and JSON-protocol services (500): an internal failure"),
    ("InternalServerError", "DynamoDB (500): an internal error"),
    ("ServiceFailure", "IAM (500): an internal failure"),
    ("ServiceUnavailable", "S3, EC2, STS (503): the service is briefly unavailable"),
    ("ServiceUnavailableException", "JSON-protocol services (503): the service is briefly unavailable"),
];

/// True for an error code of [`TRANSIENT_CODES`].
pub fn is_transient_code(code: &str) -> bool {
    TRANSIENT_CODES.iter().any(|(c, _)| *c == code)
}

/// True when retrying the call may succeed: the request timed out, could not be sent or its answer
/// not read, or AWS answered 429, 5xx or one of [`TRANSIENT_CODES`].
pub fn is_transient<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            status >= 500 || status == 429 || service.err().code().is_some_and(is_transient_code)
        }
        _ => false,
    }
}

/// The service error code of an SDK error (`NoSuchBucket`, `AccessDenied`, ...), if AWS sent one.
pub fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// The HTTP status of a service error.
pub fn http_status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    match err {
        SdkError::ServiceError(service) => Some(service.raw().status().as_u16()),
        _ => None,
    }
}

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
    fn throttling_and_server_errors_are_transient_the_rest_not() {
        assert!(is_transient(&service_error(Some("SlowDown"), "reduce")));
        assert!(is_transient(&service_error(
            Some("TransactionConflictException"),
            "x"
        )));
        // AccessDenied answered with 403: a decision, not a hiccup.
        assert!(!is_transient(&service_error(Some("AccessDenied"), "no")));
        assert!(!is_transient_code("ConditionalCheckFailedException"));
        let timeout: SdkError<ListBucketsError, Response> =
            SdkError::timeout_error("deadline".to_string());
        assert!(is_transient(&timeout));
        assert_eq!(
            code(&service_error(Some("NoSuchBucket"), "")),
            Some("NoSuchBucket")
        );
        assert_eq!(http_status(&service_error(None, "")), Some(403));
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
