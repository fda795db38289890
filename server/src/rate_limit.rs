//! Per-client-address rate limits of the public POST endpoints, in memory, per server instance (with several
//! instances behind a load balancer each counts on its own: the effective limit is multiplied by their number).
//!
//! A generic cell rate algorithm: `per_hour` requests are allowed in a burst, then one every `3600 / per_hour`
//! seconds; a refused request does not count. The client address comes from [`crate::client_ip::ClientIp`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept before idle ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// One limit (e.g. submissions), for every client address.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    window: Duration,
    /// Theoretical arrival time of the next request, per address.
    clients: Mutex<HashMap<IpAddr, Instant>>,
}

impl RateLimiter {
    /// At most `per_hour` requests per address per hour (minimum 1).
    pub fn per_hour(per_hour: u32) -> Self {
        let window = Duration::from_secs(3600);
        Self {
            interval: window / per_hour.max(1),
            window,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `client`; `Err(wait)` when it is over the limit.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.check_at(client, Instant::now())
    }

    fn check_at(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if clients.len() > SWEEP_ABOVE {
            clients.retain(|_, tat| *tat > now);
        }
        let tat = clients.get(&client).copied().unwrap_or(now).max(now);
        let next = tat + self.interval;
        if next.duration_since(now) > self.window {
            return Err(next.duration_since(now) - self.window);
        }
        clients.insert(client, next);
        Ok(())
    }
}

/// Seconds for a `Retry-After` header (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_the_hourly_limit_passes_then_one_per_interval() {
        let limiter = RateLimiter::per_hour(3);
        let client: IpAddr = [192, 0, 2, 1].into();
        let other: IpAddr = [192, 0, 2, 2].into();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at(client, t0).is_ok());
        }
        let wait = limiter.check_at(client, t0).expect_err("fourth request");
        assert_eq!(retry_after_secs(wait), 1200);
        assert!(
            limiter.check_at(other, t0).is_ok(),
            "addresses are counted apart"
        );
        assert!(
            limiter
                .check_at(client, t0 + Duration::from_secs(1199))
                .is_err()
        );
        assert!(
            limiter
                .check_at(client, t0 + Duration::from_secs(1200))
                .is_ok()
        );
    }
}
