//! Settings: command-line flags win over environment variables, which win over the config
//! file (`--config`, `$WHALEWATCH_CONFIG`, `./whalewatch.toml`, then
//! `~/.config/whalewatch/config.toml`), which wins over the defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::collect::finra::{ats as finra_ats, short_volume as finra_short_volume};
use crate::collect::http::HttpConfig;
use crate::error::{Error, Result};
use crate::lake::{LakeLocation, LocationOrigin};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The lake's root directory.
    pub lake: Option<PathBuf>,
    #[serde(default)]
    pub http: HttpSection,
    #[serde(default)]
    pub finra: FinraSection,
    #[serde(default)]
    pub options: OptionsSection,
    #[serde(default)]
    pub dark_pool: DarkPoolSection,
    #[serde(default)]
    pub query: QuerySection,
    /// The file these settings were read from, if any (errors about a setting name it).
    #[serde(skip)]
    pub loaded_from: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DarkPoolSection {
    /// Shares from which a regular off-exchange print is a block (FINRA: 10,000).
    pub block_min_shares: Option<f64>,
    /// Dollars from which a regular off-exchange print is a block (FINRA: 200,000).
    pub block_min_value: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySection {
    /// The memory a session's queries may hold at once: `4GiB`, `500MB`, `25%` of RAM, or
    /// `none` (default: 50 %).
    pub memory_limit: Option<String>,
    /// Where sorts, joins and aggregates spill (default: the system's temporary directory).
    pub spill_directory: Option<PathBuf>,
}

/// The query limits given on the command line (or by their environment variables).
#[derive(Debug, Default, Clone)]
pub struct QueryFlags {
    pub memory_limit: Option<crate::sql::MemoryLimit>,
    pub spill_directory: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsSection {
    /// The rate options_flow prices its Greeks with (0.04 = 4 %).
    pub risk_free_rate: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    /// User-Agent sent with every request; SEC EDGAR requires a contact (name and e-mail) in it.
    pub user_agent: Option<String>,
    pub max_requests_per_second: Option<f64>,
    pub timeout_seconds: Option<u64>,
    pub max_retries: Option<u32>,
    pub initial_backoff_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinraSection {
    /// Base URL of the Reg SHO daily files.
    pub short_volume_base_url: Option<String>,
    /// FINRA's query API host (OTC transparency data).
    pub api_base_url: Option<String>,
    /// API client credentials from FINRA's API Console (optional; the environment variables
    /// `WHALEWATCH_FINRA_CLIENT_ID` and `WHALEWATCH_FINRA_CLIENT_SECRET` win).
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// The OAuth token endpoint for those credentials.
    pub token_url: Option<String>,
}

impl Config {
    /// Loads the first config file found, or the defaults when there is none.
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        let candidates: Vec<PathBuf> = match explicit {
            Some(path) => vec![path.to_path_buf()],
            None => {
                let mut candidates = vec![PathBuf::from("whalewatch.toml")];
                if let Some(home) = std::env::var_os("HOME") {
                    candidates.push(PathBuf::from(home).join(".config/whalewatch/config.toml"));
                }
                candidates
            }
        };
        for path in candidates {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let mut config: Config = toml::from_str(&text).map_err(|e| {
                        Error::Config(format!("{}: {}", path.display(), e.to_string().trim()))
                    })?;
                    config.loaded_from = Some(path);
                    return Ok(config);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                    continue
                }
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        Ok(Config::default())
    }

    /// The lake's location and who named it: the flag, `$WHALEWATCH_LAKE`, the config file, or
    /// `./data`.
    pub fn lake_location(&self, flag: Option<String>) -> LakeLocation {
        if let Some(flag) = flag {
            return LakeLocation::new(flag, LocationOrigin::Flag);
        }
        if let Some(environment) = std::env::var("WHALEWATCH_LAKE")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            return LakeLocation::new(environment, LocationOrigin::Environment);
        }
        if let Some(configured) = &self.lake {
            let origin = LocationOrigin::ConfigFile(self.loaded_from.clone().unwrap_or_default());
            return LakeLocation::new(configured.display().to_string(), origin);
        }
        LakeLocation::new("data", LocationOrigin::Default)
    }

    pub fn http(&self) -> HttpConfig {
        let defaults = HttpConfig::default();
        let h = &self.http;
        HttpConfig {
            // $WHALEWATCH_USER_AGENT wins over the file, as environment variables do.
            user_agent: std::env::var("WHALEWATCH_USER_AGENT")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .or_else(|| h.user_agent.clone())
                .unwrap_or(defaults.user_agent),
            timeout: h
                .timeout_seconds
                .map(Duration::from_secs)
                .unwrap_or(defaults.timeout),
            max_retries: h.max_retries.unwrap_or(defaults.max_retries),
            initial_backoff: h
                .initial_backoff_ms
                .map(Duration::from_millis)
                .unwrap_or(defaults.initial_backoff),
            max_requests_per_second: h
                .max_requests_per_second
                .unwrap_or(defaults.max_requests_per_second),
        }
    }

    /// The session's settings: the flag or `$WHALEWATCH_RISK_FREE_RATE` (given as `rate_flag`), the
    /// config file, or 4 %. A rate outside −10 % to 100 % is surely a typo (5 for 5 %).
    ///
    /// The memory limit and spill directory: the flags (or their environment variables), the
    /// `[query]` section, or half of the machine's memory and the system's temporary directory.
    pub fn session(
        &self,
        threads: Option<usize>,
        rate_flag: Option<f64>,
        query: &QueryFlags,
    ) -> Result<crate::sql::SessionSettings> {
        let risk_free_rate = rate_flag
            .or(self.options.risk_free_rate)
            .unwrap_or(crate::sql::DEFAULT_RISK_FREE_RATE);
        if !(-0.1..=1.0).contains(&risk_free_rate) {
            return Err(Error::Config(format!(
                "risk-free rate {risk_free_rate}: write it as a decimal, 0.05 for 5 %"
            )));
        }
        let block_min_shares = self
            .dark_pool
            .block_min_shares
            .unwrap_or(crate::sql::DEFAULT_BLOCK_MIN_SHARES);
        let block_min_value = self
            .dark_pool
            .block_min_value
            .unwrap_or(crate::sql::DEFAULT_BLOCK_MIN_VALUE);
        if !(block_min_shares > 0.0 && block_min_value > 0.0) {
            return Err(Error::Config(format!(
                "[dark_pool] block_min_shares ({block_min_shares}) and block_min_value \
                 ({block_min_value}) must be positive"
            )));
        }
        let memory_limit = match (query.memory_limit, &self.query.memory_limit) {
            (Some(flag), _) => flag,
            (None, Some(configured)) => configured.parse().map_err(|message| {
                Error::Config(format!(
                    "[query] memory_limit in {}: {message}",
                    self.file_name()
                ))
            })?,
            (None, None) => crate::sql::MemoryLimit::default(),
        };
        Ok(crate::sql::SessionSettings {
            threads,
            risk_free_rate,
            block_min_shares,
            block_min_value,
            memory_limit,
            spill_directory: query
                .spill_directory
                .clone()
                .or_else(|| self.query.spill_directory.clone()),
            file_writes: crate::sql::FileWrites::default(),
        })
    }

    fn file_name(&self) -> String {
        self.loaded_from.as_ref().map_or_else(
            || "the config file".to_string(),
            |p| p.display().to_string(),
        )
    }

    /// FINRA's API host: the flag, the config file, or api.finra.org.
    pub fn finra_api_base_url(&self, flag: Option<String>) -> String {
        flag.or_else(|| self.finra.api_base_url.clone())
            .unwrap_or_else(|| finra_ats::FINRA_API_BASE_URL.to_string())
    }

    /// FINRA API credentials, from the environment or the config file; none when neither has
    /// them, an error when only half is given.
    pub fn finra_api_credentials(&self) -> Result<Option<finra_ats::ApiCredentials>> {
        let setting = |variable: &str, configured: &Option<String>| {
            std::env::var(variable)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .or_else(|| configured.clone())
        };
        let id = setting("WHALEWATCH_FINRA_CLIENT_ID", &self.finra.client_id);
        let secret = setting("WHALEWATCH_FINRA_CLIENT_SECRET", &self.finra.client_secret);
        match (id, secret) {
            (None, None) => Ok(None),
            (Some(client_id), Some(client_secret)) => Ok(Some(finra_ats::ApiCredentials {
                client_id,
                client_secret,
                token_url: self
                    .finra
                    .token_url
                    .clone()
                    .unwrap_or_else(|| finra_ats::FINRA_TOKEN_URL.to_string()),
            })),
            _ => Err(Error::Config(
                "FINRA API credentials need both finra.client_id and finra.client_secret (or \
                 $WHALEWATCH_FINRA_CLIENT_ID and $WHALEWATCH_FINRA_CLIENT_SECRET)"
                    .to_string(),
            )),
        }
    }

    pub fn finra_short_volume_base_url(&self) -> String {
        self.finra
            .short_volume_base_url
            .clone()
            .unwrap_or_else(|| finra_short_volume::DEFAULT_BASE_URL.to_string())
    }
}
