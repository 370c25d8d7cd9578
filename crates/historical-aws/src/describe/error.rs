//! Why a list or describe call failed, classified so callers act on it: access denied is reported
//! (the member account's role cannot read it, retrying will not help), throttling and 5xx are
//! transient (retry later), anything else is a bug or a misconfiguration to look at.

use std::error::Error as StdError;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// A failed AWS call while listing or describing, naming the resource and the operation.
#[derive(Debug, thiserror::Error)]
pub enum DescribeError {
    /// The member account's role may not make this call: report it, retrying does not help.
    #[error("access denied: {operation} on {resource}: {message}")]
    AccessDenied {
        /// The resource (bucket name, group id, ...) or listing (`s3 buckets`) concerned.
        resource: String,
        /// The API operation that was refused.
        operation: &'static str,
        /// What AWS answered.
        message: String,
    },
    /// Throttling, a 5xx or a transport failure: the same call may succeed later.
    #[error("transient failure: {operation} on {resource}: {message}")]
    Transient {
        /// The resource concerned.
        resource: String,
        /// The API operation that failed.
        operation: &'static str,
        /// What AWS (or the transport) answered.
        message: String,
    },
    /// Any other failure (validation, unknown error code, unparseable answer).
    #[error("{operation} on {resource} failed: {message}")]
    Other {
        /// The resource concerned.
        resource: String,
        /// The API operation that failed.
        operation: &'static str,
        /// What AWS answered.
        message: String,
    },
    /// The resource disappeared while it was described. `describe` turns this into `Ok(None)`;
    /// it only travels between the calls of one describe.
    #[error("{resource} no longer exists ({operation})")]
    Gone {
        /// The resource concerned.
        resource: String,
        /// The call that reported it missing.
        operation: &'static str,
    },
}

impl DescribeError {
    /// True when retrying the same call later may succeed (throttling, 5xx, timeouts).
    pub fn is_transient(&self) -> bool {
        matches!(self, DescribeError::Transient { .. })
    }

    /// True when the account's role is not allowed to read the resource.
    pub fn is_access_denied(&self) -> bool {
        matches!(self, DescribeError::AccessDenied { .. })
    }
}

/// Error codes meaning "the role may not do this" across S3, EC2 and IAM.
const ACCESS_DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AllAccessDisabled",
    "AuthFailure",
    "InvalidClientTokenId",
    "OptInRequired",
];

/// An assumed role's session that expired mid-call: the member-role cache gets new credentials on
/// the next attempt, so retrying helps (besides `platform::sdk_error`'s transient codes).
const EXPIRED_SESSION: &str = "ExpiredToken";

/// The parts of an SDK error the classification needs, independent of the operation's error type.
#[derive(Debug)]
pub(crate) struct ApiError {
    /// The AWS error code, when AWS answered with one.
    pub code: Option<String>,
    /// AWS's code and message (the full error, raw response included, is logged).
    pub message: String,
    /// HTTP status of the answer, when there was one.
    pub status: Option<u16>,
    /// True for timeouts and connection failures.
    pub transport: bool,
    /// True when the answer could not be parsed and was an object listing (`ListBucketResult`):
    /// an endpoint that ignored an S3 sub-resource it does not implement (see `s3.rs`).
    pub listed_objects_instead: bool,
}

impl ApiError {
    /// Extracts code, status and text from any SDK operation error.
    pub fn from_sdk<E>(err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let transport = matches!(
            err,
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_)
        );
        // a 200 answer the SDK could not read as the operation's output
        let listed_objects_instead = status == Some(200)
            && err
                .raw_response()
                .and_then(|r| r.body().bytes())
                .is_some_and(|b| String::from_utf8_lossy(b).contains("<ListBucketResult"));
        let code = err.code().map(str::to_string);
        let message = platform::sdk_error::summary("describe", &err);
        ApiError {
            code,
            message,
            status,
            transport,
            listed_objects_instead,
        }
    }

    /// True when the error code is one of `codes`.
    pub fn code_is(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }

    /// The typed error for this failure of `operation` on `resource`.
    pub fn into_error(self, resource: &str, operation: &'static str) -> DescribeError {
        let resource = resource.to_string();
        let message = self.message;
        let code = self.code.as_deref().unwrap_or("");
        if ACCESS_DENIED.contains(&code) || (self.code.is_none() && self.status == Some(403)) {
            DescribeError::AccessDenied {
                resource,
                operation,
                message,
            }
        } else if self.transport
            || platform::sdk_error::is_transient_code(code)
            || code == EXPIRED_SESSION
            || self.status.is_some_and(|s| s == 429 || s >= 500)
        {
            DescribeError::Transient {
                resource,
                operation,
                message,
            }
        } else {
            DescribeError::Other {
                resource,
                operation,
                message,
            }
        }
    }
}

/// An SDK failure of `operation` on `resource` as a [`DescribeError`].
pub(crate) fn sdk_error<E>(
    err: SdkError<E, HttpResponse>,
    resource: &str,
    operation: &'static str,
) -> DescribeError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    ApiError::from_sdk(err).into_error(resource, operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: Option<&str>, status: Option<u16>) -> ApiError {
        ApiError {
            code: code.map(str::to_string),
            message: "m".into(),
            status,
            transport: false,
            listed_objects_instead: false,
        }
    }

    #[test]
    fn classification() {
        let e = api(Some("AccessDenied"), Some(403)).into_error("b", "GetBucketAcl");
        assert!(e.is_access_denied());
        assert!(e.to_string().contains("GetBucketAcl on b"));
        assert!(api(Some("UnauthorizedOperation"), Some(403))
            .into_error("sg-1", "DescribeSecurityGroups")
            .is_access_denied());
        assert!(api(Some("RequestLimitExceeded"), Some(503))
            .into_error("x", "y")
            .is_transient());
        assert!(api(Some("SlowDown"), Some(503))
            .into_error("x", "y")
            .is_transient());
        assert!(api(None, Some(502)).into_error("x", "y").is_transient());
        let other = api(Some("InvalidParameterValue"), Some(400)).into_error("x", "y");
        assert!(!other.is_transient() && !other.is_access_denied());
    }
}
