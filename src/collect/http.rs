//! The one HTTP client every collector uses: a declared User-Agent, a request-rate limit,
//! timeouts, and retries with exponential backoff on 5xx, timeouts, 403 and 429. A host that
//! cannot be reached (no such name, connection refused) is not retried: the error names the cause.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Sent with every request. SEC EDGAR requires a contact in it.
    pub user_agent: String,
    /// Limit for one whole request (connect, headers and body).
    pub timeout: Duration,
    /// Retries after the first attempt, for 5xx, timeouts, 403 and 429.
    pub max_retries: u32,
    /// The first backoff; each retry doubles it. A `Retry-After` header, when given, wins.
    pub initial_backoff: Duration,
    /// At most this many requests per second, across all tasks using the client.
    pub max_requests_per_second: f64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            user_agent: format!(
                "whalewatch/{} (+https://github.com/whalewatch)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout: Duration::from_secs(60),
            max_retries: 5,
            initial_backoff: Duration::from_millis(500),
            max_requests_per_second: 5.0,
        }
    }
}

/// A fetched resource, or the publisher's word that there is none.
#[derive(Debug)]
pub enum Fetched {
    Body(Vec<u8>),
    NotFound,
}

/// How a request proves who sends it.
#[derive(Debug, Clone, Copy)]
pub enum Authorization<'a> {
    None,
    /// An OAuth access token.
    Bearer(&'a str),
    /// A client id and secret (an OAuth token endpoint's client credentials grant).
    Basic(&'a str, &'a str),
}

pub struct HttpClient {
    client: reqwest::Client,
    config: HttpConfig,
    next_slot: Mutex<Instant>,
}

impl HttpClient {
    pub fn new(config: HttpConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(20)))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(HttpClient {
            client,
            config,
            next_slot: Mutex::new(Instant::now()),
        })
    }

    /// Waits for the next request slot so that requests stay under the configured rate.
    async fn wait_for_slot(&self) {
        let interval =
            Duration::from_secs_f64(1.0 / self.config.max_requests_per_second.max(0.001));
        let slot = {
            let mut next = self.next_slot.lock().await;
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// GETs `url`. 404 (and 410) is [`Fetched::NotFound`]; other failures are retried with
    /// backoff, then reported as an error that names the URL and the last status.
    pub async fn get(&self, url: &str) -> Result<Fetched> {
        self.fetch(url, || self.client.get(url)).await
    }

    /// POSTs a JSON `body` to `url` (a query API), under the same limits, retries and answers
    /// as [`HttpClient::get`].
    pub async fn post_json(&self, url: &str, body: &str) -> Result<Fetched> {
        self.post(url, Some(body), Authorization::None).await
    }

    /// POSTs to `url`, with a JSON body or none, and the given authorization.
    pub async fn post(
        &self,
        url: &str,
        json_body: Option<&str>,
        authorization: Authorization<'_>,
    ) -> Result<Fetched> {
        self.fetch(url, || {
            let mut request = self
                .client
                .post(url)
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(body) = json_body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.to_string());
            }
            match authorization {
                Authorization::None => request,
                Authorization::Bearer(token) => request.bearer_auth(token),
                Authorization::Basic(id, secret) => request.basic_auth(id, Some(secret)),
            }
        })
        .await
    }

    async fn fetch(
        &self,
        url: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Fetched> {
        let mut backoff = self.config.initial_backoff;
        let mut attempt = 0;
        loop {
            self.wait_for_slot().await;
            let outcome = request().send().await;
            // (Retry-After, last status, what went wrong, the transport error) of a retryable failure.
            let (retry_after, status, problem, cause) = match outcome {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        match response.bytes().await {
                            Ok(body) => return Ok(Fetched::Body(body.to_vec())),
                            Err(e) => (None, None, "the body was cut off".to_string(), Some(e)),
                        }
                    } else if status == reqwest::StatusCode::NOT_FOUND
                        || status == reqwest::StatusCode::GONE
                    {
                        return Ok(Fetched::NotFound);
                    } else if status.is_server_error()
                        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                        || status == reqwest::StatusCode::FORBIDDEN
                    {
                        let retry_after = response
                            .headers()
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .map(Duration::from_secs);
                        (
                            retry_after,
                            Some(status.as_u16()),
                            format!("HTTP {status}"),
                            None,
                        )
                    } else {
                        return Err(Error::Http {
                            url: url.to_string(),
                            status: Some(status.as_u16()),
                            message: format!("HTTP {status}"),
                            cause: None,
                        });
                    }
                }
                Err(e) if e.is_timeout() => (None, None, "timed out".to_string(), Some(e)),
                // No such host, connection refused, a TLS failure: the next attempt meets the
                // same wall, so the run stops at once with the cause named.
                Err(e) => {
                    return Err(Error::Http {
                        url: url.to_string(),
                        status: None,
                        message: if e.is_connect() {
                            "cannot reach the host".to_string()
                        } else {
                            "the request failed".to_string()
                        },
                        cause: Some(e),
                    })
                }
            };
            if attempt >= self.config.max_retries {
                return Err(Error::Http {
                    url: url.to_string(),
                    status,
                    message: format!(
                        "{problem}, still after {} retries; try again later",
                        self.config.max_retries
                    ),
                    cause,
                });
            }
            let wait = retry_after.unwrap_or(backoff);
            tracing::warn!("{url}: {problem}; retrying in {wait:?}");
            tokio::time::sleep(wait).await;
            backoff = backoff.saturating_mul(2);
            attempt += 1;
        }
    }
}
